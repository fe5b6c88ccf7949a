package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/zmqx/zmq"
)

type wirer interface {
	Bind(endpoint string) (string, error)
	Connect(endpoint string) error
	Monitor(events zmq.EventType) (*zmq.Monitor, error)
}

type sender interface {
	Send(ctx context.Context, m zmq.Msg) error
}

type receiver interface {
	Recv(ctx context.Context) (zmq.Msg, error)
	TryRecv() (zmq.Msg, error)
}

// socket is the one socket zmqcat runs, seen through what its TYPE does.
type socket struct {
	wire wirer
	tx   sender   // nil if zmqcat does not send on it
	rx   receiver // nil if zmqcat does not print from it
	// xpub is set for pub, which is an XPUB underneath so that it can see
	// its first subscriber arrive (a Pub cannot).
	xpub   *zmq.XPub
	router bool
}

// commonOptions turns the flags shared by every TYPE into socket options.
func commonOptions[T zmq.Option](cfg *config) []T {
	var out []T
	add := func(o zmq.CommonOption) { out = append(out, any(o).(T)) }
	if cfg.hwm >= 0 {
		add(zmq.WithSendHWM(cfg.hwm))
		add(zmq.WithRecvHWM(cfg.hwm))
	}
	if cfg.identity != nil {
		add(zmq.WithRoutingID(cfg.identity))
	}
	if cfg.curve != nil {
		add(curveOption(cfg.curve))
	}
	return out
}

// openSocket creates the socket for cfg.typ in f. It does not bind or
// connect yet.
func openSocket(ctx context.Context, f *zmq.Factory, cfg *config) (*socket, error) {
	switch cfg.typ {
	case "pub":
		s, err := f.NewXPub(commonOptions[zmq.XPubOption](cfg)...)
		if err != nil {
			return nil, err
		}
		return &socket{wire: s, tx: s, xpub: s}, nil
	case "sub":
		opts := commonOptions[zmq.SubOption](cfg)
		for _, p := range cfg.subscribe {
			opts = append(opts, zmq.WithSubscribe(p))
		}
		s, err := f.NewSub(opts...)
		if err != nil {
			return nil, err
		}
		return &socket{wire: s, rx: s}, nil
	case "xpub":
		s, err := f.NewXPub(commonOptions[zmq.XPubOption](cfg)...)
		if err != nil {
			return nil, err
		}
		return &socket{wire: s, tx: s, rx: s}, nil
	case "xsub":
		s, err := f.NewXSub(commonOptions[zmq.XSubOption](cfg)...)
		if err != nil {
			return nil, err
		}
		// An XSUB keeps the subscriptions it sent and repeats them to every
		// publisher it connects to later, so sending them first is enough.
		for _, p := range cfg.subscribe {
			if err := s.Subscribe(ctx, p); err != nil {
				return nil, err
			}
		}
		return &socket{wire: s, tx: s, rx: s}, nil
	case "push":
		s, err := f.NewPush(commonOptions[zmq.PushOption](cfg)...)
		if err != nil {
			return nil, err
		}
		return &socket{wire: s, tx: s}, nil
	case "pull":
		s, err := f.NewPull(commonOptions[zmq.PullOption](cfg)...)
		if err != nil {
			return nil, err
		}
		return &socket{wire: s, rx: s}, nil
	case "pair":
		s, err := f.NewPair(commonOptions[zmq.PairOption](cfg)...)
		if err != nil {
			return nil, err
		}
		return &socket{wire: s, tx: s, rx: s}, nil
	case "dealer":
		s, err := f.NewDealer(commonOptions[zmq.DealerOption](cfg)...)
		if err != nil {
			return nil, err
		}
		return &socket{wire: s, tx: s, rx: s}, nil
	case "router":
		// Mandatory routing, so that a line for a peer that is not
		// connected is reported instead of vanishing.
		opts := append(commonOptions[zmq.RouterOption](cfg), zmq.WithRouterMandatory(true))
		s, err := f.NewRouter(opts...)
		if err != nil {
			return nil, err
		}
		return &socket{wire: s, tx: s, rx: s, router: true}, nil
	case "req":
		// libzmq's own strict REQ: zmqcat asks one question at a time, and
		// a strict REQ puts exactly [“”, frames...] on the wire, which every
		// REP, and every ROUTER written for REQ clients, expects. zmq.Req
		// adds a request-id frame before the empty one: a plain REP copes,
		// a hand-written ROUTER peer may not.
		s, err := f.NewSocket(zmq.REQ, commonOptions[zmq.SocketOption](cfg)...)
		if err != nil {
			return nil, err
		}
		return &socket{wire: s, tx: s, rx: s}, nil
	case "rep":
		// libzmq's own strict REP: it answers plain REQ peers, and zmqcat
		// answers one request at a time anyway.
		s, err := f.NewSocket(zmq.REP, commonOptions[zmq.SocketOption](cfg)...)
		if err != nil {
			return nil, err
		}
		return &socket{wire: s, tx: s, rx: s}, nil
	}
	return nil, usagef("unknown TYPE %q (want one of %s)", cfg.typ, typeList)
}

// wire binds and connects s. A bound endpoint that differs from the one
// asked for (a wildcard port, a host name) is announced on stderr, since
// peers need it.
func wire(s *socket, cfg *config, stderr io.Writer) error {
	for _, ep := range cfg.binds {
		got, err := s.wire.Bind(ep)
		if err != nil {
			return &endpointError{op: "bind", endpoint: ep, err: err}
		}
		if got != ep {
			fmt.Fprintf(stderr, "zmqcat: bound %s\n", got)
		}
	}
	for _, ep := range cfg.connects {
		if err := s.wire.Connect(ep); err != nil {
			return &endpointError{op: "connect", endpoint: ep, err: err}
		}
	}
	return nil
}

// endpointError is an endpoint that cannot be bound or connected: bad input,
// exit status 2.
type endpointError struct {
	op, endpoint string
	err          error
}

func (e *endpointError) Error() string {
	cause := e.err
	var op *zmq.OpError
	if errors.As(cause, &op) {
		cause = op.Err
	}
	msg := strings.TrimPrefix(cause.Error(), "zmq: ")
	if errors.Is(cause, zmq.ErrInvalidEndpoint) {
		return msg // it names the endpoint already
	}
	return fmt.Sprintf("cannot %s %s: %s", e.op, e.endpoint, msg)
}

func (e *endpointError) Unwrap() error { return e.err }
