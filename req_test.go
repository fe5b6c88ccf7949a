package zmq_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

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
