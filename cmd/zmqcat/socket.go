package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/internal/brief"
)

type wirer interface {
	Bind(endpoint string) (string, error)
	Close() error
	Connect(endpoint string) error
	Monitor(events zmq.EventType) (*zmq.Monitor, error)
}

type sender interface {
	Send(ctx context.Context, m zmq.Msg) error
	TrySend(m zmq.Msg) error
}

// send sends m, waiting within ctx if the socket cannot take it at once;
// a socket that can take it gets it even once ctx has ended.
func send(ctx context.Context, tx sender, m zmq.Msg) error {
	err := tx.TrySend(m)
	if errors.Is(err, zmq.EAGAIN) {
		err = tx.Send(ctx, m)
	}
	return err
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

	// For the delivery report.
	sent        atomic.Int64 // messages the socket took from zmqcat
	received    atomic.Int64 // messages printed: proof that a peer was there
	subscribed  bool         // pub saw a subscriber before it sent
	undelivered undelivered
}

// options returns the socket options of cfg for a socket of option type
// T: zmqcat's own (from the flags shared by every TYPE, then those its
// TYPE needs), then -o's, so that -o can override them.
func options[T zmq.Option](cfg *config, own ...T) ([]T, error) {
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
	if cfg.typ == "push" {
		// A message is taken only for a peer whose handshake has
		// completed, never queued for one that may not come: a send that
		// succeeds has reached a peer's queue. Not for sockets that also
		// receive: with immediate, libzmq 4.3.4 drops what a peer sent
		// just before it disconnected, unread.
		add(zmq.WithImmediate(true))
	}
	out = append(out, own...)
	for _, o := range cfg.options {
		t, err := asOption[T](o)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// openSocket creates the socket for cfg.typ in f. It does not bind or
// connect yet.
func openSocket(f *zmq.Factory, cfg *config) (*socket, error) {
	switch cfg.typ {
	case "pub":
		opts, err := options[zmq.XPubOption](cfg)
		if err != nil {
			return nil, err
		}
		s, err := f.NewXPub(opts...)
		if err != nil {
			return nil, err
		}
		return &socket{wire: s, tx: s, xpub: s}, nil
	case "sub":
		var subs []zmq.SubOption
		for _, p := range cfg.subscribe {
			subs = append(subs, zmq.WithSubscribe(p))
		}
		opts, err := options(cfg, subs...)
		if err != nil {
			return nil, err
		}
		s, err := f.NewSub(opts...)
		if err != nil {
			return nil, err
		}
		return &socket{wire: s, rx: s}, nil
	case "xpub":
		opts, err := options[zmq.XPubOption](cfg)
		if err != nil {
			return nil, err
		}
		s, err := f.NewXPub(opts...)
		if err != nil {
			return nil, err
		}
		return &socket{wire: s, tx: s, rx: s}, nil
	case "xsub":
		opts, err := options[zmq.XSubOption](cfg)
		if err != nil {
			return nil, err
		}
		s, err := f.NewXSub(opts...)
		if err != nil {
			return nil, err
		}
		// An XSUB keeps the subscriptions it sent and repeats them to every
		// publisher it connects to later, so sending them first is enough.
		for _, p := range cfg.subscribe {
			if err := s.Subscribe(p); err != nil {
				return nil, err
			}
		}
		return &socket{wire: s, tx: s, rx: s}, nil
	case "push":
		opts, err := options[zmq.PushOption](cfg)
		if err != nil {
			return nil, err
		}
		s, err := f.NewPush(opts...)
		if err != nil {
			return nil, err
		}
		return &socket{wire: s, tx: s}, nil
	case "pull":
		opts, err := options[zmq.PullOption](cfg)
		if err != nil {
			return nil, err
		}
		s, err := f.NewPull(opts...)
		if err != nil {
			return nil, err
		}
		return &socket{wire: s, rx: s}, nil
	case "pair":
		opts, err := options[zmq.PairOption](cfg)
		if err != nil {
			return nil, err
		}
		s, err := f.NewPair(opts...)
		if err != nil {
			return nil, err
		}
		return &socket{wire: s, tx: s, rx: s}, nil
	case "dealer":
		opts, err := options[zmq.DealerOption](cfg)
		if err != nil {
			return nil, err
		}
		s, err := f.NewDealer(opts...)
		if err != nil {
			return nil, err
		}
		return &socket{wire: s, tx: s, rx: s}, nil
	case "router":
		// Mandatory routing, so that a line for a peer that is not
		// connected is reported instead of vanishing.
		opts, err := options[zmq.RouterOption](cfg, zmq.WithRouterMandatory(true))
		if err != nil {
			return nil, err
		}
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
		opts, err := options[zmq.SocketOption](cfg)
		if err != nil {
			return nil, err
		}
		s, err := f.NewSocket(zmq.REQ, opts...)
		if err != nil {
			return nil, err
		}
		return &socket{wire: s, tx: s, rx: s}, nil
	case "rep":
		// libzmq's own strict REP: it answers plain REQ peers, and zmqcat
		// answers one request at a time anyway.
		opts, err := options[zmq.SocketOption](cfg)
		if err != nil {
			return nil, err
		}
		s, err := f.NewSocket(zmq.REP, opts...)
		if err != nil {
			return nil, err
		}
		return &socket{wire: s, tx: s, rx: s}, nil
	}
	return nil, usagef("unknown TYPE %q (want one of %s)", cfg.typ, typeList)
}

// wire binds and connects s, and tells w the endpoints. A bound endpoint
// that differs from the one asked for (a wildcard port, a host name) is
// announced on stderr, since peers need it.
func wire(s *socket, cfg *config, w *watcher, stderr io.Writer) error {
	for _, ep := range cfg.binds {
		got, err := s.wire.Bind(ep)
		if err != nil {
			return &endpointError{op: "bind", endpoint: ep, err: err}
		}
		w.expect(got, true)
		if got != ep {
			fmt.Fprintf(stderr, "zmqcat: bound %s\n", got)
		}
	}
	for _, ep := range cfg.connects {
		w.expect(ep, false)
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
	if why, ok := strings.CutPrefix(msg, "invalid endpoint: "); ok {
		return "invalid endpoint " + brief.Quote(e.endpoint) + ": " + why
	}
	return fmt.Sprintf("cannot %s %s: %s", e.op, brief.Show(e.endpoint), msg)
}

func (e *endpointError) Unwrap() error { return e.err }

// handedOver reports whether the run proved that a peer completed a
// handshake: it printed a message, or push (with immediate) sent one.
func (s *socket) handedOver(cfg *config) bool {
	return s.received.Load() > 0 || (cfg.typ == "push" && !cfg.immediateOff && s.sent.Load() > 0)
}
