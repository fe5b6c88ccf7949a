//go:build cgo && unix

package libzmq

import (
	"fmt"
	"sync"

	"github.com/zmqx/zmq/internal/engine"
	"github.com/zmqx/zmq/internal/libzmq/capi"
)

// Engine is one libzmq context.
type Engine struct {
	ctx capi.Context

	mu sync.Mutex
	// internal holds the sockets the engine made for itself (monitor
	// PAIRs), which must be closed before the context can terminate.
	internal map[*Socket]struct{}
}

// Open creates a libzmq context configured by cfg.
func Open(cfg engine.Config) (engine.Engine, error) {
	ctx, err := capi.NewContext(max(cfg.IOThreads, 1))
	if err != nil {
		return nil, err
	}
	if cfg.MaxSockets > 0 {
		if err := ctx.Set(capi.CtxMaxSockets, cfg.MaxSockets); err != nil {
			ctx.Term()
			return nil, err
		}
	}
	return &Engine{ctx: ctx, internal: make(map[*Socket]struct{})}, nil
}

// Name returns "libzmq".
func (e *Engine) Name() string { return Name }

// Version returns libzmq's version, e.g. "libzmq 4.3.4".
func (e *Engine) Version() string { return VersionString() }

// VersionString returns the version of the libzmq linked in.
func VersionString() string {
	a, b, c := capi.Version()
	return fmt.Sprintf("libzmq %d.%d.%d", a, b, c)
}

// NewSocket creates a libzmq socket of type t.
func (e *Engine) NewSocket(t engine.SocketType) (engine.Socket, error) {
	s, err := New(e.ctx, int(t), nil)
	if err != nil {
		return nil, err
	}
	s.eng = e
	return s, nil
}

// newInternal creates a socket for the engine's own use, closed by Close
// at the latest.
func (e *Engine) newInternal(t engine.SocketType) (*Socket, error) {
	s, err := New(e.ctx, int(t), nil)
	if err != nil {
		return nil, err
	}
	s.eng = e
	e.mu.Lock()
	e.internal[s] = struct{}{}
	e.mu.Unlock()
	return s, nil
}

// closeInternal closes a socket made by newInternal.
func (e *Engine) closeInternal(s *Socket) error {
	e.mu.Lock()
	delete(e.internal, s)
	e.mu.Unlock()
	return s.Close()
}

// Close closes the engine's own sockets, then terminates the context: it
// waits until every socket is closed and its linger period has passed.
func (e *Engine) Close() error {
	e.mu.Lock()
	internal := make([]*Socket, 0, len(e.internal))
	for s := range e.internal {
		internal = append(internal, s)
	}
	clear(e.internal)
	e.mu.Unlock()
	for _, s := range internal {
		s.Close()
	}
	return e.ctx.Term()
}

var (
	_ engine.Engine = (*Engine)(nil)
	_ engine.Socket = (*Socket)(nil)
)

// Version returns libzmq's major, minor and patch numbers.
func Version() (major, minor, patch int) { return capi.Version() }

// Has reports whether libzmq was built with capability name.
func Has(name string) bool { return capi.Has(name) }

// CurvePublic derives a Z85 public key with libzmq's zmq_curve_public, for
// tests that compare it with the Go derivation.
func CurvePublic(secret string) (string, error) { return capi.CurvePublic(secret) }
