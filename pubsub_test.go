package zmq_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zmqx/zmq"
)

// publishRounds publishes rounds of (topic, body) pairs on pub every 5 ms
// until ctx ends; the rounds repeat because a new subscriber misses what
// was published before its subscription arrived (the slow joiner). The
// returned function stops publishing and reports the first error.
func publishRounds(t *testing.T, ctx context.Context, pub *zmq.Pub, round ...[2]string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			for _, p := range round {
				if err := pub.Publish(ctx, p[0], []byte(p[1])); err != nil {
					done <- err
					return
				}
			}
			select {
			case <-ctx.Done():
				done <- nil
				return
			case <-tick.C:
			}
		}
	}()
	return func() {
		t.Helper()
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("publishing: %v", err)
		}
	}
}

// manualProxy forwards publications from xsub to xpub, and hands each
// subscription message the XPub receives to decide, which applies it (or
// not) with xpub.Subscribe and xpub.Unsubscribe, from the goroutine that
// received it. It returns a function that stops the proxy and reports its
// errors.
func manualProxy(t *testing.T, ctx context.Context, xsub *zmq.XSub, xpub *zmq.XPub,
	decide func(subscribe bool, prefix string) error) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wg.Go(func() {
		for m, err := range xsub.Messages(ctx) {
			if err == nil {
				err = xpub.Send(ctx, m)
			}
			if err != nil {
				errs <- fmt.Errorf("forwarding: %w", err)
				return
			}
		}
	})
	wg.Go(func() {
		for m, err := range xpub.Messages(ctx) {
			if err != nil {
				errs <- fmt.Errorf("receiving subscriptions: %w", err)
				return
			}
			subscribe, prefix, ok := zmq.ParseSubscription(m)
			if !ok {
				errs <- fmt.Errorf("the XPub received %s, not a subscription", m)
				return
			}
			if err := decide(subscribe, prefix); err != nil {
				errs <- err
				return
			}
		}
	})
	return func() {
		t.Helper()
		cancel()
		wg.Wait()
		close(errs)
		for err := range errs {
			if !errors.Is(err, context.Canceled) {
				t.Error(err)
			}
		}
	}
}

// A proxy made of an XSub upstream and an XPub in manual mode downstream
// decides what each subscriber gets: here it narrows a subscription to
// "weather" down to "weather.paris", and later revokes it when the
// subscriber subscribes to "stop". The subscriber's own filter would
// accept all of "weather": only the XPub can keep "weather.oslo" from it.
func TestXPubManualProxyDecidesWhatASubscriberGets(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t, 20*time.Second)
			f := newFactory(t)
			pub := must[*zmq.Pub](t)(f.NewPub())
			xsub := must[*zmq.XSub](t)(f.NewXSub())
			xpub := must[*zmq.XPub](t)(f.NewXPub(zmq.WithXPubManual(true)))
			sub := must[*zmq.Sub](t)(f.NewSub())
			if err := xsub.Connect(bind(t, pub, tr)); err != nil {
				t.Fatal(err)
			}
			// The proxy takes everything upstream and filters per subscriber.
			if err := xsub.Subscribe(""); err != nil {
				t.Fatal(err)
			}
			revoked := make(chan struct{})
			stopProxy := manualProxy(t, ctx, xsub, xpub, func(subscribe bool, prefix string) error {
				switch {
				case subscribe && prefix == "weather":
					return xpub.Subscribe("weather.paris") // narrowed
				case subscribe && prefix == "stop":
					if err := xpub.Unsubscribe("weather.paris"); err != nil {
						return err
					}
					// Sent after the revocation: no weather may follow it.
					err := xpub.Send(ctx, zmq.NewMsgString("sync", "revoked"))
					close(revoked)
					return err
				case subscribe:
					return xpub.Subscribe(prefix) // as asked
				}
				return xpub.Unsubscribe(prefix)
			})
			defer stopProxy()
			for _, p := range []string{"sync", "weather"} {
				if err := sub.Subscribe(p); err != nil {
					t.Fatal(err)
				}
			}
			if err := sub.Connect(bind(t, xpub, tr)); err != nil {
				t.Fatal(err)
			}
			stopPublishing := publishRounds(t, ctx, pub,
				[2]string{"weather.oslo", "-3C"}, [2]string{"news", "x"},
				[2]string{"weather.paris", "12C"}, [2]string{"sync", "round"})
			defer stopPublishing()

			// Granted: three rounds' worth of Paris, never Oslo.
			for paris := 0; paris < 3; {
				topic, body, err := sub.RecvTopic(ctx)
				if err != nil {
					t.Fatalf("after %d of Paris: %v", paris, err)
				}
				switch topic {
				case "weather.paris":
					paris++
				case "sync":
				default:
					t.Fatalf("the subscriber got %q %q; the proxy granted only weather.paris", topic, body)
				}
			}

			// Revoked: after the proxy's marker, two more rounds of sync and
			// no weather at all.
			if err := sub.Subscribe("stop"); err != nil {
				t.Fatal(err)
			}
			select {
			case <-revoked:
			case <-ctx.Done():
				t.Fatal("the proxy never saw the subscription to stop")
			}
			seenMarker, rounds := false, 0
			for rounds < 2 {
				topic, body, err := sub.RecvTopic(ctx)
				if err != nil {
					t.Fatalf("after the revocation (marker seen: %v, rounds: %d): %v", seenMarker, rounds, err)
				}
				switch {
				case topic == "sync" && string(body) == "revoked":
					seenMarker = true
				case topic == "sync" && seenMarker:
					rounds++
				case strings.HasPrefix(topic, "weather") && seenMarker:
					t.Fatalf("the subscriber got %q after its subscription was revoked", topic)
				}
			}
		})
	}
}

