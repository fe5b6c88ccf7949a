package zmq_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/zmqx/zmq"
)

// With no peer, Send on REQ, DEALER, PUSH and PAIR waits until the ctx
// deadline and returns the ctx error; TrySend returns EAGAIN at once.
func TestSendWithNoPeerWaitsForTheCtx(t *testing.T) {
	type mk func(f *zmq.Factory) (msgSender, binder, error)
	kinds := []struct {
		name string
		make mk
	}{
		{"REQ", func(f *zmq.Factory) (msgSender, binder, error) { s, err := f.NewSocket(zmq.REQ); return s, s, err }},
		{"DEALER", func(f *zmq.Factory) (msgSender, binder, error) { s, err := f.NewDealer(); return s, s, err }},
		{"PUSH", func(f *zmq.Factory) (msgSender, binder, error) { s, err := f.NewPush(); return s, s, err }},
		{"PAIR", func(f *zmq.Factory) (msgSender, binder, error) { s, err := f.NewPair(); return s, s, err }},
	}
	for _, tr := range transports {
		for _, k := range kinds {
			t.Run(tr+"/"+k.name, func(t *testing.T) {
				t.Parallel()
				f := newFactory(t)
				s, b, err := k.make(f)
				if err != nil {
					t.Fatal(err)
				}
				bind(t, b, tr)
				if err := s.TrySend(zmq.NewMsgString("x")); !errors.Is(err, zmq.EAGAIN) {
					t.Fatalf("TrySend with no peer: got %v, want EAGAIN", err)
				}
				const d = 150 * time.Millisecond
				// The clock starts before the deadline is set: the deadline
				// may then fire no earlier than d after start.
				start := time.Now()
				ctx, cancel := context.WithTimeout(context.Background(), d)
				defer cancel()
				done := make(chan error, 1)
				go func() { done <- s.Send(ctx, zmq.NewMsgString("x")) }()
				select {
				case err := <-done:
					el := time.Since(start)
					if !errors.Is(err, context.DeadlineExceeded) {
						t.Fatalf("Send with no peer: got %v, want context.DeadlineExceeded", err)
					}
					if el < d {
						t.Fatalf("Send returned after %v, before its %v deadline", el, d)
					}
				case <-time.After(d + 2*time.Second):
					t.Fatalf("Send with no peer still blocked %v past its deadline", 2*time.Second)
				}
			})
		}
	}
}
