package gozmq

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/zmqx/zmq/internal/engine"
)

func TestCloseWakesEveryWaiter(t *testing.T) {
	e := newEngine(t)
	pull := newSock(t, e, engine.PULL)
	push := newSock(t, e, engine.PUSH)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 4 {
		wg.Add(2)
		go func() { defer wg.Done(); _, err := pull.Recv(context.Background()); errs <- err }()
		go func() { defer wg.Done(); errs <- push.Send(context.Background(), [][]byte{[]byte("x")}) }()
	}
	waitFor(t, func() bool { return pull.recvD.waiting() == 4 && push.sendD.waiting() == 4 })
	pull.Close()
	push.Close()
	wg.Wait()
	close(errs)
	for err := range errs {
		if !errors.Is(err, engine.ErrClosed) {
			t.Fatalf("a waiter got %v, want ErrClosed", err)
		}
	}
}

// waitFor polls cond: the tests use it only to learn that goroutines have
// parked, which no event reports.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestCancelledRecvConsumesNothing(t *testing.T) {
	e := newEngine(t)
	pull := newSock(t, e, engine.PULL)
	push := newSock(t, e, engine.PUSH)
	ep := bindAny(t, pull, "inproc")
	connect(t, push, ep)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { _, err := pull.Recv(ctx); done <- err }()
	waitFor(t, func() bool { return pull.recvD.waiting() == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Recv: %v", err)
	}
	send(t, push, "kept")
	if got := recv(t, pull); got[0] != "kept" {
		t.Fatalf("got %q", got)
	}
}

func TestReceiversServedInArrivalOrder(t *testing.T) {
	e := newEngine(t)
	pull := newSock(t, e, engine.PULL)
	push := newSock(t, e, engine.PUSH)
	ep := bindAny(t, pull, "inproc")
	connect(t, push, ep)
	const n = 5
	got := make([]chan string, n)
	for i := range n {
		got[i] = make(chan string, 1)
		go func() {
			m, err := pull.Recv(ctxT(t))
			if err != nil {
				got[i] <- err.Error()
				return
			}
			got[i] <- string(m.Frames[0])
		}()
		waitFor(t, func() bool { return pull.recvD.waiting() == i+1 })
	}
	for i := range n {
		send(t, push, string(rune('a'+i)))
		if m := <-got[i]; m != string(rune('a'+i)) {
			t.Fatalf("receiver %d got %q, want %q", i, m, string(rune('a'+i)))
		}
	}
}

func TestSendWaitsAtHWMAndResumes(t *testing.T) {
	e := newEngine(t)
	pull := newSock(t, e, engine.PULL, opt(engine.OptRecvHWM, engine.Int(1)))
	push := newSock(t, e, engine.PUSH, opt(engine.OptSendHWM, engine.Int(1)))
	ep := bindAny(t, pull, "inproc")
	connect(t, push, ep)
	send(t, push, "1")
	send(t, push, "2") // inproc bound: sndhwm + peer rcvhwm = 2
	if err := push.TrySend([][]byte{[]byte("3")}); !errors.Is(err, errAgain) {
		t.Fatalf("TrySend past the bound: %v, want EAGAIN", err)
	}
	done := make(chan error, 1)
	go func() { done <- push.Send(ctxT(t), [][]byte{[]byte("3")}) }()
	waitFor(t, func() bool { return push.sendD.waiting() == 1 })
	recv(t, pull)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if st := push.Stats(); st.SendWaits != 1 || st.MsgsOut != 3 {
		t.Fatalf("stats %+v, want 1 wait and 3 messages out", st)
	}
}

func TestRecvIntoReusesMemory(t *testing.T) {
	e := newEngine(t)
	pull := newSock(t, e, engine.PULL)
	push := newSock(t, e, engine.PUSH)
	connect(t, push, bindAny(t, pull, "inproc"))
	send(t, push, "hello", "world")
	dst := engine.Message{Frames: [][]byte{make([]byte, 0, 16), make([]byte, 0, 16)}}
	first := &dst.Frames[0][:1][0]
	if err := pull.RecvInto(ctxT(t), &dst.Frames, &dst.Metadata); err != nil {
		t.Fatal(err)
	}
	if string(dst.Frames[0]) != "hello" || string(dst.Frames[1]) != "world" || &dst.Frames[0][0] != first {
		t.Fatalf("got %q, or the caller's memory was not reused", dst.Frames)
	}
}

func (d *direction) waiting() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return int(d.n.Load())
}

func TestRouterSendToFullPeerHoldsNoOtherBack(t *testing.T) {
	e := newEngine(t)
	r := newSock(t, e, engine.ROUTER, opt(engine.OptRouterMandatory, engine.Bool(true)), opt(engine.OptSendHWM, engine.Int(1)))
	ep := bindAny(t, r, "inproc")
	peer := func(id string) *Socket {
		d := newSock(t, e, engine.DEALER, opt(engine.OptRoutingID, engine.Bytes([]byte(id))), opt(engine.OptRecvHWM, engine.Int(1)))
		connect(t, d, ep)
		send(t, d, "hi")
		recv(t, r)
		return d
	}
	slow, busy, free := peer("slow"), peer("busy"), peer("free")
	for _, id := range []string{"slow", "busy"} {
		for r.TrySend([][]byte{[]byte(id), []byte("fill")}) == nil {
		}
	}
	slowDone := make(chan error, 3)
	for i := range 3 {
		go func() { slowDone <- r.Send(ctxT(t), [][]byte{[]byte("slow"), {byte('0' + i)}}) }()
		waitFor(t, func() bool { return r.sendD.waiting() == i+1 })
	}
	send(t, r, "free", "now") // room there: the waiters for slow do not hold it back
	if got := recv(t, free); got[0] != "now" {
		t.Fatalf("got %q", got)
	}
	busyDone := make(chan error, 1)
	go func() { busyDone <- r.Send(ctxT(t), [][]byte{[]byte("busy"), []byte("after")}) }()
	waitFor(t, func() bool { return r.sendD.waiting() == 4 })
	for recv(t, busy)[0] != "after" { // reading makes room: the turn reaches it
	}
	if err := <-busyDone; err != nil {
		t.Fatal(err)
	}
	got := recv(t, slow)
	for got[0] == "fill" {
		got = recv(t, slow)
	}
	// The sends to slow keep their order.
	if got[0] != "0" {
		t.Fatalf("slow got %q first, want \"0\"", got)
	}
	for _, want := range []string{"1", "2"} {
		if got := recv(t, slow); got[0] != want {
			t.Fatalf("slow got %q, want %q: sends to one peer overtook each other", got, want)
		}
	}
	for range 3 {
		if err := <-slowDone; err != nil {
			t.Fatal(err)
		}
	}
}
