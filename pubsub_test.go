package zmq_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
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

// SUB filters by prefix; "" matches everything; subscriptions count,
// so subscribing "A" twice takes two unsubscribes.
func TestSubFiltersByCountedPrefixes(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			f := newFactory(t)
			pub := must[*zmq.Pub](t)(f.NewPub())
			ep := bind(t, pub, tr)

			all := must[*zmq.Sub](t)(f.NewSub(zmq.WithSubscribe("")))
			connectTo(t, all, ep)
			syncSub(t, pub, all, "sync")
			sendFrames(t, pub, "anything")
			sendFrames(t, pub, "", "empty first frame")
			if m := recvData(t, all); m.String() != `["anything"]` {
				t.Fatalf("got %s", m)
			}
			if m := recvData(t, all); m.String() != `["" "empty first frame"]` {
				t.Fatalf("got %s", m)
			}

			sub := must[*zmq.Sub](t)(f.NewSub())
			connectTo(t, sub, ep)
			for _, p := range []string{"A", "A", "s1"} {
				if err := sub.Subscribe(p); err != nil {
					t.Fatal(err)
				}
			}
			syncSub(t, pub, sub, "s1")
			sendFrames(t, pub, "B1")
			sendFrames(t, pub, "A1")
			if m := recvData(t, sub); m.String() != `["A1"]` {
				t.Fatalf("subscribed to A: got %s, want [\"A1\"]", m)
			}

			// One unsubscribe of two: still subscribed. The next sentinel's
			// subscription travels behind the unsubscribe, so once it works
			// the unsubscribe has been applied.
			if err := sub.Unsubscribe("A"); err != nil {
				t.Fatal(err)
			}
			if err := sub.Subscribe("s2"); err != nil {
				t.Fatal(err)
			}
			syncSub(t, pub, sub, "s2")
			sendFrames(t, pub, "A2")
			if m := recvData(t, sub); m.String() != `["A2"]` {
				t.Fatalf("after one of two unsubscribes: got %s, want [\"A2\"]", m)
			}

			// The second unsubscribe removes it.
			if err := sub.Unsubscribe("A"); err != nil {
				t.Fatal(err)
			}
			if err := sub.Subscribe("s3"); err != nil {
				t.Fatal(err)
			}
			syncSub(t, pub, sub, "s3")
			sendFrames(t, pub, "A3")
			sendFrames(t, pub, "s3 end")
			if m := recvData(t, sub); m.String() != `["s3 end"]` {
				t.Fatalf("after two unsubscribes: got %s, want nothing from A", m)
			}
		})
	}
}

