package zmq_test

// Router addressing: routing ids, SendTo/RecvFrom, and ROUTER_MANDATORY.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
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
				expectMsg(t, ctx, d.Recv, "hi", id)
				if m, err := d.TryRecv(); !errors.Is(err, zmq.EAGAIN) {
					t.Fatalf("%s got a second message %s, %v", id, m, err)
				}
			}
			// The raw form: Recv gives the routing id as the first frame.
			if err := dealers["alice"].Send(ctx, zmq.NewMsgString("raw")); err != nil {
				t.Fatal(err)
			}
			expectMsg(t, ctx, router.Recv, "alice", "raw")
			if err := router.Send(ctx, zmq.NewMsgString("alice", "raw back")); err != nil {
				t.Fatal(err)
			}
			expectMsg(t, ctx, dealers["alice"].Recv, "raw back")
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
	expectMsg(t, ctx, dealer.Recv, "hi")
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
	expectMsg(t, ctx, dealer.Recv, "welcome")
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
	expectMsg(t, ctx, router.Recv, "known", "hi")
	if err := router.SendTo(ctx, []byte("known"), []byte("ok")); err != nil {
		t.Fatal(err)
	}
	expectMsg(t, ctx, dealer.Recv, "ok")
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
	expectMsg(t, ctx, router.Recv, "known", "hi")

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
	expectMsg(t, ctx, dealer.Recv, "yours")
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
	expectMsg(t, ctx, router.Recv, "slow", "hi")

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
		expectMsg(t, ctx, dealer.Recv, "m")
	}
	if err := <-res; err != nil {
		t.Fatal(err)
	}
	expectMsg(t, ctx, dealer.Recv, "last")
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
		expectMsg(t, ctx, router.Recv, id, "hi")
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
	expectMsg(t, ctx, free.Recv, "now")

	busyRes := make(chan error, 1)
	go func() { busyRes <- router.SendTo(ctx, []byte("busy"), []byte("after")) }()
	concWaitParked(t, "TestRouterMandatoryFullPeerHoldsNoOtherBack", waiting+1)
	for range busyFill {
		expectMsg(t, ctx, busy.Recv, "fill")
	}
	select {
	case err := <-busyRes:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("SendTo a peer that read its queue still waits behind sends to a full peer\n%s", concGoroutines())
	}
	expectMsg(t, ctx, busy.Recv, "after")
	if len(slowRes) != 0 {
		t.Fatal("a send to the peer that never read returned")
	}

	for range slowFill {
		expectMsg(t, ctx, slow.Recv, "fill")
	}
	for i := range waiting {
		expectMsg(t, ctx, slow.Recv, fmt.Sprint("late", i))
	}
	for range waiting {
		if err := <-slowRes; err != nil {
			t.Fatal(err)
		}
	}
}

// A ROUTER prefixes each message with the sender's routing id, which is
// the id the peer set with WithRoutingID, or one the ROUTER made up; it
// fair-queues incoming messages and routes replies by id.
func TestRouterPrefixesTheSendersRoutingID(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			f := newFactory(t)
			router := must[*zmq.Router](t)(f.NewRouter())
			ep := bind(t, router, tr)
			ids := []string{"A", "B", "C", "D", "E"}
			dealers := make([]*zmq.Dealer, len(ids))
			for i, id := range ids {
				dealers[i] = must[*zmq.Dealer](t)(f.NewDealer(zmq.WithRoutingID([]byte(id))))
				connectTo(t, dealers[i], ep)
			}
			anon := must[*zmq.Dealer](t)(f.NewDealer())
			connectTo(t, anon, ep)

			for _, d := range dealers {
				sendFrames(t, d, "M")
			}
			ctx := testCtx(t, waitLimit)
			seen := map[string]int{}
			for range ids {
				peer, m, err := router.RecvFrom(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(m.Strings(), []string{"M"}) {
					t.Fatalf("from %q: %s, want [\"M\"]", peer, m)
				}
				seen[string(peer)]++
			}
			for _, id := range ids {
				if seen[id] != 1 {
					t.Fatalf("routing ids seen %v, want each of %v once", seen, ids)
				}
			}
			for i, id := range ids {
				if err := router.SendTo(ctx, []byte(id), []byte("to "+id)); err != nil {
					t.Fatal(err)
				}
				expectFrames(t, dealers[i], "to "+id)
			}

			// A peer without a routing id gets a non-empty generated one.
			sendFrames(t, anon, "who")
			peer, m, err := router.RecvFrom(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(peer) == 0 || slices.Contains(ids, string(peer)) || !slices.Equal(m.Strings(), []string{"who"}) {
				t.Fatalf("anonymous peer: id %q, message %s", peer, m)
			}
			if err := router.SendTo(ctx, peer, []byte("you")); err != nil {
				t.Fatal(err)
			}
			expectFrames(t, anon, "you")

			// Fair queueing in, by routing id.
			expectFairQueue(t, tr, router, len(dealers), 3, func(i, j int) {
				sendFrames(t, dealers[i], strconv.Itoa(i), strconv.Itoa(j))
			})
		})
	}
}

