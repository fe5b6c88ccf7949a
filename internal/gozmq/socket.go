package gozmq

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/zmqx/zmq/internal/engine"
)

// pattern is what a socket type does with its pipes. Every method runs
// under the socket lock. send and recv fail with EAGAIN when they cannot
// proceed now; the socket then waits for a signal of its direction.
type pattern interface {
	attach(p *pipe)
	detach(p *pipe)
	send(m msg) error
	recv() (msg, error)
}

// Socket is one socket of the Go engine. It is safe for concurrent use.
type Socket struct {
	eng *Engine
	typ engine.SocketType

	mu         sync.Mutex
	closed     bool
	closing    chan struct{} // closed when Close starts
	closedDone chan struct{} // closed when Close has finished
	opts       options
	pat        pattern
	pipes      map[*pipe]struct{}
	stats      engine.Stats
	sendWaits  atomic.Uint64
	// recvKeeps says the last receive handed the message to the caller to
	// keep (setKeeps).
	recvKeeps atomic.Bool
	// kept is the memory of small messages handed to Recv callers that
	// the socket itself copied out (toMessageLocked); sendSlabs that of
	// small messages sent (copyInLocked). Guarded by mu.
	kept      keptSlab
	sendSlabs slabCarver

	// While a send holds the lock, speculating is set and the connections
	// its messages woke are gathered in kicked, to be written to once the
	// lock is released (conn.kick). Guarded by mu.
	speculating bool
	kickBuf     [maxKicks]*conn
	kicked      []*conn

	// Pipes whose peer went away, reported by any goroutine and detached
	// under the socket lock by the next operation (reapLocked).
	deadMu sync.Mutex
	dead   []*pipe
	deadN  atomic.Int32

	sendD, recvD direction
	// solo is the socket's pipe when it has just one; polled says TryRecv
	// was used. Both decide whether receivers read a connection
	// themselves (readrole.go).
	solo     atomic.Pointer[pipe]
	polled   atomic.Bool
	ctxWatch ctxWatch

	// Endpoints, guarded by mu.
	listeners  map[string]*listener
	connecters map[string][]*connecter
	inprocBind map[string]bool
	inprocConn map[string][]*pipe

	mon atomic.Pointer[monitor]

	// goroutines counts the socket's goroutines (listeners, connections);
	// Close waits for them unless they linger (then the engine does).
	goroutines sync.WaitGroup
	conns      map[*conn]struct{} // guarded by mu
	lingerStop chan struct{}      // closed when lingering ends
	stopOnce   sync.Once
	// dialCtx ends with lingering: connects in progress give up.
	dialCtx    context.Context
	dialCancel context.CancelFunc
}

func newSocket(e *Engine, t engine.SocketType) *Socket {
	s := &Socket{
		eng:        e,
		typ:        t,
		closing:    make(chan struct{}),
		closedDone: make(chan struct{}),
		lingerStop: make(chan struct{}),
		opts:       defaultOptions(),
		pipes:      make(map[*pipe]struct{}),
		listeners:  make(map[string]*listener),
		connecters: make(map[string][]*connecter),
		inprocBind: make(map[string]bool),
		inprocConn: make(map[string][]*pipe),
		conns:      make(map[*conn]struct{}),
	}
	s.dialCtx, s.dialCancel = context.WithCancel(context.Background())
	s.pat = newPattern(s, t)
	return s
}

