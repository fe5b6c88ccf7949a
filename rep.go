package zmq

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zmqx/zmq/internal/engine"
)

// ErrReplyLater is returned by a RepHandler that will answer the request
// later with Request.Reply or Rep.Reply, from any goroutine.
var ErrReplyLater = errors.New("zmq: reply will be sent later")

// ErrNoSuchRequest is returned when replying to a request that was already
// answered or forgotten (see WithMaxPendingRequests).
var ErrNoSuchRequest = errors.New("zmq: no such pending request")

// Rep receives requests and answers each one, in any order and from any
// goroutine (txZMQ's ZmqREPConnection). It is built on a ROUTER socket:
// a request is everything up to and including the first empty frame
// (routing ids of the peer and any proxies, then the request id), which is
// kept until the reply restores it. So it serves a Req, txZMQ's REQ, plain
// libzmq REQ and DEALER sockets, through any number of proxies.
type Rep struct {
	*socket

	maxPending int
	timeout    time.Duration
	seq        atomic.Uint64

	mu      sync.Mutex
	pending map[RequestID]*list.Element // of *Request
	order   *list.List                  // oldest first
}

// defaultMaxPending is how many unanswered requests a Rep remembers unless
// made WithMaxPendingRequests.
const defaultMaxPending = 100000

// RequestID identifies one received request of a Rep. Each request gets
// its own, even when peers reuse wire request ids or pipeline requests
// with the same envelope.
type RequestID uint64

// Request is one request received by a Rep.
type Request struct {
	ID       RequestID // key for Rep.Reply
	MsgID    []byte    // the request id on the wire (txZMQ's messageId)
	Msg                // the request's parts
	rep      *Rep
	envelope [][]byte // routing ids, request id, empty delimiter
	received time.Time
}

// Reply sends the reply to this request. It fails with ErrNoSuchRequest if
// the request was already answered or forgotten.
func (q *Request) Reply(ctx context.Context, parts ...[]byte) error {
	return q.rep.Reply(ctx, q.ID, parts...)
}

// NewRep creates a Rep.
func (f *Factory) NewRep(opts ...RepOption) (*Rep, error) {
	s, err := f.newSocket(engine.ROUTER, "REP", asOptions(opts))
	if err != nil {
		return nil, err
	}
	r := &Rep{
		socket:     s,
		maxPending: defaultMaxPending,
		timeout:    s.cfg.pendingTimeout,
		pending:    make(map[RequestID]*list.Element),
		order:      list.New(),
	}
	if s.cfg.maxPending > 0 {
		r.maxPending = s.cfg.maxPending
	}
	return r, nil
}

// SetOption changes options on the open socket (see Option).
func (r *Rep) SetOption(opts ...RepOption) error { return r.setOptions(asOptions(opts)) }

// Recv waits for the next request. The request stays pending until it is
// answered or forgotten.
func (r *Rep) Recv(ctx context.Context) (*Request, error) {
	for {
		m, err := r.recv(ctx)
		if err != nil {
			return nil, err
		}
		if q := r.parse(m); q != nil {
			return q, nil
		}
	}
}

// parse splits a ROUTER message into envelope and parts and remembers the
// request. A message without an envelope cannot be answered: it is
// dropped, counted and reported as an *EnvelopeError.
func (r *Rep) parse(m Msg) *Request {
	i := 0
	for i < len(m.Frames) && len(m.Frames[i]) != 0 {
		i++
	}
	if i == 0 || i == len(m.Frames) {
		r.dropMalformed(m)
		return nil
	}
	// A plain REQ sends [peer, "", parts...]: its request id is the peer id.
	return r.remember(m, i)
}

