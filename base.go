package zmq

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/zmqx/zmq/internal/brief"
	"github.com/zmqx/zmq/internal/engine"
)

// socket is what every pattern type shares: the engine socket, its
// endpoints and counters. Its exported methods are promoted to every
// pattern type.
type socket struct {
	f    *Factory
	e    engine.Socket
	kind string // "PUSH", ...
	cfg  sockConfig

	endpoints atomic.Int64 // binds + connects made so far

	// afterClose, if set, runs once the libzmq socket is closed: pattern
	// types join their goroutines there.
	afterClose func()

	// setMu serializes engine option changes with their record: what this
	// package set, for the options an engine cannot report (see Options).
	setMu sync.Mutex
	set   map[engine.Option]engine.Value
	subs  map[string]int // a SUB's subscriptions, with their counts

	handlerErrors, timedOut, lateReplies, abandoned, malformed atomic.Uint64
}

// newSocket creates a socket of type typ with the given options.
// kind names it in errors (Rep is a ROUTER underneath but says "REP").
func (f *Factory) newSocket(typ engine.SocketType, kind string, opts []Option) (*socket, error) {
	s := &socket{f: f, kind: kind}
	s.cfg.sets = append(s.cfg.sets, setting{opt: engine.OptLinger, val: engine.Int(durMillis(f.cfg.linger))})
	for _, o := range opts {
		if o == nil || o.spec() == nil {
			return nil, fmt.Errorf("%w: nil option given to New%s", ErrInvalidOption, kind)
		}
		if err := o.spec().apply(&s.cfg); err != nil {
			return nil, err
		}
	}
	s.cfg.failClosed()
	if s.cfg.metadata || s.cfg.authServer || s.cfg.zapDomain {
		s.cfg.sets = append(s.cfg.sets, setting{opt: engine.OptMessageMetadata, val: engine.Bool(true)})
	}
	// The factory lock is held across creation: Factory.Close cannot
	// close the engine while a socket is being made in it.
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closing {
		return nil, &OpError{Op: "socket", Socket: kind, Err: ErrClosed}
	}
	e, err := f.eng.NewSocket(typ)
	if err != nil {
		return nil, opErr("socket", kind, "", err)
	}
	s.e = e
	if err := s.apply(s.cfg.sets); err != nil {
		// Nothing was sent yet: nothing to linger for.
		e.SetOption(engine.OptLinger, engine.Int(0))
		e.Close()
		return nil, err
	}
	f.sockets[s] = struct{}{}
	return s, nil
}

// apply sets engine options in order. An error names the option that
// failed and its value (never a secret one).
func (s *socket) apply(sets []setting) error {
	for _, st := range sets {
		if err := s.setEngineOption(st); err != nil {
			var v any = st.val.Int
			switch {
			case st.opt.Secret():
				v = "<secret>"
			case st.opt.Kind() == engine.KindBytes:
				v = brief.Quote(string(st.val.Bytes))
			}
			return fmt.Errorf("%w: %s = %v: %w", ErrInvalidOption, st.opt, v, wrapErr(err))
		}
	}
	return nil
}

// setOptions applies options to an open socket. Live options apply at once;
// the others only affect later connections, so they are refused once the
// socket has bound or connected.
func (s *socket) setOptions(opts []Option) error {
	var cfg sockConfig
	for _, o := range opts {
		if o == nil || o.spec() == nil {
			return fmt.Errorf("%w: nil option given to SetOption", ErrInvalidOption)
		}
		sp := o.spec()
		if sp.createOnly {
			return fmt.Errorf("%w: %s can only be given when the socket is made", ErrInvalidOption, sp.name)
		}
		if !sp.live && s.endpoints.Load() > 0 {
			return fmt.Errorf("%w: %s: only options that take effect at once can be changed after Bind or Connect", ErrInvalidOption, sp.name)
		}
		if err := sp.apply(&cfg); err != nil {
			return err
		}
	}
	return opErr("setsockopt", s.kind, "", s.apply(cfg.sets))
}

