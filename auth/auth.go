package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/zmqx/zmq"
)

// Endpoint is where libzmq sends ZAP requests (RFC 27). Each Factory has
// its own in-process namespace, so each can have one authenticator.
const Endpoint = "inproc://zeromq.zap.01"

// ZAP status codes (RFC 27).
const (
	StatusOK            = 200 // the peer is approved
	StatusTemporary     = 300 // temporary failure: the peer may retry
	StatusDenied        = 400 // the peer is refused
	StatusInternalError = 500 // the request was malformed or could not be handled
)

// Authenticator answers the ZAP requests of one Factory's sockets. Make one
// with Start. Its methods are safe for concurrent use.
type Authenticator struct {
	router *zmq.Router
	log    *slog.Logger
	def    Policy
	// ctx is the Deciders': it ends when the authenticator stops.
	ctx    context.Context
	cancel context.CancelFunc

	mu    sync.Mutex               // serializes policy writers
	state atomic.Pointer[snapshot] // read by the serving goroutine without locking

	done      chan struct{} // closed when the serving goroutine has ended
	closeOnce sync.Once
	err       error // why serving stopped, if not because of Close

	requests, accepted, denied, malformed atomic.Uint64
}

// Stats are an Authenticator's counters since Start.
type Stats struct {
	Requests uint64 // ZAP requests received, well-formed or not
	Accepted uint64 // answered 200
	Denied   uint64 // answered 400
	// Malformed counts requests answered 500 (malformed, or a Decider
	// failed on them) or dropped because they could not be answered.
	Malformed uint64
}

type config struct {
	logger *slog.Logger
	setup  []func(*Authenticator) error
}

// Option configures an Authenticator.
type Option func(*config) error

// WithLogger makes the authenticator log its decisions to l (denials at
// Info, approvals at Debug, malformed requests at Warn). Keys and passwords
// are never logged. Default: nothing is logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("auth: WithLogger(nil)")
		}
		c.logger = l
		return nil
	}
}

// WithSetup makes Start call setup with the new authenticator once it is
// bound and before it answers any request, so that the very first
// handshakes already see the policy setup sets. Use it when server sockets
// may exist before the authenticator, as when restarting one: a client
// refused by an empty policy does not retry. If setup fails, so does Start.
// setup must not call Close.
func WithSetup(setup func(*Authenticator) error) Option {
	return func(c *config) error {
		if setup == nil {
			return errors.New("auth: WithSetup(nil)")
		}
		c.setup = append(c.setup, setup)
		return nil
	}
}

