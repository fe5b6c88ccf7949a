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

// TestRepEnvelopeRawDealer: a raw DEALER sending ["X","Y","","A"] gets the
// whole envelope back: ["X","Y","",reply]. The request id is the frame just
// before the delimiter.
func TestRepEnvelopeRawDealer(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	rep := must[*zmq.Rep](t)(f.NewRep())
	dealer := must[*zmq.Socket](t)(f.NewSocket(zmq.DEALER))
	if err := dealer.Connect(bind(t, rep, "tcp")); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []string
	rrServe(t, rep, func(ctx context.Context, q *zmq.Request) (zmq.Msg, error) {
		mu.Lock()
		seen = append(seen, string(q.MsgID)+"|"+strings.Join(q.Strings(), ","))
		mu.Unlock()
		return zmq.NewMsgString("re:"+string(q.Frames[0]), "second part"), nil
	})
	ctx := testCtx(t, 20*time.Second)
	if err := dealer.Send(ctx, zmq.NewMsgString("X", "Y", "", "A")); err != nil {
		t.Fatal(err)
	}
	expectMsg(t, ctx, dealer.Recv, "X", "Y", "", "re:A", "second part")
	// An envelope of the request id alone; parts may be empty frames.
	if err := dealer.Send(ctx, zmq.NewMsgString("only-id", "", "B", "")); err != nil {
		t.Fatal(err)
	}
	expectMsg(t, ctx, dealer.Recv, "only-id", "", "re:B", "second part")
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"Y|A", "only-id|B,"}; !slices.Equal(seen, want) {
		t.Fatalf("Rep saw %q, want %q (request id|parts)", seen, want)
	}
}

// TestRepWithPlainREQ: a plain libzmq REQ socket works against a Rep; its
// request id is its routing id.
func TestRepWithPlainREQ(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	rep := must[*zmq.Rep](t)(f.NewRep())
	ep := bind(t, rep, "tcp")
	rrServe(t, rep, func(ctx context.Context, q *zmq.Request) (zmq.Msg, error) {
		return zmq.NewMsg(append([][]byte{[]byte("REP: "), q.MsgID}, q.Frames...)...), nil
	})
	ctx := testCtx(t, 20*time.Second)
	for _, id := range []string{"plain-1", "plain-2"} {
		plain := must[*zmq.Socket](t)(f.NewSocket(zmq.REQ, zmq.WithRoutingID([]byte(id))))
		if err := plain.Connect(ep); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			body := fmt.Sprintf("REQ%d", i)
			if err := plain.Send(ctx, zmq.NewMsgString(body, "more")); err != nil {
				t.Fatal(err)
			}
			expectMsg(t, ctx, plain.Recv, "REP: ", id, body, "more")
		}
	}
	if p := rep.Pending(); p != 0 {
		t.Fatalf("Rep.Pending() = %d", p)
	}
}

// TestRepSameRequestIDTwoPeers: two peers using the same request id do not
// collide: both requests are pending at once and each reply goes back to
// its own peer (txZMQ keyed its routing table by request id alone).
func TestRepSameRequestIDTwoPeers(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	rep := must[*zmq.Rep](t)(f.NewRep())
	ep := bind(t, rep, "ipc")
	h, reqs := rrLater(2)
	rrServe(t, rep, h)
	ctx := testCtx(t, 20*time.Second)
	var dealers []*zmq.Socket
	for _, name := range []string{"peer-a", "peer-b"} {
		d := must[*zmq.Socket](t)(f.NewSocket(zmq.DEALER, zmq.WithRoutingID([]byte(name))))
		if err := d.Connect(ep); err != nil {
			t.Fatal(err)
		}
		if err := d.Send(ctx, zmq.NewMsgString("same-id", "", "from "+name)); err != nil {
			t.Fatal(err)
		}
		dealers = append(dealers, d)
	}
	q1, q2 := rrNext(t, ctx, reqs), rrNext(t, ctx, reqs)
	if string(q1.MsgID) != "same-id" || string(q2.MsgID) != "same-id" {
		t.Fatalf("request ids %q and %q, want same-id twice", q1.MsgID, q2.MsgID)
	}
	if q1.ID == q2.ID {
		t.Fatalf("two peers' requests got the same RequestID %d", q1.ID)
	}
	if p := rep.Pending(); p != 2 {
		t.Fatalf("Rep.Pending() = %d, want 2", p)
	}
	for _, q := range []*zmq.Request{q2, q1} {
		if err := q.Reply(ctx, []byte("re: "+string(q.Frames[0]))); err != nil {
			t.Fatal(err)
		}
	}
	expectMsg(t, ctx, dealers[0].Recv, "same-id", "", "re: from peer-a")
	expectMsg(t, ctx, dealers[1].Recv, "same-id", "", "re: from peer-b")
	if st := rep.Stats(); st.RequestsAbandoned != 0 || rep.Pending() != 0 {
		t.Fatalf("after both replies: Pending=%d, stats %+v", rep.Pending(), st)
	}
}

