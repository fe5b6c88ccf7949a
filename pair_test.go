package zmq_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/zmqx/zmq"
)

// TestPairPeerGoneMidMessage: the peer of a PAIR closes while a large
// three-part message is on its way out. Send returns, with ErrMessageTorn
// if the first frames had gone out (then nothing of the message was
// delivered), and the next peer receives whole messages only, never the
// rest of the torn one.
func TestPairPeerGoneMidMessage(t *testing.T) {
	libzmqOnly(t, "a message is queued whole before any of it goes out, so none can be torn; a PAIR whose peer left waits for the next one")
	for _, tr := range []string{"inproc", "tcp"} {
		t.Run(tr, func(t *testing.T) {
			f := newFactory(t)
			a := must[*zmq.Pair](t)(f.NewPair())
			b := must[*zmq.Pair](t)(f.NewPair())
			ep := bind(t, a, tr)
			connectTo(t, b, ep)
			sendFrames(t, a, "hello")
			expectFrames(t, b, "hello")

			ctx := testCtx(t, time.Minute)
			big := make([]byte, 256<<20)
			res := make(chan error, 1)
			started := make(chan struct{})
			go func() {
				close(started)
				res <- a.Send(ctx, zmq.NewMsg([]byte("A"), big, []byte("C")))
			}()
			<-started
			// The point: the peer goes away while libzmq copies the large
			// frame, after the first frame went out.
			time.Sleep(5 * time.Millisecond)
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			var err error
			select {
			case err = <-res:
			case <-ctx.Done():
				t.Fatalf("Send still running after its peer closed\n%s", concGoroutines())
			}
			if err != nil && !errors.Is(err, zmq.ErrMessageTorn) {
				t.Fatalf("Send whose peer closed: %v, want nil or ErrMessageTorn", err)
			}
			t.Logf("Send returned %v", err)
			if err == nil {
				t.Skip("the peer closed after the whole message went out: nothing was torn")
			}
			// Nothing of the torn message reaches the next peer.
			next := pairNextPeer(t, f, a, ep)
			m, err := next.Recv(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(m.Strings(), []string{"next"}) {
				t.Fatalf("the next peer received %d frames (first %q), want only the message sent to it", len(m.Frames), m.Frames[0][:min(len(m.Frames[0]), 8)])
			}
			done := make(chan error, 1)
			go func() { done <- a.Close() }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-ctx.Done():
				t.Fatal("Close did not return")
			}
		})
	}
}

// pairNextPeer connects new PAIRs to a's endpoint ep until one takes a
// message "next" from a, and returns it. A PAIR refuses a new peer while
// its old connection is still being torn down, which libzmq signals in no
// way the caller can see: a peer that a's send does not reach within a
// second was refused, and another one tries.
func pairNextPeer(t *testing.T, f *zmq.Factory, a *zmq.Pair, ep string) *zmq.Pair {
	t.Helper()
	// A receive makes a take down its old connection.
	if _, err := a.TryRecv(); !errors.Is(err, zmq.EAGAIN) {
		t.Fatalf("TryRecv on a PAIR whose peer left: %v, want EAGAIN", err)
	}
	for range 20 {
		next := must[*zmq.Pair](t)(f.NewPair())
		connectTo(t, next, ep)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := a.Send(ctx, zmq.NewMsgString("next"))
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

// PAIR talks both ways, and only to one peer.
func TestPairTalksBothWaysToOnePeer(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			f := newFactory(t)
			a := must[*zmq.Pair](t)(f.NewPair())
			b := must[*zmq.Pair](t)(f.NewPair())
			ep := bind(t, a, tr)
			connectTo(t, b, ep)
			for i := range 3 {
				sendFrames(t, b, "ping", strconv.Itoa(i))
				expectFrames(t, a, "ping", strconv.Itoa(i))
				sendFrames(t, a, "pong", strconv.Itoa(i))
				expectFrames(t, b, "pong", strconv.Itoa(i))
			}

			// A second peer is not served: everything a sends still goes
			// to b, and a keeps hearing from b.
			intruder := must[*zmq.Pair](t)(f.NewPair())
			connectTo(t, intruder, ep)
			if err := intruder.TrySend(zmq.NewMsgString("intruder")); err != nil && !errors.Is(err, zmq.EAGAIN) {
				t.Fatal(err)
			}
			const n = 20
			for i := range n {
				sendFrames(t, a, "to b", strconv.Itoa(i))
			}
			for i := range n {
				expectFrames(t, b, "to b", strconv.Itoa(i))
			}
			sendFrames(t, b, "still b")
			expectFrames(t, a, "still b")
			if m, err := intruder.TryRecv(); err == nil {
				t.Fatalf("second PAIR peer received %s", m)
			}
		})
	}
}
