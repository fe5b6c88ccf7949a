package zmq

import "github.com/zmqx/zmq/internal/engine"

// Pair talks to exactly one other Pair socket, both ways (ZMQ_PAIR, RFC 31).
type Pair struct {
	*socket
	sendSide
	recvSide
}

// NewPair creates a Pair socket.
func (f *Factory) NewPair(opts ...PairOption) (*Pair, error) {
	s, err := f.newSocket(engine.PAIR, "PAIR", asOptions(opts))
	if err != nil {
		return nil, err
	}
	return &Pair{s, sendSide{s}, recvSide{s}}, nil
}

// SetOption changes options on the open socket (see Option).
func (p *Pair) SetOption(opts ...PairOption) error { return p.setOptions(asOptions(opts)) }