// TestRepSameEnvelopePipelined: one peer sending two requests with the
// same envelope (same request id) before either is answered gets two
// pending requests, each answered separately.
func TestRepSameEnvelopePipelined(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	rep := must[*zmq.Rep](t)(f.NewRep())
	dealer := must[*zmq.Socket](t)(f.NewSocket(zmq.DEALER))
	if err := dealer.Connect(bind(t, rep, "inproc")); err != nil {
		t.Fatal(err)
	}
	h, reqs := rrLater(2)
	rrServe(t, rep, h)
	ctx := testCtx(t, 20*time.Second)
	for _, body := range []string{"a", "b"} {
		if err := dealer.Send(ctx, zmq.NewMsgString("dup", "", body)); err != nil {
			t.Fatal(err)
		}
	}
	qa, qb := rrNext(t, ctx, reqs), rrNext(t, ctx, reqs)
	if qa.ID == qb.ID || rep.Pending() != 2 || rep.Stats().RequestsAbandoned != 0 {
		t.Fatalf("two requests with one envelope: IDs %d and %d, Pending=%d, abandoned=%d; want two pending",
			qa.ID, qb.ID, rep.Pending(), rep.Stats().RequestsAbandoned)
	}
	for _, q := range []*zmq.Request{qb, qa} {
		if err := q.Reply(ctx, []byte("re-"+string(q.Frames[0]))); err != nil {
			t.Fatal(err)
		}
	}
	expectMsg(t, ctx, dealer.Recv, "dup", "", "re-b")
	expectMsg(t, ctx, dealer.Recv, "dup", "", "re-a")
}

// TestRepReplyOnce: a request can be answered once; the second Reply fails
// with ErrNoSuchRequest and sends nothing.
func TestRepReplyOnce(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	req, rep := rrPair(t, f, "inproc")
	h, reqs := rrLater(1)
	rrServe(t, rep, h)
	ctx := testCtx(t, 20*time.Second)
	res := make(chan error, 1)
	go func() {
		m, err := req.Request(ctx, []byte("q"))
		if err == nil && !slices.Equal(m.Strings(), []string{"first"}) {
			err = fmt.Errorf("got %s, want [first]", m)
		}
		res <- err
	}()
	q := rrNext(t, ctx, reqs)
	if err := q.Reply(ctx, []byte("first")); err != nil {
		t.Fatal(err)
	}
	if err := q.Reply(ctx, []byte("second")); !errors.Is(err, zmq.ErrNoSuchRequest) {
		t.Fatalf("second Reply: %v, want ErrNoSuchRequest", err)
	}
	if err := rep.Reply(ctx, zmq.RequestID(1<<62), []byte("x")); !errors.Is(err, zmq.ErrNoSuchRequest) {
		t.Fatalf("Reply to an unknown id: %v, want ErrNoSuchRequest", err)
	}
	if err := <-res; err != nil {
		t.Fatal(err)
	}
	if st := rep.Stats(); st.MsgsOut != 1 {
		t.Fatalf("Rep sent %d messages, want 1", st.MsgsOut)
	}
}

