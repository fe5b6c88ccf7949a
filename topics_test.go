package zmq_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zmqx/zmq"
)

// Topics on Pub and Sub: prefix matching, unsubscribing, both wire forms
// (txZMQ's one frame topic\0body and the two-frame [topic, body]), the
// separator, and epgm. Where txZMQ's own suite sleeps and then compares
// what arrived, these tests wait for a sentinel instead.

// A subscription takes a moment to reach the publisher, and until it has,
// publications are dropped (the slow joiner). Instead of sleeping, each test
// publishes a sentinel topic again and again until the subscriber receives
// it: subscriptions travel in order on one connection, so by then every
// subscription made before the sentinel's is in place too. The end of a
// test's publications is marked the same way, which proves that nothing else
// (a filtered topic, say) is still on its way.
//
// topicSync is the sentinel topic: warm-up ("warm<i>") and end ("end<i>")
// markers, i being the publisher's index.
const topicSync = "~sync"

// topicRecvFn receives one publication, split into topic and body.
type topicRecvFn func(ctx context.Context) (topic string, body []byte, err error)

// topicPubFn publishes one body under topic.
type topicPubFn func(ctx context.Context, topic string, body []byte) error

// warmUpTopics publishes a warm-up sentinel on every publisher, repeatedly,
// until recv has received one from each; nothing else may arrive meanwhile.
func warmUpTopics(t *testing.T, ctx context.Context, recv topicRecvFn, pubs ...topicPubFn) {
	t.Helper()
	seen := make(map[string]bool)
	for len(seen) < len(pubs) {
		for i, pub := range pubs {
			if name := "warm" + strconv.Itoa(i); !seen[name] {
				if err := pub(ctx, topicSync, []byte(name)); err != nil {
					t.Fatalf("publishing the warm-up sentinel: %v", err)
				}
			}
		}
		// Poll: one short receive per round of sentinels. A receive that
		// times out takes no message.
		rctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		topic, body, err := recv(rctx)
		cancel()
		switch {
		case err == nil && topic == topicSync && strings.HasPrefix(string(body), "warm"):
			seen[string(body)] = true
		case err == nil:
			t.Fatalf("received %q/%q during warm-up, before anything but sentinels was published", topic, body)
		case ctx.Err() != nil:
			t.Fatalf("subscription never reached the publisher(s): %d of %d warmed up: %v", len(seen), len(pubs), ctx.Err())
		case !errors.Is(err, context.DeadlineExceeded):
			t.Fatalf("receive during warm-up: %v", err)
		}
	}
}

// endTopics publishes the end sentinel on every publisher.
func endTopics(t *testing.T, ctx context.Context, pubs ...topicPubFn) {
	t.Helper()
	for i, pub := range pubs {
		if err := pub(ctx, topicSync, []byte("end"+strconv.Itoa(i))); err != nil {
			t.Fatalf("publishing the end sentinel: %v", err)
		}
	}
}

// collectTopics receives until it has the end sentinel of n publishers and
// returns what came before them, in arrival order, sentinels left out.
func collectTopics(t *testing.T, ctx context.Context, recv topicRecvFn, n int) [][2]string {
	t.Helper()
	var got [][2]string
	ends := make(map[string]bool)
	for len(ends) < n {
		topic, body, err := recv(ctx)
		if err != nil {
			t.Fatalf("receive (got %q so far): %v", got, err)
		}
		if topic == topicSync {
			if strings.HasPrefix(string(body), "end") {
				ends[string(body)] = true
			}
			continue
		}
		got = append(got, [2]string{topic, string(body)})
	}
	return got
}

// rawTopicPublisher publishes with a raw PUB socket in the two-frame form
// [topic, body].
func rawTopicPublisher(p *zmq.Socket) topicPubFn {
	return func(ctx context.Context, topic string, body []byte) error {
		return p.Send(ctx, zmq.NewMsg([]byte(topic), body))
	}
}

