package zmq_test

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/zmqx/zmq"
)

// nextEvent returns the next event of type want, skipping others.
func nextEvent(t *testing.T, m *zmq.Monitor, want zmq.EventType) zmq.Event {
	t.Helper()
	ctx := testCtx(t, 10*time.Second)
	for {
		ev, err := m.Recv(ctx)
		if err != nil {
			t.Fatalf("waiting for %v: %v", want, err)
		}
		if ev.Type == want {
			return ev
		}
	}
}

func TestMonitorConnectionEvents(t *testing.T) {
	f := newFactory(t)
	pull := must[*zmq.Pull](t)(f.NewPull())
	push := must[*zmq.Push](t)(f.NewPush())
	mon, err := pull.Monitor(zmq.EventAll)
	if err != nil {
		t.Fatal(err)
	}
	defer mon.Close()
	if _, err := pull.Monitor(zmq.EventAll); !errors.Is(err, zmq.ErrMonitorActive) {
		t.Fatalf("second monitor: got %v, want ErrMonitorActive", err)
	}
	ep := bind(t, pull, "tcp")
	if ev := nextEvent(t, mon, zmq.EventListening); ev.Endpoint != ep {
		t.Fatalf("listening on %q, want %q", ev.Endpoint, ep)
	}
	if err := push.Connect(ep); err != nil {
		t.Fatal(err)
	}
	nextEvent(t, mon, zmq.EventAccepted)
	nextEvent(t, mon, zmq.EventHandshakeSucceeded)
	push.Close()
	nextEvent(t, mon, zmq.EventDisconnected)
	pull.Close()
	nextEvent(t, mon, zmq.EventMonitorStopped)
	if _, err := mon.Recv(testCtx(t, time.Second)); !errors.Is(err, zmq.ErrClosed) {
		t.Fatalf("after the socket closed: got %v, want ErrClosed", err)
	}
}

func TestMonitorHandshakeFailure(t *testing.T) {
	f := newFactory(t)
	pull := must[*zmq.Pull](t)(f.NewPull())
	mon := must[*zmq.Monitor](t)(pull.Monitor(zmq.EventHandshakeFailedProtocol))
	defer mon.Close()
	ep := bind(t, pull, "tcp")
	// A raw TCP peer greets with ZMTP 3.0 and the PLAIN mechanism; the
	// socket uses NULL, so the handshake fails with a mechanism mismatch.
	conn, err := net.Dial("tcp", strings.TrimPrefix(ep, "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	greeting := make([]byte, 64)
	greeting[0], greeting[9], greeting[10] = 0xff, 0x7f, 3
	copy(greeting[12:], "PLAIN")
	if _, err := conn.Write(greeting); err != nil {
		t.Fatal(err)
	}
	ev, err := mon.Recv(testCtx(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(ev.Err(), zmq.ProtocolErrorMechanismMismatch) {
		t.Fatalf("got %v, want a mechanism mismatch", ev)
	}
}
