package zmq_test

// Router addressing: routing ids, SendTo/RecvFrom, and ROUTER_MANDATORY.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/zmqx/zmq"
)

// TestRouterSendToRecvFrom: two Dealers with routing ids talk to one
// Router; RecvFrom names the sender, SendTo reaches exactly that peer.
func TestRouterSendToRecvFrom(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			f := newFactory(t)
			router := must[*zmq.Router](t)(f.NewRouter())
			ep := bind(t, router, tr)
			ctx := testCtx(t, 20*time.Second)
			dealers := map[string]*zmq.Dealer{}
			for _, id := range []string{"alice", "bob"} {
				d := must[*zmq.Dealer](t)(f.NewDealer(zmq.WithRoutingID([]byte(id))))
				if err := d.Connect(ep); err != nil {
					t.Fatal(err)
				}
				if err := d.Send(ctx, zmq.NewMsgString("hello from", id)); err != nil {
					t.Fatal(err)
				}
				dealers[id] = d
			}
			var from []string
			for range 2 {
				peer, m, err := router.RecvFrom(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(m.Strings(), []string{"hello from", string(peer)}) {
					t.Fatalf("RecvFrom: peer %q, message %s", peer, m)
				}
				from = append(from, string(peer))
			}
			slices.Sort(from)
			if !slices.Equal(from, []string{"alice", "bob"}) {
				t.Fatalf("senders %q, want alice and bob", from)
			}
			// Answer in the other order; each gets only its own.
			for _, id := range []string{"bob", "alice"} {
				if err := router.SendTo(ctx, []byte(id), []byte("hi"), []byte(id)); err != nil {
					t.Fatal(err)
				}
			}
			for id, d := range dealers {
				txExpectMsg(t, ctx, d.Recv, "hi", id)
				if m, err := d.TryRecv(); !errors.Is(err, zmq.EAGAIN) {
					t.Fatalf("%s got a second message %s, %v", id, m, err)
				}
			}
			// The raw form: Recv gives the routing id as the first frame.
			if err := dealers["alice"].Send(ctx, zmq.NewMsgString("raw")); err != nil {
				t.Fatal(err)
			}
			txExpectMsg(t, ctx, router.Recv, "alice", "raw")
			if err := router.Send(ctx, zmq.NewMsgString("alice", "raw back")); err != nil {
				t.Fatal(err)
			}
			txExpectMsg(t, ctx, dealers["alice"].Recv, "raw back")
		})
	}
}

