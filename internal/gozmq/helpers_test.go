package gozmq

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/zmqx/zmq/internal/engine"
)

// TestMain fails the run if any goroutine outlives the tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := Open(engine.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e.(*Engine)
}

func newSock(t testing.TB, e *Engine, typ engine.SocketType, opts ...func(*Socket)) *Socket {
	t.Helper()
	s, err := e.NewSocket(typ)
	if err != nil {
		t.Fatal(err)
	}
	gs := s.(*Socket)
	if err := gs.SetOption(engine.OptLinger, engine.Int(0)); err != nil {
		t.Fatal(err)
	}
	for _, o := range opts {
		o(gs)
	}
	t.Cleanup(func() { gs.Close() })
	return gs
}

func opt(o engine.Option, v engine.Value) func(*Socket) {
	return func(s *Socket) {
		if err := s.SetOption(o, v); err != nil {
			panic(fmt.Sprintf("%v: %v", o, err))
		}
	}
}

var nameSeq atomic.Int64

// bindAny binds s on a fresh endpoint of transport and returns it.
func bindAny(t testing.TB, s *Socket, transport string) string {
	t.Helper()
	var ep string
	switch transport {
	case "inproc":
		ep = fmt.Sprintf("inproc://t%d", nameSeq.Add(1))
	case "tcp":
		ep = "tcp://127.0.0.1:*"
	case "ipc":
		ep = "ipc://*"
	}
	bound, err := s.Bind(ep)
	if err != nil {
		t.Fatal(err)
	}
	return bound
}

func connect(t testing.TB, s *Socket, ep string) {
	t.Helper()
	if err := s.Connect(ep); err != nil {
		t.Fatal(err)
	}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func send(t testing.TB, s *Socket, frames ...string) {
	t.Helper()
	b := make([][]byte, len(frames))
	for i, f := range frames {
		b[i] = []byte(f)
	}
	if err := s.Send(ctxT(t), b); err != nil {
		t.Fatalf("send %q: %v", frames, err)
	}
}

func recv(t testing.TB, s *Socket) []string {
	t.Helper()
	m, err := s.Recv(ctxT(t))
	if err != nil {
		t.Fatalf("recv: %v", err)
	}
	out := make([]string, len(m.Frames))
	for i, f := range m.Frames {
		out[i] = string(f)
	}
	return out
}

var transports = []string{"inproc", "ipc", "tcp"}