// TestRepMaxPendingRequests: with WithMaxPendingRequests(2), a third
// unanswered request makes the Rep forget the oldest.
func TestRepMaxPendingRequests(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	rep := must[*zmq.Rep](t)(f.NewRep(zmq.WithMaxPendingRequests(2)))
	dealer := must[*zmq.Socket](t)(f.NewSocket(zmq.DEALER))
	if err := dealer.Connect(bind(t, rep, "tcp")); err != nil {
		t.Fatal(err)
	}
	h, reqs := rrLater(3)
	rrServe(t, rep, h)
	ctx := testCtx(t, 20*time.Second)
	for _, id := range []string{"r1", "r2", "r3"} {
		if err := dealer.Send(ctx, zmq.NewMsgString(id, "", "body-"+id)); err != nil {
			t.Fatal(err)
		}
	}
	q1, q2, q3 := rrNext(t, ctx, reqs), rrNext(t, ctx, reqs), rrNext(t, ctx, reqs)
	if p := rep.Pending(); p != 2 {
		t.Fatalf("Rep.Pending() = %d, want 2", p)
	}
	if n := rep.Stats().RequestsAbandoned; n != 1 {
		t.Fatalf("RequestsAbandoned = %d, want 1", n)
	}
	if err := q1.Reply(ctx, []byte("x")); !errors.Is(err, zmq.ErrNoSuchRequest) {
		t.Fatalf("Reply to the forgotten oldest request: %v, want ErrNoSuchRequest", err)
	}
	for _, q := range []*zmq.Request{q3, q2} {
		if err := q.Reply(ctx, []byte("re-"+string(q.MsgID))); err != nil {
			t.Fatal(err)
		}
	}
	expectMsg(t, ctx, dealer.Recv, "r3", "", "re-r3")
	expectMsg(t, ctx, dealer.Recv, "r2", "", "re-r2")
	if p, n := rep.Pending(), rep.Stats().RequestsAbandoned; p != 0 || n != 1 {
		t.Fatalf("at the end: Pending=%d RequestsAbandoned=%d, want 0 and 1", p, n)
	}
}

// TestRepPendingRequestTimeout: with WithPendingRequestTimeout, a request
// answered in time is answered; one left longer is forgotten: Reply fails
// with ErrNoSuchRequest, it is counted as abandoned and no longer pending.
func TestRepPendingRequestTimeout(t *testing.T) {
	t.Parallel()
	const timeout = 500 * time.Millisecond
	f := newFactory(t)
	rep := must[*zmq.Rep](t)(f.NewRep(zmq.WithPendingRequestTimeout(timeout)))
	dealer := must[*zmq.Socket](t)(f.NewSocket(zmq.DEALER))
	if err := dealer.Connect(bind(t, rep, "ipc")); err != nil {
		t.Fatal(err)
	}
	h, reqs := rrLater(2)
	rrServe(t, rep, h)
	ctx := testCtx(t, 20*time.Second)

	if err := dealer.Send(ctx, zmq.NewMsgString("fast", "", "a")); err != nil {
		t.Fatal(err)
	}
	if err := rrNext(t, ctx, reqs).Reply(ctx, []byte("in time")); err != nil {
		t.Fatalf("Reply well within the timeout: %v", err)
	}
	expectMsg(t, ctx, dealer.Recv, "fast", "", "in time")

	if err := dealer.Send(ctx, zmq.NewMsgString("slow", "", "b")); err != nil {
		t.Fatal(err)
	}
	q := rrNext(t, ctx, reqs)
	got := time.Now()
	if p := rep.Pending(); p != 1 {
		t.Fatalf("Rep.Pending() = %d, want 1", p)
	}
	// The event awaited here is the passing of the timeout itself.
	rrWaitFor(t, ctx, "the pending request to expire", func() bool { return time.Since(got) > timeout+50*time.Millisecond })
	t.Run("Pending", func(t *testing.T) {
		// An expired request does not wait for a reply any more: Pending
		// must not count it, even before anything else touches the Rep.
		if p := rep.Pending(); p != 0 {
			t.Errorf("Rep.Pending() = %d %v after the request timed out, want 0", p, time.Since(got))
		}
	})
	if err := q.Reply(ctx, []byte("too late")); !errors.Is(err, zmq.ErrNoSuchRequest) {
		t.Fatalf("Reply after the pending timeout: %v, want ErrNoSuchRequest", err)
	}
	if p, n := rep.Pending(), rep.Stats().RequestsAbandoned; p != 0 || n != 1 {
		t.Fatalf("Pending=%d RequestsAbandoned=%d, want 0 and 1", p, n)
	}
	if m, err := dealer.TryRecv(); !errors.Is(err, zmq.EAGAIN) {
		t.Fatalf("dealer got %s, %v; want nothing", m, err)
	}
}

