package zmq

import (
	"context"
	"errors"
	"reflect"
	"sync"
)

// Proxyable is any socket that can take part in a Proxy: every pattern
// type and the raw Socket.
type Proxyable interface {
	base() *socket
}

func (s *socket) base() *socket { return s }

// Proxy forwards messages between frontend and backend in both directions,
// as zmq_proxy does, until ctx ends or a socket closes; it returns why it
// stopped (ctx.Err() or an error wrapping ErrClosed). When capture is not
// nil every forwarded message is also sent to it. Messages move whole, and
// a full destination holds the source back: Proxy queues nothing itself.
// Between the two high-water marks sit only the message in hand and the
// source's receive batch (at most 64 KiB plus one message; see the package
// documentation on backpressure). A direction whose source cannot receive
// (a Push frontend, say) is skipped. When Proxy stops, a message it had
// received but not yet forwarded is lost, like any message queued in a
// socket that closes.
//
// Typical uses: Router frontend with Dealer backend (a shared queue),
// XSub frontend with XPub backend (a pub/sub forwarder), Pull with Push (a
// streamer).
func Proxy(ctx context.Context, frontend, backend, capture Proxyable) error {
	if isNil(frontend) || isNil(backend) {
		return errors.New("zmq: Proxy needs a frontend and a backend")
	}
	var cap *socket
	if !isNil(capture) {
		cap = capture.base()
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	pump := func(from, to *socket) {
		defer wg.Done()
		for {
			m, err := from.recv(ctx)
			if errors.Is(err, ENOTSUP) {
				return // this direction does not exist for these types
			}
			if err == nil {
				err = to.send(ctx, "send", m.Frames)
			}
			if err == nil && cap != nil {
				err = cap.send(ctx, "send", m.Frames)
			}
			if err != nil {
				cancel(err)
				return
			}
		}
	}
	wg.Add(2)
	go pump(frontend.base(), backend.base())
	go pump(backend.base(), frontend.base())
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return errors.New("zmq: Proxy: neither socket can receive")
}

// isNil reports whether p is nil or a nil pointer in an interface.
func isNil(p Proxyable) bool {
	if p == nil {
		return true
	}
	v := reflect.ValueOf(p)
	return v.Kind() == reflect.Pointer && v.IsNil()
}
