package zmq_test

// The matrix's local side: sockets of this package on one engine, each in
// a factory of its own, so that closing one is like its process exiting.

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/zmqx/zmq"
)

// localSide makes our sockets on one engine.
type localSide struct{ engine zmq.Engine }

func (s localSide) String() string         { return string(s.engine) }
func (s localSide) hosts(kind string) bool { return true }

// mxLocalSocket is what every socket of this package offers.
type mxLocalSocket interface {
	Bind(string) (string, error)
	Connect(string) error
	Monitor(zmq.EventType) (*zmq.Monitor, error)
}

// localEnd is one of our sockets, seen through mxEnd.
type localEnd struct {
	t    *testing.T
	ctx  context.Context
	desc string
	f    *zmq.Factory
	sock mxLocalSocket
	mon  *zmq.Monitor

	sendFn func(context.Context, [][]byte) error
	recvFn func(context.Context) ([][]byte, error)
	subFn  func(prefix string, on bool) error

	// Req: replies of requests in flight, in the order they were sent.
	replies chan mxReply
	// Rep: requests received and not answered yet, oldest first.
	pending []*zmq.Request

	floodStop context.CancelFunc
	floodDone chan struct{}
	floodSent int
	floodErr  error

	closeOnce sync.Once
}

type mxReply struct {
	frames [][]byte
	err    error
}

// mxOptions converts common options to a pattern's option type.
func mxOptions[T any](common []zmq.CommonOption) []T {
	out := make([]T, len(common))
	for i, o := range common {
		out[i] = any(o).(T)
	}
	return out
}

