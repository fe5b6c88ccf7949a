package zmq_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/internal/testpeer"
)

// subscribers connects n Subs to ep, each subscribed to prefixes.
func subscribers(t *testing.T, f *zmq.Factory, ep string, n int, prefixes ...string) []*zmq.Sub {
	t.Helper()
	subs := make([]*zmq.Sub, n)
	for i := range subs {
		s := must[*zmq.Sub](t)(f.NewSub())
		for _, p := range prefixes {
			if err := s.Subscribe(p); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Connect(ep); err != nil {
			t.Fatal(err)
		}
		subs[i] = s
	}
	return subs
}

// The first publication after WaitSubscriptions reaches every subscriber
// counted: no retry loop against the slow joiner.
func TestPubWaitSubscriptionsFirstPublicationReachesEveryone(t *testing.T) {
	for _, transport := range []string{"inproc", "ipc", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			ctx := testCtx(t, 10*time.Second)
			f := newFactory(t)
			pub := must[*zmq.Pub](t)(f.NewPub())
			ep := bind(t, pub, transport)
			subs := subscribers(t, f, ep, 3, "")
			if err := pub.WaitSubscriptions(ctx, 3); err != nil {
				t.Fatal(err)
			}
			if got := pub.Subscriptions(); got != 3 {
				t.Fatalf("Subscriptions() = %d after waiting for 3, want 3", got)
			}
			if err := pub.Publish(ctx, "first", []byte("only once")); err != nil {
				t.Fatal(err)
			}
			for i, s := range subs {
				topic, body, err := s.RecvTopic(ctx)
				if err != nil || topic != "first" || string(body) != "only once" {
					t.Fatalf("sub %d got %q %q %v, want the first publication", i, topic, body, err)
				}
			}
		})
	}
}

// Subscriptions counts prefixes, and forgets the subscriber that leaves.
func TestPubSubscriptionsFollowSubscribersComingAndGoing(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	f := newFactory(t)
	pub := must[*zmq.Pub](t)(f.NewPub())
	ep := bind(t, pub, "tcp")
	two := subscribers(t, f, ep, 1, "a", "b")[0]
	subscribers(t, f, ep, 1, "c")
	if err := pub.WaitSubscriptions(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if err := two.Unsubscribe("a"); err != nil {
		t.Fatal(err)
	}
	waitSubscriptions(t, ctx, pub, 2)
	if err := two.Close(); err != nil {
		t.Fatal(err)
	}
	waitSubscriptions(t, ctx, pub, 1)
}

// waitSubscriptions waits until pub counts exactly want subscriptions.
// Nothing tells a Pub that its count went down but the count itself.
func waitSubscriptions(t *testing.T, ctx context.Context, pub *zmq.Pub, want int) {
	t.Helper()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for pub.Subscriptions() != want {
		select {
		case <-ctx.Done():
			t.Fatalf("Subscriptions() = %d, want %d", pub.Subscriptions(), want)
		case <-tick.C:
		}
	}
}

// Several goroutines may wait at once, for different counts; the one that
// waits in the socket hands over to the others when its ctx ends, and
// counts again when another goroutine (Subscriptions here, Publish too)
// reads a notice while it waits.
func TestPubWaitSubscriptionsConcurrentWaiters(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	f := newFactory(t)
	pub := must[*zmq.Pub](t)(f.NewPub())
	ep := bind(t, pub, "tcp")
	counting, stopCounting := context.WithCancel(ctx)
	defer stopCounting()
	go func() {
		for counting.Err() == nil {
			pub.Subscriptions()
		}
	}()

	short, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i, n := range []int{1, 2, 2, 100} {
		wctx := ctx
		if n == 100 {
			wctx = short
		}
		wg.Go(func() { errs[i] = pub.WaitSubscriptions(wctx, n) })
	}
	cancel() // the waiter for 100 gives up, perhaps while reading for all
	subscribers(t, f, ep, 2, "")
	wg.Wait()
	for i, err := range errs[:3] {
		if err != nil {
			t.Errorf("waiter %d: %v", i, err)
		}
	}
	if !errors.Is(errs[3], context.Canceled) {
		t.Errorf("cancelled waiter returned %v, want context.Canceled", errs[3])
	}
}

func TestPubWaitSubscriptionsEnds(t *testing.T) {
	f := newFactory(t)
	pub := must[*zmq.Pub](t)(f.NewPub())
	bind(t, pub, "tcp")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := pub.WaitSubscriptions(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("with nobody subscribing: %v, want context.DeadlineExceeded", err)
	}
	if err := pub.WaitSubscriptions(context.Background(), 0); err != nil {
		t.Fatalf("WaitSubscriptions(0) = %v, want nil at once", err)
	}
	if err := pub.WaitSubscriptions(context.Background(), -1); !errors.Is(err, zmq.ErrInvalidOption) {
		t.Fatalf("WaitSubscriptions(-1) = %v, want ErrInvalidOption", err)
	}
	done := make(chan error, 1)
	go func() { done <- pub.WaitSubscriptions(context.Background(), 1) }()
	concWaitParked(t, "TestPubWaitSubscriptionsEnds", 1)
	pub.Close()
	if err := <-done; !errors.Is(err, zmq.ErrClosed) {
		t.Fatalf("WaitSubscriptions after Close: %v, want ErrClosed", err)
	}
}

// A pyzmq subscriber, two frames: its two prefixes count, and what is
// published right after the wait arrives.
func TestInteropPyzmqSubCountedByWaitSubscriptions(t *testing.T) {
	testpeer.RequirePython(t, "zmq")
	ctx := testCtx(t, interopTimeout)
	f := newFactory(t)
	pub := must[*zmq.Pub](t)(f.NewPub(zmq.WithTopicFraming(zmq.TwoFrames)))
	p := linkPyPeer(t, ctx, true, pub, "zmq-sub", "two", "sync", "weather")
	if err := pub.WaitSubscriptions(ctx, 2); err != nil {
		t.Fatal(err)
	}
	for _, pb := range [][2]string{{"weather.oslo", "-3C"}, {"sync", "end"}} {
		if err := pub.Publish(ctx, pb[0], []byte(pb[1])); err != nil {
			t.Fatal(err)
		}
	}
	expectPyPublications(t, ctx, p, []string{"msg " + pyHex("weather.oslo") + " " + pyHex("-3C"), "end"})
	p.exit(ctx)
}

// A Pub that connects to bound subscribers counts them too, once they are
// receiving (see WaitSubscriptions on libzmq's bound SUB).
func TestPubWaitSubscriptionsConnectingToReceivingSubs(t *testing.T) {
	for _, transport := range []string{"inproc", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			ctx := testCtx(t, 10*time.Second)
			f := newFactory(t)
			sub := must[*zmq.Sub](t)(f.NewSub(zmq.WithSubscribe("")))
			ep := bind(t, sub, transport)
			got := make(chan string, 1)
			go func() {
				topic, _, err := sub.RecvTopic(ctx)
				if err != nil {
					topic = err.Error()
				}
				got <- topic
			}()
			pub := must[*zmq.Pub](t)(f.NewPub())
			if err := pub.Connect(ep); err != nil {
				t.Fatal(err)
			}
			if err := pub.WaitSubscriptions(ctx, 1); err != nil {
				t.Fatal(err)
			}
			if err := pub.Publish(ctx, "first", nil); err != nil {
				t.Fatal(err)
			}
			if topic := <-got; topic != "first" {
				t.Fatalf("sub got %q, want the first publication", topic)
			}
		})
	}
}
