package gozmq

import (
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