// A ROUTER drops messages for unknown peers silently, unless mandatory,
// when the send fails with ErrHostUnreachable; with mandatory and a full
// peer the send fails with EAGAIN (TrySendTo) or waits (SendTo).
func TestRouterDropsUnknownPeersUnlessMandatory(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			f := newFactory(t)
			ctx := testCtx(t, 3*waitLimit)

			lax := must[*zmq.Router](t)(f.NewRouter())
			bind(t, lax, tr)
			if err := lax.SendTo(ctx, []byte("nobody"), []byte("x")); err != nil {
				t.Fatalf("SendTo an unknown peer without mandatory: %v, want silent drop", err)
			}
			if err := lax.TrySendTo([]byte("nobody"), []byte("x")); err != nil {
				t.Fatalf("TrySendTo an unknown peer without mandatory: %v, want silent drop", err)
			}

			strict := must[*zmq.Router](t)(f.NewRouter(zmq.WithRouterMandatory(true), zmq.WithSendHWM(1), zmq.WithSendBuffer(4096)))
			ep := bind(t, strict, tr)
			unreachable := func(err error, what string) {
				t.Helper()
				var oe *zmq.OpError
				if !errors.Is(err, zmq.ErrHostUnreachable) || !errors.As(err, &oe) || oe.Socket != "ROUTER" || oe.Op != "send" {
					t.Fatalf("%s: got %v, want an *OpError (send, ROUTER) wrapping ErrHostUnreachable", what, err)
				}
			}
			unreachable(strict.SendTo(ctx, []byte("nobody"), []byte("x")), "SendTo unknown")
			unreachable(strict.TrySendTo([]byte("nobody"), []byte("x")), "TrySendTo unknown")
			unreachable(strict.Send(ctx, zmq.NewMsgString("nobody", "x")), "Send unknown")

			// A known peer is reachable; a full one gives EAGAIN.
			d := must[*zmq.Dealer](t)(f.NewDealer(zmq.WithRoutingID([]byte("D")), zmq.WithRecvHWM(1), zmq.WithRecvBuffer(4096)))
			connectTo(t, d, ep)
			sendFrames(t, d, "hello")
			peer, _, err := strict.RecvFrom(ctx)
			if err != nil || string(peer) != "D" {
				t.Fatalf("RecvFrom: %q, %v", peer, err)
			}

			payload := make([]byte, 16<<10)
			sent := 0
			fill := func() {
				t.Helper()
				for {
					err := strict.TrySendTo([]byte("D"), payload)
					if err != nil {
						if !errors.Is(err, zmq.EAGAIN) {
							t.Fatalf("TrySendTo a full peer: got %v after %d sends, want EAGAIN", err, sent)
						}
						return
					}
					if sent++; sent > 10000 {
						t.Fatal("TrySendTo a peer that does not read never reported EAGAIN")
					}
				}
			}
			fill()
			if tr == "inproc" && sent != 2 {
				t.Errorf("inproc ROUTER with SNDHWM 1 to a DEALER with RCVHWM 1 took %d messages, want 2", sent)
			}
			// SendTo waits while the peer is full (on ipc and tcp the I/O
			// thread may still make room for a few: fill again then).
			for {
				short, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
				err := strict.SendTo(short, []byte("D"), payload)
				cancel()
				if errors.Is(err, context.DeadlineExceeded) {
					break
				}
				if err != nil {
					t.Fatalf("SendTo a full peer: got %v, want it to wait", err)
				}
				sent++
				fill()
			}
			// Reading on the peer lets a waiting SendTo through.
			done := make(chan error, 1)
			go func() { done <- strict.SendTo(ctx, []byte("D"), []byte("last")) }()
			for range sent {
				if m := recvMsg(t, d); m.Len() != len(payload) {
					t.Fatalf("peer received %s", m)
				}
			}
			if err := <-done; err != nil {
				t.Fatalf("SendTo after the peer read: %v", err)
			}
			expectFrames(t, d, "last")
		})
	}
}

