package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	zmq4 "github.com/go-zeromq/zmq4"
)

// goZeroMQ is github.com/go-zeromq/zmq4, ZMTP 3 in pure Go: no libzmq, no
// cgo. A socket is made with a context (zmq4.NewPush(ctx), ...), Listen
// binds, Dial connects, and messages are zmq4.Msg values.
//
// It has no high-water mark for these socket types (its OptionHWM applies
// to PUB only): a send writes the message straight to the TCP connection
// (two write calls per frame, header then body) and returns when the
// kernel has taken it, and a receiving socket reads each connection on a
// goroutine into a channel of 10 messages. So the kernel's socket buffers
// are its queue, where libzmq adds up to 1000 messages on each side.
type goZeroMQ struct{ ctx context.Context }

func newGoZeroMQ() (binding, error) { return goZeroMQ{context.Background()}, nil }

// close has nothing to release: each socket's Close closes its
// connections, and everything sent is already in the kernel's hands.
func (goZeroMQ) close() error { return nil }

func (g goZeroMQ) socket(k kind) zmq4.Socket {
	switch k {
	case push:
		return zmq4.NewPush(g.ctx)
	case pull:
		return zmq4.NewPull(g.ctx)
	case req:
		return zmq4.NewReq(g.ctx)
	default:
		return zmq4.NewRep(g.ctx)
	}
}

func (g goZeroMQ) bind(k kind, ep string) (socket, string, error) {
	s := g.socket(k)
	// Listen takes a "*" port (it listens on port 0); Addr gives the port.
	if err := s.Listen(ep); err != nil {
		s.Close()
		return nil, "", err
	}
	return &goZeroMQSocket{s: s, rep: k == rep}, "tcp://" + s.Addr().String(), nil
}

func (g goZeroMQ) connect(k kind, ep string) (socket, error) {
	// Dial returns once the ZMTP handshake is done (it retries a refused
	// connection 10 times, 250 ms apart).
	s := g.socket(k)
	if err := s.Dial(ep); err != nil {
		s.Close()
		return nil, err
	}
	return &goZeroMQSocket{s: s, rep: k == rep}, nil
}

type goZeroMQSocket struct {
	s   zmq4.Socket
	rep bool
}

// send has written b to the connection when it returns, so b may be
// reused. A Msg per send, as the package's examples make them: its own
// cost (one small allocation) is nothing beside the goroutine that Send
// starts per connection to write it.
func (g *goZeroMQSocket) send(b []byte) error { return g.s.Send(zmq4.NewMsg(b)) }

func (g *goZeroMQSocket) recv() ([]byte, error) {
	m, err := g.s.Recv()
	if err != nil {
		return nil, err
	}
	if len(m.Frames) != 1 {
		return nil, fmt.Errorf("got a %d-frame message, want 1", len(m.Frames))
	}
	return m.Frames[0], nil
}

func (g *goZeroMQSocket) close() error {
	if g.rep {
		// A REP's Send only hands the reply to a writer goroutine (by
		// design: "REP shall not block on sending"), and Close closes the
		// connections without waiting for it, so closing right after the
		// last reply loses it and the REQ peer gets EOF. No call waits
		// for the writer; a pause outside the timed loop stands in for
		// the linger the libzmq bindings have.
		time.Sleep(200 * time.Millisecond)
	}
	err := g.s.Close()
	if errors.Is(err, net.ErrClosed) {
		// Once the peer has disconnected, the goroutine reading the
		// connection has closed it already, and Close reports closing it
		// again. Nothing was lost: the receive loop had every message.
		err = nil
	}
	return err
}