// TestRepHandlerFailure: a handler that returns an error or panics is
// reported to the factory's error handler as a *HandlerError and counted;
// its request is dropped without a reply and not left pending; the Rep
// goes on serving.
func TestRepHandlerFailure(t *testing.T) {
	t.Parallel()
	reported := make(chan error, 10)
	f := newFactory(t, zmq.WithErrorHandler(func(err error) { reported <- err }))
	req, rep := rrPair(t, f, "tcp")
	boom := errors.New("boom")
	rrServe(t, rep, func(ctx context.Context, q *zmq.Request) (zmq.Msg, error) {
		switch string(q.Frames[0]) {
		case "fail":
			return zmq.Msg{}, boom
		case "panic":
			panic("kaboom")
		}
		return q.Msg, nil
	})
	ctx := testCtx(t, 20*time.Second)

	nextReport := func() *zmq.HandlerError {
		t.Helper()
		select {
		case err := <-reported:
			var he *zmq.HandlerError
			if !errors.As(err, &he) {
				t.Fatalf("error handler got %T %v, want *zmq.HandlerError", err, err)
			}
			return he
		case <-ctx.Done():
			t.Fatal("nothing reported to the factory's error handler")
			return nil
		}
	}
	// request sends body and expects no reply: it gives up once the
	// failure has been reported.
	request := func(body string) *zmq.HandlerError {
		t.Helper()
		rctx, cancel := context.WithCancel(ctx)
		res := make(chan error, 1)
		go func() {
			_, err := req.Request(rctx, []byte(body))
			res <- err
		}()
		he := nextReport()
		cancel()
		if err := <-res; err != context.Canceled {
			t.Fatalf("request %q whose handler failed: %v, want no reply (context.Canceled)", body, err)
		}
		return he
	}

	he := request("fail")
	if !errors.Is(he, boom) || he.Panic != nil || he.Socket != "REP" || !slices.Equal(he.Msg.Strings(), []string{"fail"}) {
		t.Fatalf("HandlerError for an error: %+v (%v)", he, he)
	}
	if n := rep.Stats().HandlerErrors; n != 1 {
		t.Fatalf("HandlerErrors = %d, want 1", n)
	}
	m, err := req.Request(ctx, []byte("after error"))
	rrCheck(t, m, err, "after error")

	he = request("panic")
	if he.Panic != "kaboom" || he.Err == nil || !strings.Contains(he.Error(), "kaboom") {
		t.Fatalf("HandlerError for a panic: %+v (%v), want Panic \"kaboom\"", he, he)
	}
	if n := rep.Stats().HandlerErrors; n != 2 {
		t.Fatalf("HandlerErrors = %d, want 2", n)
	}
	m, err = req.Request(ctx, []byte("after panic"))
	rrCheck(t, m, err, "after panic")

	if p := rep.Pending(); p != 0 {
		t.Errorf("Rep.Pending() = %d after two failed handlers: the failed requests are still kept", p)
	}
	if n := rep.Stats().RequestsAbandoned; n != 2 {
		t.Errorf("RequestsAbandoned = %d, want 2 (one per failed handler)", n)
	}
	select {
	case err := <-reported:
		t.Errorf("unexpected extra report: %v", err)
	default:
	}
}

