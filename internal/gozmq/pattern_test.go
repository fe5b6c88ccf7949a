package gozmq

import (
	"errors"
	"syscall"
	"testing"

	"github.com/zmqx/zmq/internal/engine"
)

func TestPushRoundRobinsOverPeers(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			e := newEngine(t)
			push := newSock(t, e, engine.PUSH)
			a := newSock(t, e, engine.PULL)
			b := newSock(t, e, engine.PULL)
			connect(t, a, bindAny(t, push, tr))
			ep2 := bindAny(t, push, tr)
			connect(t, b, ep2)
			waitFor(t, func() bool { return attached(push) == 2 })
			for i := range 10 {
				send(t, push, string(rune('0'+i)))
			}
			for _, s := range []*Socket{a, b} {
				for range 5 {
					recv(t, s)
				}
				if _, err := s.TryRecv(); !errors.Is(err, errAgain) {
					t.Fatalf("a peer got more than its half: %v", err)
				}
			}
		})
	}
}

func attached(s *Socket) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pipes)
}

func TestPullFairQueuesWholeMessages(t *testing.T) {
	e := newEngine(t)
	pull := newSock(t, e, engine.PULL)
	ep := bindAny(t, pull, "inproc")
	a := newSock(t, e, engine.PUSH)
	b := newSock(t, e, engine.PUSH)
	connect(t, a, ep)
	connect(t, b, ep)
	for range 3 {
		send(t, a, "a1", "a2")
		send(t, b, "b1", "b2")
	}
	var order []string
	for range 6 {
		m := recv(t, pull)
		if len(m) != 2 || m[0][0] != m[1][0] {
			t.Fatalf("frames of two messages interleaved: %q", m)
		}
		order = append(order, m[0][:1])
	}
	for i := 1; i < len(order); i++ {
		if order[i] == order[i-1] {
			t.Fatalf("not fair-queued: %v", order)
		}
	}
}

func TestPairRefusesSecondPeer(t *testing.T) {
	e := newEngine(t)
	p := newSock(t, e, engine.PAIR)
	ep := bindAny(t, p, "inproc")
	a := newSock(t, e, engine.PAIR)
	b := newSock(t, e, engine.PAIR)
	connect(t, a, ep)
	connect(t, b, ep)
	send(t, p, "to the first")
	if got := recv(t, a); got[0] != "to the first" {
		t.Fatalf("got %q", got)
	}
	if _, err := b.TryRecv(); !errors.Is(err, errAgain) {
		t.Fatalf("the second peer got a message: %v", err)
	}
}

func TestRouterAddressesPeersByID(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			e := newEngine(t)
			r := newSock(t, e, engine.ROUTER, opt(engine.OptRouterMandatory, engine.Bool(true)))
			ep := bindAny(t, r, tr)
			d := newSock(t, e, engine.DEALER, opt(engine.OptRoutingID, engine.Bytes([]byte("dealer-1"))))
			anon := newSock(t, e, engine.DEALER)
			connect(t, d, ep)
			connect(t, anon, ep)
			send(t, d, "hi")
			if got := recv(t, r); got[0] != "dealer-1" || got[1] != "hi" {
				t.Fatalf("got %q", got)
			}
			send(t, anon, "x")
			got := recv(t, r)
			if len(got[0]) != 5 || got[0][0] != 0 {
				t.Fatalf("generated id %q, want 5 octets starting with 0", got[0])
			}
			send(t, r, got[0], "back")
			if m := recv(t, anon); m[0] != "back" {
				t.Fatalf("got %q", m)
			}
			err := r.TrySend([][]byte{[]byte("nobody"), []byte("x")})
			if !errors.Is(err, syscall.EHOSTUNREACH) {
				t.Fatalf("send to an unknown id with ROUTER_MANDATORY: %v", err)
			}
		})
	}
}

func TestRouterHandoverGivesIDToNewPeer(t *testing.T) {
	e := newEngine(t)
	r := newSock(t, e, engine.ROUTER, opt(engine.OptRouterHandover, engine.Bool(true)))
	ep := bindAny(t, r, "inproc")
	id := opt(engine.OptRoutingID, engine.Bytes([]byte("same")))
	old := newSock(t, e, engine.DEALER, id)
	connect(t, old, ep)
	send(t, old, "from old")
	recv(t, r)
	fresh := newSock(t, e, engine.DEALER, id)
	connect(t, fresh, ep)
	send(t, fresh, "from new")
	recv(t, r)
	send(t, r, "same", "reply")
	if got := recv(t, fresh); got[0] != "reply" {
		t.Fatalf("got %q", got)
	}
}

func TestStrictReqRep(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			e := newEngine(t)
			rep := newSock(t, e, engine.REP)
			req := newSock(t, e, engine.REQ)
			connect(t, req, bindAny(t, rep, tr))
			if _, err := req.TryRecv(); !errors.Is(err, engine.EFSM) {
				t.Fatalf("REQ recv before send: %v, want EFSM", err)
			}
			if err := rep.TrySend([][]byte{[]byte("x")}); !errors.Is(err, engine.EFSM) {
				t.Fatalf("REP send before recv: %v, want EFSM", err)
			}
			send(t, req, "ping")
			if err := req.TrySend([][]byte{[]byte("again")}); !errors.Is(err, engine.EFSM) {
				t.Fatalf("REQ second send: %v, want EFSM", err)
			}
			if got := recv(t, rep); len(got) != 1 || got[0] != "ping" {
				t.Fatalf("REP got %q", got)
			}
			send(t, rep, "pong")
			if got := recv(t, req); len(got) != 1 || got[0] != "pong" {
				t.Fatalf("REQ got %q", got)
			}
		})
	}
}

