package zmq

import (
	"context"

	"github.com/zmqx/zmq/internal/engine"
)

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
