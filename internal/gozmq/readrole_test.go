package gozmq

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/zmqx/zmq/internal/engine"
	"github.com/zmqx/zmq/internal/zmtp"
)

// receiverReads reports whether a receiver of s is reading its only
// connection itself.
func receiverReads(s *Socket) func() bool {
	return func() bool {
		c := s.soloConn()
		if c == nil {
			return false
		}
		c.role.mu.Lock()
		defer c.role.mu.Unlock()
		return c.role.holder == heldByReceiver
	}
}

// lentUntilTaken makes e's connections keep a lent read role until a
// receiver takes it, so that a test's receiver reads the connection
// itself however late the scheduler runs it.
func lentUntilTaken(e *Engine) { e.reclaimAfter = time.Hour }

// A receiver reading the connection itself returns when its context ends,
// even with half a frame read, and the connection goes on: the frame
// arrives whole when the rest of it does.
func TestRecvReadingItselfEndsWithItsContext(t *testing.T) {
	e := newEngine(t)
	lentUntilTaken(e)
	rest := make(chan struct{})
	ep := rawPeer(t, zmtp.Push, func(nc net.Conn, sess *zmtp.Session) {
		wire, _ := sess.Encoder.AppendFrame(nil, []byte("one"), false)
		wire, _ = sess.Encoder.AppendFrame(wire, []byte("two, cut in half"), false)
		cut := len(wire) - 8
		nc.Write(wire[:cut])
		<-rest
		nc.Write(wire[cut:])
		sess.Decoder.Next() // until the test ends
	})
	pull := newSock(t, e, engine.PULL)
	connect(t, pull, ep)
	if got := recv(t, pull); got[0] != "one" {
		t.Fatalf("got %q", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := pull.Recv(ctx)
		done <- err
	}()
	waitFor(t, receiverReads(pull))
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Recv after its context ended: %v, want context.Canceled", err)
	}
	close(rest)
	if got := recv(t, pull); got[0] != "two, cut in half" {
		t.Fatalf("got %q after the interrupted read", got)
	}
}

// Close ends a receive that reads the connection itself, also while the
// connection lingers to send what is queued for it.
func TestCloseEndsRecvReadingItself(t *testing.T) {
	e := newEngine(t)
	lentUntilTaken(e)
	hangUp := make(chan struct{})
	ep := rawPeer(t, zmtp.Router, func(net.Conn, *zmtp.Session) { <-hangUp }) // reads nothing
	t.Cleanup(func() { close(hangUp) })                                       // before rawPeer's, which waits for the peer
	dealer := newSock(t, e, engine.DEALER, opt(engine.OptLinger, engine.Int(10000)), opt(engine.OptSendHWM, engine.Int(1)))
	connect(t, dealer, ep)
	big := [][]byte{make([]byte, 64<<10)}
	if err := dealer.Send(ctxT(t), big); err != nil {
		t.Fatal(err)
	}
	for dealer.TrySend(big) == nil { // until the peer's buffers and the queue are full
	}
	done := make(chan error, 1)
	go func() {
		_, err := dealer.Recv(context.Background())
		done <- err
	}()
	waitFor(t, receiverReads(dealer))
	dealer.Close()
	if err := <-done; !errors.Is(err, errClosed) {
		t.Fatalf("Recv during Close: %v, want ErrClosed", err)
	}
}

// A receiver reading the socket's only connection gets the messages of a
// second one that comes meanwhile.
func TestRecvReadingOneConnectionGetsAnother(t *testing.T) {
	e := newEngine(t)
	lentUntilTaken(e)
	pull := newSock(t, e, engine.PULL)
	ep := bindAny(t, pull, "tcp")
	quiet := newSock(t, e, engine.PUSH)
	connect(t, quiet, ep)
	send(t, quiet, "first")
	recv(t, pull)
	got := make(chan []string, 1)
	go func() { got <- recv(t, pull) }()
	waitFor(t, receiverReads(pull))
	other := newSock(t, e, engine.PUSH)
	connect(t, other, ep)
	send(t, other, "from the other")
	if m := <-got; m[0] != "from the other" {
		t.Fatalf("got %q", m)
	}
}

// While nobody receives, the connection is still read: a PING gets its
// PONG, though a receiver read the connection itself before.
func TestConnectionIsReadWhileNobodyReceives(t *testing.T) {
	e := newEngine(t)
	ping := make(chan struct{})
	answer := make(chan string, 1)
	ep := rawPeer(t, zmtp.Push, func(nc net.Conn, sess *zmtp.Session) {
		wire, _ := sess.Encoder.AppendFrame(nil, []byte("one"), false)
		nc.Write(wire)
		<-ping
		wire, _ = sess.Encoder.AppendPing(nil, 0, []byte("ctx"))
		nc.Write(wire)
		f, err := sess.Decoder.Next()
		if err != nil {
			answer <- err.Error()
			return
		}
		cmd, _ := zmtp.ParseCommand(f.Body)
		answer <- cmd.Name + " " + string(cmd.Data)
	})
	pull := newSock(t, e, engine.PULL)
	connect(t, pull, ep)
	recv(t, pull)
	close(ping)
	select {
	case got := <-answer:
		if got != "PONG ctx" {
			t.Fatalf("peer got %q, want PONG with the context", got)
		}
	case <-ctxT(t).Done():
		t.Fatal("no PONG while nobody receives")
	}
}

// Several goroutines receiving from one connection each get different
// messages, and all of them arrive.
func TestConcurrentReceiversShareTheConnection(t *testing.T) {
	e := newEngine(t)
	pull := newSock(t, e, engine.PULL)
	push := newSock(t, e, engine.PUSH)
	connect(t, push, bindAny(t, pull, "tcp"))
	const n, receivers = 20000, 4
	seen := make([]bool, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	var count int
	for range receivers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				m, err := pull.Recv(ctx)
				if err != nil {
					return
				}
				var i int
				fmt.Sscan(string(m.Frames[0]), &i)
				mu.Lock()
				if seen[i] {
					t.Errorf("message %d received twice", i)
				}
				seen[i] = true
				count++
				if count == n {
					cancel()
				}
				mu.Unlock()
			}
		}()
	}
	for i := range n {
		send(t, push, fmt.Sprint(i))
	}
	wg.Wait()
	if count != n {
		t.Fatalf("received %d of %d", count, n)
	}
}

// A context that ended while nobody read the connection stops the next
// receiver from reading it: the registration kept from an earlier read
// has fired already, so no interrupt would ever end that read.
func TestRecvDoesNotReadWithAnEndedContext(t *testing.T) {
	e := newEngine(t)
	pull := newSock(t, e, engine.PULL)
	push := newSock(t, e, engine.PUSH)
	connect(t, push, bindAny(t, pull, "tcp"))
	waitFor(t, func() bool { return pull.soloConn() != nil })
	c := pull.soloConn()

	ctx, cancel := context.WithCancel(context.Background())
	if !pull.watchCtx(ctx, c) {
		t.Fatal("a receiver with a live context may not read")
	}
	pull.watchCtx(nil, nil)
	cancel() // fires the registration while nobody reads
	if pull.watchCtx(ctx, c) {
		t.Fatal("a receiver whose context ended may read, with nothing to interrupt it")
	}
	pull.watchCtx(nil, nil)

	ended, end := context.WithCancel(context.Background())
	end()
	if pull.watchCtx(ended, c) {
		t.Fatal("a receiver whose new context ended may read")
	}
	pull.watchCtx(nil, nil)
	if !pull.watchCtx(context.Background(), c) {
		t.Fatal("a receiver whose context never ends may not read")
	}
	pull.watchCtx(nil, nil)
}
