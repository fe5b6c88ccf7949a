package zmq_test

import (
	"strings"
	"testing"
	"time"

	"github.com/zmqx/zmq"
)

// TestGoEngineTalksToLibzmqEngine runs each socket pair over tcp with one
// side on the go engine and the other on libzmq, in both directions and
// with either side binding.
func TestGoEngineTalksToLibzmqEngine(t *testing.T) {
	if f, err := zmq.NewFactory(zmq.WithEngine(zmq.EngineLibzmq)); err != nil {
		t.Skipf("no libzmq engine in this build: %v", err)
	} else {
		f.Close()
	}
	pairs := []struct {
		name     string
		a, b     zmq.SocketType
		exchange func(t *testing.T, a, b *zmq.Socket)
	}{
		{"PUSH-PULL", zmq.PUSH, zmq.PULL, func(t *testing.T, a, b *zmq.Socket) {
			for _, s := range []string{"one", "two", "three"} {
				sendStrings(t, a, s, "part")
				expectStrings(t, b, s, "part")
			}
		}},
		{"REQ-REP", zmq.REQ, zmq.REP, func(t *testing.T, a, b *zmq.Socket) {
			for range 3 {
				sendStrings(t, a, "ping")
				expectStrings(t, b, "ping")
				sendStrings(t, b, "pong")
				expectStrings(t, a, "pong")
			}
		}},
		{"DEALER-ROUTER", zmq.DEALER, zmq.ROUTER, func(t *testing.T, a, b *zmq.Socket) {
			sendStrings(t, a, "hello")
			m, err := b.Recv(testCtx(t, 10*time.Second))
			if err != nil || len(m.Frames) != 2 || string(m.Frames[1]) != "hello" {
				t.Fatalf("ROUTER got %q, %v", m.Frames, err)
			}
			sendStrings(t, b, string(m.Frames[0]), "back")
			expectStrings(t, a, "back")
		}},
		{"PUB-SUB", zmq.PUB, zmq.SUB, func(t *testing.T, a, b *zmq.Socket) {
			if err := b.SetOption(zmq.WithSubscribe("news")); err != nil {
				t.Fatal(err)
			}
			// The subscription travels to the publisher on its own time:
			// publish until one message gets through.
			ctx := testCtx(t, 10*time.Second)
			for {
				sendStrings(t, a, "sport: dropped")
				sendStrings(t, a, "news: kept")
				if m, err := b.TryRecv(); err == nil {
					if !strings.HasPrefix(string(m.Frames[0]), "news") {
						t.Fatalf("SUB got %q", m.Frames)
					}
					return
				}
				select {
				case <-ctx.Done():
					t.Fatal("no message got through")
				case <-time.After(5 * time.Millisecond):
				}
			}
		}},
	}
	for _, p := range pairs {
		for _, aEngine := range []zmq.Engine{zmq.EngineGo, zmq.EngineLibzmq} {
			bEngine := zmq.EngineLibzmq
			if aEngine == zmq.EngineLibzmq {
				bEngine = zmq.EngineGo
			}
			for _, aBinds := range []bool{true, false} {
				name := p.name + "/" + string(aEngine) + "-" + p.a.String()
				if aBinds {
					name += "-binds"
				} else {
					name += "-connects"
				}
				t.Run(name, func(t *testing.T) {
					fa := newFactory(t, zmq.WithEngine(aEngine))
					fb := newFactory(t, zmq.WithEngine(bEngine))
					a := must[*zmq.Socket](t)(fa.NewSocket(p.a))
					b := must[*zmq.Socket](t)(fb.NewSocket(p.b))
					binder, connecter := a, b
					if !aBinds {
						binder, connecter = b, a
					}
					ep := bind(t, binder, "tcp")
					if err := connecter.Connect(ep); err != nil {
						t.Fatal(err)
					}
					p.exchange(t, a, b)
				})
			}
		}
	}
}

func sendStrings(t *testing.T, s *zmq.Socket, frames ...string) {
	t.Helper()
	if err := s.Send(testCtx(t, 10*time.Second), zmq.NewMsgString(frames...)); err != nil {
		t.Fatal(err)
	}
}

func expectStrings(t *testing.T, s *zmq.Socket, want ...string) {
	t.Helper()
	m, err := s.Recv(testCtx(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Frames) != len(want) {
		t.Fatalf("got %q, want %q", m.Frames, want)
	}
	for i, f := range m.Frames {
		if string(f) != want[i] {
			t.Fatalf("got %q, want %q", m.Frames, want)
		}
	}
}
