package zmq_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/zmqx/zmq"
)

// TestOneCtxForManyWaits parks many Recvs in turn with one ctx, the way a
// receive loop does, then ends that ctx while a Recv is parked. The socket
// keeps its ctx registration from one wait to the next; the end of the ctx
// must still release the parked call. A second ctx then takes the
// registration over and must release its Recv too.
func TestOneCtxForManyWaits(t *testing.T) {
	t.Parallel()
	pull, push := pushPull(t, "inproc")
	outer := testCtx(t, 60*time.Second)
	const waits = 20
	for round := range 2 {
		ctx, cancel := context.WithCancel(outer)
		results := make(chan error)
		go func() {
			for range waits + 1 {
				_, err := pull.Recv(ctx)
				results <- err
				if err != nil {
					return
				}
			}
		}()
		for i := range waits {
			concWaitParked(t, "TestOneCtxForManyWaits", 1)
			if err := push.Send(outer, zmq.NewMsgString("m")); err != nil {
				t.Fatal(err)
			}
			if err := <-results; err != nil {
				t.Fatalf("round %d, Recv %d: %v", round, i, err)
			}
		}
		concWaitParked(t, "TestOneCtxForManyWaits", 1)
		start := time.Now()
		cancel()
		select {
		case err := <-results:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("round %d: parked Recv returned %v, want context.Canceled", round, err)
			}
			t.Logf("round %d: parked Recv released %v after its ctx ended", round, time.Since(start))
		case <-time.After(5 * time.Second):
			t.Fatalf("round %d: Recv still parked 5s after its ctx ended", round)
		}
	}
}

// Ctx deadlines never fire early, and a deadline that fires takes
// nothing: a Recv whose ctx is already over leaves the message queued.
func TestDeadlinesNeverFireEarlyNorTakeAMessage(t *testing.T) {
	const d = 120 * time.Millisecond
	check := func(t *testing.T, what string, op func(ctx context.Context) error) {
		t.Helper()
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		err := op(ctx)
		el := time.Since(start)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s: got %v, want context.DeadlineExceeded", what, err)
		}
		if el < d {
			t.Fatalf("%s: returned after %v, before the %v deadline", what, el, d)
		}
		if el > d+2*time.Second {
			t.Fatalf("%s: returned %v after a %v deadline", what, el, d)
		}
	}
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			f := newFactory(t)
			pull := must[*zmq.Pull](t)(f.NewPull())
			push := must[*zmq.Push](t)(f.NewPush())
			bind(t, push, tr)
			ep := bind(t, pull, tr)
			check(t, "PULL Recv, nothing sent", func(ctx context.Context) error { _, err := pull.Recv(ctx); return err })
			check(t, "PUSH Send, no peer", func(ctx context.Context) error { return push.Send(ctx, zmq.NewMsgString("x")) })

			router := must[*zmq.Router](t)(f.NewRouter())
			req := must[*zmq.Req](t)(f.NewReq())
			connectTo(t, req, bind(t, router, tr))
			check(t, "Req Request, no reply", func(ctx context.Context) error { _, err := req.Request(ctx, []byte("q")); return err })
			if _, _, err := router.RecvFrom(testCtx(t, waitLimit)); err != nil {
				t.Fatalf("the timed-out request was not delivered: %v", err)
			}

			// Cancellation, not a deadline: returns context.Canceled, not before.
			ctx, cancel := context.WithCancel(context.Background())
			start := time.Now()
			timer := time.AfterFunc(d, cancel)
			defer timer.Stop()
			_, err := pull.Recv(ctx)
			if el := time.Since(start); !errors.Is(err, context.Canceled) || el < d {
				t.Fatalf("Recv cancelled after %v: got %v after %v", d, err, el)
			}

			// A ctx that is already over takes nothing. (On inproc the
			// second message is certainly queued by then; on ipc and tcp
			// almost always.)
			p2 := must[*zmq.Push](t)(f.NewPush())
			connectTo(t, p2, ep)
			sendFrames(t, p2, "k1")
			sendFrames(t, p2, "k2")
			expectFrames(t, pull, "k1")
			dead, cancelDead := context.WithCancel(context.Background())
			cancelDead()
			if m, err := pull.Recv(dead); !errors.Is(err, context.Canceled) {
				t.Fatalf("Recv with a cancelled ctx: got %s, %v, want context.Canceled", m, err)
			}
			expectFrames(t, pull, "k2")
		})
	}
}