func (s localSide) open(t *testing.T, ctx context.Context, kind string, o mxOpts) mxEnd {
	t.Helper()
	f, err := zmq.NewFactory(zmq.WithEngine(s.engine))
	if err != nil {
		t.Fatal(err)
	}
	e := &localEnd{t: t, ctx: ctx, desc: string(s.engine) + " " + kind, f: f}
	// A socket left open by a failed test closes with its factory.
	t.Cleanup(e.close)
	common := []zmq.CommonOption{zmq.WithReconnectInterval(10 * time.Millisecond)}
	if o.id != "" {
		common = append(common, zmq.WithRoutingID([]byte(o.id)))
	}
	recvOf := func(recv func(context.Context) (zmq.Msg, error)) func(context.Context) ([][]byte, error) {
		return func(ctx context.Context) ([][]byte, error) {
			m, err := recv(ctx)
			return m.Frames, err
		}
	}
	sendOf := func(send func(context.Context, zmq.Msg) error) func(context.Context, [][]byte) error {
		return func(ctx context.Context, frames [][]byte) error { return send(ctx, zmq.NewMsg(frames...)) }
	}
	switch kind {
	case "PUSH":
		x, err := f.NewPush(mxOptions[zmq.PushOption](common)...)
		e.mustMake(err)
		e.sock, e.sendFn = x, sendOf(x.Send)
	case "PULL":
		x, err := f.NewPull(mxOptions[zmq.PullOption](common)...)
		e.mustMake(err)
		e.sock, e.recvFn = x, recvOf(x.Recv)
	case "PAIR":
		x, err := f.NewPair(mxOptions[zmq.PairOption](common)...)
		e.mustMake(err)
		e.sock, e.sendFn, e.recvFn = x, sendOf(x.Send), recvOf(x.Recv)
	case "DEALER":
		x, err := f.NewDealer(mxOptions[zmq.DealerOption](common)...)
		e.mustMake(err)
		e.sock, e.sendFn, e.recvFn = x, sendOf(x.Send), recvOf(x.Recv)
	case "ROUTER":
		opts := mxOptions[zmq.RouterOption](common)
		if o.mandatory {
			opts = append(opts, zmq.WithRouterMandatory(true))
		}
		x, err := f.NewRouter(opts...)
		e.mustMake(err)
		e.sock, e.sendFn, e.recvFn = x, sendOf(x.Send), recvOf(x.Recv)
	case "REQ", "REP":
		typ := zmq.REQ
		if kind == "REP" {
			typ = zmq.REP
		}
		x, err := f.NewSocket(typ, mxOptions[zmq.SocketOption](common)...)
		e.mustMake(err)
		e.sock, e.sendFn, e.recvFn = x, sendOf(x.Send), recvOf(x.Recv)
	case "PUB":
		x, err := f.NewPub(mxOptions[zmq.PubOption](common)...)
		e.mustMake(err)
		e.sock, e.sendFn = x, sendOf(x.Send)
	case "SUB":
		x, err := f.NewSub(mxOptions[zmq.SubOption](common)...)
		e.mustMake(err)
		e.sock, e.recvFn = x, recvOf(x.Recv)
		e.subFn = func(p string, on bool) error {
			if on {
				return x.Subscribe(p)
			}
			return x.Unsubscribe(p)
		}
	case "XPUB":
		x, err := f.NewXPub(mxOptions[zmq.XPubOption](common)...)
		e.mustMake(err)
		e.sock, e.sendFn, e.recvFn = x, sendOf(x.Send), recvOf(x.Recv)
	case "XSUB":
		x, err := f.NewXSub(mxOptions[zmq.XSubOption](common)...)
		e.mustMake(err)
		e.sock, e.sendFn, e.recvFn = x, sendOf(x.Send), recvOf(x.Recv)
		e.subFn = func(p string, on bool) error {
			if on {
				return x.Subscribe(p)
			}
			return x.Unsubscribe(p)
		}
	case "Req":
		x, err := f.NewReq(mxOptions[zmq.ReqOption](common)...)
		e.mustMake(err)
		e.sock = x
		e.replies = make(chan mxReply, 16)
		// A send starts a request; its reply is the next recv.
		e.sendFn = func(_ context.Context, frames [][]byte) error {
			go func() {
				m, err := x.Request(ctx, frames...)
				e.replies <- mxReply{m.Frames, err}
			}()
			return nil
		}
		e.recvFn = func(ctx context.Context) ([][]byte, error) {
			select {
			case r := <-e.replies:
				return r.frames, r.err
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	case "Rep":
		x, err := f.NewRep(mxOptions[zmq.RepOption](common)...)
		e.mustMake(err)
		e.sock = x
		// A recv takes a request; a send answers the oldest unanswered.
		e.recvFn = func(ctx context.Context) ([][]byte, error) {
			q, err := x.Recv(ctx)
			if err != nil {
				return nil, err
			}
			e.pending = append(e.pending, q)
			return q.Frames, nil
		}
		e.sendFn = func(ctx context.Context, frames [][]byte) error {
			if len(e.pending) == 0 {
				return errors.New("a Rep sends only replies, and no request is waiting for one")
			}
			q := e.pending[0]
			e.pending = e.pending[1:]
			return q.Reply(ctx, frames...)
		}
	default:
		t.Fatalf("%s: unknown socket kind %q", s, kind)
	}
	if o.monitor {
		mon, err := e.sock.Monitor(zmq.EventAll)
		if err != nil {
			t.Fatalf("%s: monitor: %v", e.desc, err)
		}
		e.mon = mon
	}
	return e
}

func (e *localEnd) mustMake(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatalf("%s: %v", e.desc, err)
	}
}

func (e *localEnd) String() string { return e.desc }

func (e *localEnd) bind(endpoint string) string {
	e.t.Helper()
	ep, err := e.sock.Bind(endpoint)
	if err != nil {
		e.t.Fatalf("%s: bind %s: %v", e.desc, endpoint, err)
	}
	return ep
}

func (e *localEnd) connect(endpoint string) {
	e.t.Helper()
	if err := e.sock.Connect(endpoint); err != nil {
		e.t.Fatalf("%s: connect %s: %v", e.desc, endpoint, err)
	}
}

func (e *localEnd) send(frames ...[]byte) {
	e.t.Helper()
	if e.sendFn == nil {
		e.t.Fatalf("%s cannot send", e.desc)
	}
	if err := e.sendFn(e.ctx, frames); err != nil {
		e.t.Fatalf("%s: send %s: %v", e.desc, mxShow(frames), err)
	}
}

func (e *localEnd) recv() [][]byte {
	e.t.Helper()
	if e.recvFn == nil {
		e.t.Fatalf("%s cannot receive", e.desc)
	}
	frames, err := e.recvFn(e.ctx)
	if err != nil {
		e.t.Fatalf("%s: recv: %v", e.desc, err)
	}
	return frames
}

func (e *localEnd) recvWithin(d time.Duration) ([][]byte, bool) {
	e.t.Helper()
	if e.recvFn == nil {
		e.t.Fatalf("%s cannot receive", e.desc)
	}
	ctx, cancel := context.WithTimeout(e.ctx, d)
	defer cancel()
	frames, err := e.recvFn(ctx)
	switch {
	case err == nil:
		return frames, true
	case errors.Is(err, context.DeadlineExceeded) && e.ctx.Err() == nil:
		return nil, false
	}
	e.t.Fatalf("%s: recv: %v", e.desc, err)
	return nil, false
}

func (e *localEnd) subscribe(prefix string)   { e.t.Helper(); e.setSub(prefix, true) }
func (e *localEnd) unsubscribe(prefix string) { e.t.Helper(); e.setSub(prefix, false) }

func (e *localEnd) setSub(prefix string, on bool) {
	e.t.Helper()
	if e.subFn == nil {
		e.t.Fatalf("%s cannot subscribe", e.desc)
	}
	if err := e.subFn(prefix, on); err != nil {
		e.t.Fatalf("%s: subscribe(%q, %v): %v", e.desc, prefix, on, err)
	}
}

func (e *localEnd) await(ev zmq.EventType) {
	e.t.Helper()
	if e.mon == nil {
		e.t.Fatalf("%s has no monitor", e.desc)
	}
	for {
		got, err := e.mon.Recv(e.ctx)
		if err != nil {
			e.t.Fatalf("%s: waiting for %s: %v", e.desc, ev, err)
		}
		if got.Type == ev {
			return
		}
	}
}

func (e *localEnd) flood() {
	e.t.Helper()
	if e.sendFn == nil || e.floodDone != nil {
		e.t.Fatalf("%s cannot flood", e.desc)
	}
	ctx, stop := context.WithCancel(e.ctx)
	e.floodStop, e.floodDone = stop, make(chan struct{})
	send := e.sendFn
	go func() {
		defer close(e.floodDone)
		for ctx.Err() == nil {
			err := send(ctx, mxFrames("flood", strconv.Itoa(e.floodSent)))
			if err != nil {
				if ctx.Err() == nil {
					e.floodErr = err
				}
				return
			}
			e.floodSent++
		}
	}()
}

func (e *localEnd) stopFlood() int {
	e.t.Helper()
	if e.floodDone == nil {
		e.t.Fatalf("%s is not flooding", e.desc)
	}
	e.floodStop()
	<-e.floodDone
	if e.floodErr != nil {
		e.t.Fatalf("%s: flood: %v", e.desc, e.floodErr)
	}
	return e.floodSent
}

func (e *localEnd) close() {
	e.closeOnce.Do(func() {
		if err := e.f.Close(); err != nil {
			e.t.Errorf("%s: close: %v", e.desc, err)
		}
		if e.floodDone != nil {
			<-e.floodDone
		}
	})
}
