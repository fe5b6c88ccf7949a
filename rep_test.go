package zmq_test

import (
	"slices"
	"testing"

	"github.com/zmqx/zmq"
)

// REP strips everything up to and including the empty delimiter and
// restores that whole envelope on the reply (raw REP, and our Rep).
func TestRepRestoresTheWholeEnvelope(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			f := newFactory(t)
			rep := must[*zmq.Socket](t)(f.NewSocket(zmq.REP))
			dealer := must[*zmq.Dealer](t)(f.NewDealer())
			connectTo(t, dealer, bind(t, rep, tr))

			sendFrames(t, dealer, "", "A")
			expectFrames(t, rep, "A")
			sendFrames(t, rep, "A")
			expectFrames(t, dealer, "", "A")

			sendFrames(t, dealer, "X", "Y", "", "A", "B")
			expectFrames(t, rep, "A", "B")
			sendFrames(t, rep, "C")
			expectFrames(t, dealer, "X", "Y", "", "C")

			// The pattern type Rep keeps the envelope the same way.
			rep2 := must[*zmq.Rep](t)(f.NewRep())
			dealer2 := must[*zmq.Dealer](t)(f.NewDealer())
			connectTo(t, dealer2, bind(t, rep2, tr))
			sendFrames(t, dealer2, "X", "Y", "", "A")
			ctx := testCtx(t, waitLimit)
			q, err := rep2.Recv(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(q.Strings(), []string{"A"}) || string(q.MsgID) != "Y" {
				t.Fatalf("Rep received %s with MsgID %q, want [\"A\"] and \"Y\"", q.Msg, q.MsgID)
			}
			if err := q.Reply(ctx, []byte("B")); err != nil {
				t.Fatal(err)
			}
			expectFrames(t, dealer2, "X", "Y", "", "B")
		})
	}
}
