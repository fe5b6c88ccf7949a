package main

import zmq4 "github.com/pebbe/zmq4"

// pebbe is github.com/pebbe/zmq4: cgo on libzmq like ours, but a thin one.
// A socket is not safe for concurrent use and every call blocks its thread
// inside libzmq (zmq_send/zmq_msg_recv without ZMQ_DONTWAIT). It uses the
// package's default context, as its examples do, and keeps its default of
// retrying calls that Go's preemption signals interrupt (EINTR), which its
// documentation asks for since Go 1.14.
type pebbe struct{}

func newPebbe() (binding, error) { return pebbe{}, nil }

// close terminates the default context; it returns once every socket's
// queued messages have been delivered (linger -1).
func (pebbe) close() error { return zmq4.Term() }

var pebbeTypes = map[kind]zmq4.Type{push: zmq4.PUSH, pull: zmq4.PULL, req: zmq4.REQ, rep: zmq4.REP}

func (pebbe) socket(k kind) (*pebbeSocket, error) {
	s, err := zmq4.NewSocket(pebbeTypes[k])
	if err != nil {
		return nil, err
	}
	// As thr.c: linger -1, so that terminating the context delivers
	// everything. The high-water marks are libzmq's default (const hwm),
	// set to make the comparison's settings explicit.
	err = s.SetLinger(-1)
	if err == nil {
		err = s.SetSndhwm(hwm)
	}
	if err == nil {
		err = s.SetRcvhwm(hwm)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return &pebbeSocket{s}, nil
}

func (p pebbe) bind(k kind, ep string) (socket, string, error) {
	s, err := p.socket(k)
	if err != nil {
		return nil, "", err
	}
	var bound string
	if err = s.s.Bind(ep); err == nil {
		bound, err = s.s.GetLastEndpoint() // the port actually bound
	}
	if err != nil {
		s.s.Close()
		return nil, "", err
	}
	return s, bound, nil
}

func (p pebbe) connect(k kind, ep string) (socket, error) {
	s, err := p.socket(k)
	if err != nil {
		return nil, err
	}
	if err := s.s.Connect(ep); err != nil {
		s.s.Close()
		return nil, err
	}
	return s, nil
}

type pebbeSocket struct{ s *zmq4.Socket }

// send copies b into libzmq (zmq_send), so b may be reused at once.
func (p *pebbeSocket) send(b []byte) error {
	_, err := p.s.SendBytes(b, 0)
	return err
}

// recv receives one frame. Unlike the others it does not check for more
// frames: that is another getsockopt call through cgo per message, which
// thr.c does not pay either, and the sender here only sends one frame.
func (p *pebbeSocket) recv() ([]byte, error) { return p.s.RecvBytes(0) }

func (p *pebbeSocket) close() error { return p.s.Close() }
