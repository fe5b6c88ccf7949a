package zmq

import (
	"context"
	"fmt"
	"github.com/zmqx/zmq/internal/engine"
)

// Dealer sends round-robin to its peers and receives fair-queued from them,
// with no envelope handling: frames go out and come in as they are
// (ZMQ_DEALER, RFC 28).
type Dealer struct {
	*socket
	sendSide
	recvSide
}

// NewDealer creates a Dealer socket.
func (f *Factory) NewDealer(opts ...DealerOption) (*Dealer, error) {
	s, err := f.newSocket(engine.DEALER, "DEALER", asOptions(opts))
	if err != nil {
		return nil, err
	}
	return &Dealer{s, sendSide{s}, recvSide{s}}, nil
}

// SetOption changes options on the open socket (see Option).
func (d *Dealer) SetOption(opts ...DealerOption) error { return d.setOptions(asOptions(opts)) }

// Router addresses its peers by routing id (ZMQ_ROUTER, RFC 28). Received
// messages start with the sender's id; sent messages start with the
// recipient's. Send, Recv, Serve and Messages deal in those raw frames;
// SendTo and RecvFrom split the id off. Stats count the id's bytes too,
// in BytesIn and BytesOut.
//
// A message to an unknown peer, or to a peer whose queue is at the
// high-water mark, is dropped silently unless the socket was made
// WithRouterMandatory(true): then the send fails with ErrHostUnreachable for
// an unknown peer, and waits (TrySendTo: EAGAIN) for a full one.
type Router struct {
	*socket
	sendSide
	recvSide
}

// NewRouter creates a Router socket.
func (f *Factory) NewRouter(opts ...RouterOption) (*Router, error) {
	s, err := f.newSocket(engine.ROUTER, "ROUTER", asOptions(opts))
	if err != nil {
		return nil, err
	}
	return &Router{s, sendSide{s}, recvSide{s}}, nil
}

// SetOption changes options on the open socket (see Option).
func (r *Router) SetOption(opts ...RouterOption) error { return r.setOptions(asOptions(opts)) }

// SendTo sends parts to the peer with routing id peer.
func (r *Router) SendTo(ctx context.Context, peer []byte, parts ...[]byte) error {
	return r.send(ctx, "send", withPeer(peer, parts))
}

// TrySendTo is SendTo without waiting: it fails with EAGAIN when the peer's
// queue is full (with the mandatory option on).
func (r *Router) TrySendTo(peer []byte, parts ...[]byte) error {
	return r.trySend("send", withPeer(peer, parts))
}

// RecvFrom receives the next message and returns the sender's routing id
// and the rest of the frames.
func (r *Router) RecvFrom(ctx context.Context) (peer []byte, m Msg, err error) {
	m, err = r.recv(ctx)
	if err != nil {
		return nil, Msg{}, err
	}
	peer = m.Frames[0]
	m.Frames = m.Frames[1:]
	return peer, m, nil
}

func withPeer(peer []byte, parts [][]byte) [][]byte {
	frames := make([][]byte, 0, 1+len(parts))
	return append(append(frames, peer), parts...)
}

// SocketType is a libzmq socket type, for the raw Socket.
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
	STREAM SocketType = SocketType(engine.STREAM)
)

func (t SocketType) String() string { return engine.SocketType(t).String() }

// Socket is a raw libzmq socket of any type, for what the pattern types do
// not cover: libzmq's strict REQ and REP (which refuse out-of-order calls
// with EFSM), STREAM, or frames exactly as libzmq gives them. It has every
// method; libzmq refuses those its type does not support (ENOTSUP).
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