// A Router's byte counters include the routing-id frame that starts each
// message on the ROUTER socket: the one RecvFrom strips and SendTo adds.
func TestRouterStatsCountTheRoutingID(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	ctx := testCtx(t, 10*time.Second)
	router := must[*zmq.Router](t)(f.NewRouter())
	dealer := must[*zmq.Dealer](t)(f.NewDealer(zmq.WithRoutingID([]byte("id-7"))))
	if err := dealer.Connect(bind(t, router, "inproc")); err != nil {
		t.Fatal(err)
	}
	if err := dealer.Send(ctx, zmq.NewMsgString("hello")); err != nil {
		t.Fatal(err)
	}
	peer, _, err := router.RecvFrom(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := router.SendTo(ctx, peer, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	txExpectMsg(t, ctx, dealer.Recv, "hi")
	st := router.Stats()
	if want := uint64(len("id-7") + len("hello")); st.BytesIn != want {
		t.Errorf("Router BytesIn = %d, want %d: the routing id and the body", st.BytesIn, want)
	}
	if want := uint64(len("id-7") + len("hi")); st.BytesOut != want {
		t.Errorf("Router BytesOut = %d, want %d: the routing id and the body", st.BytesOut, want)
	}
	if ds := dealer.Stats(); ds.BytesOut != uint64(len("hello")) || ds.BytesIn != uint64(len("hi")) {
		t.Errorf("Dealer BytesOut, BytesIn = %d, %d; want %d, %d: no routing id on a DEALER", ds.BytesOut, ds.BytesIn, len("hello"), len("hi"))
	}
}

// TestRouterProbe: a Dealer made WithProbeRouter announces itself with an
// empty message on connect, so the Router can address it before it sends
// anything.
func TestRouterProbe(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	router := must[*zmq.Router](t)(f.NewRouter())
	dealer := must[*zmq.Dealer](t)(f.NewDealer(zmq.WithRoutingID([]byte("carol")), zmq.WithProbeRouter(true)))
	if err := dealer.Connect(bind(t, router, "tcp")); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t, 20*time.Second)
	peer, m, err := router.RecvFrom(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if string(peer) != "carol" || len(m.Frames) != 1 || len(m.Frames[0]) != 0 {
		t.Fatalf("probe: peer %q, message %s; want carol and one empty frame", peer, m)
	}
	if err := router.SendTo(ctx, peer, []byte("welcome")); err != nil {
		t.Fatal(err)
	}
	txExpectMsg(t, ctx, dealer.Recv, "welcome")
}

// TestRouterMandatoryUnknownPeer: WithRouterMandatory(true) makes a send to
// an unknown routing id fail with ErrHostUnreachable, and send nothing.
func TestRouterMandatoryUnknownPeer(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	router := must[*zmq.Router](t)(f.NewRouter(zmq.WithRouterMandatory(true)))
	ep := bind(t, router, "tcp")
	ctx := testCtx(t, 20*time.Second)

	err := router.SendTo(ctx, []byte("nobody"), []byte("x"))
	if !errors.Is(err, zmq.ErrHostUnreachable) || !errors.Is(err, syscall.EHOSTUNREACH) {
		t.Fatalf("SendTo an unknown peer: %v, want ErrHostUnreachable", err)
	}
	var oe *zmq.OpError
	if !errors.As(err, &oe) || oe.Socket != "ROUTER" {
		t.Fatalf("SendTo error %v: want an *OpError from the ROUTER", err)
	}
	if err := router.TrySendTo([]byte("nobody"), []byte("x")); !errors.Is(err, zmq.ErrHostUnreachable) {
		t.Fatalf("TrySendTo an unknown peer: %v, want ErrHostUnreachable", err)
	}
	if err := router.Send(ctx, zmq.NewMsgString("nobody", "x")); !errors.Is(err, zmq.ErrHostUnreachable) {
		t.Fatalf("raw Send to an unknown peer: %v, want ErrHostUnreachable", err)
	}
	if n := router.Stats().MsgsOut; n != 0 {
		t.Fatalf("MsgsOut = %d after refused sends, want 0", n)
	}

	// A known peer is reachable; the refused sends did not break anything.
	dealer := must[*zmq.Dealer](t)(f.NewDealer(zmq.WithRoutingID([]byte("known"))))
	if err := dealer.Connect(ep); err != nil {
		t.Fatal(err)
	}
	if err := dealer.Send(ctx, zmq.NewMsgString("hi")); err != nil {
		t.Fatal(err)
	}
	txExpectMsg(t, ctx, router.Recv, "known", "hi")
	if err := router.SendTo(ctx, []byte("known"), []byte("ok")); err != nil {
		t.Fatal(err)
	}
	txExpectMsg(t, ctx, dealer.Recv, "ok")
}

// TestRouterNotMandatoryDropsSilently: by default a send to an unknown
// routing id succeeds and the message vanishes; turning the mandatory
// option on with SetOption (it is live) makes the same send fail.
func TestRouterNotMandatoryDropsSilently(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	router := must[*zmq.Router](t)(f.NewRouter())
	ep := bind(t, router, "ipc")
	dealer := must[*zmq.Dealer](t)(f.NewDealer(zmq.WithRoutingID([]byte("known"))))
	if err := dealer.Connect(ep); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t, 20*time.Second)
	if err := dealer.Send(ctx, zmq.NewMsgString("hi")); err != nil {
		t.Fatal(err)
	}
	txExpectMsg(t, ctx, router.Recv, "known", "hi")

	if err := router.SendTo(ctx, []byte("nobody"), []byte("lost")); err != nil {
		t.Fatalf("SendTo an unknown peer without the mandatory option: %v, want nil", err)
	}
	if err := router.TrySendTo([]byte("nobody"), []byte("lost")); err != nil {
		t.Fatalf("TrySendTo an unknown peer without the mandatory option: %v, want nil", err)
	}
	// The lost messages went nowhere: the known peer gets only its own,
	// which was sent after them on the same socket.
	if err := router.SendTo(ctx, []byte("known"), []byte("yours")); err != nil {
		t.Fatal(err)
	}
	txExpectMsg(t, ctx, dealer.Recv, "yours")
	if m, err := dealer.TryRecv(); !errors.Is(err, zmq.EAGAIN) {
		t.Fatalf("dealer got %s, %v; want nothing more", m, err)
	}

	if err := router.SetOption(zmq.WithRouterMandatory(true)); err != nil {
		t.Fatalf("SetOption(WithRouterMandatory(true)) after Bind: %v", err)
	}
	if err := router.SendTo(ctx, []byte("nobody"), []byte("x")); !errors.Is(err, zmq.ErrHostUnreachable) {
		t.Fatalf("SendTo an unknown peer after turning mandatory on: %v, want ErrHostUnreachable", err)
	}
}

// TestRouterMandatoryBackpressure: with the mandatory option a Router does
// not drop at a peer's high-water mark: TrySendTo fails with EAGAIN, SendTo
// waits (until its ctx ends, or until the peer reads).
func TestRouterMandatoryBackpressure(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	router := must[*zmq.Router](t)(f.NewRouter(zmq.WithRouterMandatory(true), zmq.WithSendHWM(1)))
	ep := bind(t, router, "inproc")
	dealer := must[*zmq.Dealer](t)(f.NewDealer(zmq.WithRoutingID([]byte("slow")), zmq.WithRecvHWM(1)))
	if err := dealer.Connect(ep); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t, 20*time.Second)
	if err := dealer.Send(ctx, zmq.NewMsgString("hi")); err != nil {
		t.Fatal(err)
	}
	txExpectMsg(t, ctx, router.Recv, "slow", "hi")

	sent := 0
	for ; sent < 10000; sent++ {
		err := router.TrySendTo([]byte("slow"), []byte("m"))
		if errors.Is(err, zmq.EAGAIN) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if sent == 0 || sent == 10000 {
		t.Fatalf("TrySendTo accepted %d messages before EAGAIN; want a small positive number", sent)
	}
	// SendTo waits: once it is counted as waiting, cancel it.
	wctx, cancel := context.WithCancel(ctx)
	res := make(chan error, 1)
	go func() { res <- router.SendTo(wctx, []byte("slow"), []byte("m")) }()
	for router.Stats().SendWaits == 0 {
		select {
		case err := <-res:
			t.Fatalf("SendTo a full peer returned %v without waiting", err)
		case <-ctx.Done():
			t.Fatal("SendTo a full peer neither waited nor returned")
		case <-time.After(time.Millisecond):
		}
	}
	cancel()
	if err := <-res; err != context.Canceled {
		t.Fatalf("waiting SendTo whose ctx was cancelled: %v, want context.Canceled", err)
	}
	if w, n := router.Stats().SendWaits, router.Stats().MsgsOut; w != 1 || n != uint64(sent) {
		t.Fatalf("SendWaits = %d, MsgsOut = %d; want 1 and %d (the cancelled send sent nothing)", w, n, sent)
	}

	// A waiting SendTo proceeds once the peer reads.
	go func() { res <- router.SendTo(ctx, []byte("slow"), []byte("last")) }()
	for range sent {
		txExpectMsg(t, ctx, dealer.Recv, "m")
	}
	if err := <-res; err != nil {
		t.Fatal(err)
	}
	txExpectMsg(t, ctx, dealer.Recv, "last")
}

// TestRouterMandatoryFullPeerHoldsNoOtherBack: with the mandatory option,
// sends waiting for one full peer hold back no send to another peer: a
// send to a peer with room goes at once, and a send waiting for another
// full peer goes as soon as that peer reads. Sends that wait for the same
// peer go in the order they came, and each one counts in SendWaits.
func TestRouterMandatoryFullPeerHoldsNoOtherBack(t *testing.T) {
	f := newFactory(t)
	router := must[*zmq.Router](t)(f.NewRouter(zmq.WithRouterMandatory(true), zmq.WithSendHWM(1)))
	ep := bind(t, router, "inproc")
	ctx := testCtx(t, time.Minute)
	peer := func(id string) *zmq.Dealer {
		d := must[*zmq.Dealer](t)(f.NewDealer(zmq.WithRoutingID([]byte(id)), zmq.WithRecvHWM(1)))
		if err := d.Connect(ep); err != nil {
			t.Fatal(err)
		}
		if err := d.Send(ctx, zmq.NewMsgString("hi")); err != nil {
			t.Fatal(err)
		}
		txExpectMsg(t, ctx, router.Recv, id, "hi")
		return d
	}
	fill := func(id string) int {
		n := 0
		for ; ; n++ {
			err := router.TrySendTo([]byte(id), []byte("fill"))
			if errors.Is(err, zmq.EAGAIN) {
				return n
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	slow, busy, free := peer("slow"), peer("busy"), peer("free")
	slowFill, busyFill := fill("slow"), fill("busy")

	const waiting = 4
	slowRes := make(chan error, waiting)
	for i := range waiting {
		go func() { slowRes <- router.SendTo(ctx, []byte("slow"), []byte(fmt.Sprint("late", i))) }()
		concWaitParked(t, "TestRouterMandatoryFullPeerHoldsNoOtherBack", i+1)
	}
	if w := router.Stats().SendWaits; w != waiting {
		t.Errorf("%d sends wait, SendWaits = %d", waiting, w)
	}

	fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	err := router.SendTo(fctx, []byte("free"), []byte("now"))
	cancel()
	if err != nil {
		t.Fatalf("SendTo a peer with room while %d sends wait for another: %v", waiting, err)
	}
	txExpectMsg(t, ctx, free.Recv, "now")

	busyRes := make(chan error, 1)
	go func() { busyRes <- router.SendTo(ctx, []byte("busy"), []byte("after")) }()
	concWaitParked(t, "TestRouterMandatoryFullPeerHoldsNoOtherBack", waiting+1)
	for range busyFill {
		txExpectMsg(t, ctx, busy.Recv, "fill")
	}
	select {
	case err := <-busyRes:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("SendTo a peer that read its queue still waits behind sends to a full peer\n%s", concGoroutines())
	}
	txExpectMsg(t, ctx, busy.Recv, "after")
	if len(slowRes) != 0 {
		t.Fatal("a send to the peer that never read returned")
	}

	for range slowFill {
		txExpectMsg(t, ctx, slow.Recv, "fill")
	}
	for i := range waiting {
		txExpectMsg(t, ctx, slow.Recv, fmt.Sprint("late", i))
	}
	for range waiting {
		if err := <-slowRes; err != nil {
			t.Fatal(err)
		}
	}
}