func TestReqCorrelateDropsStaleReplies(t *testing.T) {
	e := newEngine(t)
	router := newSock(t, e, engine.ROUTER)
	req := newSock(t, e, engine.REQ,
		opt(engine.OptReqRelaxed, engine.Bool(true)), opt(engine.OptReqCorrelate, engine.Bool(true)))
	connect(t, req, bindAny(t, router, "inproc"))
	send(t, req, "first")
	first := recv(t, router) // id, request id, "", body
	send(t, req, "second")
	second := recv(t, router)
	send(t, router, first[0], first[1], "", "stale")
	send(t, router, second[0], second[1], "", "fresh")
	if got := recv(t, req); got[0] != "fresh" {
		t.Fatalf("got %q, want the reply to the latest request", got)
	}
}

func TestSubFiltersAndResubscribes(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			e := newEngine(t)
			pub := newSock(t, e, engine.PUB)
			sub := newSock(t, e, engine.SUB)
			ep := bindAny(t, pub, tr)
			if err := sub.SetOption(engine.OptSubscribe, engine.Bytes([]byte("a"))); err != nil {
				t.Fatal(err)
			}
			connect(t, sub, ep)
			// Until the subscription arrives, everything is dropped: send
			// until one gets through, then check filtering.
			waitFor(t, func() bool {
				send(t, pub, "a-probe")
				_, err := sub.TryRecv()
				return err == nil
			})
			send(t, pub, "b-no")
			send(t, pub, "a-yes")
			for {
				got := recv(t, sub)
				if got[0] == "a-probe" {
					continue
				}
				if got[0] != "a-yes" {
					t.Fatalf("got %q, want only a-prefixed", got)
				}
				break
			}
		})
	}
}

func TestXPubNotifiesNewAndGoneTopics(t *testing.T) {
	e := newEngine(t)
	xpub := newSock(t, e, engine.XPUB)
	ep := bindAny(t, xpub, "inproc")
	a := newSock(t, e, engine.SUB)
	b := newSock(t, e, engine.SUB)
	connect(t, a, ep)
	connect(t, b, ep)
	a.SetOption(engine.OptSubscribe, engine.Bytes([]byte("t")))
	if got := recv(t, xpub); got[0] != "\x01t" {
		t.Fatalf("got %q", got)
	}
	b.SetOption(engine.OptSubscribe, engine.Bytes([]byte("t"))) // not new: no notice
	a.SetOption(engine.OptUnsubscribe, engine.Bytes([]byte("t")))
	b.SetOption(engine.OptUnsubscribe, engine.Bytes([]byte("t"))) // last one gone
	if got := recv(t, xpub); got[0] != "\x00t" {
		t.Fatalf("got %q, want the cancel once nobody is left", got)
	}
}

func TestXPubNoDropWaitsForRoom(t *testing.T) {
	e := newEngine(t)
	xpub := newSock(t, e, engine.XPUB, opt(engine.OptXPubNoDrop, engine.Bool(true)), opt(engine.OptSendHWM, engine.Int(1)))
	sub := newSock(t, e, engine.SUB, opt(engine.OptRecvHWM, engine.Int(1)))
	connect(t, sub, bindAny(t, xpub, "inproc"))
	sub.SetOption(engine.OptSubscribe, engine.Bytes(nil))
	recv(t, xpub)
	send(t, xpub, "1")
	send(t, xpub, "2")
	if err := xpub.TrySend([][]byte{[]byte("3")}); !errors.Is(err, errAgain) {
		t.Fatalf("send to a full subscriber with XPUB_NODROP: %v, want EAGAIN", err)
	}
}

func TestUnsupportedTransportFails(t *testing.T) {
	e := newEngine(t)
	s := newSock(t, e, engine.DEALER)
	if _, err := s.Bind("pgm://eth0;239.1.1.1:5555"); !errors.Is(err, engine.ErrNotSupported) {
		t.Fatalf("pgm bind: %v, want NotSupported", err)
	}
}

func TestOptionDefaultsAreLibzmqs(t *testing.T) {
	e := newEngine(t)
	s, _ := e.NewSocket(engine.DEALER)
	defer s.Close()
	for o, want := range map[engine.Option]int64{
		engine.OptSendHWM: 1000, engine.OptLinger: -1, engine.OptReconnectIvl: 100,
		engine.OptHandshakeIvl: 30000, engine.OptMaxMsgSize: -1, engine.OptImmediate: 0,
	} {
		v, err := s.Option(o)
		if err != nil || v.Int != want {
			t.Fatalf("%v = %d (%v), want %d", o, v.Int, err, want)
		}
	}
}

func TestRepEnvelopeSurvivesRecvInto(t *testing.T) {
	e := newEngine(t)
	rep := newSock(t, e, engine.REP)
	dealer := newSock(t, e, engine.DEALER)
	connect(t, dealer, bindAny(t, rep, "inproc"))
	send(t, dealer, "hop-id", "", "q")
	var dst engine.Message
	if err := rep.RecvInto(ctxT(t), &dst.Frames, &dst.Metadata); err != nil {
		t.Fatal(err)
	}
	// The request's memory went back to the pool; a message of the same
	// size is likely to get it now.
	send(t, dealer, "XXXXXX", "", "q")
	send(t, rep, "answer")
	if got := recv(t, dealer); got[0] != "hop-id" || got[2] != "answer" {
		t.Fatalf("reply %q, want it addressed to hop-id", got)
	}
}
