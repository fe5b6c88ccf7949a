package zmq

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"sync"
	"sync/atomic"
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
type Req struct {
	*socket

	idPrefix [8]byte
	idSeq    atomic.Uint64

	mu      sync.Mutex
	pending map[string]chan Msg
	reading bool
	readErr error         // why the reader stopped: ErrClosed
	readEnd chan struct{} // closed when the reader has stopped
}

// NewReq creates a Req.
func (f *Factory) NewReq(opts ...ReqOption) (*Req, error) {
	s, err := f.newSocket(typeDealer, "REQ", asOptions(opts))
	if err != nil {
		return nil, err
	}
	r := &Req{socket: s, pending: make(map[string]chan Msg), readEnd: make(chan struct{})}
	rand.Read(r.idPrefix[:])
	s.afterClose = r.waitReader
	return r, nil
}

// SetOption changes options on the open socket (see Option).
func (r *Req) SetOption(opts ...ReqOption) error { return r.setOptions(asOptions(opts)) }

// nextID returns a 16-byte request id, unique for the socket's lifetime
// and, thanks to the random prefix, across sockets.
func (r *Req) nextID() []byte {
	id := make([]byte, 16)
	copy(id, r.idPrefix[:])
	binary.BigEndian.PutUint64(id[8:], r.idSeq.Add(1))
	return id
}

// Request sends parts as one request and returns the reply's parts. It
// waits for the socket to take the request (high-water mark) and then for
// the reply, until ctx ends or the socket closes. Safe for concurrent use.
func (r *Req) Request(ctx context.Context, parts ...[]byte) (Msg, error) {
	id := r.nextID()
	key := string(id)
	ch := make(chan Msg, 1)
	r.mu.Lock()
	if r.readErr != nil {
		r.mu.Unlock()
		return Msg{}, &OpError{Op: "request", Socket: r.kind, Err: r.readErr}
	}
	r.pending[key] = ch
	if !r.reading {
		r.reading = true
		go r.readReplies()
	}
	r.mu.Unlock()

	frames := make([][]byte, 0, 2+len(parts))
	frames = append(append(frames, id, nil), parts...)
	if err := r.send(ctx, "request", frames); err != nil {
		r.forget(key)
		return Msg{}, err
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return Msg{}, &OpError{Op: "request", Socket: r.kind, Err: ErrClosed}
		}
		return m, nil
	case <-ctx.Done():
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
}

// forget removes a pending request; it reports whether it was still there.
func (r *Req) forget(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.pending[key]
	delete(r.pending, key)
	return ok
}

// readReplies receives replies and hands each to its request until the
// socket closes, then fails every pending request with ErrClosed.
func (r *Req) readReplies() {
	defer close(r.readEnd)
	for {
		m, err := r.recv(context.Background())
		if err != nil {
			r.mu.Lock()
			r.readErr = ErrClosed
			for k, ch := range r.pending {
				close(ch)
				delete(r.pending, k)
			}
			r.mu.Unlock()
			return
		}
		// [id, "", parts...]; anything else cannot be matched to a request.
		if len(m.Frames) < 2 || len(m.Frames[1]) != 0 {
			r.lateReplies.Add(1)
			continue
		}
		key := string(m.Frames[0])
		r.mu.Lock()
		ch, ok := r.pending[key]
		delete(r.pending, key)
		r.mu.Unlock()
		if !ok {
			r.lateReplies.Add(1)
			continue
		}
		m.Frames = m.Frames[2:]
		ch <- m
	}
}

// waitReader runs after the socket closed: it joins the reply reader.
func (r *Req) waitReader() {
	r.mu.Lock()
	if r.readErr == nil {
		r.readErr = ErrClosed // no reader may start from now on
	}
	started := r.reading
	r.mu.Unlock()
	if started {
		<-r.readEnd
	}
}

// Pending returns how many requests wait for their reply.
func (r *Req) Pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pending)
}
