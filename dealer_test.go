package zmq_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

// Two factories. A Dealer sends 10,000 requests from one goroutine while
// another goroutine receives on the same socket; the Router answers each
// request with 3 events sent from several goroutines, then "exit" after
// "stop". Both directions stay busy on both sockets, which is where a lost
// fd edge (txZMQ's "serious bug") turns into a stall; the ctx deadline turns
// a stall into a failure.
//
// stallRequests is the number of requests: txZMQ's 10,000, not scaled
// down under the race detector. Measured on 2 cores: about 0.3s per
// variant without and 0.6s with -race; a stall hits the 30s deadline.
const stallRequests = 10000

// TestDealerRouterBusyBothWaysNeverStalls runs the stall detector over tcp with raw frames
// on Router.Send/Recv (test_reqrep's test_start, peer "master") and over
// ipc with Router.SendTo/RecvFrom (test_router_dealer, peer "dealer").
func TestDealerRouterBusyBothWaysNeverStalls(t *testing.T) {
	t.Run("tcp-raw", func(t *testing.T) {
		t.Parallel()
		dealerRouterStall(t, "tcp", "master", false)
	})
	t.Run("ipc-SendTo", func(t *testing.T) {
		t.Parallel()
		dealerRouterStall(t, "ipc", "dealer", true)
	})
}

func dealerRouterStall(t *testing.T, transport, dealerID string, sendTo bool) {
	f1, f2 := newFactory(t), newFactory(t)
	// Mandatory: at the high-water mark the Router waits instead of
	// dropping, so every event must arrive.
	router := must[*zmq.Router](t)(f2.NewRouter(zmq.WithRoutingID([]byte("router")), zmq.WithRouterMandatory(true)))
	ep := bind(t, router, transport)
	dealer := must[*zmq.Dealer](t)(f1.NewDealer(zmq.WithRoutingID([]byte(dealerID))))
	if err := dealer.Connect(ep); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	var wg sync.WaitGroup
	defer wg.Wait() // runs after cancel: every goroutine ends before the test
	defer cancel()

	peer := []byte(dealerID)
	send := func(body string) error {
		if sendTo {
			return router.SendTo(ctx, peer, []byte(body))
		}
		return router.Send(ctx, zmq.NewMsg(peer, []byte(body)))
	}
	recv := func() (from []byte, m zmq.Msg, err error) {
		if sendTo {
			return router.RecvFrom(ctx)
		}
		m, err = router.Recv(ctx)
		if err != nil || len(m.Frames) == 0 {
			return nil, m, err
		}
		return m.Frames[0], zmq.Msg{Frames: m.Frames[1:]}, nil
	}

	// Server: the receive loop sends the first event itself and hands the
	// other two to worker goroutines.
	var served atomic.Int64
	serverErr := make(chan error, 1)
	wg.Go(func() {
		work := make(chan struct{}, 64)
		var workers sync.WaitGroup
		var workerErr atomic.Value
		for range 4 {
			workers.Go(func() {
				for range work {
					if err := send("event"); err != nil {
						workerErr.CompareAndSwap(nil, err)
					}
				}
			})
		}
		finish := func(err error) {
			close(work)
			workers.Wait()
			if err == nil {
				if werr, _ := workerErr.Load().(error); werr != nil {
					err = fmt.Errorf("worker send: %w", werr)
				}
			}
			if err == nil {
				err = send("exit")
			}
			serverErr <- err
		}
		for {
			from, m, err := recv()
			if err != nil {
				finish(fmt.Errorf("router receive: %w", err))
				return
			}
			if string(from) != dealerID || len(m.Frames) != 1 {
				finish(fmt.Errorf("router got %s from %q, want one frame from %q", m, from, dealerID))
				return
			}
			switch string(m.Frames[0]) {
			case "req":
				served.Add(1)
				if err := send("event"); err != nil {
					finish(err)
					return
				}
				for range 2 {
					select {
					case work <- struct{}{}:
					case <-ctx.Done():
					}
				}
			case "stop":
				finish(nil)
				return
			default:
				finish(fmt.Errorf("router got unexpected %s", m))
				return
			}
		}
	})

	// Client: one goroutine sends, the test goroutine receives.
	clientErr := make(chan error, 1)
	wg.Go(func() {
		for range stallRequests {
			if err := dealer.Send(ctx, zmq.NewMsgString("req")); err != nil {
				clientErr <- err
				return
			}
		}
		clientErr <- dealer.Send(ctx, zmq.NewMsgString("stop"))
	})
	start := time.Now()
	events := 0
	for {
		m, err := dealer.Recv(ctx)
		if err != nil {
			t.Fatalf("stalled after %v: dealer got %d of %d events, router served %d of %d requests: %v",
				time.Since(start).Round(time.Millisecond), events, 3*stallRequests, served.Load(), stallRequests, err)
		}
		if len(m.Frames) != 1 {
			t.Fatalf("dealer got %s, want one frame", m)
		}
		if string(m.Frames[0]) == "exit" {
			break
		}
		if string(m.Frames[0]) != "event" {
			t.Fatalf("dealer got unexpected %s", m)
		}
		events++
	}
	if err := <-clientErr; err != nil {
		t.Fatalf("dealer send: %v", err)
	}
	if err := <-serverErr; err != nil {
		t.Fatalf("router: %v", err)
	}
	if events != 3*stallRequests || served.Load() != stallRequests {
		t.Fatalf("dealer got %d events, want %d; router served %d requests, want %d",
			events, 3*stallRequests, served.Load(), stallRequests)
	}
	if m, err := dealer.TryRecv(); !errors.Is(err, zmq.EAGAIN) {
		t.Fatalf("after exit: TryRecv = %s, %v; want EAGAIN", m, err)
	}
	t.Logf("%d requests, %d events in %v", stallRequests, events, time.Since(start).Round(time.Millisecond))
}
