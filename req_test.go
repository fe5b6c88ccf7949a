package zmq_test

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

// A REQ sends round-robin: with N REP peers, N request/reply cycles
// reach each REP once, in the order the REQ connected to them. Connecting
// from the REQ makes the order deterministic without a settle delay:
// libzmq attaches a connecting socket's pipe at Connect time.
func TestReqSendsRoundRobin(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			f := newFactory(t)
			req := must[*zmq.Socket](t)(f.NewSocket(zmq.REQ))
			reps := make([]*zmq.Socket, 5)
			for i := range reps {
				reps[i] = must[*zmq.Socket](t)(f.NewSocket(zmq.REP))
				connectTo(t, req, bind(t, reps[i], tr))
			}
			for round := range 2 {
				for i, rep := range reps {
					body := fmt.Sprintf("request %d.%d", round, i)
					sendFrames(t, req, body)
					ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
					m, err := rep.Recv(ctx)
					cancel()
					if err != nil {
						for j, other := range reps {
							if m, err := other.TryRecv(); err == nil {
								t.Fatalf("%s went to REP %d, want REP %d (%s)", body, j, i, m)
							}
						}
						t.Fatalf("REP %d: %v", i, err)
					}
					if got := m.Strings(); !slices.Equal(got, []string{body}) {
						t.Fatalf("REP %d received %s, want [%q]", i, m, body)
					}
					sendFrames(t, rep, "reply "+body)
					expectFrames(t, req, "reply "+body)
				}
			}
		})
	}
}

// A REQ adds the empty delimiter on the way out and strips it on the
// way back; a ROUTER peer sees [id, "", parts...].
func TestReqAddsAndStripsTheDelimiter(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			f := newFactory(t)
			router := must[*zmq.Router](t)(f.NewRouter())
			req := must[*zmq.Socket](t)(f.NewSocket(zmq.REQ))
			connectTo(t, req, bind(t, router, tr))

			sendFrames(t, req, "ABC", "DEF")
			m := recvMsg(t, router)
			if len(m.Frames) != 4 || len(m.Frames[0]) == 0 || len(m.Frames[1]) != 0 ||
				string(m.Frames[2]) != "ABC" || string(m.Frames[3]) != "DEF" {
				t.Fatalf("ROUTER received %s, want [id \"\" \"ABC\" \"DEF\"] with a non-empty id", m)
			}
			id := m.Frames[0]
			ctx := testCtx(t, waitLimit)
			if err := router.Send(ctx, zmq.NewMsg(id, nil, []byte("GHI"))); err != nil {
				t.Fatal(err)
			}
			expectFrames(t, req, "GHI")

			// The same through SendTo/RecvFrom, which split the id off.
			sendFrames(t, req, "JKL")
			peer, body, err := router.RecvFrom(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(peer, id) || !slices.Equal(body.Strings(), []string{"", "JKL"}) {
				t.Fatalf("RecvFrom: peer %q body %s, want peer %q body [\"\" \"JKL\"]", peer, body, id)
			}
			if err := router.SendTo(ctx, peer, nil, []byte("MNO"), []byte("PQR")); err != nil {
				t.Fatal(err)
			}
			expectFrames(t, req, "MNO", "PQR")
		})
	}
}

// Strict REQ and REP refuse out-of-order calls with EFSM, at once,
// whether the call may wait (Send/Recv with a ctx) or not.
func TestStrictReqRepRefuseOutOfOrderCalls(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			f := newFactory(t)
			rep := must[*zmq.Socket](t)(f.NewSocket(zmq.REP))
			req := must[*zmq.Socket](t)(f.NewSocket(zmq.REQ))
			ep := bind(t, rep, tr)
			ctx := testCtx(t, 3*waitLimit)

			expectEFSM := func(what string, op func(context.Context) error) {
				t.Helper()
				opCtx, cancel := context.WithTimeout(ctx, waitLimit)
				defer cancel()
				var err error
				el := timeIt(func() { err = op(opCtx) })
				if !errors.Is(err, zmq.EFSM) {
					t.Fatalf("%s: got %v, want EFSM", what, err)
				}
				var oe *zmq.OpError
				if !errors.As(err, &oe) {
					t.Errorf("%s: %T is not an *OpError", what, err)
				}
				if el > waitLimit/2 {
					t.Errorf("%s took %v: it waited instead of failing", what, el)
				}
			}
			recvOp := func(s *zmq.Socket) func(context.Context) error {
				return func(ctx context.Context) error { _, err := s.Recv(ctx); return err }
			}
			tryRecvOp := func(s *zmq.Socket) func(context.Context) error {
				return func(context.Context) error { _, err := s.TryRecv(); return err }
			}
			sendOp := func(s *zmq.Socket, body string) func(context.Context) error {
				return func(ctx context.Context) error { return s.Send(ctx, zmq.NewMsgString(body)) }
			}
			trySendOp := func(s *zmq.Socket, body string) func(context.Context) error {
				return func(context.Context) error { return s.TrySend(zmq.NewMsgString(body)) }
			}

			// REQ: receive before any send; REP: send before any receive.
			expectEFSM("REQ Recv before Send", recvOp(req))
			expectEFSM("REQ TryRecv before Send", tryRecvOp(req))
			expectEFSM("REP Send before Recv", sendOp(rep, "x"))
			expectEFSM("REP TrySend before Recv", trySendOp(rep, "x"))

			connectTo(t, req, ep)
			sendFrames(t, req, "one")
			// REQ: a second send while the reply is outstanding.
			expectEFSM("REQ second Send", sendOp(req, "two"))
			expectEFSM("REQ second TrySend", trySendOp(req, "two"))
			expectFrames(t, rep, "one")
			// REP: a second receive while the reply is owed.
			expectEFSM("REP second Recv", recvOp(rep))
			sendFrames(t, rep, "re: one")
			expectFrames(t, req, "re: one")
			// After the reply both are back at the start.
			expectEFSM("REQ Recv after the reply", recvOp(req))
			expectEFSM("REP Send after the reply", sendOp(rep, "y"))
			sendFrames(t, req, "three")
			expectFrames(t, rep, "three")
			sendFrames(t, rep, "re: three")
			expectFrames(t, req, "re: three")

			// WithReqRelaxed lifts the one-request-at-a-time rule.
			relaxed := must[*zmq.Socket](t)(f.NewSocket(zmq.REQ, zmq.WithReqRelaxed(true), zmq.WithReqCorrelate(true)))
			connectTo(t, relaxed, ep)
			sendFrames(t, relaxed, "first")
			sendFrames(t, relaxed, "second")
		})
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