// PUB at the high-water mark drops (Send succeeds, messages are
// lost); XPUB with NODROP refuses instead (EAGAIN) and loses nothing.
func TestPubDropsAtHWMButXPubNoDropRefuses(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr+"/PUB", func(t *testing.T) {
			t.Parallel()
			f := newFactory(t)
			pub := must[*zmq.Pub](t)(f.NewPub(zmq.WithSendHWM(1), zmq.WithSendBuffer(4096)))
			sub := must[*zmq.Sub](t)(f.NewSub(zmq.WithSubscribe(""), zmq.WithRecvHWM(1), zmq.WithRecvBuffer(4096)))
			connectTo(t, sub, bind(t, pub, tr))
			syncSub(t, pub, sub, "sync")

			const n = 2000
			payload := make([]byte, 4<<10)
			for i := range n {
				if err := pub.TrySend(zmq.NewMsg([]byte("data"), payload)); err != nil {
					t.Fatalf("PUB TrySend %d at the HWM: %v, want a silent drop", i, err)
				}
			}
			ctx := testCtx(t, waitLimit)
			if err := pub.Send(ctx, zmq.NewMsgString("data", "blocking send")); err != nil {
				t.Fatalf("PUB Send at the HWM: %v", err)
			}
			// Publish an end marker until it arrives; count what got through.
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					pub.TrySend(zmq.NewMsgString(fmt.Sprintf("end#%d", i)))
					time.Sleep(time.Millisecond)
				}
			}()
			got := 0
			for {
				m := recvMsg(t, sub)
				if strings.HasPrefix(string(m.Frames[0]), "end#") {
					break
				}
				if string(m.Frames[0]) == "data" {
					got++
				}
			}
			close(stop)
			<-done
			if got >= n {
				t.Fatalf("subscriber received %d of %d messages sent past a HWM of 1: nothing was dropped", got, n+1)
			}
			t.Logf("%s: %d of %d delivered", tr, got, n+1)
		})
		t.Run(tr+"/XPUB_NODROP", func(t *testing.T) {
			t.Parallel()
			f := newFactory(t)
			xpub := must[*zmq.XPub](t)(f.NewXPub(zmq.WithXPubNoDrop(true), zmq.WithSendHWM(1), zmq.WithSendBuffer(4096)))
			sub := must[*zmq.Sub](t)(f.NewSub(zmq.WithSubscribe(""), zmq.WithRecvHWM(1), zmq.WithRecvBuffer(4096)))
			connectTo(t, sub, bind(t, xpub, tr))
			// The subscription reaching the XPUB is the event to wait for.
			m := recvMsg(t, xpub)
			if sub, prefix, ok := zmq.ParseSubscription(m); !ok || !sub || len(prefix) != 0 {
				t.Fatalf("XPUB received %s, want the subscription to \"\"", m)
			}
			payload := make([]byte, 4<<10)
			msg := func(i int) zmq.Msg { return zmq.NewMsg([]byte(strconv.Itoa(i)), payload) }
			filled := 0
			for {
				err := xpub.TrySend(msg(filled))
				if errors.Is(err, zmq.EAGAIN) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if filled++; filled > 100000 {
					t.Fatal("XPUB with NODROP never returned EAGAIN")
				}
			}
			ctx := testCtx(t, 3*waitLimit)

			// A Send with a deadline waits at the HWM and gives up with the
			// ctx. On ipc and tcp the I/O thread may still make room for a
			// few more: those are sent, and the buffer filled again.
			next := 0
			for blocked := false; !blocked; {
				short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
				sendDone := make(chan error, 1)
				start := time.Now()
				go func() { sendDone <- xpub.Send(short, msg(filled)) }()
				select {
				case err := <-sendDone:
					switch {
					case errors.Is(err, context.DeadlineExceeded):
						blocked = true
						if el := time.Since(start); el > 2*time.Second+100*time.Millisecond {
							t.Errorf("BUG: XPUB NODROP Send at the HWM returned %v after its 100ms ctx ended", el-100*time.Millisecond)
						}
					case err == nil:
						filled++
						for xpub.TrySend(msg(filled)) == nil {
							filled++
						}
					default:
						t.Fatalf("XPUB NODROP Send at the HWM: got %v, want context.DeadlineExceeded", err)
					}
				case <-time.After(3 * time.Second):
					t.Errorf("BUG: XPUB NODROP Send at the HWM ignored its 100ms ctx for 3s " +
						"(XPUB always reports POLLOUT, so the send loop retries without parking)")
					// Release it by reading on the subscriber.
					for !blocked {
						select {
						case err := <-sendDone:
							t.Logf("the Send returned %v once the subscriber read", err)
							if err == nil {
								filled++ // delivered: it is part of the stream
							}
							blocked = true
						default:
							rctx, rcancel := context.WithTimeout(ctx, 10*time.Millisecond)
							m, err := sub.Recv(rctx)
							rcancel()
							if err == nil {
								if got := string(m.Frames[0]); got != strconv.Itoa(next) {
									t.Fatalf("subscriber got message %s, want %d (lost or reordered)", got, next)
								}
								next++
							}
						}
					}
				}
				cancel()
			}

			// Now a reader: everything sent arrives, in order, none lost.
			total := filled + 300
			rctx, rcancel := context.WithCancel(ctx)
			recvDone := make(chan struct{})
			defer func() { rcancel(); <-recvDone }()
			go func() {
				defer close(recvDone)
				for next < total {
					m, err := sub.Recv(rctx)
					if err != nil {
						if rctx.Err() == nil {
							t.Errorf("recv: %v", err)
						}
						return
					}
					if got := string(m.Frames[0]); got != strconv.Itoa(next) {
						t.Errorf("subscriber got message %s, want %d (lost or reordered)", got, next)
						return
					}
					next++
				}
			}()
			for i := filled; i < total; i++ {
				if err := xpub.Send(ctx, msg(i)); err != nil {
					t.Fatal(err)
				}
			}
			<-recvDone
		})
	}
}
