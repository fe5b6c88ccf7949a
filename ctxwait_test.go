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
