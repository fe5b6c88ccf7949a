package zmq

import "github.com/zmqx/zmq/internal/engine"

// Push sends messages round-robin to connected Pull sockets (ZMQ_PUSH,
// RFC 30). Sends wait at the high-water mark or while no peer is connected.
type Push struct {
	*socket
	sendSide
}

// NewPush creates a Push socket.
func (f *Factory) NewPush(opts ...PushOption) (*Push, error) {
	s, err := f.newSocket(engine.PUSH, "PUSH", asOptions(opts))
	if err != nil {
		return nil, err
	}
	return &Push{s, sendSide{s}}, nil
}

// SetOption changes options on the open socket (see Option).
func (p *Push) SetOption(opts ...PushOption) error { return p.setOptions(asOptions(opts)) }

// Pull receives messages fair-queued from connected Push sockets
// (ZMQ_PULL, RFC 30).
type Pull struct {
	*socket
	recvSide
}

// NewPull creates a Pull socket.
func (f *Factory) NewPull(opts ...PullOption) (*Pull, error) {
	s, err := f.newSocket(engine.PULL, "PULL", asOptions(opts))
	if err != nil {
		return nil, err
	}
	return &Pull{s, recvSide{s}}, nil
}

// SetOption changes options on the open socket (see Option).
func (p *Pull) SetOption(opts ...PullOption) error { return p.setOptions(asOptions(opts)) }
