package zmq

import (
	"fmt"

	"github.com/zmqx/zmq/internal/engine"
)

// SocketType is a ZeroMQ socket type, for the raw Socket.
type SocketType int

// Socket types for NewSocket.
const (
	PAIR   SocketType = SocketType(engine.PAIR)
	PUB    SocketType = SocketType(engine.PUB)
	SUB    SocketType = SocketType(engine.SUB)
	REQ    SocketType = SocketType(engine.REQ)
	REP    SocketType = SocketType(engine.REP)
	DEALER SocketType = SocketType(engine.DEALER)
	ROUTER SocketType = SocketType(engine.ROUTER)
	PULL   SocketType = SocketType(engine.PULL)
	PUSH   SocketType = SocketType(engine.PUSH)
	XPUB   SocketType = SocketType(engine.XPUB)
	XSUB   SocketType = SocketType(engine.XSUB)
	// STREAM talks to plain TCP or IPC programs, not ZeroMQ peers. Each
	// message is two frames: the id the socket gave the connection, then
	// bytes as they arrived (split or joined anyhow) or are to be sent.
	// An empty second frame received says the connection was made or
	// lost (WithStreamNotify); sent, it closes the connection after what
	// was sent to it before. Sending to an unknown id fails with
	// EHOSTUNREACH, and a message of other than two frames with EINVAL.
	STREAM SocketType = SocketType(engine.STREAM)
)

// String returns the type's name as ZeroMQ spells it ("PUSH").
func (t SocketType) String() string { return engine.SocketType(t).String() }

// Socket is a raw socket of any type, for what the pattern types do not
// cover: the strict REQ and REP of ZeroMQ (which refuse out-of-order calls
// with EFSM), STREAM, or frames exactly as the engine
// gives them. It has every method; the engine refuses those its type does
// not support (ENOTSUP).
type Socket struct {
	*socket
	sendSide
	recvSide
	typ SocketType
}

// NewSocket creates a raw socket of type t.
func (f *Factory) NewSocket(t SocketType, opts ...SocketOption) (*Socket, error) {
	if !engine.SocketType(t).Valid() {
		return nil, fmt.Errorf("%w: unknown socket type %d", ErrInvalidOption, int(t))
	}
	s, err := f.newSocket(engine.SocketType(t), t.String(), asOptions(opts))
	if err != nil {
		return nil, err
	}
	return &Socket{s, sendSide{s}, recvSide{s}, t}, nil
}

// Type returns the socket's type.
func (s *Socket) Type() SocketType { return s.typ }

// SetOption changes options on the open socket (see Option).
func (s *Socket) SetOption(opts ...SocketOption) error { return s.setOptions(asOptions(opts)) }