// remember keeps the envelope of m, whose empty delimiter is frame i.
func (r *Rep) remember(m Msg, i int) *Request {
	envelope := m.Frames[: i+1 : i+1]
	msgID := m.Frames[i-1]
	m.Frames = m.Frames[i+1:]
	q := &Request{
		ID:       RequestID(r.seq.Add(1)),
		MsgID:    msgID,
		Msg:      m,
		rep:      r,
		envelope: envelope,
		received: time.Now(),
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pending[q.ID] = r.order.PushBack(q)
	r.expireLocked(q.received)
	return q
}

// expireLocked forgets the oldest requests beyond the bound or the timeout.
func (r *Rep) expireLocked(now time.Time) {
	for e := r.order.Front(); e != nil; e = r.order.Front() {
		q := e.Value.(*Request)
		if r.order.Len() <= r.maxPending && (r.timeout == 0 || now.Sub(q.received) < r.timeout) {
			return
		}
		r.order.Remove(e)
		delete(r.pending, q.ID)
		r.abandoned.Add(1)
	}
}

// take removes a pending request.
func (r *Rep) take(id RequestID) (*Request, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expireLocked(time.Now())
	e, ok := r.pending[id]
	if !ok {
		return nil, false
	}
	r.order.Remove(e)
	delete(r.pending, id)
	return e.Value.(*Request), true
}

// abandon forgets a request that will get no reply.
func (r *Rep) abandon(id RequestID) {
	if _, ok := r.take(id); ok {
		r.abandoned.Add(1)
	}
}

// Pending returns how many requests wait for a reply.
func (r *Rep) Pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expireLocked(time.Now())
	return r.order.Len()
}

// Reply sends parts as the reply to the pending request id, from any
// goroutine. It fails with ErrNoSuchRequest if the request was already
// answered or forgotten. If the send fails the request is forgotten too:
// a reply is sent at most once.
func (r *Rep) Reply(ctx context.Context, id RequestID, parts ...[]byte) error {
	q, ok := r.take(id)
	if !ok {
		return &OpError{Op: "reply", Socket: r.kind, Err: ErrNoSuchRequest}
	}
	return r.send(ctx, "reply", q.reply(parts))
}

// reply returns the frames of the reply made of parts: q's envelope, then
// the parts.
func (q *Request) reply(parts [][]byte) [][]byte {
	frames := make([][]byte, 0, len(q.envelope)+len(parts))
	return append(append(frames, q.envelope...), parts...)
}

// RepHandler answers one request: the returned message is sent as the
// reply. Returning ErrReplyLater sends nothing and keeps the request
// pending for a later Reply. Any other error is reported (see Serve) and
// the request is forgotten without a reply; the requester times out.
type RepHandler func(ctx context.Context, req *Request) (Msg, error)

// Serve receives requests and answers each with h, one at a time, until
// ctx ends or the socket closes, and returns why it stopped. Errors and
// panics in h are counted in Stats.HandlerErrors and reported to the
// factory's error handler; serving goes on.
//
// A reply never waits, except on a Rep made WithRouterMandatory(true): a
// reply to a requester whose queue is full then waits until it has room or
// ctx ends, so that cancelling ctx always stops Serve. A reply that could
// not go is reported like a handler's error.
func (r *Rep) Serve(ctx context.Context, h RepHandler) error {
	if h == nil {
		return fmt.Errorf("%w: nil RepHandler", ErrInvalidOption)
	}
	for {
		q, err := r.Recv(ctx)
		if err != nil {
			return err
		}
		r.runHandler(ctx, q.Msg, func() (err error) {
			later := false
			defer func() {
				// A handler that failed or panicked leaves no reply: forget
				// the request rather than keep it until it expires.
				if p := recover(); p != nil {
					r.abandon(q.ID)
					panic(p) // runHandler reports it
				}
				if err != nil && !later {
					r.abandon(q.ID)
				}
			}()
			reply, err := h(ctx, q)
			switch {
			case errors.Is(err, ErrReplyLater):
				later = true
				return nil
			case err != nil:
				return err
			}
			return r.serveReply(ctx, q.ID, reply.Frames)
		})
	}
}

// serveReply sends the reply that Serve's handler returned. It goes out
// even if ctx ended while the handler ran (a handler may cancel it to stop
// serving after this request) when it can go at once, as it always can
// unless the Rep was made WithRouterMandatory(true). Then a reply to a
// requester whose queue is full waits, until the requester reads or ctx
// ends: Serve stops when asked, rather than when that requester reads.
func (r *Rep) serveReply(ctx context.Context, id RequestID, parts [][]byte) error {
	q, ok := r.take(id)
	if !ok {
		return &OpError{Op: "reply", Socket: r.kind, Err: ErrNoSuchRequest}
	}
	frames := q.reply(parts)
	if err := r.trySend("reply", frames); !errors.Is(err, EAGAIN) {
		return err
	}
	return r.send(ctx, "reply", frames)
}

// Requests returns an iterator over received requests. It stops after
// yielding the first error.
func (r *Rep) Requests(ctx context.Context) iter.Seq2[*Request, error] {
	return func(yield func(*Request, error) bool) {
		for {
			q, err := r.Recv(ctx)
			if !yield(q, err) || err != nil {
				return
			}
		}
	}
}