// A request without an envelope cannot be answered: the Rep drops it and
// reports an *EnvelopeError, counted in MalformedEnvelopes; it is the
// peer's fault, so no handler failure is counted, and serving goes on.
func TestRepReportsMalformedEnvelopeAsItsOwnError(t *testing.T) {
	reported := make(chan error, 4)
	f := newFactory(t, zmq.WithErrorHandler(func(err error) { reported <- err }))
	ctx := testCtx(t, 20*time.Second)
	rep := must[*zmq.Rep](t)(f.NewRep())
	rrServe(t, rep, rrEcho)
	dealer := must[*zmq.Dealer](t)(f.NewDealer(zmq.WithRoutingID([]byte("d"))))
	if err := dealer.Connect(bind(t, rep, "inproc")); err != nil {
		t.Fatal(err)
	}
	// No empty delimiter frame: [d, "body"] on the ROUTER.
	if err := dealer.Send(ctx, zmq.NewMsgString("body")); err != nil {
		t.Fatal(err)
	}
	ee := nextEnvelopeError(t, ctx, reported)
	if ee.Socket != "REP" || !slices.Equal(ee.Msg.Strings(), []string{"d", "body"}) || !strings.Contains(ee.Error(), "REP") {
		t.Errorf("reported %+v (%v), want the REP's message [d body]", ee, ee)
	}
	// Serving goes on: a request with an envelope is answered.
	if err := dealer.Send(ctx, zmq.NewMsgString("", "ok")); err != nil {
		t.Fatal(err)
	}
	m, err := dealer.Recv(ctx)
	rrCheck(t, m, err, "", "ok")
	if st := rep.Stats(); st.MalformedEnvelopes != 1 || st.HandlerErrors != 0 {
		t.Errorf("MalformedEnvelopes = %d, HandlerErrors = %d; want 1 and 0", st.MalformedEnvelopes, st.HandlerErrors)
	}
}

// TestRepMandatoryReplyWaitEndsWithServe: a Rep made WithRouterMandatory
// waits to reply to a requester whose queue is full; that wait ends with
// Serve's ctx, so cancelling it stops Serve.
func TestRepMandatoryReplyWaitEndsWithServe(t *testing.T) {
	f := newFactory(t)
	rep := must[*zmq.Rep](t)(f.NewRep(zmq.WithRouterMandatory(true), zmq.WithSendHWM(1)))
	client := must[*zmq.Dealer](t)(f.NewDealer(zmq.WithRecvHWM(1)))
	if err := client.Connect(bind(t, rep, "inproc")); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t, time.Minute)
	// Far more requests than replies fit; the client never reads.
	for i := range 20 {
		if err := client.Send(ctx, zmq.NewMsgString(fmt.Sprint("id", i), "", "req")); err != nil {
			t.Fatal(err)
		}
	}
	serveCtx, stop := context.WithCancel(ctx)
	defer stop()
	res := make(chan error, 1)
	go func() { res <- rep.Serve(serveCtx, rrEcho) }()
	rrWaitFor(t, ctx, "Serve to wait in a reply", func() bool { return rrParkedIn("zmq.(*socket).send") })
	stop()
	select {
	case err := <-res:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Serve whose ctx was cancelled: %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve waiting to reply did not return after its ctx was cancelled")
	}
}

// TestRepServeRepliesAfterHandlerCancels: a handler that cancels Serve's
// ctx to stop serving after this request still has its reply sent.
func TestRepServeRepliesAfterHandlerCancels(t *testing.T) {
	for _, opts := range [][]zmq.RepOption{nil, {zmq.WithRouterMandatory(true)}} {
		f := newFactory(t)
		req, rep := rrPair(t, f, "inproc", opts...)
		ctx := testCtx(t, time.Minute)
		serveCtx, stop := context.WithCancel(ctx)
		res := make(chan error, 1)
		go func() {
			res <- rep.Serve(serveCtx, func(_ context.Context, q *zmq.Request) (zmq.Msg, error) {
				stop()
				return q.Msg, nil
			})
		}()
		m, err := req.Request(ctx, []byte("last"))
		rrCheck(t, m, err, "last")
		if err := <-res; !errors.Is(err, context.Canceled) {
			t.Fatalf("Serve stopped by its handler: %v, want context.Canceled", err)
		}
	}
}