// Without manual mode an XPub applies subscriptions itself, and refuses to
// be told; in manual mode, a Subscribe before any subscription arrived has
// nobody to apply to and does nothing.
func TestXPubSubscribeNeedsManualMode(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	auto := must[*zmq.XPub](t)(f.NewXPub())
	for what, call := range map[string]func() error{
		"Subscribe":   func() error { return auto.Subscribe("x") },
		"Unsubscribe": func() error { return auto.Unsubscribe("x") },
	} {
		err := call()
		var oe *zmq.OpError
		if !errors.Is(err, zmq.ErrInvalidOption) || !strings.Contains(fmt.Sprint(err), "WithXPubManual(true)") ||
			!errors.As(err, &oe) || oe.Socket != "XPUB" {
			t.Errorf("%s on an XPub without manual mode: %v, want an *OpError wrapping ErrInvalidOption that names WithXPubManual(true)", what, err)
		}
	}
	manual := must[*zmq.XPub](t)(f.NewXPub(zmq.WithXPubManual(true)))
	if err := manual.Subscribe("x"); err != nil {
		t.Errorf("Subscribe before any subscription arrived: %v", err)
	}
	if err := manual.Unsubscribe("x"); err != nil {
		t.Errorf("Unsubscribe before any subscription arrived: %v", err)
	}
}

// receiver is anything that receives whole messages.
type receiver interface {
	Recv(context.Context) (zmq.Msg, error)
}

// warmUp publishes the sentinel ("sync", "warm-up") until every receiver,
// subscribed to "sync", has received one: their subscriptions have then
// reached pub. recvAfterWarmUp then skips the sentinels still in flight.
func warmUp(t *testing.T, ctx context.Context, pub *zmq.Pub, rs ...receiver) {
	t.Helper()
	stop := publishRounds(t, ctx, pub, [2]string{"sync", "warm-up"})
	defer stop()
	for _, r := range rs {
		if _, err := r.Recv(ctx); err != nil {
			t.Fatalf("warming up: %v", err)
		}
	}
}

// recvAfterWarmUp receives the next message that is not a warm-up
// sentinel, in either framing.
func recvAfterWarmUp(t *testing.T, ctx context.Context, r receiver) zmq.Msg {
	t.Helper()
	for {
		m, err := r.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(m.Frames[0]), "sync") {
			return m
		}
	}
}

// Publish sends txZMQ's one frame topic‖separator‖body by default, and the
// two frames [topic, body] when made WithTopicFraming(TwoFrames); a Sub
// reads both forms back into the same topic and body.
func TestPublishFramings(t *testing.T) {
	for _, c := range []struct {
		name string
		sep  []byte // WithTopicSeparator, if not nil
		opts []zmq.PubOption
		want []string // the frames a raw SUB receives
	}{
		{"default", nil, nil, []string{"topic\x00body"}},
		{"OneFrame", nil, []zmq.PubOption{zmq.WithTopicFraming(zmq.OneFrame)}, []string{"topic\x00body"}},
		{"OneFrame separator", []byte(" | "), nil, []string{"topic | body"}},
		{"TwoFrames", nil, []zmq.PubOption{zmq.WithTopicFraming(zmq.TwoFrames)}, []string{"topic", "body"}},
		// The separator belongs to the one-frame form only.
		{"TwoFrames separator", []byte(" | "), []zmq.PubOption{zmq.WithTopicFraming(zmq.TwoFrames)}, []string{"topic", "body"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t, 10*time.Second)
			f := newFactory(t)
			pubOpts, subOpts := c.opts, []zmq.SubOption{zmq.WithSubscribe("")}
			if c.sep != nil {
				pubOpts = append(pubOpts, zmq.WithTopicSeparator(c.sep))
				subOpts = append(subOpts, zmq.WithTopicSeparator(c.sep))
			}
			pub := must[*zmq.Pub](t)(f.NewPub(pubOpts...))
			raw := must[*zmq.Socket](t)(f.NewSocket(zmq.SUB, zmq.WithSubscribe("")))
			sub := must[*zmq.Sub](t)(f.NewSub(subOpts...))
			ep := bind(t, pub, "tcp")
			for _, s := range []interface{ Connect(string) error }{raw, sub} {
				if err := s.Connect(ep); err != nil {
					t.Fatal(err)
				}
			}
			warmUp(t, ctx, pub, raw, sub)
			if err := pub.Publish(ctx, "topic", []byte("body")); err != nil {
				t.Fatal(err)
			}
			if got := recvAfterWarmUp(t, ctx, raw).Strings(); !slices.Equal(got, c.want) {
				t.Errorf("on the wire: %q, want %q", got, c.want)
			}
			topic, body, err := sub.Split(recvAfterWarmUp(t, ctx, sub))
			if err != nil || topic != "topic" || string(body) != "body" {
				t.Errorf("Split: %q, %q, %v; want topic, body", topic, body, err)
			}
		})
	}
}