// Start binds an authenticator to f's ZAP endpoint and serves it until
// Close or until f closes. When Start returns, the authenticator is bound
// and answers every request, so sockets made afterwards can never reach a
// handshake before it. A Factory has at most one authenticator at a time:
// a second Start fails with an error wrapping zmq.EADDRINUSE.
//
// The policy starts empty: CURVE and PLAIN peers are refused until keys are
// allowed or passwords set; NULL peers are admitted (see the package
// documentation). Set the policy before making the sockets it guards, or
// with WithSetup.
func Start(f *zmq.Factory, opts ...Option) (*Authenticator, error) {
	if f == nil {
		return nil, errors.New("auth: Start: nil Factory")
	}
	cfg := config{logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("auth: Start: nil Option")
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	r, err := f.NewRouter()
	if err != nil {
		return nil, fmt.Errorf("auth: Start: %w", err)
	}
	if _, err := r.Bind(Endpoint); err != nil {
		r.Close()
		return nil, fmt.Errorf("auth: Start: %w", err)
	}
	a := &Authenticator{router: r, log: cfg.logger, done: make(chan struct{})}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.def = Policy{a: a}
	a.state.Store(&snapshot{def: &rules{}})
	for _, setup := range cfg.setup {
		// Requests wait in the socket meanwhile.
		if err := setup(a); err != nil {
			a.cancel()
			r.Unbind(Endpoint)
			r.Close()
			return nil, fmt.Errorf("auth: Start: setup: %w", err)
		}
	}
	go a.serve()
	return a, nil
}

// Close stops the authenticator and returns once it has stopped. From then
// on new handshakes on the factory's authenticating sockets fail (those
// whose request was not yet answered fail at their server's handshake
// interval); existing connections are not affected. The factory can have a
// new authenticator at once. Close is idempotent. It returns the error that
// stopped serving early, if any.
func (a *Authenticator) Close() error {
	a.closeOnce.Do(a.stop)
	<-a.done
	return a.err
}

// stop stops answering. libzmq releases a closed socket's inproc endpoint
// only once the socket is reaped, and until then new handshakes would send
// their requests to a socket nobody reads and stall until their handshake
// interval. Unbinding first releases the endpoint at once: new handshakes
// fail straight away, and a new authenticator can start.
func (a *Authenticator) stop() {
	a.cancel()
	a.router.Unbind(Endpoint)
	a.router.Close()
}

// Done returns a channel that is closed when the authenticator has stopped
// serving: after Close, or when its factory closed.
func (a *Authenticator) Done() <-chan struct{} { return a.done }

// Stats returns a snapshot of the authenticator's counters.
func (a *Authenticator) Stats() Stats {
	return Stats{
		Requests:  a.requests.Load(),
		Accepted:  a.accepted.Load(),
		Denied:    a.denied.Load(),
		Malformed: a.malformed.Load(),
	}
}

func (a *Authenticator) serve() {
	defer close(a.done)
	ctx := context.Background()
	for {
		peer, m, err := a.router.RecvFrom(ctx)
		if err != nil {
			if !errors.Is(err, zmq.ErrClosed) && !errors.Is(err, zmq.ETERM) {
				a.err = fmt.Errorf("auth: serving stopped: %w", err)
				a.log.Error("zap: serving stopped; handshakes will fail", "err", err)
			}
			// Whatever stopped us, stop answering for good: libzmq then
			// fails every new handshake (fail closed).
			a.closeOnce.Do(a.stop)
			return
		}
		reply := a.handleSafely(m.Frames)
		if reply == nil {
			continue
		}
		if err := a.router.SendTo(ctx, peer, reply...); err != nil && !errors.Is(err, zmq.ErrClosed) {
			a.log.Warn("zap: sending a reply failed", "err", err)
		}
	}
}

// handleSafely answers one request; a panic is turned into a 500.
func (a *Authenticator) handleSafely(frames [][]byte) (reply [][]byte) {
	a.requests.Add(1)
	defer func() {
		if p := recover(); p != nil {
			a.malformed.Add(1)
			a.log.Error("zap: handler panic", "panic", fmt.Sprint(p))
			reply = nil
			if len(frames) >= 3 && len(frames[0]) == 0 {
				reply = zapReply(frames[2], StatusInternalError, "internal error", "", nil)
			}
		}
	}()
	return a.handle(frames)
}

var (
	zapVersion = []byte("1.0")
	frameNULL  = []byte("NULL")
	framePLAIN = []byte("PLAIN")
	frameCURVE = []byte("CURVE")
)

// handle checks one request (the frames after the routing id) and returns
// the reply frames, or nil when the request cannot be answered at all.
//
// Request: "", "1.0", request id, domain, address, identity, mechanism,
// credentials... (RFC 27).
func (a *Authenticator) handle(fr [][]byte) [][]byte {
	if len(fr) < 3 || len(fr[0]) != 0 {
		// No delimiter or no request id: there is nothing to echo, and a
		// ZAP client would not recognize the reply.
		a.malformed.Add(1)
		a.log.Warn("zap: dropped a request without envelope", "frames", len(fr))
		return nil
	}
	id := fr[2]
	bad := func(why string) [][]byte {
		a.malformed.Add(1)
		a.log.Warn("zap: malformed request", "reason", why)
		return zapReply(id, StatusInternalError, why, "", nil)
	}
	if !bytes.Equal(fr[1], zapVersion) {
		return bad("unsupported ZAP version")
	}
	if len(fr) < 7 {
		return bad(fmt.Sprintf("%d frames, want at least 7", len(fr)))
	}
	creds := fr[7:]
	switch {
	case bytes.Equal(fr[6], frameNULL) && len(creds) != 0:
		return bad("NULL request with credentials")
	case bytes.Equal(fr[6], framePLAIN) && len(creds) != 2:
		return bad("PLAIN request without user name and password")
	case bytes.Equal(fr[6], frameCURVE) && (len(creds) != 1 || len(creds[0]) != 32):
		return bad("CURVE request without a 32-byte key")
	}
	q := newRequest(string(fr[3]), string(fr[4]), fr[5], string(fr[6]), creds)
	v := a.state.Load().decide(a.ctx, q)
	meta, err := encodeMetadata(v.Metadata)
	if err != nil {
		v = verdict{Decision{Status: StatusInternalError, StatusText: "internal error"}, "Decider: " + err.Error()}
	}
	attrs := []any{"domain", q.Domain, "address", q.Address, "mechanism", q.Mechanism, "reason", v.reason}
	if q.Mechanism == "PLAIN" {
		attrs = append(attrs, "user", q.UserName)
	}
	switch v.Status {
	case StatusOK:
		a.accepted.Add(1)
		a.log.Debug("zap: approved", attrs...)
	case StatusInternalError:
		a.malformed.Add(1)
		a.log.Warn("zap: internal error", attrs...)
	default:
		a.denied.Add(1)
		a.log.Info("zap: denied", attrs...)
	}
	return zapReply(id, v.Status, v.StatusText, v.UserID, meta)
}

// zapReply builds a reply: "", "1.0", request id, status code, status
// text, user id, metadata (RFC 27). User id and metadata are empty unless
// status is 200.
func zapReply(id []byte, status int, text, userID string, metadata []byte) [][]byte {
	if status != StatusOK {
		userID, metadata = "", nil
	}
	return [][]byte{
		{},
		zapVersion,
		id,
		fmt.Appendf(nil, "%d", status),
		[]byte(text),
		[]byte(userID),
		metadata,
	}
}
