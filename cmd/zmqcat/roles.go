package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/zmqx/zmq"
)

// subscriberWait bounds how long pub waits for its first subscription.
const subscriberWait = time.Second

// timeoutError is --timeout expiring: exit status 3.
type timeoutError struct {
	what string
	d    time.Duration
	// undelivered, if set, is the delivery report that goes with it.
	undelivered string
}

func (e *timeoutError) Error() string {
	s := fmt.Sprintf("timeout: %s within %v", e.what, e.d)
	if e.undelivered != "" {
		s += "; " + e.undelivered
	}
	return s
}

// withTimeout bounds ctx by d, if d is set.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d)
}

// timedOut turns the expiry of a --timeout context into a timeoutError;
// other errors, the end of ctx included, pass unchanged.
func timedOut(ctx context.Context, err error, what string, d time.Duration) error {
	if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		return &timeoutError{what: what, d: d}
	}
	return err
}

// runSocket runs one zmqcat TYPE until its work is done, ctx ends or
// something fails. The factory (and its linger) is the caller's.
func runSocket(ctx context.Context, cfg *config, s *socket, w *watcher, stdin io.Reader, stdout, stderr io.Writer) error {
	out := newPrinter(stdout, cfg)
	switch cfg.role {
	case sendOnly:
		if s.xpub != nil {
			seen, err := waitSubscriber(ctx, s.xpub, subscriberWait)
			if err != nil {
				return err
			}
			s.subscribed = seen
		}
		return sendLines(ctx, cfg, s, readInput(stdin), cfg.timeout, stderr)
	case recvOnly:
		return printMessages(ctx, cfg, s, out)
	case duplex:
		return duplexLoop(ctx, cfg, s, readInput(stdin), out, stderr)
	case requester:
		return requests(ctx, cfg, s, w, readInput(stdin), out, stderr)
	case replier:
		return replies(ctx, cfg, s, out)
	}
	return fmt.Errorf("no role for TYPE %q", cfg.typ)
}

// waitSubscriber waits until a first subscription reaches xp, for at most
// d, so that a subscriber that is already connecting misses nothing, and
// reports whether one came. Nobody subscribing in time is not an error:
// pub then sends anyway.
//
// Later subscriptions stay queued in the XPUB unread; without
// ZMQ_XPUB_VERBOSE libzmq passes up only new prefixes, so that queue stays
// small.
func waitSubscriber(ctx context.Context, xp *zmq.XPub, d time.Duration) (bool, error) {
	wctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	for {
		m, err := xp.Recv(wctx)
		if err != nil {
			if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
				return false, nil
			}
			return false, err
		}
		if sub, _, ok := zmq.ParseSubscription(m); ok && sub {
			return true, nil
		}
	}
}

// nextLine returns the next stdin line; ok is false at end of input.
func nextLine(ctx context.Context, lines <-chan line) (b []byte, ok bool, err error) {
	select {
	case <-ctx.Done():
		return nil, false, ctx.Err()
	case l, ok := <-lines:
		if !ok {
			return nil, false, nil
		}
		if l.err != nil {
			return nil, false, fmt.Errorf("reading stdin: %w", l.err)
		}
		return l.b, true, nil
	}
}

// sendLines sends each line as one message until end of input or
// cfg.count lines. sendTimeout, if set, bounds each send; if not, a send
// still waiting for a peer --linger after the end of input gives up, and
// the message, like every one not handed to a peer, is counted in
// s.undelivered.
func sendLines(ctx context.Context, cfg *config, s *socket, in *input, sendTimeout time.Duration, stderr io.Writer) error {
	handoff, release := ctx, context.CancelFunc(func() {})
	if sendTimeout == 0 {
		handoff, release = afterInput(ctx, in.ended, cfg.linger)
	}
	defer release()
	lineNo := 0
	for sent := 0; cfg.count == 0 || sent < cfg.count; {
		b, ok, err := nextLine(ctx, in.lines)
		if !ok {
			return err
		}
		lineNo++
		m, err := decodeLine(b, cfg)
		if err != nil {
			fmt.Fprintf(stderr, "zmqcat: line %d: %v; not sent\n", lineNo, err)
			s.undelivered.add(1, "lines that are not messages (reported above)")
			continue
		}
		if s.router && len(m.Frames) < 2 {
			fmt.Fprintf(stderr, "zmqcat: router: line %d (%q) has no frame after the peer id; not sent\n", lineNo, b)
			s.undelivered.add(1, "router lines with no frame after the peer id")
			continue
		}
		sctx, cancel := withTimeout(handoff, sendTimeout)
		err = send(sctx, s.tx, m)
		cancel()
		switch {
		case err == nil:
			sent++
			s.sent.Add(1)
		case s.router && errors.Is(err, zmq.ErrHostUnreachable):
			fmt.Fprintf(stderr, "zmqcat: router: no connected peer %q; message not sent\n", m.Frames[0])
			s.undelivered.add(1, fmt.Sprintf("no connected peer %q", m.Frames[0]))
		default:
			s.undelivered.add(1, "")
			if err := sendOutcome(ctx, handoff, err, "could not send", sendTimeout); err != nil {
				return err
			}
		}
	}
	return nil
}

