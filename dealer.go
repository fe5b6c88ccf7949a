package zmq

import (
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
