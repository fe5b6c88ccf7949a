package gozmq

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"syscall"

	"github.com/zmqx/zmq/internal/engine"
)

// router addresses each message to the peer named by its first frame and
// prefixes every received message with its sender's routing id.
type router struct {
	s    *Socket
	fq   fq
	byID map[string]*pipe
	// anon holds peers that announced an id already in use: libzmq keeps
	// them connected but ignores them. What they send is dropped.
	anon   []*pipe
	nextID uint32
}

func newRouter(s *Socket) *router {
	return &router{s: s, fq: fq{s: s}, byID: make(map[string]*pipe), nextID: rand.Uint32()}
}

func (x *router) attach(p *pipe) {
	id := p.peerID
	if len(id) == 0 {
		id = x.generateID()
	} else if old := x.byID[string(id)]; old != nil {
		if !x.s.opts.bool(engine.OptRouterHandover) {
			x.anon = append(x.anon, p)
			return
		}
		delete(x.byID, string(id))
		x.fq.remove(old)
		old.routingID = nil
		if old.kill != nil {
			old.kill()
		}
	}
	p.routingID = id
	x.byID[string(id)] = p
	x.fq.add(p)
	if x.s.opts.bool(engine.OptProbeRouter) {
		p.out.push(msg{frames: [][]byte{{}}}, true)
	}
}

// generateID returns a fresh id of five octets, 0 then a counter, as
// libzmq gives peers that announce none.
func (x *router) generateID() []byte {
	for {
		id := make([]byte, 5)
		binary.BigEndian.PutUint32(id[1:], x.nextID)
		x.nextID++
		if x.byID[string(id)] == nil {
			return id
		}
	}
}

func (x *router) detach(p *pipe) {
	if p.routingID != nil && x.byID[string(p.routingID)] == p {
		delete(x.byID, string(p.routingID))
	}
	x.fq.remove(p)
	if i := slices.Index(x.anon, p); i >= 0 {
		x.anon = slices.Delete(x.anon, i, i+1)
	}
}

func (x *router) send(m msg) error {
	mandatory := x.s.opts.bool(engine.OptRouterMandatory)
	p := x.byID[string(m.frames[0])]
	if p == nil {
		if mandatory {
			return syscall.EHOSTUNREACH
		}
		m.release() // dropped, as libzmq does
		return nil
	}
	rest := m.frames[1:]
	if len(rest) == 0 {
		m.release()
		return nil
	}
	// The message's memory goes along, to come back once it is written.
	switch p.out.push(msg{frames: rest, backing: m.backing, slab: m.slab}, false) {
	case pushFull:
		if mandatory {
			return errAgain
		}
		m.release()
	case pushClosed:
		if mandatory {
			return syscall.EHOSTUNREACH
		}
		m.release()
	}
	return nil
}

func (x *router) recv() (msg, error) {
	for _, p := range x.anon {
		for range maxBatch {
			if _, ok, _ := p.in.pop(); !ok {
				break
			}
		}
	}
	m, p, err := x.fq.recv()
	if err != nil {
		return msg{}, err
	}
	m.id = p.routingID
	return m, nil
}

// req is libzmq's strict REQ: a request, then its reply, in turn.
type req struct {
	s         *Socket
	lb        lb
	fq        fq
	receiving bool
	replyPipe *pipe
	reqID     uint32
}

func newReq(s *Socket) *req { return &req{s: s, fq: fq{s: s}, reqID: rand.Uint32()} }

func (x *req) attach(p *pipe) {
	x.lb.add(p)
	x.fq.add(p)
	if x.s.opts.bool(engine.OptProbeRouter) {
		p.out.push(msg{frames: [][]byte{{}}}, true)
	}
}

func (x *req) detach(p *pipe) {
	x.lb.remove(p)
	x.fq.remove(p)
	if x.replyPipe == p {
		x.replyPipe = nil
	}
}

func (x *req) send(m msg) error {
	if x.receiving && !x.s.opts.bool(engine.OptReqRelaxed) {
		return engine.EFSM
	}
	frames := make([][]byte, 0, len(m.frames)+2)
	correlate := x.s.opts.bool(engine.OptReqCorrelate)
	if correlate {
		x.reqID++
		id := make([]byte, 4)
		binary.BigEndian.PutUint32(id, x.reqID)
		frames = append(frames, id)
	}
	frames = append(frames, []byte{})
	frames = append(frames, m.frames...)
	p, err := x.lb.send(msg{frames: frames})
	if err != nil {
		return err
	}
	x.replyPipe = p
	x.receiving = true
	return nil
}

func (x *req) recv() (msg, error) {
	if !x.receiving {
		return msg{}, engine.EFSM
	}
	correlate := x.s.opts.bool(engine.OptReqCorrelate)
	for {
		m, p, err := x.fq.recv()
		if err != nil {
			return msg{}, err
		}
		if p != x.replyPipe {
			continue // a reply to an earlier request, or from a peer not asked
		}
		f := m.frames
		if correlate {
			if len(f) < 2 || len(f[0]) != 4 || binary.BigEndian.Uint32(f[0]) != x.reqID {
				continue
			}
			f = f[1:]
		}
		if len(f) < 2 || len(f[0]) != 0 {
			continue // not a reply envelope
		}
		m.frames = f[1:]
		x.receiving = false
		x.replyPipe = nil
		return m, nil
	}
}

// rep is libzmq's strict REP: receive a request, then send its reply,
// which goes back along the request's envelope.
type rep struct {
	fq       fq
	sending  bool
	envelope [][]byte
	from     *pipe
}

func (x *rep) attach(p *pipe) { x.fq.add(p) }

func (x *rep) detach(p *pipe) {
	x.fq.remove(p)
	if x.from == p {
		x.from = nil
	}
}

func (x *rep) recv() (msg, error) {
	if x.sending {
		return msg{}, engine.EFSM
	}
	for {
		m, p, err := x.fq.recv()
		if err != nil {
			return msg{}, err
		}
		i := slices.IndexFunc(m.frames, func(f []byte) bool { return len(f) == 0 })
		if i < 0 || i == len(m.frames)-1 {
			continue // no envelope delimiter, or nothing after it: dropped
		}
		// The envelope outlives the request, whose memory a RecvInto
		// recycles: keep a copy.
		x.envelope = copyOut(nil, m.frames[:i+1], nil)
		m.frames = m.frames[i+1:]
		x.from = p
		x.sending = true
		return m, nil
	}
}

func (x *rep) send(m msg) error {
	if !x.sending {
		return engine.EFSM
	}
	frames := append(slices.Clip(x.envelope), m.frames...)
	if x.from != nil {
		x.from.out.push(msg{frames: frames}, false) // a full or gone peer loses it, as with libzmq
	}
	x.sending, x.envelope, x.from = false, nil, nil
	return nil
}
