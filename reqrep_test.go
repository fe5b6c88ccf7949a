package zmq_test

// Request/reply: txZMQ's test_reqrep on Req and Rep, their
// envelope compatibility with plain libzmq sockets, the Rep's bounds on
// pending requests, and handler failures.

import (
	"bytes"
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

// rrPair makes a Rep bound on transport and a Req connected to it.
func rrPair(t *testing.T, f *zmq.Factory, transport string, repOpts ...zmq.RepOption) (*zmq.Req, *zmq.Rep) {
	t.Helper()
	rep := must[*zmq.Rep](t)(f.NewRep(repOpts...))
	req := must[*zmq.Req](t)(f.NewReq())
	if err := req.Connect(bind(t, rep, transport)); err != nil {
		t.Fatal(err)
	}
	return req, rep
}

// rrServe runs rep.Serve(h) in the background until the test ends.
func rrServe(t *testing.T, rep *zmq.Rep, h zmq.RepHandler) {
	t.Helper()
	rrGo(t, func(ctx context.Context) error { return rep.Serve(ctx, h) })
}

// rrGo runs fn in a goroutine until the test ends: at cleanup (before the
// factory closes) its ctx is cancelled and the goroutine is waited for. An
// error other than the end of ctx or a closed socket fails the test.
func rrGo(t *testing.T, fn func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, zmq.ErrClosed) {
			t.Errorf("background goroutine: %v", err)
		}
	})
}

// rrEcho answers every request with its own parts.
func rrEcho(_ context.Context, q *zmq.Request) (zmq.Msg, error) { return q.Msg, nil }

// rrLater is a handler that answers nothing now and hands every request
// to the test through the returned channel.
func rrLater(n int) (zmq.RepHandler, <-chan *zmq.Request) {
	ch := make(chan *zmq.Request, n)
	return func(ctx context.Context, q *zmq.Request) (zmq.Msg, error) {
		select {
		case ch <- q:
		case <-ctx.Done():
		}
		return zmq.Msg{}, zmq.ErrReplyLater
	}, ch
}

// rrNext takes the next request handed over by an rrLater handler.
func rrNext(t *testing.T, ctx context.Context, ch <-chan *zmq.Request) *zmq.Request {
	t.Helper()
	select {
	case q := <-ch:
		return q
	case <-ctx.Done():
		t.Fatalf("no request reached the Rep: %v", ctx.Err())
		return nil
	}
}

// rrRoundTrip makes one request of body through a Rep served by rrLater
// (reqs), answers it with its own frames and checks the reply.
func rrRoundTrip(t *testing.T, ctx context.Context, req *zmq.Req, reqs <-chan *zmq.Request, body string) {
	t.Helper()
	res := make(chan error, 1)
	go func() {
		m, err := req.Request(ctx, []byte(body))
		if err == nil && !slices.Equal(m.Strings(), []string{body}) {
			err = fmt.Errorf("request %q got %s back", body, m)
		}
		res <- err
	}()
	q := rrNext(t, ctx, reqs)
	if err := q.Reply(ctx, q.Frames...); err != nil {
		t.Fatal(err)
	}
	if err := <-res; err != nil {
		t.Fatal(err)
	}
}

// rrWaitFor polls cond until it holds or ctx ends.
func rrWaitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(time.Millisecond):
		}
	}
}

func rrCheck(t *testing.T, m zmq.Msg, err error, want ...string) {
	t.Helper()
	if err != nil {
		t.Fatalf("want reply %q: %v", want, err)
	}
	if !slices.Equal(m.Strings(), want) {
		t.Fatalf("got reply %s, want %s", m, zmq.NewMsgString(want...))
	}
}

// TestReqRepEcho: a request is answered with its own parts, one or
// several, over every transport (txZMQ test_send_recv_reply).
func TestReqRepEcho(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			f := newFactory(t)
			req, rep := rrPair(t, f, tr)
			rrServe(t, rep, rrEcho)
			ctx := testCtx(t, 20*time.Second)
			m, err := req.Request(ctx, []byte("aaa"))
			rrCheck(t, m, err, "aaa")
			m, err = req.Request(ctx, []byte("aaa"), []byte(""), []byte("aab"))
			rrCheck(t, m, err, "aaa", "", "aab")
			for i := range 100 {
				m, err := req.Request(ctx, []byte(strconv.Itoa(i)))
				rrCheck(t, m, err, strconv.Itoa(i))
			}
		})
	}
}

