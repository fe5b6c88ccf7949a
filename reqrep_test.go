package zmq_test

// Request/reply between a Req and a Rep: txZMQ's test_reqrep, requests in
// flight, cancellation and timeouts, and the helpers the Req and Rep tests
// share. What only one side does is in req_test.go and rep_test.go.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
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
