package gozmq

import (
	"errors"
	"net"
	"testing"

	"github.com/zmqx/zmq/internal/engine"
)

// freeTCP returns a loopback tcp endpoint nobody listens on.
func freeTCP(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ep := "tcp://" + ln.Addr().String()
	ln.Close()
	return ep
}

func TestImmediateOffQueuesBeforeTheConnection(t *testing.T) {
	e := newEngine(t)
	ep := freeTCP(t)
	push := newSock(t, e, engine.PUSH, opt(engine.OptReconnectIvl, engine.Int(10)))
	connect(t, push, ep)
	if err := push.TrySend([][]byte{[]byte("early")}); err != nil {
		t.Fatalf("send before the peer is up, IMMEDIATE off: %v", err)
	}
	pull := newSock(t, e, engine.PULL)
	if _, err := pull.Bind(ep); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, pull); got[0] != "early" {
		t.Fatalf("got %q", got)
	}
}

func TestImmediateOnWaitsForTheHandshake(t *testing.T) {
	e := newEngine(t)
	ep := freeTCP(t)
	push := newSock(t, e, engine.PUSH, opt(engine.OptImmediate, engine.Bool(true)), opt(engine.OptReconnectIvl, engine.Int(10)))
	connect(t, push, ep)
	if err := push.TrySend([][]byte{[]byte("early")}); !errors.Is(err, errAgain) {
		t.Fatalf("send before the peer is up, IMMEDIATE on: %v, want EAGAIN", err)
	}
	pull := newSock(t, e, engine.PULL)
	if _, err := pull.Bind(ep); err != nil {
		t.Fatal(err)
	}
	send(t, push, "after") // waits for the handshake
	if got := recv(t, pull); got[0] != "after" {
		t.Fatalf("got %q", got)
	}
}

func TestXPubVerboseAndWelcome(t *testing.T) {
	e := newEngine(t)
	xpub := newSock(t, e, engine.XPUB,
		opt(engine.OptXPubVerbose, engine.Bool(true)),
		opt(engine.OptXPubWelcomeMsg, engine.Bytes([]byte("welcome"))))
	ep := bindAny(t, xpub, "tcp")
	subs := make([]*Socket, 2)
	for i := range subs {
		subs[i] = newSock(t, e, engine.SUB)
		subs[i].SetOption(engine.OptSubscribe, engine.Bytes([]byte("w")))
		connect(t, subs[i], ep)
		if got := recv(t, subs[i]); got[0] != "welcome" {
			t.Fatalf("subscriber %d got %q first, want the welcome message", i, got)
		}
	}
	// With XPUB_VERBOSE every subscribe is passed on, not only the first.
	for i := range subs {
		if got := recv(t, xpub); got[0] != "\x01w" {
			t.Fatalf("notice %d: %q", i, got)
		}
	}
}