// printMessages prints received messages until cfg.count of them.
// Output is flushed whenever no further message is waiting, so a reader
// of stdout sees each message without delay but a burst costs few writes.
func printMessages(ctx context.Context, cfg *config, s *socket, out *printer) error {
	for n := 0; cfg.count == 0 || n < cfg.count; n++ {
		m, err := s.rx.TryRecv()
		if errors.Is(err, zmq.EAGAIN) {
			if err := out.flush(); err != nil {
				return err
			}
			m, err = recvWithin(ctx, s.rx, cfg.timeout)
		}
		if err != nil {
			return err
		}
		s.received.Add(1)
		if err := out.print(m); err != nil {
			return err
		}
	}
	return out.flush()
}

// recvWithin receives one message, failing with a timeoutError after d.
func recvWithin(ctx context.Context, rx receiver, d time.Duration) (zmq.Msg, error) {
	rctx, cancel := withTimeout(ctx, d)
	defer cancel()
	m, err := rx.Recv(rctx)
	return m, timedOut(ctx, err, "no message", d)
}

// duplexLoop sends stdin lines and prints received messages at once. It
// ends at end of input, or with -n N once N messages are printed.
func duplexLoop(ctx context.Context, cfg *config, s *socket, in *input, out *printer, stderr io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		sending bool
		err     error
	}
	done := make(chan result, 2)
	var wg sync.WaitGroup
	wg.Go(func() { done <- result{true, sendLines(ctx, cfg, s, in, 0, stderr)} })
	wg.Go(func() { done <- result{false, printMessages(ctx, cfg, s, out)} })
	var err error
	for range 2 {
		r := <-done
		if r.sending && r.err == nil && cfg.count > 0 {
			continue // input is over; wait for the N-th message
		}
		err = r.err
		break
	}
	cancel()
	wg.Wait()
	return err
}

// requests sends each line as a request and prints its reply, one at a
// time; --timeout bounds each request, send and reply together. Without
// it, once input has ended, a request waits at most --linger for a peer,
// to take it (a req that binds) or to complete a handshake (one that
// connects: libzmq queues the request for the peer to come); once a peer
// has come, the reply is waited for as long as it takes.
func requests(ctx context.Context, cfg *config, s *socket, w *watcher, in *input, out *printer, stderr io.Writer) error {
	handoff, release := ctx, context.CancelFunc(func() {})
	if cfg.timeout == 0 {
		handoff, release = afterInput(ctx, in.ended, cfg.linger)
	}
	defer release()
	lineNo := 0
	for answered := 0; cfg.count == 0 || answered < cfg.count; {
		b, ok, err := nextLine(ctx, in.lines)
		if !ok {
			return err
		}
		lineNo++
		m, err := decodeLine(b, cfg)
		if err != nil {
			fmt.Fprintf(stderr, "zmqcat: line %d: %v; not sent\n", lineNo, err)
			s.undelivered.add(1, "lines that are not messages (reported above)")
			continue
		}
		rctx, cancel := withTimeout(ctx, cfg.timeout)
		sctx := rctx
		if cfg.timeout == 0 {
			sctx = handoff
		}
		if err := send(sctx, s.tx, m); err != nil {
			cancel()
			s.undelivered.add(1, "")
			if err := sendOutcome(ctx, handoff, err, "could not send the request", cfg.timeout); err != nil {
				return err
			}
			continue
		}
		s.sent.Add(1)
		reply, err := recvReply(rctx, handoff, s.rx, w)
		cancel()
		switch {
		case err == nil:
		case ctx.Err() == nil && errors.Is(err, errInputOver):
			// The request waits in libzmq, and the socket cannot send
			// the lines after it: none of them will be delivered.
			s.undelivered.add(1, "")
			for {
				if _, ok, _ := nextLine(ctx, in.lines); !ok {
					return nil
				}
				s.undelivered.add(1, "")
			}
		default:
			s.undelivered.add(1, "no reply to a request")
			return timedOut(ctx, err, "no reply", cfg.timeout)
		}
		answered++
		s.received.Add(1)
		if err := out.print(reply); err != nil {
			return err
		}
		if err := out.flush(); err != nil {
			return err
		}
	}
	return nil
}

// recvReply receives a reply within rctx; when handoff ends (--linger after
// the end of input) before any peer has completed a handshake, it gives up
// with errInputOver.
func recvReply(rctx, handoff context.Context, rx receiver, w *watcher) (zmq.Msg, error) {
	ctx, cancel := context.WithCancelCause(rctx)
	defer cancel(nil)
	stop := context.AfterFunc(handoff, func() {
		if context.Cause(handoff) == errInputOver && !w.peerEverConnected() {
			cancel(errInputOver)
		}
	})
	defer stop()
	m, err := rx.Recv(ctx)
	if err != nil && context.Cause(ctx) == errInputOver {
		return m, errInputOver
	}
	return m, err
}

// replies prints each request and answers it with --reply or an echo.
func replies(ctx context.Context, cfg *config, s *socket, out *printer) error {
	for n := 0; cfg.count == 0 || n < cfg.count; n++ {
		m, err := recvWithin(ctx, s.rx, cfg.timeout)
		if err != nil {
			return err
		}
		if err := out.print(m); err != nil {
			return err
		}
		if err := out.flush(); err != nil {
			return err
		}
		if cfg.reply != nil {
			m = zmq.Msg{Frames: cfg.reply}
		}
		if err := s.tx.Send(ctx, m); err != nil {
			return err
		}
	}
	return nil
}