// rawTopicSubscriber receives with a raw SUB socket: every message must be one
// frame, which is appended to *frames and split at the first sep.
func rawTopicSubscriber(t *testing.T, s *zmq.Socket, sep []byte, frames *[]string) topicRecvFn {
	return func(ctx context.Context) (string, []byte, error) {
		m, err := s.Recv(ctx)
		if err != nil {
			return "", nil, err
		}
		if len(m.Frames) != 1 {
			t.Errorf("raw SUB got %d frames %s, want one topic-framed frame", len(m.Frames), m)
			return "", nil, fmt.Errorf("not one frame: %s", m)
		}
		*frames = append(*frames, string(m.Frames[0]))
		topic, body, ok := bytes.Cut(m.Frames[0], sep)
		if !ok {
			return "", nil, fmt.Errorf("no separator %q in %s", sep, m)
		}
		return string(topic), body, nil
	}
}

// TestSubReceivesByTopicPrefix: subscribing to "tag" delivers "tag1" and "tag2" but
// not "different-tag" (txZMQ test_send_recv, over ipc; here every
// transport).
func TestSubReceivesByTopicPrefix(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			f := newFactory(t)
			sub := must[*zmq.Sub](t)(f.NewSub())
			pub := must[*zmq.Pub](t)(f.NewPub())
			if err := pub.Connect(bind(t, sub, tr)); err != nil {
				t.Fatal(err)
			}
			for _, s := range []string{"tag", topicSync} {
				if err := sub.Subscribe(s); err != nil {
					t.Fatal(err)
				}
			}
			ctx := testCtx(t, 20*time.Second)
			warmUpTopics(t, ctx, sub.RecvTopic, pub.Publish)
			for _, p := range [][2]string{{"different-tag", "xyz"}, {"tag1", "abcd"}, {"tag2", "efgh"}} {
				if err := pub.Publish(ctx, p[0], []byte(p[1])); err != nil {
					t.Fatal(err)
				}
			}
			endTopics(t, ctx, pub.Publish)
			want := [][2]string{{"tag1", "abcd"}, {"tag2", "efgh"}}
			if got := collectTopics(t, ctx, sub.RecvTopic, 1); !slices.Equal(got, want) {
				t.Fatalf("got %q, want %q", got, want)
			}
		})
	}
}

// TestSubUnsubscribeStopsATopic: subscribing to "tag1" only delivers tag1 (txZMQ-ng
// test_send_recv__filter); unsubscribing stops it.
func TestSubUnsubscribeStopsATopic(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	sub := must[*zmq.Sub](t)(f.NewSub(zmq.WithSubscribe("tag1"), zmq.WithSubscribe(topicSync)))
	pub := must[*zmq.Pub](t)(f.NewPub())
	if err := pub.Connect(bind(t, sub, "ipc")); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t, 20*time.Second)
	warmUpTopics(t, ctx, sub.RecvTopic, pub.Publish)
	publish := func(pairs ...[2]string) {
		t.Helper()
		for _, p := range pairs {
			if err := pub.Publish(ctx, p[0], []byte(p[1])); err != nil {
				t.Fatal(err)
			}
		}
		endTopics(t, ctx, pub.Publish)
	}
	publish([2]string{"different-tag", "xyz"}, [2]string{"tag1", "abcd"}, [2]string{"tag2", "efgh"})
	want := [][2]string{{"tag1", "abcd"}}
	if got := collectTopics(t, ctx, sub.RecvTopic, 1); !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}

	// Not in txZMQ's suite: Unsubscribe. It travels in order too, so once
	// the end sentinel after it arrives, tag1 is filtered.
	if err := sub.Unsubscribe("tag1"); err != nil {
		t.Fatal(err)
	}
	publish() // an end sentinel that follows the unsubscription
	collectTopics(t, ctx, sub.RecvTopic, 1)
	publish([2]string{"tag1", "after unsubscribe"})
	if got := collectTopics(t, ctx, sub.RecvTopic, 1); len(got) != 0 {
		t.Fatalf("after Unsubscribe got %q, want nothing", got)
	}
}

