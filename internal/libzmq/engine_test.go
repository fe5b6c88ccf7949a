//go:build cgo && unix

package libzmq

// White-box tests of the wake-up rules: they observe the waiter queues
// directly, so "parked" means "queued and blocked", not "probably there by
// now".

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/zmqx/zmq/internal/libzmq/capi"
)

// libzmq numbers used here (zmq.h).
const (
	tPair   = 0
	tPull   = 7
	tPush   = 8
	oSndHWM = 23
	oRcvHWM = 24
	oLinger = 17
	oEvents = 15
)

// prompt bounds how long a woken waiter may take to return.
const prompt = 2 * time.Second

var epSeq atomic.Int64

func newCtx(t *testing.T) capi.Context {
	t.Helper()
	c, err := capi.NewContext(1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Term(); err != nil {
			t.Errorf("term: %v", err)
		}
	})
	return c
}

// newSock creates a socket with HWMs of 1 (0 = libzmq's default) and no
// linger; it is closed when the test ends (Close is idempotent), before
// the context is terminated.
func newSock(t *testing.T, c capi.Context, typ, hwm int) *Socket {
	t.Helper()
	s, err := New(c, typ, func(s *Socket) error {
		return s.Do(func(zs capi.Socket) error {
			if hwm > 0 {
				if err := zs.SetInt(oSndHWM, hwm); err != nil {
					return err
				}
				if err := zs.SetInt(oRcvHWM, hwm); err != nil {
					return err
				}
			}
			return zs.SetInt(oLinger, 0)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// connectInproc binds b and connects a to it. The connecting side of an
// inproc pair has its pipe at once, so a can be filled right away.
func connectInproc(t *testing.T, a, b *Socket) {
	t.Helper()
	ep := fmt.Sprintf("inproc://engine-test-%d", epSeq.Add(1))
	if err := b.Do(func(zs capi.Socket) error { return zs.Bind(ep) }); err != nil {
		t.Fatal(err)
	}
	if err := a.Do(func(zs capi.Socket) error { return zs.Connect(ep) }); err != nil {
		t.Fatal(err)
	}
}

func msg(s ...string) [][]byte {
	m := make([][]byte, len(s))
	for i, f := range s {
		m[i] = []byte(f)
	}
	return m
}

// fillUp sends until the socket refuses; it returns how many it took.
func fillUp(t *testing.T, s *Socket) int {
	t.Helper()
	n := 0
	for {
		err := s.TrySend(msg("fill"))
		if err == capi.EAGAIN {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n == 0 {
		t.Fatal("the socket took no message")
	}
	return n
}

// queued returns the number of waiters in each direction.
func queued(s *Socket) (recv, send int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.recvQ.n, s.sendQ.n
}

// waitQueued waits until s has at least recv and send waiters queued.
func waitQueued(t *testing.T, s *Socket, recv, send int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, w := queued(s)
		if r >= recv && w >= send {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiters queued: %d receivers, %d senders; want %d and %d", r, w, recv, send)
		}
		runtime.Gosched()
		time.Sleep(50 * time.Microsecond) // polling the queue, not standing in for an event
	}
}

func singleP(t *testing.T) {
	prev := runtime.GOMAXPROCS(1)
	t.Cleanup(func() { runtime.GOMAXPROCS(prev) })
}

// otherCall is a libzmq call made on a socket by a goroutine other than
// the waiter's; the rule says it must wake any waiter that can proceed.
type otherCall struct {
	name string
	// run makes the call; a call that parks runs until ctx is cancelled.
	run func(t *testing.T, s *Socket, ctx context.Context) error
}

// TestEngineRecvWaiterWokenAfterAnyCall: a receiver is parked on A; the
// peer sends it a message, which posts an edge on A's fd; immediately, in
// the same goroutine (so the netpoller cannot take the edge first: only one
// P), another libzmq call is made on A. Whatever that call is, the parked
// receiver must get the message without any further event.
func TestEngineRecvWaiterWokenAfterAnyCall(t *testing.T) {
	calls := []otherCall{
		{"TrySend refused (queue full)", func(t *testing.T, s *Socket, _ context.Context) error {
			if err := s.TrySend(msg("x")); err != capi.EAGAIN {
				return fmt.Errorf("TrySend: %v, want EAGAIN", err)
			}
			return nil
		}},
		{"Do(getsockopt ZMQ_EVENTS)", func(t *testing.T, s *Socket, _ context.Context) error {
			return s.Do(func(zs capi.Socket) error { _, err := zs.GetInt(oEvents); return err })
		}},
		{"Do(setsockopt ZMQ_LINGER)", func(t *testing.T, s *Socket, _ context.Context) error {
			return s.Do(func(zs capi.Socket) error { return zs.SetInt(oLinger, 0) })
		}},
		{"Send that parks (queue full)", func(t *testing.T, s *Socket, ctx context.Context) error {
			if err := s.Send(ctx, msg("x")); !errors.Is(err, context.Canceled) {
				return fmt.Errorf("Send: %v, want context.Canceled", err)
			}
			return nil
		}},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			singleP(t)
			zctx := newCtx(t)
			a := newSock(t, zctx, tPair, 1)
			b := newSock(t, zctx, tPair, 1)
			connectInproc(t, a, b)
			fillUp(t, a)
			got := make(chan error, 1)
			go func() {
				m, err := a.Recv(context.Background())
				if err == nil && string(m.Frames[0]) != "wake" {
					err = fmt.Errorf("got %q", m.Frames)
				}
				got <- err
			}()
			waitQueued(t, a, 1, 0)

			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				if err := b.TrySend(msg("wake")); err != nil {
					done <- err
					return
				}
				done <- c.run(t, a, ctx)
			}()
			select {
			case err := <-got:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(prompt):
				r, w := queued(a)
				cancel()
				start := time.Now()
				var after string
				select {
				case err := <-got:
					after = fmt.Sprintf("it returned (%v) %v after the other call was cancelled", err, time.Since(start).Round(time.Microsecond))
				case <-time.After(prompt):
					after = "it did not return after the other call was cancelled either"
				}
				t.Errorf("lost wake-up: a message arrived for the parked receiver, then %s ran on the same socket, and the receiver was not woken within %v (queued: %d receivers, %d senders); %s",
					c.name, prompt, r, w, after)
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestEngineSendWaiterWokenAfterAnyCall is the mirror image: a sender is
// parked at the HWM; the peer drains, which posts an edge on A's fd;
// immediately another libzmq call is made on A. The parked sender must
// proceed without any further event.
func TestEngineSendWaiterWokenAfterAnyCall(t *testing.T) {
	calls := []otherCall{
		{"TryRecv refused (nothing queued)", func(t *testing.T, s *Socket, _ context.Context) error {
			if _, err := s.TryRecv(); err != capi.EAGAIN {
				return fmt.Errorf("TryRecv: %v, want EAGAIN", err)
			}
			return nil
		}},
		{"Do(getsockopt ZMQ_EVENTS)", func(t *testing.T, s *Socket, _ context.Context) error {
			return s.Do(func(zs capi.Socket) error { _, err := zs.GetInt(oEvents); return err })
		}},
		{"Recv that parks (nothing queued)", func(t *testing.T, s *Socket, ctx context.Context) error {
			if _, err := s.Recv(ctx); !errors.Is(err, context.Canceled) {
				return fmt.Errorf("Recv: %v, want context.Canceled", err)
			}
			return nil
		}},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			singleP(t)
			zctx := newCtx(t)
			a := newSock(t, zctx, tPair, 1)
			b := newSock(t, zctx, tPair, 1)
			connectInproc(t, a, b)
			k := fillUp(t, a)
			sent := make(chan error, 1)
			go func() { sent <- a.Send(context.Background(), msg("parked")) }()
			waitQueued(t, a, 0, 1)

			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				for range k {
					if _, err := b.TryRecv(); err != nil {
						done <- err
						return
					}
				}
				done <- c.run(t, a, ctx)
			}()
			select {
			case err := <-sent:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(prompt):
				r, w := queued(a)
				cancel()
				start := time.Now()
				var after string
				select {
				case err := <-sent:
					after = fmt.Sprintf("it returned (%v) %v after the other call was cancelled", err, time.Since(start).Round(time.Microsecond))
				case <-time.After(prompt):
					after = "it did not return after the other call was cancelled either"
				}
				t.Errorf("lost wake-up: the peer made room for the parked sender, then %s ran on the same socket, and the sender was not woken within %v (queued: %d receivers, %d senders); %s",
					c.name, prompt, r, w, after)
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestEngineFIFO: waiters queued one after another (each observed in the
// queue before the next starts) are served in that order, in both
// directions.
func TestEngineFIFO(t *testing.T) {
	const k = 32
	t.Run("recv", func(t *testing.T) {
		zctx := newCtx(t)
		push := newSock(t, zctx, tPush, 0)
		pull := newSock(t, zctx, tPull, 0)
		connectInproc(t, push, pull)
		got := make([]string, k)
		var wg sync.WaitGroup
		for i := range k {
			wg.Go(func() {
				m, err := pull.Recv(context.Background())
				if err != nil {
					t.Errorf("waiter %d: %v", i, err)
					return
				}
				got[i] = string(m.Frames[0])
			})
			waitQueued(t, pull, i+1, 0)
		}
		for i := range k {
			if err := push.Send(context.Background(), msg(fmt.Sprint(i))); err != nil {
				t.Fatal(err)
			}
		}
		wg.Wait()
		for i := range k {
			if got[i] != fmt.Sprint(i) {
				t.Fatalf("waiter %d got %q; all: %q", i, got[i], got)
			}
		}
	})
	t.Run("send", func(t *testing.T) {
		zctx := newCtx(t)
		push := newSock(t, zctx, tPush, 1)
		pull := newSock(t, zctx, tPull, 1)
		connectInproc(t, push, pull)
		filled := fillUp(t, push)
		var wg sync.WaitGroup
		for i := range k {
			wg.Go(func() {
				if err := push.Send(context.Background(), msg(fmt.Sprint(i))); err != nil {
					t.Errorf("sender %d: %v", i, err)
				}
			})
			waitQueued(t, push, 0, i+1)
		}
		for range filled {
			if _, err := pull.Recv(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		for i := range k {
			ctx, cancel := context.WithTimeout(context.Background(), prompt)
			m, err := pull.Recv(ctx)
			cancel()
			if err != nil {
				t.Fatalf("message %d: %v", i, err)
			}
			if string(m.Frames[0]) != fmt.Sprint(i) {
				t.Fatalf("message %d came from sender %q: senders not served in arrival order", i, m.Frames[0])
			}
		}
		wg.Wait()
	})
}

// TestEngineCancelledHeadPassesTurn: the head receiver is cancelled at the
// moment its message arrives; the turn passes to the next waiter, so the
// message is neither lost nor stuck.
func TestEngineCancelledHeadPassesTurn(t *testing.T) {
	zctx := newCtx(t)
	push := newSock(t, zctx, tPush, 0)
	pull := newSock(t, zctx, tPull, 0)
	connectInproc(t, push, pull)
	for iter := range 200 {
		ctx1, cancel1 := context.WithCancel(context.Background())
		ctx2, cancel2 := context.WithTimeout(context.Background(), 30*time.Second)
		type res struct {
			m   Message
			err error
		}
		r1, r2 := make(chan res, 1), make(chan res, 1)
		go func() { m, err := pull.Recv(ctx1); r1 <- res{m, err} }()
		waitQueued(t, pull, 1, 0)
		go func() { m, err := pull.Recv(ctx2); r2 <- res{m, err} }()
		waitQueued(t, pull, 2, 0)
		// Simulate the poller's wake of the head, then cancel it.
		pull.mu.Lock()
		pull.wakeLocked(&pull.recvQ)
		pull.mu.Unlock()
		cancel1()
		if err := push.TrySend(msg("m")); err != nil {
			t.Fatal(err)
		}
		first := <-r1
		var second res
		if first.err == nil {
			cancel2()
			second = <-r2
			if second.err == nil {
				t.Fatalf("iteration %d: the message was received twice", iter)
			}
		} else {
			select {
			case second = <-r2:
			case <-time.After(prompt):
				t.Fatalf("iteration %d: the head was cancelled and the next waiter was not woken for the message", iter)
			}
			if second.err != nil {
				t.Fatalf("iteration %d: second: %v", iter, second.err)
			}
		}
		cancel2()
	}
}

// TestEngineCloseReleasesEverything: Close wakes waiters of both
// directions with ErrClosed, ends the poller's wait, and is idempotent under
// concurrent calls.
func TestEngineCloseReleasesEverything(t *testing.T) {
	zctx := newCtx(t)
	a := newSock(t, zctx, tPair, 1)
	b := newSock(t, zctx, tPair, 1)
	connectInproc(t, a, b)
	fillUp(t, a)
	const n = 50
	errs := make(chan error, 2*n)
	for range n {
		go func() { _, err := a.Recv(context.Background()); errs <- err }()
		go func() { errs <- a.Send(context.Background(), msg("x")) }()
	}
	waitQueued(t, a, n, n)
	a.mu.Lock()
	poller := a.poller
	a.mu.Unlock()
	if poller == nil {
		t.Fatal("waiters parked but none waits on the fd")
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := a.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	for i := range 2 * n {
		select {
		case err := <-errs:
			if err != ErrClosed {
				t.Fatalf("waiter %d: %v, want ErrClosed", i, err)
			}
		case <-time.After(prompt):
			t.Fatalf("only %d of %d waiters returned after Close", i, 2*n)
		}
	}
	wg.Wait()
	a.mu.Lock()
	poller = a.poller
	a.mu.Unlock()
	if poller != nil {
		t.Fatal("Close returned while a waiter still waited on the fd")
	}
	if r, w := queued(a); r != 0 || w != 0 {
		t.Fatalf("after Close: %d receivers and %d senders still queued", r, w)
	}
	if _, err := a.TryRecv(); err != ErrClosed {
		t.Fatalf("TryRecv after Close: %v", err)
	}
}

// TestEngineBatchBoundedInBytes: what a receive batch takes out of libzmq
// no longer counts against the receive high-water mark, so a batch holds
// at most the scratch buffer's worth plus one larger message, however many
// large messages wait, and whichever way they are received.
func TestEngineBatchBoundedInBytes(t *testing.T) {
	c := newCtx(t)
	push, pull := newSock(t, c, tPush, 0), newSock(t, c, tPull, 0)
	connectInproc(t, push, pull)
	ctx := context.Background()
	large := make([]byte, scratchSize+1)
	for i := range 6 {
		if err := push.Send(ctx, [][]byte{[]byte("small"), []byte(fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
		if err := push.Send(ctx, [][]byte{large}); err != nil {
			t.Fatal(err)
		}
	}
	readyBytes := func() (n int) {
		pull.mu.Lock()
		defer pull.mu.Unlock()
		for _, m := range pull.ready {
			for _, f := range m.Frames {
				n += len(f)
			}
		}
		return n
	}
	var into Message
	for i := range 12 {
		var err error
		if i%2 == 0 {
			_, err = pull.Recv(ctx)
		} else {
			err = pull.RecvInto(ctx, &into.Frames, &into.Metadata)
		}
		if err != nil {
			t.Fatal(err)
		}
		if n := readyBytes(); n > scratchSize+len(large) {
			t.Fatalf("after %d receives, %d bytes wait outside libzmq; want at most %d", i+1, n, scratchSize+len(large))
		}
	}
}

// waitNoPeer waits until s can no longer send: its only pipe has gone.
// Every command libzmq posts signals the fd, so it waits on that between
// reads of ZMQ_EVENTS.
func waitNoPeer(t *testing.T, s *Socket) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s.mu.Lock()
		ev, err := s.zs.Events()
		s.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		if ev&capi.PollOut == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the socket still has a peer 30s after it closed")
		}
		waitReadable(s.fd, 100*time.Millisecond)
	}
}

// waitReadable waits until fd is readable, at most d.
func waitReadable(fd int, d time.Duration) {
	type pollFd struct {
		fd             int32
		events, revent int16
	}
	p := pollFd{fd: int32(fd), events: 0x1} // POLLIN
	ts := syscall.NsecToTimespec(int64(d))
	syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&p)), 1, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
}

// TestEngineTornMessage: a PAIR's peer goes away after the first frame of a
// message went out. The rest cannot follow: sending it fails at once with
// ErrTorn, rather than retrying until a new peer comes (which would get
// the tail of a message it never saw begin), and the next peer receives
// whole messages only.
func TestEngineTornMessage(t *testing.T) {
	for _, tr := range []string{"inproc", "tcp"} {
		t.Run(tr, func(t *testing.T) {
			zctx := newCtx(t)
			a := newSock(t, zctx, tPair, 0)
			b := newSock(t, zctx, tPair, 0)
			ep := "tcp://127.0.0.1:*"
			if tr == "inproc" {
				ep = fmt.Sprintf("inproc://engine-test-%d", epSeq.Add(1))
			}
			if err := a.Do(func(zs capi.Socket) error {
				if err := zs.Bind(ep); err != nil {
					return err
				}
				b, err := zs.GetBytes(32, 256) // ZMQ_LAST_ENDPOINT
				ep = string(bytes.TrimRight(b, "\x00"))
				return err
			}); err != nil {
				t.Fatal(err)
			}
			connect := func(s *Socket) {
				if err := s.Do(func(zs capi.Socket) error { return zs.Connect(ep) }); err != nil {
					t.Fatal(err)
				}
			}
			connect(b)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := a.Send(ctx, msg("hello")); err != nil {
				t.Fatal(err)
			}
			if _, err := b.Recv(ctx); err != nil {
				t.Fatal(err)
			}

			a.mu.Lock()
			n, err := a.zs.Send([]byte("A"), []uint64{1 | capi.More})
			a.mu.Unlock()
			if n != 1 || err != nil {
				t.Fatalf("first frame: %d sent, %v", n, err)
			}
			b.Close()
			waitNoPeer(t, a)
			res := make(chan error, 1)
			go func() {
				a.mu.Lock()
				defer a.mu.Unlock()
				res <- a.finish([]byte("C"), []uint64{1})
			}()
			select {
			case err := <-res:
				if !errors.Is(err, ErrTorn) {
					t.Fatalf("the rest of a message whose peer left: %v, want ErrTorn", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("sending the rest of a message whose peer left is still retrying")
			}

			next := nextPairPeer(t, a, func() *Socket {
				s := newSock(t, zctx, tPair, 0)
				connect(s)
				return s
			})
			m, err := next.Recv(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Frames) != 1 || string(m.Frames[0]) != "next" {
				t.Fatalf("the next peer received %q, want only [next]", m.Frames)
			}
		})
	}
}

// nextPairPeer connects new peers to PAIR a (made by peer) until one takes
// a message "next" from a, and returns it. A PAIR refuses a new peer while
// its old pipe is still being torn down, which libzmq signals in no way
// the caller can see: a peer that a's send does not reach within a second
// was refused, and another one tries.
func nextPairPeer(t *testing.T, a *Socket, peer func() *Socket) *Socket {
	t.Helper()
	for range 20 {
		next := peer()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := a.Send(ctx, msg("next"))
		cancel()
		if err == nil {
			return next
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatal(err)
		}
		next.Close()
	}
	t.Fatal("the PAIR refused 20 new peers in a row")
	return nil
}

// TestEngineTornMessageLoadBalanced: the same on sockets that send through
// libzmq's load balancer (PUSH, DEALER), which react to a dead pipe
// mid-message either by dropping the rest silently or by refusing the next
// frame once and dropping the frames after it. Either way the message is
// lost whole, and the next message reaches the next peer whole: neither
// the tail of the torn one nor swallowed by it.
func TestEngineTornMessageLoadBalanced(t *testing.T) {
	const tDealer = 5
	for _, c := range []struct {
		name       string
		typ, other int
	}{{"PUSH", tPush, tPull}, {"DEALER", tDealer, tDealer}} {
		t.Run(c.name, func(t *testing.T) {
			outcomes := map[string]int{}
			for range 50 {
				zctx, err := capi.NewContext(1)
				if err != nil {
					t.Fatal(err)
				}
				a := newSock(t, zctx, c.typ, 0)
				b := newSock(t, zctx, c.other, 0)
				ep := fmt.Sprintf("inproc://engine-test-%d", epSeq.Add(1))
				if err := a.Do(func(zs capi.Socket) error { return zs.Bind(ep) }); err != nil {
					t.Fatal(err)
				}
				connect := func(s *Socket) {
					if err := s.Do(func(zs capi.Socket) error { return zs.Connect(ep) }); err != nil {
						t.Fatal(err)
					}
				}
				connect(b)
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				if err := a.Send(ctx, msg("hello")); err != nil {
					t.Fatal(err)
				}
				if _, err := b.Recv(ctx); err != nil {
					t.Fatal(err)
				}
				a.mu.Lock()
				if n, err := a.zs.Send([]byte("A"), []uint64{1 | capi.More}); n != 1 || err != nil {
					t.Fatalf("first frame: %d sent, %v", n, err)
				}
				a.mu.Unlock()
				b.Close()
				// The peer's pipe end is gone once a's fd signals its command.
				waitReadable(a.fd, 10*time.Second)
				a.mu.Lock()
				a.zs.Events()
				err = a.finish([]byte("BC"), []uint64{1 | capi.More, 1})
				a.mu.Unlock()
				switch {
				case err == nil:
					outcomes["dropped silently"]++
				case errors.Is(err, ErrTorn):
					outcomes["torn"]++
				default:
					t.Fatalf("the rest of a message whose peer left: %v", err)
				}
				next := newSock(t, zctx, c.other, 0)
				connect(next)
				for _, body := range []string{"X", "Y"} {
					if err := a.Send(ctx, msg(body)); err != nil {
						t.Fatal(err)
					}
				}
				for _, want := range []string{"X", "Y"} {
					m, err := next.Recv(ctx)
					if err != nil {
						t.Fatal(err)
					}
					if len(m.Frames) != 1 || string(m.Frames[0]) != want {
						t.Fatalf("the next peer received %q, want [%s]", m.Frames, want)
					}
				}
				cancel()
				a.Close()
				next.Close()
				if err := zctx.Term(); err != nil {
					t.Fatal(err)
				}
			}
			t.Logf("outcomes: %v", outcomes)
		})
	}
}
