package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/zmqx/zmq"
)

// What "handed to a peer" means, type by type, is in the Delivery
// paragraph of zmqcat -h. In short: push runs with ZMQ_IMMEDIATE, so a
// send succeeds only once a peer's handshake has completed, and a message
// it would not take in time is counted here; req counts a request without
// its reply; router the routing ids that were not connected; dealer and
// pair, which cannot use ZMQ_IMMEDIATE (libzmq then drops what a
// disconnecting peer sent), and pub, xpub and xsub, which drop by design,
// are judged at the end, by whether a peer ever completed a handshake.

// undelivered counts the messages zmqcat read from stdin but never handed
// to a peer, and why.
type undelivered struct {
	mu sync.Mutex
	n  int
	// reasons are distinct, in order of first occurrence, at most
	// maxReasons of them; "" stands for what the endpoints lacked
	// (watcher.lacking). more: there were other reasons.
	reasons []string
	more    bool
}

// maxReasons bounds how many distinct reasons the report lists.
const maxReasons = 5

func (u *undelivered) add(n int, reason string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.n += n
	for _, r := range u.reasons {
		if r == reason {
			return
		}
	}
	if len(u.reasons) == maxReasons {
		u.more = true
		return
	}
	u.reasons = append(u.reasons, reason)
}

// report returns the count and the reasons as one phrase, or 0 and "".
func (u *undelivered) report(w *watcher) (int, string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.n == 0 {
		return 0, ""
	}
	var parts []string
	for _, r := range u.reasons {
		if r == "" {
			r = w.lacking()
		}
		parts = append(parts, r)
	}
	if u.more {
		parts = append(parts, "and for other reasons")
	}
	return u.n, strings.Join(parts, "; ")
}

// undeliveredError ends a run that left messages undelivered: exit
// status 1, and one line on stderr.
type undeliveredError struct {
	n   int
	why string
}

func (e *undeliveredError) Error() string {
	return fmt.Sprintf("%s not delivered: %s", messages(e.n), e.why)
}

func messages(n int) string {
	if n == 1 {
		return "1 message"
	}
	return fmt.Sprintf("%d messages", n)
}

// errInputOver ends a send that waited for a peer longer than --linger
// after the end of input.
var errInputOver = errors.New("no peer took the message within --linger of the end of input")

// afterInput returns a context that ends linger after in.ended is closed
// (never, for a negative linger), and a function that releases it.
func afterInput(ctx context.Context, ended <-chan struct{}, linger time.Duration) (context.Context, context.CancelFunc) {
	hctx, cancel := context.WithCancelCause(ctx)
	release := func() { cancel(context.Canceled) }
	if linger < 0 {
		return hctx, release
	}
	go func() {
		select {
		case <-ended:
		case <-hctx.Done():
			return
		}
		t := time.NewTimer(linger)
		defer t.Stop()
		select {
		case <-t.C:
			cancel(errInputOver)
		case <-hctx.Done():
		}
	}()
	return hctx, release
}

// sendOutcome sorts the error of a send made with sctx, which derives
// from handoff, which derives from ctx: nil if the message is to be
// counted as undelivered and the run goes on; otherwise the error that
// ends the run (ctx's own for a signal). sendTimeout is --timeout when it
// bounds the send.
func sendOutcome(ctx, handoff context.Context, err error, what string, sendTimeout time.Duration) error {
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case context.Cause(handoff) == errInputOver:
		return nil
	case errors.Is(err, context.DeadlineExceeded):
		return &timeoutError{what: what, d: sendTimeout}
	}
	return err
}

// judgeUnheard counts, once the socket is gone, the messages that only
// the whole run can judge: those of dealer and pair (and of push with -o
// immediate=0) and of pub, xpub and xsub when no peer ever completed a
// handshake, its linger at exit included.
func judgeUnheard(cfg *config, s *socket, w *watcher) {
	sent := int(s.sent.Load())
	if sent == 0 || s.received.Load() > 0 || s.subscribed || w.peerEverConnected() {
		return
	}
	switch cfg.typ {
	case "pub", "xpub", "xsub":
		if multicast(cfg) {
			return // no connections to see
		}
		why := "no subscriber ever connected, and " + cfg.typ + " drops what nobody subscribed to"
		if cfg.typ == "xsub" {
			why = "no publisher ever connected"
		}
		s.undelivered.add(sent, why+": "+w.lacking())
	case "dealer", "pair":
		s.undelivered.add(sent, "")
	case "push":
		if cfg.immediateOff {
			s.undelivered.add(sent, "")
		}
	}
}

// multicast reports whether an endpoint of cfg is multicast, where peers
// come and go unseen.
func multicast(cfg *config) bool {
	for _, ep := range append(append([]string(nil), cfg.binds...), cfg.connects...) {
		for _, scheme := range []string{"pgm://", "epgm://", "norm://"} {
			if strings.HasPrefix(ep, scheme) {
				return true
			}
		}
	}
	return false
}

// subscriptionWaiting reports whether a subscription is queued in xp, for
// a pub that sent before its first subscriber arrived.
func subscriptionWaiting(xp *zmq.XPub) bool {
	for {
		m, err := xp.TryRecv()
		if err != nil {
			return false
		}
		if sub, _, ok := zmq.ParseSubscription(m); ok && sub {
			return true
		}
	}
}

// verdict turns the end of a run into its error: messages left
// undelivered become the error, or join the timeout that ended the run.
// Another failure says more than the count, and wins.
func verdict(err error, cfg *config, s *socket, w *watcher) error {
	judgeUnheard(cfg, s, w)
	n, why := s.undelivered.report(w)
	if n == 0 {
		return err
	}
	var te *timeoutError
	switch {
	case errors.As(err, &te):
		te.undelivered = (&undeliveredError{n: n, why: why}).Error()
		return err
	case err == nil, errors.Is(err, context.Canceled):
		return &undeliveredError{n: n, why: why}
	}
	return err
}
