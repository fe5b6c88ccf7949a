package zmq_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zmqx/zmq"
)

// After Unbind or Disconnect a send finds no peer (EAGAIN); unbinding
// the wildcard form fails with ENOENT; unbinding what Bind returned works.
func TestUnbindAndDisconnectLeaveNoPeer(t *testing.T) {
	noPeer := func(t *testing.T, push *zmq.Push) {
		t.Helper()
		// libzmq tears the pipe down in the background.
		eventually(t, "TrySend reports EAGAIN", func() bool {
			return errors.Is(push.TrySend(zmq.NewMsgString("x")), zmq.EAGAIN)
		})
		for range 3 {
			if err := push.TrySend(zmq.NewMsgString("x")); !errors.Is(err, zmq.EAGAIN) {
				t.Fatalf("TrySend with the peer gone: got %v, want EAGAIN", err)
			}
		}
	}
	for _, tr := range transports {
		t.Run(tr+"/unbind", func(t *testing.T) {
			t.Parallel()
			f := newFactory(t)
			push := must[*zmq.Push](t)(f.NewPush())
			pull := must[*zmq.Pull](t)(f.NewPull())
			ep := bind(t, push, tr)
			connectTo(t, pull, ep)
			sendFrames(t, push, "ABC")
			expectFrames(t, pull, "ABC")
			if err := push.Unbind(ep); err != nil {
				t.Fatalf("Unbind(%s): %v", ep, err)
			}
			if err := push.Unbind(ep); !errors.Is(err, zmq.ENOENT) {
				t.Fatalf("second Unbind(%s): got %v, want ENOENT", ep, err)
			}
			if tr == "inproc" {
				// libzmq only frees the name of an inproc endpoint on
				// unbind; connections already made stay. The name can be
				// bound again.
				other := must[*zmq.Pull](t)(f.NewPull())
				if _, err := other.Bind(ep); err != nil {
					t.Fatalf("Bind(%s) after Unbind: %v", ep, err)
				}
				return
			}
			noPeer(t, push)
		})
		t.Run(tr+"/disconnect", func(t *testing.T) {
			t.Parallel()
			f := newFactory(t)
			push := must[*zmq.Push](t)(f.NewPush())
			pull := must[*zmq.Pull](t)(f.NewPull())
			ep := bind(t, pull, tr)
			connectTo(t, push, ep)
			sendFrames(t, push, "ABC")
			expectFrames(t, pull, "ABC")
			if err := push.Disconnect(ep); err != nil {
				t.Fatalf("Disconnect(%s): %v", ep, err)
			}
			noPeer(t, push)
			if err := push.Disconnect(ep); !errors.Is(err, zmq.ENOENT) {
				t.Fatalf("second Disconnect(%s): got %v, want ENOENT", ep, err)
			}
		})
	}
	for _, wild := range []string{"tcp://127.0.0.1:*", "ipc://*"} {
		t.Run("wildcard/"+strings.SplitN(wild, ":", 2)[0], func(t *testing.T) {
			t.Parallel()
			f := newFactory(t)
			pull := must[*zmq.Pull](t)(f.NewPull())
			ep, err := pull.Bind(wild)
			if err != nil {
				t.Fatal(err)
			}
			if ep == wild {
				t.Fatalf("Bind(%s) returned the wildcard", wild)
			}
			err = pull.Unbind(wild)
			var oe *zmq.OpError
			if !errors.Is(err, zmq.ENOENT) || !errors.As(err, &oe) || oe.Endpoint != wild || oe.Op != "unbind" {
				t.Fatalf("Unbind(%s): got %v, want an *OpError for it wrapping ENOENT", wild, err)
			}
			if err := pull.Unbind(ep); err != nil {
				t.Fatalf("Unbind(%s) (what Bind returned): %v", ep, err)
			}
		})
	}
}

// With WithReconnectInterval(-1) a connection that was lost is not
// made again when the peer comes back; by default it is.
func TestNoReconnectWhenTheIntervalIsNegative(t *testing.T) {
	for _, tr := range []string{"ipc", "tcp"} {
		for _, reconnect := range []bool{false, true} {
			name := tr + "/default"
			if !reconnect {
				name = tr + "/ivl=-1"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				f := newFactory(t)
				var opts []zmq.PushOption
				if !reconnect {
					opts = append(opts, zmq.WithReconnectInterval(-1))
				}
				push := must[*zmq.Push](t)(f.NewPush(opts...))

				// The first peer lives in its own factory: closing that
				// factory waits until libzmq has really let go of the
				// endpoint, so it can be bound again at once.
				f1, err := zmq.NewFactory()
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { f1.Close() })
				pull1 := must[*zmq.Pull](t)(f1.NewPull())
				ep := bind(t, pull1, tr)
				connectTo(t, push, ep)
				sendFrames(t, push, "first")
				expectFrames(t, pull1, "first")
				if err := f1.Close(); err != nil {
					t.Fatal(err)
				}

				pull2 := must[*zmq.Pull](t)(f.NewPull())
				if got, err := pull2.Bind(ep); err != nil || got != ep {
					t.Fatalf("rebinding %s: %q, %v", ep, got, err)
				}
				if reconnect {
					// Resend until the reconnected peer gets one: a message
					// sent before push noticed the loss may die with it.
					deadline := time.Now().Add(waitLimit)
					for {
						if time.Now().After(deadline) {
							t.Fatal("no reconnect with the default interval")
						}
						push.TrySend(zmq.NewMsgString("again"))
						ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
						m, err := pull2.Recv(ctx)
						cancel()
						if err == nil {
							if m.String() != `["again"]` {
								t.Fatalf("got %s", m)
							}
							return
						}
					}
				}
				// The bounded wait is the assertion here: 300ms is three
				// default reconnect intervals.
				ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
				defer cancel()
				sent := make(chan struct{})
				go func() {
					defer close(sent)
					for ctx.Err() == nil {
						push.Send(ctx, zmq.NewMsgString("again"))
					}
				}()
				m, err := pull2.Recv(ctx)
				<-sent
				if err == nil {
					t.Fatalf("with reconnection off, the new peer received %s", m)
				}
			})
		}
	}
}
