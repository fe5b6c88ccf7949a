package gozmq

import "syscall"

// stream is libzmq's STREAM: each peer is a plain tcp or ipc connection
// (streamconn.go) that speaks no ZMTP. A message is two frames: the
// routing id the socket gave the connection, then bytes as they arrived
// or are to be sent. An empty second frame is a notification coming in
// (the peer connected or went away) and a request to close going out.
type stream struct {
	r *router // the ids and the fair queue, as a ROUTER keeps them
}

func newStream(s *Socket) *stream {
	return &stream{r: newRouter(s)}
}

// attach names a new connection with a fresh id: STREAM peers announce
// none.
func (x *stream) attach(p *pipe) {
	p.routingID = x.r.generateID()
	x.r.byID[string(p.routingID)] = p
	x.r.fq.add(p)
}

func (x *stream) detach(p *pipe) { x.r.detach(p) }

// send queues the bytes of [id, data] for the connection named id, or
// its closing for [id, ""]; the connection closes once what was queued
// before is written. An unknown id is EHOSTUNREACH, as on a mandatory
// ROUTER, and a full queue makes the sender wait.
func (x *stream) send(m msg) error {
	if len(m.frames) != 2 {
		return errInvalid
	}
	p := x.r.byID[string(m.frames[0])]
	if p == nil {
		return syscall.EHOSTUNREACH
	}
	data := msg{frames: m.frames[1:], backing: m.backing, slab: m.slab}
	switch p.out.push(data, len(m.frames[1]) == 0) {
	case pushFull:
		return errAgain
	case pushClosed:
		return syscall.EHOSTUNREACH
	}
	return nil
}

func (x *stream) recv() (msg, error) { return x.r.recv() }