// a ROUTER with mandatory on and two peers, one full. Its
// ZMQ_EVENTS says it can send (the other peer has room), yet a SendTo the
// full peer gets EAGAIN from libzmq. SendTo must still wait for the ctx
// rather than spin.
func TestRouterMandatorySendToFullPeerWaitsWhileOthersHaveRoom(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	ctx := testCtx(t, 3*waitLimit)
	router := must[*zmq.Router](t)(f.NewRouter(zmq.WithRouterMandatory(true), zmq.WithSendHWM(1)))
	ep := bind(t, router, "inproc")
	full := must[*zmq.Dealer](t)(f.NewDealer(zmq.WithRoutingID([]byte("full")), zmq.WithRecvHWM(1)))
	idle := must[*zmq.Dealer](t)(f.NewDealer(zmq.WithRoutingID([]byte("idle")), zmq.WithRecvHWM(1)))
	for _, d := range []*zmq.Dealer{full, idle} {
		connectTo(t, d, ep)
		sendFrames(t, d, "hi")
		if _, _, err := router.RecvFrom(ctx); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for {
		err := router.TrySendTo([]byte("full"), []byte("x"))
		if errors.Is(err, zmq.EAGAIN) {
			break
		}
		if err != nil {
			t.Fatalf("TrySendTo a filling peer: %v", err)
		}
		if n++; n > 1000 {
			t.Fatal("never full")
		}
	}
	if n != 2 {
		t.Errorf("inproc ROUTER with SNDHWM 1 to a DEALER with RCVHWM 1 took %d messages, want 2", n)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- router.SendTo(short, []byte("full"), []byte("y")) }()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("SendTo a full peer: got %v, want context.DeadlineExceeded", err)
		}
		if el := time.Since(start); el > 2*time.Second+100*time.Millisecond {
			t.Errorf("BUG: SendTo a full peer returned %v after its 100ms ctx ended", el-100*time.Millisecond)
		}
	case <-time.After(3 * time.Second):
		t.Errorf("BUG: SendTo a full peer ignored its 100ms ctx for 3s (it spins while ZMQ_EVENTS reports POLLOUT for the other peer)")
		// Release it: reading on the full peer makes room.
		for {
			select {
			case err := <-done:
				t.Logf("SendTo returned %v once the peer read", err)
				return
			default:
			}
			rctx, rcancel := context.WithTimeout(ctx, 10*time.Millisecond)
			full.Recv(rctx)
			rcancel()
		}
	}
}

// The routing id a Router hands out with a message is the caller's to
// keep and change: writing over it, for small and large messages, by
// RecvFrom, Recv and RecvInto, changes neither the id of the next message
// from that peer nor where a reply goes.
func TestRouterRoutingIDIsTheCallersCopy(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			f := newFactory(t)
			ctx := testCtx(t, waitLimit)
			router := must[*zmq.Router](t)(f.NewRouter())
			dealer := must[*zmq.Dealer](t)(f.NewDealer(zmq.WithRoutingID([]byte("peer"))))
			connectTo(t, dealer, bind(t, router, tr))
			scribble := func(b []byte) {
				for i := range b {
					b[i] = 'X'
				}
			}
			var into zmq.Msg
			for _, size := range []int{16, 100 << 10} {
				for _, how := range []string{"RecvFrom", "Recv", "RecvInto"} {
					body := make([]byte, size)
					if err := dealer.Send(ctx, zmq.NewMsg(body)); err != nil {
						t.Fatal(err)
					}
					var id []byte
					switch how {
					case "RecvFrom":
						peer, _, err := router.RecvFrom(ctx)
						if err != nil {
							t.Fatal(err)
						}
						id = peer
					case "Recv":
						m, err := router.Recv(ctx)
						if err != nil {
							t.Fatal(err)
						}
						id = m.Frames[0]
					case "RecvInto":
						if err := router.RecvInto(ctx, &into); err != nil {
							t.Fatal(err)
						}
						id = into.Frames[0]
					}
					if string(id) != "peer" {
						t.Fatalf("%s of %d bytes: routing id %q, want \"peer\"", how, size, id)
					}
					scribble(id)
					if err := router.SendTo(ctx, []byte("peer"), []byte(how)); err != nil {
						t.Fatalf("%s of %d bytes, then SendTo: %v", how, size, err)
					}
					expectFrames(t, dealer, how)
				}
			}
		})
	}
}
