package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/zmqx/zmq"
)

// ours is github.com/zmqx/zmq, used as bench/gothr uses it, so that its
// figures here line up with bench/run.sh's Go->Go ones.
type ours struct{ f *zmq.Factory }

func newOurs() (binding, error) {
	// Linger -1, as in gothr and thr.c: closing delivers everything queued.
	f, err := zmq.NewFactory(zmq.WithDefaultLinger(-1))
	if err != nil {
		return nil, err
	}
	return ours{f}, nil
}

func (o ours) close() error { return o.f.Close() }

func (o ours) bind(k kind, ep string) (socket, string, error) {
	s, err := o.socket(k)
	if err != nil {
		return nil, "", err
	}
	bound, err := s.z.Bind(ep) // the port actually bound
	if err != nil {
		s.z.Close()
		return nil, "", err
	}
	return s, bound, nil
}

func (o ours) connect(k kind, ep string) (socket, error) {
	s, err := o.socket(k)
	if err != nil {
		return nil, err
	}
	if err := s.z.Connect(ep); err != nil {
		s.z.Close()
		return nil, err
	}
	return s, nil
}

// ourSocket adapts the typed sockets. Every call that can wait takes a
// ctx; nothing here ever cancels, so it is context.Background().
type ourSocket struct {
	z interface {
		Bind(string) (string, error)
		Connect(string) error
		Close() error
	}
	push *zmq.Push
	pull *zmq.Pull
	req  *zmq.Req
	rep  *zmq.Rep

	// frames is the one-frame slice every push message is made of: Send
	// copies the frames into libzmq before it returns, so one message
	// value serves every send without allocating (gothr does the same).
	frames [1][]byte
	q      *zmq.Request // rep: the request last received
	reply  zmq.Msg      // req: the reply to the request last sent
}

func (o ours) socket(k kind) (*ourSocket, error) {
	// No options: the default high-water marks are 1000 (const hwm).
	s := &ourSocket{}
	var err error
	switch k {
	case push:
		s.push, err = o.f.NewPush()
		s.z = s.push
	case pull:
		s.pull, err = o.f.NewPull()
		s.z = s.pull
	case req:
		s.req, err = o.f.NewReq()
		s.z = s.req
	case rep:
		s.rep, err = o.f.NewRep()
		s.z = s.rep
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (s *ourSocket) send(b []byte) error {
	ctx := context.Background()
	switch {
	case s.push != nil:
		s.frames[0] = b
		return s.push.Send(ctx, zmq.Msg{Frames: s.frames[:]})
	case s.req != nil:
		// Our Req pairs a request with its reply in one call, Request,
		// which is how it is meant to be used; recv hands the reply over.
		// The round trip timed by doReq is the same.
		var err error
		s.reply, err = s.req.Request(ctx, b)
		return err
	case s.rep != nil:
		if s.q == nil {
			return errors.New("reply without a request")
		}
		q := s.q
		s.q = nil
		return q.Reply(ctx, b)
	}
	return errors.New("send on a PULL socket")
}

func (s *ourSocket) recv() ([]byte, error) {
	ctx := context.Background()
	var m zmq.Msg
	switch {
	case s.pull != nil:
		var err error
		if m, err = s.pull.Recv(ctx); err != nil {
			return nil, err
		}
	case s.req != nil:
		m, s.reply = s.reply, zmq.Msg{}
	case s.rep != nil:
		q, err := s.rep.Recv(ctx)
		if err != nil {
			return nil, err
		}
		s.q, m = q, q.Msg
	default:
		return nil, errors.New("recv on a PUSH socket")
	}
	if len(m.Frames) != 1 {
		return nil, fmt.Errorf("got a %d-frame message, want 1", len(m.Frames))
	}
	return m.Frames[0], nil
}

func (s *ourSocket) close() error { return s.z.Close() }