// TestReqRepRecordsParts: the Rep sees each request's parts and a
// distinct request id, in the order sent (txZMQ test_send_recv).
func TestReqRepRecordsParts(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	req, rep := rrPair(t, f, "ipc")
	var mu sync.Mutex
	var seen []zmq.Request
	rrServe(t, rep, func(ctx context.Context, q *zmq.Request) (zmq.Msg, error) {
		mu.Lock()
		seen = append(seen, *q)
		mu.Unlock()
		return zmq.NewMsgString("ok"), nil
	})
	ctx := testCtx(t, 20*time.Second)
	m, err := req.Request(ctx, []byte("aaa"), []byte("aab"))
	rrCheck(t, m, err, "ok")
	m, err = req.Request(ctx, []byte("bbb"))
	rrCheck(t, m, err, "ok")

	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 {
		t.Fatalf("Rep saw %d requests, want 2", len(seen))
	}
	if got := seen[0].Strings(); !slices.Equal(got, []string{"aaa", "aab"}) {
		t.Errorf("first request: %q, want [aaa aab]", got)
	}
	if got := seen[1].Strings(); !slices.Equal(got, []string{"bbb"}) {
		t.Errorf("second request: %q, want [bbb]", got)
	}
	if len(seen[0].MsgID) == 0 || string(seen[0].MsgID) == string(seen[1].MsgID) {
		t.Errorf("request ids %x and %x: want two distinct non-empty ids", seen[0].MsgID, seen[1].MsgID)
	}
	if seen[0].ID == seen[1].ID {
		t.Errorf("RequestIDs equal: %d", seen[0].ID)
	}
}

