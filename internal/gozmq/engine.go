// Package gozmq is the pure-Go engine: ZeroMQ sockets with libzmq 4.3.4's
// semantics, speaking ZMTP (package zmtp) over tcp and ipc, and passing
// messages between sockets of one Engine over inproc.
//
// Each peer of a socket (a connection, or an inproc peer socket) has a
// pipe: a bounded queue per direction, counted in whole messages. The
// socket's pattern (lb, fq, dist, routing by id...) picks pipes; a
// connection's reader goroutine fills the inbound queue and its writer
// goroutine drains the outbound one. No goroutine holds a lock while it
// blocks, and no socket lock is held while another socket's is taken:
// sockets wake each other through their directions' leaf locks (wait.go).
package gozmq

import (
	"sync"
	"time"

	"github.com/zmqx/zmq/internal/engine"
)

// Name is the engine's name.
const Name = "go"

// Version is what Engine.Version reports: the engine's name and the
// newest protocol it speaks, one word each, as "libzmq 4.3.4" is.
const Version = "go ZMTP/3.1"

// Engine is the namespace of a factory's sockets: its inproc endpoints,
// and the sockets Close waits for.
type Engine struct {
	cfg engine.Config

	mu      sync.Mutex
	closed  bool
	sockets map[*Socket]struct{}
	// reserved counts the room taken by monitors (see monitorSockets).
	reserved int
	// inproc endpoints: bound names, and connects waiting for a bind.
	bound   map[string]*Socket
	pending map[string][]*inprocPending
	// lingering counts the goroutines of closed sockets still delivering
	// queued messages; Close waits for them.
	lingering sync.WaitGroup
	// reclaimAfter is how long a connection's read role stays lent with
	// no receiver holding it (readrole.go): defaultReclaimAfter, longer
	// in tests that need a receiver to find it lent however late it comes.
	reclaimAfter time.Duration
}

// Open returns a new engine.
func Open(cfg engine.Config) (engine.Engine, error) {
	return &Engine{
		cfg:     cfg,
		sockets: make(map[*Socket]struct{}),
		bound:   make(map[string]*Socket),
		pending: make(map[string][]*inprocPending),

		reclaimAfter: defaultReclaimAfter,
	}, nil
}

// Name returns "go".
func (e *Engine) Name() string { return Name }

// Version names the engine.
func (e *Engine) Version() string { return Version }

// maxSocketsDefault is libzmq's ZMQ_MAX_SOCKETS default.
const maxSocketsDefault = 1023

// NewSocket creates a socket of type t.
func (e *Engine) NewSocket(t engine.SocketType) (engine.Socket, error) {
	if !t.Valid() {
		return nil, errInvalid
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, engine.ETERM
	}
	if len(e.sockets)+e.reserved >= e.limit() {
		return nil, errTooManySockets
	}
	s := newSocket(e, t)
	e.sockets[s] = struct{}{}
	return s, nil
}

func (e *Engine) limit() int {
	if e.cfg.MaxSockets > 0 {
		return e.cfg.MaxSockets
	}
	return maxSocketsDefault
}

// reserve takes room for n sockets' worth in the limit, if there is.
func (e *Engine) reserve(n int) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.sockets)+e.reserved+n > e.limit() {
		return false
	}
	e.reserved += n
	return true
}

func (e *Engine) release(n int) {
	e.mu.Lock()
	e.reserved -= n
	e.mu.Unlock()
}

func (e *Engine) forget(s *Socket) {
	e.mu.Lock()
	delete(e.sockets, s)
	e.mu.Unlock()
}

// Close closes the sockets still open and waits for every socket's
// lingering messages to leave or their linger period to end.
func (e *Engine) Close() error {
	e.mu.Lock()
	e.closed = true
	socks := make([]*Socket, 0, len(e.sockets))
	for s := range e.sockets {
		socks = append(socks, s)
	}
	e.mu.Unlock()
	for _, s := range socks {
		s.Close()
	}
	e.lingering.Wait()
	return nil
}

var _ engine.Engine = (*Engine)(nil)