// TestSubBoundOnTwoEndpoints: one Sub bound on tcp and inproc, one
// publisher connected to each (txZMQ test_send_recv_multiple_endpoints).
func TestSubBoundOnTwoEndpoints(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	sub := must[*zmq.Sub](t)(f.NewSub(zmq.WithSubscribe("")))
	tcpEP := bind(t, sub, "tcp")
	inprocEP := bind(t, sub, "inproc")
	pubTCP := must[*zmq.Pub](t)(f.NewPub())
	pubInproc := must[*zmq.Pub](t)(f.NewPub())
	if err := pubTCP.Connect(tcpEP); err != nil {
		t.Fatal(err)
	}
	if err := pubInproc.Connect(inprocEP); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t, 20*time.Second)
	warmUpTopics(t, ctx, sub.RecvTopic, pubTCP.Publish, pubInproc.Publish)
	if err := pubTCP.Publish(ctx, "tag1", []byte("111")); err != nil {
		t.Fatal(err)
	}
	if err := pubInproc.Publish(ctx, "tag2", []byte("222")); err != nil {
		t.Fatal(err)
	}
	endTopics(t, ctx, pubTCP.Publish, pubInproc.Publish)
	got := collectTopics(t, ctx, sub.RecvTopic, 2)
	slices.SortFunc(got, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	if want := [][2]string{{"tag1", "111"}, {"tag2", "222"}}; !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// TestPubOneFrameWireFormat checks what a Pub puts on the wire with a raw
// libzmq SUB: one frame topic ‖ 0x00 ‖ body, split by txZMQ at the first
// zero byte.
func TestPubOneFrameWireFormat(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	raw := must[*zmq.Socket](t)(f.NewSocket(zmq.SUB, zmq.WithSubscribe("")))
	pub := must[*zmq.Pub](t)(f.NewPub())
	if err := raw.Connect(bind(t, pub, "tcp")); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t, 20*time.Second)
	var frames []string
	recv := rawTopicSubscriber(t, raw, []byte{0}, &frames)
	warmUpTopics(t, ctx, recv, pub.Publish)
	frames = nil
	pubs := [][2]string{{"tag1", "abcd"}, {"", "no topic"}, {"a", "b\x00c"}, {"empty body", ""}}
	for _, p := range pubs {
		if err := pub.Publish(ctx, p[0], []byte(p[1])); err != nil {
			t.Fatal(err)
		}
	}
	endTopics(t, ctx, pub.Publish)
	got := collectTopics(t, ctx, recv, 1)
	wantFrames := []string{"tag1\x00abcd", "\x00no topic", "a\x00b\x00c", "empty body\x00", topicSync + "\x00end0"}
	frames = slices.DeleteFunc(frames, func(s string) bool { return strings.HasPrefix(s, topicSync+"\x00warm") })
	if !slices.Equal(frames, wantFrames) {
		t.Fatalf("frames on the wire: %q, want %q", frames, wantFrames)
	}
	if !slices.Equal(got, pubs) {
		t.Fatalf("split: %q, want %q", got, pubs)
	}
}

// TestSubUnderstandsTwoFramePublications: a publisher sending [topic, body] as two frames
// (a raw libzmq PUB) is understood by Sub.RecvTopic, and Split handles both
// forms and rejects the rest with ErrNotTopicFramed.
func TestSubUnderstandsTwoFramePublications(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	sub := must[*zmq.Sub](t)(f.NewSub(zmq.WithSubscribe("tag"), zmq.WithSubscribe(topicSync)))
	raw := must[*zmq.Socket](t)(f.NewSocket(zmq.PUB))
	if err := sub.Connect(bind(t, raw, "ipc")); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t, 20*time.Second)
	pub := rawTopicPublisher(raw)
	warmUpTopics(t, ctx, sub.RecvTopic, pub)
	for _, p := range [][2]string{{"different-tag", "xyz"}, {"tag1", "abcd"}, {"tag2", "ef\x00gh"}} {
		if err := pub(ctx, p[0], []byte(p[1])); err != nil {
			t.Fatal(err)
		}
	}
	endTopics(t, ctx, pub)
	want := [][2]string{{"tag1", "abcd"}, {"tag2", "ef\x00gh"}}
	if got := collectTopics(t, ctx, sub.RecvTopic, 1); !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}

	split := []struct {
		in          zmq.Msg
		topic, body string
	}{
		{zmq.NewMsgString("t", "b"), "t", "b"},
		{zmq.NewMsgString("t", "b\x00c"), "t", "b\x00c"},
		{zmq.NewMsgString("t\x00b"), "t", "b"},
		{zmq.NewMsgString("a\x00b\x00c"), "a", "b\x00c"},
		{zmq.NewMsgString("\x00"), "", ""},
	}
	for _, c := range split {
		topic, body, err := sub.Split(c.in)
		if err != nil || topic != c.topic || string(body) != c.body {
			t.Errorf("Split(%s) = %q, %q, %v; want %q, %q", c.in, topic, body, err, c.topic, c.body)
		}
	}
	for _, in := range []zmq.Msg{zmq.NewMsgString("no separator"), zmq.NewMsgString("a", "b", "c"), {}} {
		if _, _, err := sub.Split(in); !errors.Is(err, zmq.ErrNotTopicFramed) {
			t.Errorf("Split(%s): %v, want ErrNotTopicFramed", in, err)
		}
	}
}