// TestReqRepInFlight: 10 requests in flight at once on one Req, answered
// in reverse order, each get their own reply (txZMQ
// test_lot_send_recv_reply); then 1,000 concurrent goroutines do the same
// against an echoing Rep.
func TestReqRepInFlight(t *testing.T) {
	t.Run("10-reversed", func(t *testing.T) {
		t.Parallel()
		f := newFactory(t)
		req, rep := rrPair(t, f, "tcp")
		const n = 10
		h, reqs := rrLater(n)
		rrServe(t, rep, h)
		ctx := testCtx(t, 20*time.Second)
		errs := make(chan error, n)
		for i := range n {
			go func() {
				body := "req-" + strconv.Itoa(i)
				m, err := req.Request(ctx, []byte(body))
				if err == nil && (len(m.Frames) != 1 || string(m.Frames[0]) != "re: "+body) {
					err = fmt.Errorf("request %q got reply %s", body, m)
				}
				errs <- err
			}()
		}
		var pending []*zmq.Request
		for range n {
			pending = append(pending, rrNext(t, ctx, reqs))
		}
		if p, rp := req.Pending(), rep.Pending(); p != n || rp != n {
			t.Errorf("Req.Pending() = %d, Rep.Pending() = %d with %d unanswered requests", p, rp, n)
		}
		for _, q := range slices.Backward(pending) {
			if err := q.Reply(ctx, []byte("re: "+string(q.Frames[0]))); err != nil {
				t.Fatal(err)
			}
		}
		for range n {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		if p, rp := req.Pending(), rep.Pending(); p != 0 || rp != 0 {
			t.Errorf("Req.Pending() = %d, Rep.Pending() = %d after every reply", p, rp)
		}
	})
	t.Run("1000-goroutines", func(t *testing.T) {
		t.Parallel()
		f := newFactory(t)
		req, rep := rrPair(t, f, "tcp")
		rrServe(t, rep, rrEcho)
		ctx := testCtx(t, 30*time.Second)
		const n = 1000
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				body := strconv.Itoa(i)
				m, err := req.Request(ctx, []byte(body), []byte("x"))
				if err == nil && !slices.Equal(m.Strings(), []string{body, "x"}) {
					err = fmt.Errorf("request %q got reply %s", body, m)
				}
				if err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		st := req.Stats()
		if st.MsgsOut != n || st.MsgsIn != n || st.LateReplies != 0 || st.RequestsTimedOut != 0 || req.Pending() != 0 {
			t.Errorf("Req after %d requests: Pending() = %d, stats %+v", n, req.Pending(), st)
		}
	})
}

// TestReqRepCleanup: once every request is answered nothing is left
// pending on either side (txZMQ test_cleanup_requests).
func TestReqRepCleanup(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	req, rep := rrPair(t, f, "ipc")
	rrServe(t, rep, rrEcho)
	ctx := testCtx(t, 20*time.Second)
	for range 5 {
		m, err := req.Request(ctx, []byte("aaa"))
		rrCheck(t, m, err, "aaa")
	}
	if p := req.Pending(); p != 0 {
		t.Errorf("Req.Pending() = %d after every reply", p)
	}
	if p := rep.Pending(); p != 0 {
		t.Errorf("Rep.Pending() = %d after every reply", p)
	}
	// The Rep counts a reply just after libzmq took it, so the count may
	// trail the Req's receipt of it by a moment.
	rrWaitFor(t, ctx, "the Rep to count 5 replies", func() bool { return rep.Stats().MsgsOut == 5 })
	if st := rep.Stats(); st.RequestsAbandoned != 0 || st.HandlerErrors != 0 || st.MsgsIn != 5 || st.MsgsOut != 5 {
		t.Errorf("Rep stats: %+v", st)
	}
	if st := req.Stats(); st.RequestsTimedOut != 0 || st.LateReplies != 0 || st.MsgsIn != 5 || st.MsgsOut != 5 {
		t.Errorf("Req stats: %+v", st)
	}
}

// TestReqRepCancel: cancelling a request's ctx before its reply returns
// context.Canceled and counts it; the reply that comes later is dropped and
// counted as late; the Req goes on working (txZMQ test_cancel,
// test_cancel_with_timeout).
func TestReqRepCancel(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	req, rep := rrPair(t, f, "ipc")
	h, reqs := rrLater(2)
	rrServe(t, rep, h)
	ctx := testCtx(t, 20*time.Second)

	// A timeout too, far away: cancellation must win and leave nothing
	// behind (test_cancel_with_timeout).
	rctx, cancel := context.WithTimeout(ctx, time.Hour)
	res := make(chan error, 1)
	go func() {
		_, err := req.Request(rctx, []byte("aaa"))
		res <- err
	}()
	q := rrNext(t, ctx, reqs) // the request is in flight
	if p := req.Pending(); p != 1 {
		t.Fatalf("Req.Pending() = %d with one request in flight", p)
	}
	cancel()
	if err := <-res; err != context.Canceled {
		t.Fatalf("Request after cancel: %v, want context.Canceled", err)
	}
	if p := req.Pending(); p != 0 {
		t.Fatalf("Req.Pending() = %d after the only request was cancelled", p)
	}
	if st := req.Stats(); st.RequestsTimedOut != 1 || st.LateReplies != 0 {
		t.Fatalf("after cancel: RequestsTimedOut=%d LateReplies=%d, want 1 and 0", st.RequestsTimedOut, st.LateReplies)
	}
	// The Rep does not know: it replies, the Req drops the reply.
	if err := q.Reply(ctx, []byte("late")); err != nil {
		t.Fatal(err)
	}
	// The dropped reply reached nobody: the next request gets its own.
	// Replies are read by waiting requesters, so that one reads the late
	// reply first and counts it.
	rrRoundTrip(t, ctx, req, reqs, "bbb")
	if st := req.Stats(); st.RequestsTimedOut != 1 || st.LateReplies != 1 {
		t.Fatalf("at the end: RequestsTimedOut=%d LateReplies=%d, want 1 and 1", st.RequestsTimedOut, st.LateReplies)
	}
	if p, rp := req.Pending(), rep.Pending(); p != 0 || rp != 0 {
		t.Fatalf("Req.Pending() = %d, Rep.Pending() = %d; want 0 and 0", p, rp)
	}
}

// TestReqRepTimeout: a deadline that the reply beats changes nothing
// (test_send_timeout_ok); a Rep answering after the deadline makes the
// request fail with context.DeadlineExceeded and its reply count as late
// (test_send_timeout_fail).
func TestReqRepTimeout(t *testing.T) {
	t.Run("ok", func(t *testing.T) {
		t.Parallel()
		f := newFactory(t)
		req, rep := rrPair(t, f, "ipc")
		rrServe(t, rep, rrEcho)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		m, err := req.Request(ctx, []byte("aaa"))
		rrCheck(t, m, err, "aaa")
		if st := req.Stats(); st.RequestsTimedOut != 0 || st.LateReplies != 0 {
			t.Fatalf("stats: %+v", st)
		}
	})
	t.Run("fail", func(t *testing.T) {
		t.Parallel()
		f := newFactory(t)
		rep := must[*zmq.Rep](t)(f.NewRep())
		req := must[*zmq.Req](t)(f.NewReq(zmq.WithRoutingID([]byte("client2"))))
		if err := req.Connect(bind(t, rep, "ipc")); err != nil {
			t.Fatal(err)
		}
		h, reqs := rrLater(1)
		rrServe(t, rep, h)
		ctx := testCtx(t, 20*time.Second)
		var q *zmq.Request
		for q == nil {
			res := make(chan error, 1)
			go func() {
				rctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
				defer cancel()
				_, err := req.Request(rctx, []byte("aaa"))
				res <- err
			}()
			var err error
			select {
			case q = <-reqs:
				err = <-res
			case err = <-res:
				if req.Stats().MsgsOut == 0 {
					// A starved machine let the 50ms pass before the
					// request was even sent: nothing to answer; again.
					continue
				}
				q = rrNext(t, ctx, reqs)
			}
			// The slow Rep answers only once the requester has given up.
			if err != context.DeadlineExceeded {
				t.Fatalf("Request past its deadline: %v, want context.DeadlineExceeded", err)
			}
		}
		if err := rep.Reply(ctx, q.ID, []byte("too late")); err != nil {
			t.Fatal(err)
		}
		// The next request reads the late reply first, drops it and
		// counts it, then gets its own.
		rrRoundTrip(t, ctx, req, reqs, "bbb")
		if st := req.Stats(); st.RequestsTimedOut != 1 || st.LateReplies != 1 {
			t.Fatalf("RequestsTimedOut = %d, LateReplies = %d, want 1 and 1", st.RequestsTimedOut, st.LateReplies)
		}
		if p := req.Pending(); p != 0 {
			t.Fatalf("Req.Pending() = %d after the request timed out", p)
		}
	})
}

// TestReqRepSendFailsNoLeak: a Req with no peer cannot send; Request
// fails when its ctx ends, and the request leaves nothing behind: nothing
// pending, never delivered, and once a peer exists the Req works normally
// (txZMQ leaked the request entry and its timer when send raised).
func TestReqRepSendFailsNoLeak(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	req := must[*zmq.Req](t)(f.NewReq())
	ctx := testCtx(t, 20*time.Second)
	for range 3 {
		rctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		_, err := req.Request(rctx, []byte("lost"))
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Request with no peer: %v, want context.DeadlineExceeded", err)
		}
	}
	if p := req.Pending(); p != 0 {
		t.Fatalf("Req.Pending() = %d after requests that could not be sent", p)
	}
	if st := req.Stats(); st.MsgsOut != 0 || st.LateReplies != 0 {
		t.Fatalf("Req stats after failed sends: %+v, want nothing sent", st)
	}

	rep := must[*zmq.Rep](t)(f.NewRep())
	rrServe(t, rep, rrEcho)
	if err := req.Connect(bind(t, rep, "inproc")); err != nil {
		t.Fatal(err)
	}
	m, err := req.Request(ctx, []byte("found"))
	rrCheck(t, m, err, "found")
	if st := rep.Stats(); st.MsgsIn != 1 {
		t.Fatalf("Rep received %d requests, want only the one sent after connecting", st.MsgsIn)
	}
	if st := req.Stats(); st.MsgsOut != 1 || st.LateReplies != 0 || req.Pending() != 0 {
		t.Fatalf("Req stats: %+v, Pending() = %d", st, req.Pending())
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

// TestReqWithPlainREP: a Req works against a plain libzmq REP socket,
// with several requests outstanding at once.
func TestReqWithPlainREP(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	plain := must[*zmq.Socket](t)(f.NewSocket(zmq.REP))
	req := must[*zmq.Req](t)(f.NewReq())
	if err := req.Connect(bind(t, plain, "ipc")); err != nil {
		t.Fatal(err)
	}
	rrGo(t, func(ctx context.Context) error {
		for {
			m, err := plain.Recv(ctx)
			if err != nil {
				return err
			}
			reply := zmq.NewMsg(append([][]byte{[]byte("REP")}, m.Frames...)...)
			if err := plain.Send(ctx, reply); err != nil {
				return err
			}
		}
	})
	ctx := testCtx(t, 20*time.Second)
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i := range 10 {
		wg.Go(func() {
			body := strconv.Itoa(i)
			m, err := req.Request(ctx, []byte(body), []byte("x"))
			if err == nil && !slices.Equal(m.Strings(), []string{"REP", body, "x"}) {
				err = fmt.Errorf("request %q got %s", body, m)
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestReqWithEchoingRouter: a Req works against a raw Router that sends
// the envelope back, and the envelope it sends is [routing id, request id,
// "", parts...] with a 16-byte request id.
func TestReqWithEchoingRouter(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	router := must[*zmq.Router](t)(f.NewRouter())
	req := must[*zmq.Req](t)(f.NewReq(zmq.WithRoutingID([]byte("client"))))
	if err := req.Connect(bind(t, router, "tcp")); err != nil {
		t.Fatal(err)
	}
	envelopes := make(chan zmq.Msg, 4)
	rrGo(t, func(ctx context.Context) error {
		for {
			m, err := router.Recv(ctx)
			if err != nil {
				return err
			}
			envelopes <- m
			reply := slices.Clone(m.Frames[:3])
			reply = append(reply, []byte("echo"))
			reply = append(reply, m.Frames[3:]...)
			if err := router.Send(ctx, zmq.NewMsg(reply...)); err != nil {
				return err
			}
		}
	})
	ctx := testCtx(t, 20*time.Second)
	var ids []string
	for _, body := range []string{"one", "two"} {
		m, err := req.Request(ctx, []byte(body))
		rrCheck(t, m, err, "echo", body)
		env := <-envelopes
		if len(env.Frames) != 4 || string(env.Frames[0]) != "client" || len(env.Frames[1]) != 16 ||
			len(env.Frames[2]) != 0 || string(env.Frames[3]) != body {
			t.Fatalf("Router got %s, want [client, 16-byte id, \"\", %q]", env, body)
		}
		ids = append(ids, string(env.Frames[1]))
	}
	if ids[0] == ids[1] {
		t.Fatalf("two requests used the same id %x", ids[0])
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

// nextEnvelopeError returns the next error reported to the factory's error
// handler, which must be an *EnvelopeError.
func nextEnvelopeError(t *testing.T, ctx context.Context, reported <-chan error) *zmq.EnvelopeError {
	t.Helper()
	select {
	case err := <-reported:
		var ee *zmq.EnvelopeError
		if !errors.As(err, &ee) {
			t.Fatalf("error handler got %T %v, want *zmq.EnvelopeError", err, err)
		}
		return ee
	case <-ctx.Done():
		t.Fatal("nothing reported to the factory's error handler")
		return nil
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

// A reply that is not [request id, "", parts...] cannot be matched to a
// request: the Req drops it and reports an *EnvelopeError, counted in
// MalformedEnvelopes, not as a late reply; the request still gets its
// real reply.
func TestReqReportsMalformedReplyAsItsOwnError(t *testing.T) {
	reported := make(chan error, 4)
	f := newFactory(t, zmq.WithErrorHandler(func(err error) { reported <- err }))
	ctx := testCtx(t, 20*time.Second)
	router := must[*zmq.Router](t)(f.NewRouter())
	req := must[*zmq.Req](t)(f.NewReq())
	if err := req.Connect(bind(t, router, "inproc")); err != nil {
		t.Fatal(err)
	}
	rrGo(t, func(ctx context.Context) error {
		peer, m, err := router.RecvFrom(ctx)
		if err != nil {
			return err
		}
		// [id, "", "q"]: first a reply without the delimiter, then the real one.
		if err := router.SendTo(ctx, peer, m.Frames[0], []byte("no delimiter")); err != nil {
			return err
		}
		return router.SendTo(ctx, peer, m.Frames...)
	})
	m, err := req.Request(ctx, []byte("q"))
	rrCheck(t, m, err, "q")
	ee := nextEnvelopeError(t, ctx, reported)
	if ee.Socket != "REQ" || len(ee.Msg.Frames) != 2 || string(ee.Msg.Frames[1]) != "no delimiter" {
		t.Errorf("reported %+v (%v), want the REQ's two-frame reply", ee, ee)
	}
	if st := req.Stats(); st.MalformedEnvelopes != 1 || st.LateReplies != 0 {
		t.Errorf("MalformedEnvelopes = %d, LateReplies = %d; want 1 and 0", st.MalformedEnvelopes, st.LateReplies)
	}
}

// rrParkedIn reports whether a goroutine is parked in the engine (see
// concParkedIn) inside function fn, e.g. "zmq.(*socket).send".
func rrParkedIn(fn string) bool {
	for _, g := range bytes.Split(concStacks(), []byte("\n\n")) {
		if parkedInEngine(g) && bytes.Contains(g, []byte(fn+"(")) {
			return true
		}
	}
	return false
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
