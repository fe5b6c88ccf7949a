package zmq_test

import (
	"strconv"
	"testing"

	"github.com/zmqx/zmq"
)

// A DEALER sends round-robin and receives fair-queued.
func TestDealerSendsRoundRobinReceivesFairQueued(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			f := newFactory(t)

			// Out: one message per REP, in connect order.
			dealer := must[*zmq.Dealer](t)(f.NewDealer())
			reps := make([]*zmq.Socket, 5)
			for i := range reps {
				reps[i] = must[*zmq.Socket](t)(f.NewSocket(zmq.REP))
				connectTo(t, dealer, bind(t, reps[i], tr))
			}
			for i := range reps {
				sendFrames(t, dealer, "", "ABC"+strconv.Itoa(i))
			}
			for i, rep := range reps {
				expectFrames(t, rep, "ABC"+strconv.Itoa(i))
				sendFrames(t, rep, "re "+strconv.Itoa(i))
			}
			// The replies come back fair-queued, one from each.
			got := map[string]bool{}
			for range reps {
				m := recvMsg(t, dealer)
				if len(m.Frames) != 2 || len(m.Frames[0]) != 0 {
					t.Fatalf("DEALER received %s", m)
				}
				got[string(m.Frames[1])] = true
			}
			if len(got) != len(reps) {
				t.Fatalf("replies %v, want one from each REP", got)
			}

			// In: fair-queued from several DEALER senders.
			sink := must[*zmq.Dealer](t)(f.NewDealer())
			ep := bind(t, sink, tr)
			senders := make([]*zmq.Dealer, 5)
			for i := range senders {
				senders[i] = must[*zmq.Dealer](t)(f.NewDealer())
				connectTo(t, senders[i], ep)
			}
			expectFairQueue(t, tr, sink, len(senders), 3, func(i, j int) {
				sendFrames(t, senders[i], strconv.Itoa(i), strconv.Itoa(j))
			})
		})
	}
}
