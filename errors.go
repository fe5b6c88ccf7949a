package zmq

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/zmqx/zmq/internal/brief"
	"github.com/zmqx/zmq/internal/engine"
)

// Sentinel errors. Test for them with errors.Is.
var (
	// ErrClosed is returned by every call on a closed socket or factory,
	// and to every caller that was waiting when it closed. It matches
	// net.ErrClosed too.
	ErrClosed = fmt.Errorf("zmq: use of closed socket: %w", net.ErrClosed)
	// ErrInvalidOption reports an option value that cannot be used; the
	// error text names the option and the value.
	ErrInvalidOption = errors.New("zmq: invalid option")
	// ErrInvalidEndpoint reports an endpoint that is malformed or
	// unsupported; the error text names the endpoint.
	ErrInvalidEndpoint = errors.New("zmq: invalid endpoint")
	// ErrEmptyMessage is returned when sending a message with no frames.
	ErrEmptyMessage = errors.New("zmq: message has no frames")
	// ErrNotSupported is matched by errors about something the engine in
	// use does not offer (a transport, an option) and another engine does;
	// the error text names both.
	ErrNotSupported = engine.ErrNotSupported
	// ErrMessageTorn is returned by a send whose message was cut off:
	// libzmq took its first frames, then the connection they were going to
	// closed, and libzmq refused the rest. No part of the message reaches
	// any peer (libzmq discards what it took), and it may be sent again.
	// Only a message of several frames can be torn. A Pair reports every
	// torn message; the other types mostly lose it silently (see Send).
	ErrMessageTorn = errors.New("zmq: message cut off: its connection closed after its first frames were sent, and no part of it was delivered")
)

// Errno is an error number reported by libzmq: a system errno or one of
// libzmq's own codes (EFSM, ETERM, ...). It matches the syscall.Errno of the
// same number with errors.Is, so errors.Is(err, syscall.EADDRINUSE) works.
type Errno uintptr

func (e Errno) Error() string { return engine.Strerror(syscall.Errno(e)) }

// Is reports whether target is the same error number.
func (e Errno) Is(target error) bool {
	switch t := target.(type) {
	case Errno:
		return t == e
	case syscall.Errno:
		return uintptr(t) == uintptr(e)
	}
	return false
}

// Error numbers that callers commonly test for.
const (
	EAGAIN          = Errno(syscall.EAGAIN)       // the socket cannot send or receive now
	EINVAL          = Errno(syscall.EINVAL)       // invalid argument
	ENOENT          = Errno(syscall.ENOENT)       // no such endpoint (Unbind/Disconnect)
	EFSM            = Errno(engine.EFSM)          // operation not allowed in the socket's current state (strict REQ/REP)
	ETERM           = Errno(engine.ETERM)         // the context was terminated
	EHOSTUNREACH    = Errno(syscall.EHOSTUNREACH) // ROUTER_MANDATORY: no such peer
	ENOTSUP         = Errno(syscall.ENOTSUP)      // operation not supported by this socket type
	EPROTONOSUPPORT = Errno(syscall.EPROTONOSUPPORT)
	EADDRINUSE      = Errno(syscall.EADDRINUSE)
	EADDRNOTAVAIL   = Errno(syscall.EADDRNOTAVAIL)
	EMTHREAD        = Errno(engine.EMTHREAD)
)

// ErrHostUnreachable is returned by a Router with the mandatory option on
// when a message is addressed to a peer it does not know.
const ErrHostUnreachable = EHOSTUNREACH

// OpError is the error type returned by socket operations. Like
// net.OpError it says what failed and where.
type OpError struct {
	Op       string // "bind", "connect", "send", "recv", "setsockopt", ...
	Socket   string // socket type, e.g. "PUSH"
	Endpoint string // the endpoint, for bind/connect/unbind/disconnect
	Err      error  // the cause: an Errno, ErrClosed, a context error, ...
}

func (e *OpError) Error() string {
	s := "zmq: " + e.Socket + " " + e.Op
	if e.Endpoint != "" {
		s += " " + brief.Show(e.Endpoint)
	}
	// The cause's own "zmq: " prefix would repeat ours.
	return s + ": " + strings.TrimPrefix(e.Err.Error(), "zmq: ")
}

func (e *OpError) Unwrap() error { return e.Err }

// wrapErr maps engine and libzmq errors to the public ones.
func wrapErr(err error) error {
	switch e := err.(type) {
	case nil:
		return nil
	case syscall.Errno:
		return Errno(e)
	}
	switch err {
	case engine.ErrClosed:
		return ErrClosed
	case engine.ErrTorn:
		return ErrMessageTorn
	}
	return err
}

func opErr(op, sock, endpoint string, err error) error {
	if err == nil {
		return nil
	}
	err = wrapErr(err)
	// Context errors come back as they are, so err == context.Canceled works.
	if isCtxErr(err) {
		return err
	}
	return &OpError{Op: op, Socket: sock, Endpoint: endpoint, Err: err}
}
