package gozmq

import (
	"errors"
	"testing"

	"github.com/zmqx/zmq/internal/engine"
)

func TestInprocConnectBeforeBind(t *testing.T) {
	e := newEngine(t)
	push := newSock(t, e, engine.PUSH)
	connect(t, push, "inproc://later")
	send(t, push, "queued before the bind")
	pull := newSock(t, e, engine.PULL)
	if _, err := pull.Bind("inproc://later"); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, pull); got[0] != "queued before the bind" {
		t.Fatalf("got %q", got)
	}
}

func TestInprocPeerReadsWhatAClosedSocketSent(t *testing.T) {
	e := newEngine(t)
	pull := newSock(t, e, engine.PULL)
	ep := bindAny(t, pull, "inproc")
	push := newSock(t, e, engine.PUSH)
	connect(t, push, ep)
	send(t, push, "before close")
	push.Close()
	if got := recv(t, pull); got[0] != "before close" {
		t.Fatalf("got %q", got)
	}
	waitFor(t, func() bool {
		pull.TryRecv() // reaps the gone peer
		return attached(pull) == 0
	})
}

func TestInprocDisconnectDropsThePipe(t *testing.T) {
	e := newEngine(t)
	pull := newSock(t, e, engine.PULL)
	ep := bindAny(t, pull, "inproc")
	push := newSock(t, e, engine.PUSH)
	connect(t, push, ep)
	if err := push.Disconnect(ep); err != nil {
		t.Fatal(err)
	}
	if err := push.TrySend([][]byte{[]byte("x")}); !errors.Is(err, errAgain) {
		t.Fatalf("send after the only peer was disconnected: %v, want EAGAIN", err)
	}
	if err := push.Disconnect(ep); !errors.Is(err, errNoEnt) {
		t.Fatalf("second disconnect: %v, want ENOENT", err)
	}
}

func TestMonitorDropsWhenFullAndStopsLast(t *testing.T) {
	e := newEngine(t)
	s := newSock(t, e, engine.PULL)
	m, err := s.Monitor(engine.EventAll)
	if err != nil {
		t.Fatal(err)
	}
	for range monitorCapacity + 10 {
		s.emit(engine.EventConnectDelayed, "x", 0)
	}
	if d := m.Dropped(); d != 10 {
		t.Fatalf("dropped %d, want 10", d)
	}
	s.emit(engine.EventListening, "newest", 0)
	s.Close()
	var last, newest engine.Event
	for {
		ev, err := m.Recv(ctxT(t))
		if errors.Is(err, engine.ErrClosed) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		newest, last = last, ev
	}
	if last.Type != engine.EventMonitorStopped || newest.Endpoint != "newest" {
		t.Fatalf("last events %+v, %+v; want the newest kept, then monitor-stopped", newest, last)
	}
}

func TestMonitorTakesRoomOfTwoSockets(t *testing.T) {
	ei, err := Open(engine.Config{MaxSockets: 3})
	if err != nil {
		t.Fatal(err)
	}
	e := ei.(*Engine)
	defer e.Close()
	s := newSock(t, e, engine.PUSH)
	m, err := s.Monitor(engine.EventAll)
	if err != nil {
		t.Fatalf("Monitor with room for two sockets: %v", err)
	}
	if _, err := e.NewSocket(engine.PULL); !errors.Is(err, errTooManySockets) {
		t.Fatalf("NewSocket while a monitor takes the room: %v, want EMFILE", err)
	}
	m.Close()
	other, err := e.NewSocket(engine.PULL)
	if err != nil {
		t.Fatalf("NewSocket after the monitor closed: %v", err)
	}
	other.Close()
	if _, err := s.Monitor(engine.EventAll); err != nil {
		t.Fatal(err)
	}
	if _, err := e.NewSocket(engine.PULL); !errors.Is(err, errTooManySockets) {
		t.Fatalf("a second monitor did not take the room again: %v", err)
	}
}