// setEngineOption sets one engine option and records the value set.
func (s *socket) setEngineOption(st setting) error {
	s.setMu.Lock()
	defer s.setMu.Unlock()
	if err := s.e.SetOption(st.opt, st.val); err != nil {
		return err
	}
	switch st.opt {
	case engine.OptSubscribe, engine.OptUnsubscribe:
		if s.kind != "SUB" {
			return nil // an XPub's applies to one subscriber, not to the socket
		}
		if s.subs == nil {
			s.subs = make(map[string]int)
		}
		prefix := string(st.val.Bytes)
		if st.opt == engine.OptSubscribe {
			s.subs[prefix]++
		} else if s.subs[prefix]--; s.subs[prefix] <= 0 {
			delete(s.subs, prefix)
		}
	default:
		if st.opt.Secret() {
			return nil // never read back
		}
		if s.set == nil {
			s.set = make(map[engine.Option]engine.Value)
		}
		s.set[st.opt] = st.val
	}
	return nil
}

// Bind listens on endpoint and returns the endpoint actually bound, which
// differs from the argument for wildcards ("tcp://127.0.0.1:*" binds an
// ephemeral port). A socket may bind any number of endpoints at any time.
func (s *socket) Bind(endpoint string) (string, error) {
	if err := checkEndpoint(endpoint, true); err != nil {
		return "", &OpError{Op: "bind", Socket: s.kind, Endpoint: endpoint, Err: err}
	}
	if err := checkIPCFree(endpoint); err != nil {
		return "", &OpError{Op: "bind", Socket: s.kind, Endpoint: endpoint, Err: err}
	}
	if err := s.checkAuthTransport(endpoint); err != nil {
		return "", &OpError{Op: "bind", Socket: s.kind, Endpoint: endpoint, Err: err}
	}
	bound, err := s.e.Bind(endpoint)
	if err != nil {
		return "", opErr("bind", s.kind, endpoint, err)
	}
	s.endpoints.Add(1)
	return bound, nil
}

// Connect connects to endpoint. The connection is made in the background
// and re-made after failures, so Connect does not wait for the peer.
// Host names are resolved first, and a name that does not resolve is an
// error. A socket may connect to any number of endpoints at any time.
func (s *socket) Connect(endpoint string) error {
	if err := checkEndpoint(endpoint, false); err != nil {
		return &OpError{Op: "connect", Socket: s.kind, Endpoint: endpoint, Err: err}
	}
	if err := checkResolvable(endpoint); err != nil {
		return &OpError{Op: "connect", Socket: s.kind, Endpoint: endpoint, Err: err}
	}
	if err := s.checkAuthTransport(endpoint); err != nil {
		return &OpError{Op: "connect", Socket: s.kind, Endpoint: endpoint, Err: err}
	}
	err := s.e.Connect(endpoint)
	if err != nil {
		return opErr("connect", s.kind, endpoint, err)
	}
	s.endpoints.Add(1)
	return nil
}

// Unbind stops listening on an endpoint returned by Bind. Unbinding the
// wildcard form fails with ENOENT: use the endpoint Bind returned.
func (s *socket) Unbind(endpoint string) error {
	if err := checkEndpoint(endpoint, true); err != nil {
		return &OpError{Op: "unbind", Socket: s.kind, Endpoint: endpoint, Err: err}
	}
	return opErr("unbind", s.kind, endpoint, s.e.Unbind(endpoint))
}

// Disconnect drops the connection made by Connect(endpoint); messages
// queued for it are discarded.
func (s *socket) Disconnect(endpoint string) error {
	if err := checkEndpoint(endpoint, false); err != nil {
		return &OpError{Op: "disconnect", Socket: s.kind, Endpoint: endpoint, Err: err}
	}
	return opErr("disconnect", s.kind, endpoint, s.e.Disconnect(endpoint))
}

// Close closes the socket: callers waiting in it return ErrClosed, queued
// outgoing messages get the linger period to leave. Close is idempotent and
// safe to call concurrently; it returns once the socket is gone.
func (s *socket) Close() error {
	err := s.e.Close()
	if s.afterClose != nil {
		s.afterClose()
	}
	s.f.forget(s)
	return opErr("close", s.kind, "", err)
}

// Stats returns a snapshot of the socket's counters.
func (s *socket) Stats() Stats {
	es := s.e.Stats()
	return Stats{
		MsgsIn: es.MsgsIn, BytesIn: es.BytesIn, MsgsOut: es.MsgsOut, BytesOut: es.BytesOut,
		SendWaits:          es.SendWaits,
		HandlerErrors:      s.handlerErrors.Load(),
		RequestsTimedOut:   s.timedOut.Load(),
		LateReplies:        s.lateReplies.Load(),
		RequestsAbandoned:  s.abandoned.Load(),
		MalformedEnvelopes: s.malformed.Load(),
	}
}