// Topics yields each publication with its topic and body.
func TestSubTopicsYieldsPublications(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 10*time.Second)
	f := newFactory(t)
	pub := must[*zmq.Pub](t)(f.NewPub())
	sub := must[*zmq.Sub](t)(f.NewSub(zmq.WithSubscribe("a"), zmq.WithSubscribe("sync")))
	if err := sub.Connect(bind(t, pub, "tcp")); err != nil {
		t.Fatal(err)
	}
	warmUp(t, ctx, pub, sub)
	if err := sub.Unsubscribe("sync"); err != nil {
		t.Fatal(err)
	}
	for _, p := range [][2]string{{"b", "skipped"}, {"a.1", "one"}, {"a.2", ""}} {
		if err := pub.Publish(ctx, p[0], []byte(p[1])); err != nil {
			t.Fatal(err)
		}
	}
	var got []zmq.Publication
	for p, err := range sub.Topics(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if p.Topic == "sync" {
			continue // a sentinel that arrived before the unsubscription
		}
		if got = append(got, p); len(got) == 2 {
			break
		}
	}
	if len(got) != 2 || got[0].Topic != "a.1" || string(got[0].Body) != "one" || got[1].Topic != "a.2" || len(got[1].Body) != 0 {
		t.Errorf("Topics yielded %q, want a.1/one, a.2/\"\"", got)
	}
}

func TestWithTopicFramingRefusesUnknownForms(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	_, err := f.NewPub(zmq.WithTopicFraming(zmq.TopicFraming(7)))
	badWant(t, "WithTopicFraming(7)", err, []error{zmq.ErrInvalidOption}, "TopicFraming(7)")
	pub := must[*zmq.Pub](t)(f.NewPub())
	err = pub.SetOption(zmq.WithTopicFraming(zmq.TwoFrames))
	badWant(t, "SetOption(WithTopicFraming)", err, []error{zmq.ErrInvalidOption}, "WithTopicFraming(TwoFrames)", "when the socket is made")
}

// In manual mode each subscription is applied to the subscriber it came
// from, also when several subscribers' subscriptions wait in the XPub
// together: over inproc both arrive before the XPub's first receive.
func TestXPubManualGrantsEachWaitingSubscriber(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	f := newFactory(t)
	xpub := must[*zmq.XPub](t)(f.NewXPub(zmq.WithXPubManual(true)))
	ep := bind(t, xpub, "inproc")
	subs := map[string]*zmq.Sub{}
	for _, prefix := range []string{"a", "b"} {
		sub := must[*zmq.Sub](t)(f.NewSub())
		if err := sub.Subscribe(prefix); err != nil {
			t.Fatal(err)
		}
		if err := sub.Connect(ep); err != nil {
			t.Fatal(err)
		}
		subs[prefix] = sub
	}
	for range subs {
		m, err := xpub.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		subscribe, prefix, ok := zmq.ParseSubscription(m)
		if !ok || !subscribe {
			t.Fatalf("XPub received %s, want a subscription", m)
		}
		if err := xpub.Subscribe(prefix); err != nil {
			t.Fatal(err)
		}
	}
	for prefix, sub := range subs {
		if err := xpub.Send(ctx, zmq.NewMsgString(prefix+"-for-its-subscriber")); err != nil {
			t.Fatal(err)
		}
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		m, err := sub.Recv(rctx)
		cancel()
		if err != nil {
			t.Fatalf("the subscriber to %q got nothing: its grant went to the other subscriber (%v)", prefix, err)
		}
		if got := string(m.Frames[0]); got != prefix+"-for-its-subscriber" {
			t.Fatalf("the subscriber to %q got %q", prefix, got)
		}
	}
}
