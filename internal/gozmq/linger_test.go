package gozmq

import (
	"path/filepath"
	"testing"

	"github.com/zmqx/zmq/internal/engine"
)

func TestLingerDeliversAfterClose(t *testing.T) {
	for _, tr := range []string{"tcp", "ipc"} {
		t.Run(tr, func(t *testing.T) {
			e := newEngine(t)
			pull := newSock(t, e, engine.PULL)
			ep := bindAny(t, pull, tr)
			push, err := e.NewSocket(engine.PUSH)
			if err != nil {
				t.Fatal(err)
			}
			push.SetOption(engine.OptLinger, engine.Int(-1))
			if err := push.Connect(ep); err != nil {
				t.Fatal(err)
			}
			if err := push.Send(ctxT(t), [][]byte{[]byte("last words")}); err != nil {
				t.Fatal(err)
			}
			push.Close()
			if got := recv(t, pull); got[0] != "last words" {
				t.Fatalf("got %q", got)
			}
		})
	}
}

func TestLingerKeepsReconnectingUntilDelivered(t *testing.T) {
	e := newEngine(t)
	push, err := e.NewSocket(engine.PUSH)
	if err != nil {
		t.Fatal(err)
	}
	push.SetOption(engine.OptLinger, engine.Int(-1))
	push.SetOption(engine.OptReconnectIvl, engine.Int(20))
	ep := "ipc://" + filepath.Join(t.TempDir(), "later") // nobody listens yet
	if err := push.Connect(ep); err != nil {
		t.Fatal(err)
	}
	if err := push.Send(ctxT(t), [][]byte{[]byte("held")}); err != nil {
		t.Fatal(err)
	}
	mon, err := push.Monitor(engine.EventConnectRetried)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mon.Recv(ctxT(t)); err != nil { // a retry is scheduled now
		t.Fatal(err)
	}
	push.Close()
	pull := newSock(t, e, engine.PULL)
	if _, err := pull.Bind(ep); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, pull); got[0] != "held" {
		t.Fatalf("got %q", got)
	}
}