func (s *socket) String() string { return "zmq." + s.kind }

// Stats are a socket's counters since it was created.
//
// Byte counts are of every frame that went through the socket, including
// the envelope frames that the pattern types add and strip: a Router's
// (and a Rep's) BytesIn and BytesOut count the routing id that starts
// each message on a ROUTER socket, a Req's its request id.
type Stats struct {
	MsgsIn, BytesIn   uint64 // whole messages and their bytes received
	MsgsOut, BytesOut uint64 // whole messages and their bytes sent
	// SendWaits counts sends that found the socket unable to take the
	// message (high-water mark reached, or no peer) and had to wait.
	SendWaits uint64
	// HandlerErrors counts handler calls that returned an error or panicked.
	HandlerErrors uint64
	// RequestsTimedOut counts Req requests that were sent but whose ctx
	// ended before the reply arrived (a request whose send failed is not
	// counted: it never left).
	RequestsTimedOut uint64
	// LateReplies counts replies that arrived for forgotten requests and
	// were dropped.
	LateReplies uint64
	// RequestsAbandoned counts Rep requests forgotten without a reply.
	RequestsAbandoned uint64
	// MalformedEnvelopes counts received messages dropped because their
	// envelope was malformed (see EnvelopeError): a Rep's requests and a
	// Req's replies that could not be answered or matched.
	MalformedEnvelopes uint64
}

// EnvelopeError reports a message that a Rep or a Req received and dropped
// because its envelope is malformed: a request without routing ids and an
// empty delimiter frame, which cannot be answered, or a reply that is not
// [request id, "", parts...], which cannot be matched to a request. It is
// a peer's fault, not a handler's: it goes to the factory's error handler
// and logger, and is counted in Stats.MalformedEnvelopes.
type EnvelopeError struct {
	Socket string // "REP" or "REQ"
	Msg    Msg    // the message as received
}

func (e *EnvelopeError) Error() string {
	want := `[routing ids, request id, "", parts...]`
	if e.Socket == "REQ" {
		want = `[16-byte request id, "", parts...]`
	}
	return fmt.Sprintf("zmq: %s dropped a message of %d frames without the envelope %s", e.Socket, len(e.Msg.Frames), want)
}

// dropMalformed counts and reports a message whose envelope is malformed.
func (s *socket) dropMalformed(m Msg) {
	s.malformed.Add(1)
	s.f.report(&EnvelopeError{Socket: s.kind, Msg: m})
}

func (s *socket) send(ctx context.Context, op string, frames [][]byte) error {
	if len(frames) == 0 {
		return &OpError{Op: op, Socket: s.kind, Err: ErrEmptyMessage}
	}
	return opErr(op, s.kind, "", s.e.Send(ctx, frames))
}

func (s *socket) trySend(op string, frames [][]byte) error {
	if len(frames) == 0 {
		return &OpError{Op: op, Socket: s.kind, Err: ErrEmptyMessage}
	}
	return opErr(op, s.kind, "", s.e.TrySend(frames))
}

func (s *socket) recv(ctx context.Context) (Msg, error) {
	m, err := s.e.Recv(ctx)
	return toMsg(m), opErr("recv", s.kind, "", err)
}

func (s *socket) tryRecv() (Msg, error) {
	m, err := s.e.TryRecv()
	return toMsg(m), opErr("recv", s.kind, "", err)
}

func toMsg(m engine.Message) Msg {
	return Msg{Frames: m.Frames, meta: m.Metadata}
}

func isCtxErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// checkAuthTransport refuses inproc endpoints on sockets that authenticate
// their peers: libzmq makes no handshake on inproc, so any in-process peer
// would get in without the authenticator's approval.
func (s *socket) checkAuthTransport(endpoint string) error {
	if (s.cfg.authServer || s.cfg.zapDomain) && strings.HasPrefix(endpoint, "inproc://") {
		return endpointErr("inproc has no handshake, so a socket that authenticates peers cannot use it")
	}
	return nil
}
