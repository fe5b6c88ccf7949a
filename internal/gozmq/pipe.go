package gozmq

import (
	"sync/atomic"

	"github.com/zmqx/zmq/internal/engine"
)

// pipe is a socket's link to one peer: out carries messages to the peer,
// in brings the peer's. For a connection, the socket is one end of each
// queue and the connection's goroutines the other; for inproc, a pipe's
// out is the peer pipe's in.
type pipe struct {
	s        *Socket
	in, out  *queue
	attached bool // guarded by s.mu

	peerType engine.SocketType
	peerID   []byte // the identity the peer announced (its routing id)
	endpoint string

	// routingID is the id a ROUTER knows this peer by; guarded by s.mu.
	routingID []byte

	// connected says a connection has served this pipe before: a new one
	// is a reconnect. Guarded by s.mu.
	connected bool

	// mark is the dist scratch of a PUB or XPUB; guarded by s.mu.
	mark uint64
	// fqMember says the pipe is one of its socket's fair queue's, and
	// fqActive that it is on that queue's active list; guarded by s.mu.
	fqMember, fqActive bool

	// inproc is true for a pipe to another socket of the engine; its hwm
	// (the sum of both sockets' marks) is set when both are known.
	inproc bool
	// kill asks the transport to drop the peer: a ROUTER handing an id
	// over, a PAIR refusing a second peer, Disconnect. It must not block
	// and must not take the socket lock.
	kill func()
	// conn is the connection serving the pipe, if any.
	conn atomic.Pointer[conn]
}

// newConnPipe makes a pipe for a connection of s, bounded by s's marks.
func (s *Socket) newConnPipe(endpoint string) *pipe {
	conflate := s.conflateLocked()
	p := &pipe{
		s:        s,
		in:       newQueue(s.opts.int(engine.OptRecvHWM), conflate),
		out:      newQueue(s.opts.int(engine.OptSendHWM), conflate),
		endpoint: endpoint,
	}
	p.in.setReadable(s.recvD.signal)
	p.out.setWritable(s.sendD.signal)
	return p
}

// conflateLocked reports whether CONFLATE applies to s: libzmq honours it
// on DEALER, PULL, PUSH, PUB and SUB only.
func (s *Socket) conflateLocked() bool {
	if !s.opts.bool(engine.OptConflate) {
		return false
	}
	switch s.typ {
	case engine.DEALER, engine.PULL, engine.PUSH, engine.PUB, engine.SUB:
		return true
	}
	return false
}

// applyHWM gives p's queues the socket's current marks.
func (p *pipe) applyHWM() {
	if p.inproc {
		return // set from both sockets' marks when connected
	}
	p.in.setHWM(p.s.opts.int(engine.OptRecvHWM))
	p.out.setHWM(p.s.opts.int(engine.OptSendHWM))
}

// sumHWM is the bound of an inproc queue: the writer's send mark plus the
// reader's receive mark, unlimited if either is.
func sumHWM(snd, rcv int) int {
	if snd == 0 || rcv == 0 {
		return 0
	}
	return snd + rcv
}