// TestTopicSeparatorOnBothSides: WithTopicSeparator changes the bytes between topic
// and body on both sides (txZMQ 1.0.1 topicSep).
func TestTopicSeparatorOnBothSides(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	sep := []byte("::")
	pub := must[*zmq.Pub](t)(f.NewPub(zmq.WithTopicSeparator(sep)))
	ep := bind(t, pub, "inproc")
	sub := must[*zmq.Sub](t)(f.NewSub(zmq.WithTopicSeparator(sep), zmq.WithSubscribe("")))
	raw := must[*zmq.Socket](t)(f.NewSocket(zmq.SUB, zmq.WithSubscribe("")))
	for _, s := range []interface{ Connect(string) error }{sub, raw} {
		if err := s.Connect(ep); err != nil {
			t.Fatal(err)
		}
	}
	ctx := testCtx(t, 20*time.Second)
	var frames []string
	rawRecv := rawTopicSubscriber(t, raw, sep, &frames)
	warmUpTopics(t, ctx, sub.RecvTopic, pub.Publish)
	warmUpTopics(t, ctx, rawRecv, pub.Publish)
	frames = nil
	pubs := [][2]string{{"tag1", "abcd"}, {"zero", "a\x00b"}, {"x", "y::z"}}
	for _, p := range pubs {
		if err := pub.Publish(ctx, p[0], []byte(p[1])); err != nil {
			t.Fatal(err)
		}
	}
	endTopics(t, ctx, pub.Publish)
	if got := collectTopics(t, ctx, sub.RecvTopic, 1); !slices.Equal(got, pubs) {
		t.Fatalf("Sub with separator %q got %q, want %q", sep, got, pubs)
	}
	collectTopics(t, ctx, rawRecv, 1)
	frames = slices.DeleteFunc(frames, func(s string) bool { return strings.HasPrefix(s, topicSync+"::warm") })
	want := []string{"tag1::abcd", "zero::a\x00b", "x::y::z", topicSync + "::end0"}
	if !slices.Equal(frames, want) {
		t.Fatalf("frames on the wire: %q, want %q", frames, want)
	}
	if _, err := f.NewPub(zmq.WithTopicSeparator(nil)); !errors.Is(err, zmq.ErrInvalidOption) {
		t.Fatalf("WithTopicSeparator(nil): %v, want ErrInvalidOption", err)
	}
}

// TestPubSubOverEPGM: pub/sub over epgm multicast (txZMQ
// test_send_recv_pgm), skipped when this libzmq or host cannot bind an epgm
// endpoint.
func TestPubSubOverEPGM(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	pub := must[*zmq.Pub](t)(f.NewPub())
	// epgm takes no wildcard port: borrow a free UDP port from the kernel.
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Skipf("no UDP port for epgm: %v", err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	pc.Close()
	ep := fmt.Sprintf("epgm://127.0.0.1;239.192.1.1:%d", port)
	if _, err := pub.Bind(ep); err != nil {
		t.Skipf("epgm unavailable: Bind(%q): %v", ep, err)
	}
	sub := must[*zmq.Sub](t)(f.NewSub(zmq.WithSubscribe("tag"), zmq.WithSubscribe(topicSync)))
	if err := sub.Connect(ep); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t, 20*time.Second)
	warmUpTopics(t, ctx, sub.RecvTopic, pub.Publish)
	for _, p := range [][2]string{{"different-tag", "xyz"}, {"tag1", "abcd"}} {
		if err := pub.Publish(ctx, p[0], []byte(p[1])); err != nil {
			t.Fatal(err)
		}
	}
	endTopics(t, ctx, pub.Publish)
	want := [][2]string{{"tag1", "abcd"}}
	if got := collectTopics(t, ctx, sub.RecvTopic, 1); !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}
