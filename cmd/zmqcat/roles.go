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
}

func (e *timeoutError) Error() string { return fmt.Sprintf("timeout: %s within %v", e.what, e.d) }

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
func runSocket(ctx context.Context, cfg *config, s *socket, stdin io.Reader, stdout, stderr io.Writer) error {
	out := newPrinter(stdout, cfg)
	switch cfg.role {
	case sendOnly:
		if s.xpub != nil {
			if err := waitSubscriber(ctx, s.xpub, subscriberWait); err != nil {
				return err
			}
		}
		return sendLines(ctx, cfg, s, readLines(stdin), cfg.timeout, stderr)
	case recvOnly:
		return printMessages(ctx, cfg, s.rx, out)
	case duplex:
		return duplexLoop(ctx, cfg, s, readLines(stdin), out, stderr)
	case requester:
		return requests(ctx, cfg, s, readLines(stdin), out)
	case replier:
		return replies(ctx, cfg, s, out)
	}
	return fmt.Errorf("no role for TYPE %q", cfg.typ)
}

// waitSubscriber waits until a first subscription reaches xp, for at most
// d, so that a subscriber that is already connecting misses nothing.
// Nobody subscribing in time is not an error: pub then sends anyway.
//
// Later subscriptions stay queued in the XPUB unread; without
// ZMQ_XPUB_VERBOSE libzmq passes up only new prefixes, so that queue stays
// small.
func waitSubscriber(ctx context.Context, xp *zmq.XPub, d time.Duration) error {
	wctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	for {
		m, err := xp.Recv(wctx)
		if err != nil {
			if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
				return nil
			}
			return err
		}
		if sub, _, ok := zmq.ParseSubscription(m); ok && sub {
			return nil
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
// cfg.count lines. sendTimeout, if set, bounds each send.
func sendLines(ctx context.Context, cfg *config, s *socket, lines <-chan line, sendTimeout time.Duration, stderr io.Writer) error {
	for sent := 0; cfg.count == 0 || sent < cfg.count; {
		b, ok, err := nextLine(ctx, lines)
		if !ok {
			return err
		}
		m := zmq.Msg{Frames: splitFrames(b, cfg.delim)}
		if s.router && len(m.Frames) < 2 {
			fmt.Fprintf(stderr, "zmqcat: router: line %q has no frame after the peer id; not sent\n", b)
			continue
		}
		sctx, cancel := withTimeout(ctx, sendTimeout)
		err = s.tx.Send(sctx, m)
		cancel()
		if s.router && errors.Is(err, zmq.ErrHostUnreachable) {
			fmt.Fprintf(stderr, "zmqcat: router: no connected peer %q; message not sent\n", m.Frames[0])
			continue
		}
		if err != nil {
			return timedOut(ctx, err, "could not send", sendTimeout)
		}
		sent++
	}
	return nil
}

// printMessages prints received messages until cfg.count of them.
// Output is flushed whenever no further message is waiting, so a reader
// of stdout sees each message without delay but a burst costs few writes.
func printMessages(ctx context.Context, cfg *config, rx receiver, out *printer) error {
	for n := 0; cfg.count == 0 || n < cfg.count; n++ {
		m, err := rx.TryRecv()
		if errors.Is(err, zmq.EAGAIN) {
			if err := out.flush(); err != nil {
				return err
			}
			m, err = recvWithin(ctx, rx, cfg.timeout)
		}
		if err != nil {
			return err
		}
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
func duplexLoop(ctx context.Context, cfg *config, s *socket, lines <-chan line, out *printer, stderr io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		sending bool
		err     error
	}
	done := make(chan result, 2)
	var wg sync.WaitGroup
	wg.Go(func() { done <- result{true, sendLines(ctx, cfg, s, lines, 0, stderr)} })
	wg.Go(func() { done <- result{false, printMessages(ctx, cfg, s.rx, out)} })
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
// time; --timeout bounds each request, send and reply together.
func requests(ctx context.Context, cfg *config, s *socket, lines <-chan line, out *printer) error {
	for n := 0; cfg.count == 0 || n < cfg.count; n++ {
		b, ok, err := nextLine(ctx, lines)
		if !ok {
			return err
		}
		rctx, cancel := withTimeout(ctx, cfg.timeout)
		err = s.tx.Send(rctx, zmq.Msg{Frames: splitFrames(b, cfg.delim)})
		var reply zmq.Msg
		if err == nil {
			reply, err = s.rx.Recv(rctx)
		}
		cancel()
		if err != nil {
			return timedOut(ctx, err, "no reply", cfg.timeout)
		}
		if err := out.print(reply); err != nil {
			return err
		}
		if err := out.flush(); err != nil {
			return err
		}
	}
	return nil
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
