package zmq

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"sync"
	"sync/atomic"

	"github.com/zmqx/zmq/internal/engine"
)

// Req sends requests and waits for their replies, with any number of
// requests in flight at once, from any number of goroutines (txZMQ's
// ZmqREQConnection). It is built on a DEALER socket and speaks txZMQ's
// wire format: a request is [id, "", parts...] and its reply
// [id, "", parts...], so it works with txZMQ's REP, a Rep, a plain libzmq
// REP socket or a ROUTER that echoes the envelope.
//
// A request's ctx is its timeout: when ctx ends first the request is
// forgotten, and a reply arriving later is dropped and counted in
// Stats.LateReplies. libzmq may still deliver the request itself.
//
// No goroutine of its own reads replies: one waiting requester at a time
// does, for all of them, so a lone request gets its reply without a hand-off
// between goroutines. A late reply is therefore dropped (and counted) when
// the next request reads, not when it arrives.
type Req struct {
	*socket

	idPrefix [8]byte
	idSeq    atomic.Uint64

	mu      sync.Mutex
	pending map[reqID]chan Msg
	// reading is true while one requester receives replies for all: the
	// one whose reply comes back first usually is that requester, so it
	// gets its reply with no hand-off between goroutines.
	reading bool
	// readerGone holds a token when the reading requester left while
	// others still wait: one of them takes the role.
	readerGone chan struct{}
	readErr    error // ErrClosed once the socket closed
}

// NewReq creates a Req.
func (f *Factory) NewReq(opts ...ReqOption) (*Req, error) {
	s, err := f.newSocket(engine.DEALER, "REQ", asOptions(opts))
	if err != nil {
		return nil, err
	}
	r := &Req{socket: s, pending: make(map[reqID]chan Msg), readerGone: make(chan struct{}, 1)}
	rand.Read(r.idPrefix[:])
	s.afterClose = func() {
		r.mu.Lock()
		r.failAllLocked()
		r.mu.Unlock()
	}
	return r, nil
}

// SetOption changes options on the open socket (see Option).
func (r *Req) SetOption(opts ...ReqOption) error { return r.setOptions(asOptions(opts)) }

// reqID is a request id: the first frame of a request's envelope.
type reqID [16]byte

// nextID returns a request id unique for the socket's lifetime and, thanks
// to the random prefix, across sockets.
func (r *Req) nextID() reqID {
	var id reqID
	copy(id[:], r.idPrefix[:])
	binary.BigEndian.PutUint64(id[8:], r.idSeq.Add(1))
	return id
}

// Request sends parts as one request and returns the reply's parts. It
// waits for the socket to take the request (high-water mark) and then for
// the reply, until ctx ends or the socket closes. Safe for concurrent use.
func (r *Req) Request(ctx context.Context, parts ...[]byte) (Msg, error) {
	key := r.nextID()
	ch := make(chan Msg, 1)
	r.mu.Lock()
	if r.readErr != nil {
		r.mu.Unlock()
		return Msg{}, &OpError{Op: "request", Socket: r.kind, Err: r.readErr}
	}
	r.pending[key] = ch
	r.mu.Unlock()

	frames := make([][]byte, 0, 2+len(parts))
	frames = append(append(frames, key[:], nil), parts...)
	if err := r.send(ctx, "request", frames); err != nil {
		r.forget(key)
		return Msg{}, err
	}
	for {
		r.mu.Lock()
		_, mine := r.pending[key] // not pending: the reply is on its way to ch
		if mine && !r.reading && r.readErr == nil {
			r.reading = true
			r.mu.Unlock()
			err := r.readReplies(ctx, ch)
			r.mu.Lock()
			r.reading = false
			r.passRoleLocked()
			r.mu.Unlock()
			if err != nil && isCtxErr(err) {
				return r.abandon(ctx, key, ch)
			}
		} else {
			r.passRoleLocked() // a token this requester took but has no use for
			r.mu.Unlock()
		}
		gone := r.readerGone
		if !mine {
			gone = nil // the reply is coming: no use for the reader's role
		}
		select {
		case m, ok := <-ch:
			if !ok {
				return Msg{}, &OpError{Op: "request", Socket: r.kind, Err: ErrClosed}
			}
			return m, nil
		case <-gone:
			// The reader left: take its role (or somebody already did).
		case <-ctx.Done():
			return r.abandon(ctx, key, ch)
		}
	}
}

// passRoleLocked leaves a token for a waiting requester when nobody reads
// replies but some are still expected.
func (r *Req) passRoleLocked() {
	if r.reading || r.readErr != nil || len(r.pending) == 0 {
		return
	}
	select {
	case r.readerGone <- struct{}{}:
	default: // a token is already there
	}
}

// abandon ends a request whose ctx ended, unless its reply won the race.
func (r *Req) abandon(ctx context.Context, key reqID, ch chan Msg) (Msg, error) {
	if r.forget(key) {
		r.timedOut.Add(1)
		return Msg{}, ctx.Err()
	}
	// The reply won the race: deliver it rather than drop it.
	if m, ok := <-ch; ok {
		return m, nil
	}
	return Msg{}, &OpError{Op: "request", Socket: r.kind, Err: ErrClosed}
}

// forget removes a pending request; it reports whether it was still there.
func (r *Req) forget(key reqID) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.pending[key]
	delete(r.pending, key)
	return ok
}

// readReplies receives replies for every pending request, handing each to
// its requester, until one arrives on own (the caller's channel), ctx ends
// (the error is ctx's) or the socket closes (every pending request fails).
func (r *Req) readReplies(ctx context.Context, own chan Msg) error {
	for {
		m, err := r.recv(ctx)
		if err != nil {
			if !isCtxErr(err) {
				r.mu.Lock()
				r.failAllLocked()
				r.mu.Unlock()
			}
			return err
		}
		// [id, "", parts...]; anything else cannot be matched to a request.
		var key reqID
		if len(m.Frames) < 2 || len(m.Frames[1]) != 0 || len(m.Frames[0]) != len(key) {
			r.dropMalformed(m)
			continue
		}
		copy(key[:], m.Frames[0])
		r.mu.Lock()
		ch, ok := r.pending[key]
		delete(r.pending, key)
		r.mu.Unlock()
		if !ok {
			r.lateReplies.Add(1)
			continue
		}
		m.Frames = m.Frames[2:]
		ch <- m // capacity 1, and each request gets one reply
		if ch == own {
			return nil
		}
	}
}

// failAllLocked fails every pending request with ErrClosed, now and from
// now on.
func (r *Req) failAllLocked() {
	r.readErr = ErrClosed
	for k, ch := range r.pending {
		close(ch)
		delete(r.pending, k)
	}
}

// Pending returns how many requests wait for their reply.
func (r *Req) Pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pending)
}