// SetOption sets option o to v.
func (s *Socket) SetOption(o engine.Option, v engine.Value) error {
	if err := checkOption(o, v); err != nil {
		return err
	}
	if platformUnsupported[o] && (v.Int != defaults[o] || len(v.Bytes) > 0) {
		return notSupported(o.String() + " on this platform")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	switch o {
	case engine.OptSubscribe, engine.OptUnsubscribe:
		sub, ok := s.pat.(subscriber)
		if !ok {
			return syscall.EINVAL
		}
		return sub.subscribe(v.Bytes, o == engine.OptSubscribe)
	case engine.OptRouterMandatory, engine.OptRouterHandover:
		if s.typ != engine.ROUTER {
			return syscall.EINVAL
		}
	case engine.OptProbeRouter:
		if s.typ != engine.ROUTER && s.typ != engine.DEALER && s.typ != engine.REQ {
			return syscall.EINVAL
		}
	case engine.OptReqCorrelate, engine.OptReqRelaxed:
		if s.typ != engine.REQ {
			return syscall.EINVAL
		}
	case engine.OptXPubVerbose, engine.OptXPubVerboser, engine.OptXPubNoDrop,
		engine.OptXPubManual, engine.OptXPubWelcomeMsg:
		if s.typ != engine.XPUB && s.typ != engine.PUB { // PUB is an XPUB in libzmq
			return syscall.EINVAL
		}
	}
	if isSecurityOption(o) {
		return s.setSecurityLocked(o, v)
	}
	if o.Kind() == engine.KindBytes {
		s.opts.bytes[o] = append([]byte(nil), v.Bytes...)
	} else {
		s.opts.ints[o] = v.Int
	}
	switch o {
	case engine.OptSendHWM, engine.OptRecvHWM:
		s.applyHWMLocked()
	}
	return nil
}

// Option reads the effective value of option o.
func (s *Socket) Option(o engine.Option) (engine.Value, error) {
	if !o.Valid() || writeOnly[o] {
		return engine.Value{}, syscall.EINVAL
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return engine.Value{}, errClosed
	}
	if isSecurityOption(o) {
		return s.securityOptionLocked(o), nil
	}
	if o.Kind() == engine.KindBytes {
		return engine.Bytes(append([]byte(nil), s.opts.bytes[o]...)), nil
	}
	return engine.Value{Int: s.opts.ints[o]}, nil
}

// applyHWMLocked gives the socket's pipes their new bounds.
func (s *Socket) applyHWMLocked() {
	for p := range s.pipes {
		p.applyHWM()
	}
	s.sendD.signal()
}

// Send sends one whole message, waiting while the socket cannot take it.
func (s *Socket) Send(ctx context.Context, frames [][]byte) error {
	if len(frames) == 0 {
		return syscall.EINVAL
	}
	var m msg
	copied := false
	err := s.wait(ctx, &s.sendD, s.sendKey(frames), func() error {
		if !copied {
			m, copied = s.copyInLocked(frames), true
		}
		return s.sendLocked(m)
	})
	if err != nil && copied {
		m.release() // never queued
	}
	return err
}

// SendMany sends n messages in order, waiting whenever the socket is full.
func (s *Socket) SendMany(ctx context.Context, n int, msgFn func(int) [][]byte) (int, error) {
	sent := 0
	for sent < n {
		err := s.wait(ctx, &s.sendD, nil, func() error {
			k := 0
			for sent < n && k < maxBatch {
				fr := msgFn(sent)
				if len(fr) == 0 {
					return syscall.EINVAL
				}
				m := s.copyInLocked(fr)
				if err := s.sendLocked(m); err != nil {
					m.release() // never queued
					if k > 0 && err == syscall.EAGAIN {
						return nil
					}
					return err
				}
				sent++
				k++
			}
			return nil
		})
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// sendKey is what a send of frames waits for when that depends on the
// message: on a ROUTER or STREAM, the peer it is addressed to.
func (s *Socket) sendKey(frames [][]byte) []byte {
	if s.typ == engine.ROUTER || s.typ == engine.STREAM {
		return frames[0]
	}
	return nil
}

// maxBatch bounds the messages moved under one hold of the socket lock, so
// a busy socket lets others in.
const maxBatch = 256

// TrySend sends one whole message or fails with EAGAIN at once.
func (s *Socket) TrySend(frames [][]byte) error {
	if len(frames) == 0 {
		return syscall.EINVAL
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errClosed
	}
	s.reapLocked()
	s.beginKicks()
	m := s.copyInLocked(frames)
	err := s.sendLocked(m)
	if err != nil {
		m.release() // never queued
	}
	kicks := s.endKicks()
	s.mu.Unlock()
	kicks.speculate()
	return err
}

// maxKicks is how many connections one send writes to speculatively;
// more (a PUB's) are handed to their writer goroutines.
const maxKicks = 4

// kicks are the connections a send woke (conn.kick).
type kicks struct {
	c [maxKicks]*conn
	n int
}

// beginKicks starts gathering the connections the messages sent under
// this hold of the lock wake.
func (s *Socket) beginKicks() {
	s.speculating = true
	s.kicked = s.kickBuf[:0]
}

// endKicks stops gathering and returns the connections gathered.
func (s *Socket) endKicks() kicks {
	var k kicks
	k.n = copy(k.c[:], s.kicked)
	clear(s.kicked)
	s.speculating = false
	s.kicked = nil
	return k
}

// speculate writes to the gathered connections; the socket lock is not
// held.
func (k *kicks) speculate() {
	for _, c := range k.c[:k.n] {
		c.speculate()
	}
}

// sendLocked hands m to the pattern. Once queued, m belongs to its reader
// (who may recycle its memory at once), so it is measured before.
func (s *Socket) sendLocked(m msg) error {
	size := m.size()
	if err := s.pat.send(m); err != nil {
		return err
	}
	s.stats.MsgsOut++
	s.stats.BytesOut += uint64(size)
	return nil
}

// pushAll queues m on every pipe of ps, dropping it where one is full.
// Each copy queued gives m's memory back on its own when done with it.
func (s *Socket) pushAll(m msg, ps []*pipe) {
	m.shared = len(ps) > 1
	if m.shared && m.slab != nil {
		s.sendSlabs.share(m.slab, len(ps)-1)
	}
	if len(ps) == 0 {
		m.release() // sent to nobody
	}
	for _, p := range ps {
		if p.out.push(m, false) != pushed {
			m.release() // this copy is dropped
		}
	}
}

// copyInLocked copies a caller's frames into memory of the engine's own:
// carved from the socket's slab when the message is small (msgslab.go),
// else from the pool when a message of that size was recycled
// (backing.go).
func (s *Socket) copyInLocked(frames [][]byte) msg {
	total := 0
	for _, f := range frames {
		total += len(f)
	}
	if table, data, slab, ok := s.sendSlabs.carve(len(frames), total); ok {
		off := 0
		for _, f := range frames {
			n := copy(data[off:], f)
			table = append(table, data[off:off+n:off+n])
			off += n
		}
		return msg{frames: table, slab: slab}
	}
	b := getBacking(total, len(frames))
	off := 0
	for i, f := range frames {
		n := copy(b.data[off:], f)
		b.frames[i] = b.data[off : off+n : off+n]
		off += n
	}
	return msg{frames: b.frames, backing: b}
}

// own returns m's frames for the user to keep. Small messages are copied
// into memory from slab (see keptSlab.alloc) and their pooled or carved
// memory goes back for the next message; larger ones keep their memory,
// which then never returns to the pool. A small message received with a
// routing id is copied too, the id before it, rather than given a frame
// table of its own.
func own(m msg, slab *keptSlab) [][]byte {
	if m.shared || m.slab != nil || (m.backing != nil && len(m.frames) <= 2 && len(m.backing.data) <= maxBoxed) ||
		(m.id != nil && m.size() <= maxBoxed) {
		frames := copyOut(m.id, m.frames, slab)
		m.release()
		return frames
	}
	if m.id != nil {
		return append([][]byte{bytes.Clone(m.id)}, m.frames...)
	}
	return m.frames
}

// maxBoxed is the largest message own copies rather than hands over: the
// largest engine.AllocFrames makes in one allocation.
const maxBoxed = 1024

// copyOut copies id, if not nil, then frames into memory that is nobody
// else's: from slab when it is small and slab is not nil.
func copyOut(id []byte, frames [][]byte, slab *keptSlab) [][]byte {
	total, n := len(id), len(frames)
	if id != nil {
		n++
	}
	for _, f := range frames {
		total += len(f)
	}
	out, buf := slab.alloc(n, total)
	off := 0
	put := func(f []byte) {
		k := copy(buf[off:], f)
		out = append(out, buf[off:off+k:off+k])
		off += k
	}
	if id != nil {
		put(id)
	}
	for _, f := range frames {
		put(f)
	}
	return out
}

// Recv receives one whole message, waiting until one arrives.
func (s *Socket) Recv(ctx context.Context) (engine.Message, error) {
	s.setKeeps(true)
	var out engine.Message
	err := s.wait(ctx, &s.recvD, nil, func() error {
		m, err := s.recvLocked()
		if err == nil {
			out = s.toMessageLocked(m)
		}
		return err
	})
	return out, err
}

// RecvMany waits for a first message, then takes those already queued
// behind it, up to max in all.
func (s *Socket) RecvMany(ctx context.Context, max int, put func(int, engine.Message)) (int, error) {
	s.setKeeps(true)
	n := 0
	err := s.wait(ctx, &s.recvD, nil, func() error {
		m, err := s.recvLocked()
		if err != nil {
			return err
		}
		put(0, s.toMessageLocked(m))
		for n = 1; n < max && n < maxBatch; n++ {
			m, err = s.recvLocked()
			if err != nil {
				break
			}
			put(n, s.toMessageLocked(m))
		}
		return nil
	})
	return n, err
}

// RecvInto receives like Recv into dst, reusing its memory.
func (s *Socket) RecvInto(ctx context.Context, frames *[][]byte, meta *engine.Metadata) error {
	s.setKeeps(false)
	var m msg
	err := s.wait(ctx, &s.recvD, nil, func() error {
		var err error
		m, err = s.recvLocked()
		return err
	})
	if err != nil {
		return err
	}
	if m.id != nil {
		engine.CopyFramesAfter(frames, m.id, m.frames)
	} else {
		engine.CopyFrames(frames, m.frames)
	}
	*meta = s.metadata(m)
	m.release()
	return nil
}

// TryRecv receives one whole message or fails with EAGAIN at once.
func (s *Socket) TryRecv() (engine.Message, error) {
	s.setKeeps(true)
	s.markPolled()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return engine.Message{}, errClosed
	}
	s.reapLocked()
	m, err := s.recvLocked()
	if err != nil {
		s.mu.Unlock()
		return engine.Message{}, err
	}
	out := s.toMessageLocked(m)
	s.mu.Unlock()
	return out, nil
}

// setKeeps records how the socket's messages are received: kept by the
// caller (Recv), or copied out (RecvInto). A connection's reader puts the
// next messages into memory that suits (see conn.read); either kind works
// with either call, so a change of mind costs a copy, nothing more.
func (s *Socket) setKeeps(keeps bool) {
	if s.recvKeeps.Load() != keeps {
		s.recvKeeps.Store(keeps)
	}
}

func (s *Socket) recvLocked() (msg, error) {
	m, err := s.pat.recv()
	if err != nil {
		return msg{}, err
	}
	s.stats.MsgsIn++
	s.stats.BytesIn += uint64(m.size())
	return m, nil
}

// toMessageLocked hands m to the caller: frames that another receiver
// may also hold, and small messages, are copied first (own).
func (s *Socket) toMessageLocked(m msg) engine.Message {
	return engine.Message{Frames: own(m, &s.kept), Metadata: s.metadata(m)}
}

// metadata returns the properties of m's connection, if the socket asked
// for them.
func (s *Socket) metadata(m msg) engine.Metadata {
	if m.meta == nil || s.opts.ints[engine.OptMessageMetadata] == 0 {
		return engine.Metadata{}
	}
	return engine.Metadata{UserID: m.meta.userID, PeerAddress: m.meta.peerAddr, Props: m.meta.props}
}

// Stats returns a snapshot of the socket's counters.
func (s *Socket) Stats() engine.Stats {
	s.mu.Lock()
	st := s.stats
	s.mu.Unlock()
	st.SendWaits = s.sendWaits.Load()
	return st
}

// attachLocked adds p to the socket's pattern.
func (s *Socket) attachLocked(p *pipe) {
	s.pipes[p] = struct{}{}
	p.attached = true
	s.updateSoloLocked()
	s.pat.attach(p)
	s.sendD.signal()
	s.recvD.signal()
}

// detachLocked removes p from the socket: the socket neither writes to it
// nor reads from it any more.
func (s *Socket) detachLocked(p *pipe) {
	if !p.attached {
		return
	}
	p.attached = false
	delete(s.pipes, p)
	s.updateSoloLocked()
	s.pat.detach(p)
	p.in.closeReader()
	p.out.closeWriter()
}

// pipeDone reports that p's peer went away. Any goroutine may call it,
// holding no socket lock but maybe its own.
func (s *Socket) pipeDone(p *pipe) {
	s.deadMu.Lock()
	s.dead = append(s.dead, p)
	s.deadN.Add(1)
	s.deadMu.Unlock()
	s.sendD.signal()
	s.recvD.signal()
}

// reapLocked detaches the pipes whose peer went away, once the socket has
// read everything they delivered. Pipes with messages still queued stay
// until the pattern drains them.
func (s *Socket) reapLocked() {
	if s.deadN.Load() == 0 {
		return
	}
	s.deadMu.Lock()
	dead := s.dead
	s.dead = nil
	s.deadN.Store(0)
	s.deadMu.Unlock()
	for _, p := range dead {
		if p.in.drained() {
			s.detachLocked(p)
		}
	}
}
