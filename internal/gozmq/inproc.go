package gozmq

import (
	"syscall"

	"github.com/zmqx/zmq/internal/engine"
)

// inprocPending is a connect to an inproc name nobody has bound yet: its
// pipe is already attached to the connecting socket, which can queue to
// it, and the binder takes the other end when it arrives.
type inprocPending struct {
	s *Socket
	p *pipe
}

// sockInfo is what the other end of an inproc pipe needs of a socket.
type sockInfo struct {
	typ            engine.SocketType
	sndhwm, rcvhwm int
	id             []byte
	conflate       bool
}

func (s *Socket) info() (sockInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sockInfo{
		typ:      s.typ,
		sndhwm:   s.opts.int(engine.OptSendHWM),
		rcvhwm:   s.opts.int(engine.OptRecvHWM),
		id:       append([]byte(nil), s.opts.bytes[engine.OptRoutingID]...),
		conflate: s.conflateLocked(),
	}, !s.closed
}

// bindInproc makes name an endpoint of s and connects the sockets that
// were waiting for it.
func (s *Socket) bindInproc(endpoint, name string) error {
	e := s.eng
	e.mu.Lock()
	if _, taken := e.bound[name]; taken {
		e.mu.Unlock()
		return syscall.EADDRINUSE
	}
	e.bound[name] = s
	waiting := e.pending[name]
	delete(e.pending, name)
	e.mu.Unlock()
	s.mu.Lock()
	s.inprocBind[endpoint] = true
	s.mu.Unlock()
	for _, w := range waiting {
		s.joinPending(w, endpoint)
	}
	return nil
}

// connectInproc connects s to name, now if it is bound, else when it is.
func (s *Socket) connectInproc(endpoint, name string) error {
	mine, ok := s.info()
	if !ok {
		return errClosed
	}
	e := s.eng
	e.mu.Lock()
	b := e.bound[name]
	if b == nil {
		// The pipe exists at once; the binder will take the other end.
		p := &pipe{s: s, inproc: true, endpoint: endpoint,
			out: newQueue(mine.sndhwm, mine.conflate), in: newQueue(mine.rcvhwm, mine.conflate)}
		p.in.setReadable(s.recvD.signal)
		p.out.setWritable(s.sendD.signal)
		e.pending[name] = append(e.pending[name], &inprocPending{s: s, p: p})
		e.mu.Unlock()
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return errClosed
		}
		s.inprocConn[endpoint] = append(s.inprocConn[endpoint], p)
		s.attachLocked(p)
		s.mu.Unlock()
		return nil
	}
	e.mu.Unlock()
	peer, ok := b.info()
	if !ok {
		return syscall.ECONNREFUSED
	}
	conflateAB := mine.conflate || peer.conflate
	ab := newQueue(sumHWM(mine.sndhwm, peer.rcvhwm), conflateAB)
	ba := newQueue(sumHWM(peer.sndhwm, mine.rcvhwm), conflateAB)
	pa := &pipe{s: s, out: ab, in: ba, inproc: true, peerType: peer.typ, peerID: peer.id, endpoint: endpoint}
	pb := &pipe{s: b, out: ba, in: ab, inproc: true, peerType: mine.typ, peerID: mine.id, endpoint: endpoint}
	ab.setHooks(b.recvD.signal, s.sendD.signal)
	ba.setHooks(s.recvD.signal, b.sendD.signal)
	linkInproc(pa, pb)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errClosed
	}
	s.inprocConn[endpoint] = append(s.inprocConn[endpoint], pa)
	s.attachLocked(pa)
	s.mu.Unlock()
	b.attachInproc(pb)
	return nil
}

// joinPending takes the other end of a pipe made by a connect that came
// before the bind.
func (s *Socket) joinPending(w *inprocPending, endpoint string) {
	mine, ok := s.info()
	if !ok {
		return
	}
	peer, _ := w.s.info()
	pa := w.p
	pb := &pipe{s: s, out: pa.in, in: pa.out, inproc: true, peerType: peer.typ, peerID: peer.id, endpoint: endpoint}
	pa.out.setHWM(sumHWM(peer.sndhwm, mine.rcvhwm))
	pa.in.setHWM(sumHWM(mine.sndhwm, peer.rcvhwm))
	pa.out.setReadable(s.recvD.signal)
	pa.in.setWritable(s.sendD.signal)
	linkInproc(pa, pb)
	w.s.mu.Lock()
	pa.peerType, pa.peerID = mine.typ, mine.id
	w.s.mu.Unlock()
	s.attachInproc(pb)
}

// attachInproc attaches the binder's end of an inproc pipe, or ends the
// pipe if the socket has closed meanwhile.
func (s *Socket) attachInproc(p *pipe) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		p.kill()
		return
	}
	s.attachLocked(p)
	s.sendD.signal()
}

// linkInproc gives both ends of an inproc pipe their kill: either side
// ending it ends both directions.
func linkInproc(a, b *pipe) {
	end := func() {
		a.out.closeWriter()
		b.out.closeWriter()
		a.s.pipeDone(a)
		b.s.pipeDone(b)
	}
	a.kill, b.kill = end, end
}

// closeInprocLocked ends s's inproc pipes as s closes: what s sent stays
// readable by the peer, what the peer sends is refused.
func (s *Socket) closeInprocLocked() {
	for p := range s.pipes {
		if !p.inproc {
			continue
		}
		p.out.closeWriter()
		p.in.closeReader()
		if p.kill != nil {
			p.kill()
		}
	}
	e := s.eng
	e.mu.Lock()
	for ep := range s.inprocBind {
		name := ep[len("inproc://"):]
		if e.bound[name] == s {
			delete(e.bound, name)
		}
	}
	for name, list := range e.pending {
		kept := list[:0]
		for _, w := range list {
			if w.s != s {
				kept = append(kept, w)
			}
		}
		if len(kept) == 0 {
			delete(e.pending, name)
		} else {
			e.pending[name] = kept
		}
	}
	e.mu.Unlock()
}

// unbindInproc removes a bound inproc name.
func (s *Socket) unbindInproc(endpoint string) error {
	s.mu.Lock()
	if !s.inprocBind[endpoint] {
		s.mu.Unlock()
		return syscall.ENOENT
	}
	delete(s.inprocBind, endpoint)
	s.mu.Unlock()
	e := s.eng
	e.mu.Lock()
	if e.bound[endpoint[len("inproc://"):]] == s {
		delete(e.bound, endpoint[len("inproc://"):])
	}
	e.mu.Unlock()
	return nil
}

// disconnectInproc ends the pipes a Connect(endpoint) made.
func (s *Socket) disconnectInproc(endpoint string) error {
	s.mu.Lock()
	list, ok := s.inprocConn[endpoint]
	if !ok {
		s.mu.Unlock()
		return syscall.ENOENT
	}
	delete(s.inprocConn, endpoint)
	for _, p := range list {
		p.in.closeReader()
		if p.kill != nil {
			p.kill()
		} else { // still waiting for a bind
			p.out.closeWriter()
			s.detachLocked(p)
		}
	}
	s.mu.Unlock()
	name := endpoint[len("inproc://"):]
	e := s.eng
	e.mu.Lock()
	list2 := e.pending[name]
	kept := list2[:0]
	for _, w := range list2 {
		if w.s != s {
			kept = append(kept, w)
		}
	}
	if len(kept) == 0 {
		delete(e.pending, name)
	} else {
		e.pending[name] = kept
	}
	e.mu.Unlock()
	return nil
}
