package gozmq

import (
	"slices"

	"github.com/zmqx/zmq/internal/engine"
)

// lb sends each message to the next pipe, in turn, that can take it.
type lb struct {
	pipes []*pipe
	cur   int
}

func (l *lb) add(p *pipe) { l.pipes = append(l.pipes, p) }

func (l *lb) remove(p *pipe) {
	if i := slices.Index(l.pipes, p); i >= 0 {
		l.pipes = slices.Delete(l.pipes, i, i+1)
		if l.cur > i {
			l.cur--
		}
	}
	if l.cur >= len(l.pipes) {
		l.cur = 0
	}
}

// send pushes m to the next pipe with room and returns it, or EAGAIN.
func (l *lb) send(m msg) (*pipe, error) {
	n := len(l.pipes)
	for k := range n {
		i := (l.cur + k) % n
		p := l.pipes[i]
		if p.out.push(m, false) == pushed {
			l.cur = (i + 1) % n
			return p, nil
		}
	}
	return nil, errAgain
}

func newPattern(s *Socket, t engine.SocketType) pattern {
	switch t {
	case engine.PAIR:
		return &pair{s: s}
	case engine.PUSH:
		return &push{}
	case engine.PULL:
		return &pull{fq: fq{s: s}}
	case engine.DEALER:
		return &dealer{s: s, fq: fq{s: s}}
	case engine.ROUTER:
		return newRouter(s)
	case engine.STREAM:
		return newStream(s)
	case engine.REQ:
		return newReq(s)
	case engine.REP:
		return &rep{fq: fq{s: s}}
	case engine.PUB, engine.XPUB:
		return newXPub(s, t)
	case engine.SUB, engine.XSUB:
		return newXSub(s, t)
	}
	panic("gozmq: no pattern for " + t.String())
}

// pair talks to a single peer; later peers are refused.
type pair struct {
	s    *Socket
	peer *pipe
}

func (x *pair) attach(p *pipe) {
	if x.peer != nil {
		if p.kill != nil {
			p.kill()
		}
		return
	}
	x.peer = p
}

func (x *pair) detach(p *pipe) {
	if x.peer == p {
		x.peer = nil
	}
}

func (x *pair) send(m msg) error {
	if x.peer == nil || x.peer.out.push(m, false) != pushed {
		return errAgain
	}
	return nil
}

func (x *pair) recv() (msg, error) {
	p := x.peer
	if p == nil {
		return msg{}, errAgain
	}
	m, ok, done := p.in.pop()
	if done {
		x.s.detachLocked(p)
	}
	if !ok {
		return msg{}, errAgain
	}
	return m, nil
}

// push load-balances; it cannot receive.
type push struct{ lb lb }

func (x *push) attach(p *pipe)     { x.lb.add(p) }
func (x *push) detach(p *pipe)     { x.lb.remove(p) }
func (x *push) recv() (msg, error) { return msg{}, errNotSup }
func (x *push) send(m msg) error {
	_, err := x.lb.send(m)
	return err
}

// pull fair-queues; it cannot send.
type pull struct{ fq fq }

func (x *pull) attach(p *pipe) { x.fq.add(p) }
func (x *pull) detach(p *pipe) { x.fq.remove(p) }
func (x *pull) send(msg) error { return errNotSup }
func (x *pull) recv() (msg, error) {
	m, _, err := x.fq.recv()
	return m, err
}

// dealer load-balances its sends and fair-queues its receives.
type dealer struct {
	s  *Socket
	lb lb
	fq fq
}

func (x *dealer) attach(p *pipe) {
	x.lb.add(p)
	x.fq.add(p)
	if x.s.opts.bool(engine.OptProbeRouter) {
		p.out.push(msg{frames: [][]byte{{}}}, true)
	}
}

func (x *dealer) detach(p *pipe) {
	x.lb.remove(p)
	x.fq.remove(p)
}

func (x *dealer) send(m msg) error {
	_, err := x.lb.send(m)
	return err
}

func (x *dealer) recv() (msg, error) {
	m, _, err := x.fq.recv()
	return m, err
}
