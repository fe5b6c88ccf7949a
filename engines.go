package zmq

import (
	"fmt"
	"os"

	"github.com/zmqx/zmq/internal/engine"
	"github.com/zmqx/zmq/internal/gozmq"
	"github.com/zmqx/zmq/internal/libzmq"
)

// Engine names the implementation that serves a Factory's sockets. Both
// offer the same API; a program, its keys and its tests do not change
// when it switches.
type Engine string

// Engines.
const (
	// EngineLibzmq is libzmq (4.3) through cgo: every transport libzmq has
	// (tcp, ipc, inproc, pgm, epgm, norm, tipc), CURVE, PLAIN, GSSAPI.
	// It needs cgo and libzmq's library at run time.
	EngineLibzmq Engine = libzmq.Name
	// EngineGo is ZMTP implemented in Go: no cgo, any platform Go builds
	// for; tcp, ipc and inproc; NULL, PLAIN and CURVE, with the same ZAP
	// authenticator (package auth) as libzmq.
	EngineGo Engine = "go"
)

// EngineEnv is the environment variable that chooses the engine of
// factories made without WithEngine: "go" or "libzmq".
const EngineEnv = "ZMQ_ENGINE"

// WithEngine chooses the factory's engine. Default: the one named by
// ZMQ_ENGINE in the environment, else the go engine, with or without cgo.
func WithEngine(e Engine) FactoryOption {
	return func(c *factoryConfig) error {
		if err := checkEngine("WithEngine", e); err != nil {
			return err
		}
		c.engine = e
		return nil
	}
}

func checkEngine(where string, e Engine) error {
	switch e {
	case EngineLibzmq, EngineGo:
		return nil
	}
	return fmt.Errorf("%w: %s(%q): unknown engine, want %q or %q", ErrInvalidOption, where, string(e), EngineGo, EngineLibzmq)
}

// defaultEngine reads ZMQ_ENGINE, else picks the go engine: it is faster
// than libzmq through cgo, and than libzmq itself, in every throughput
// and round-trip row of make bench.
func defaultEngine() (Engine, error) {
	if v, ok := os.LookupEnv(EngineEnv); ok && v != "" {
		e := Engine(v)
		if err := checkEngine(EngineEnv, e); err != nil {
			return "", err
		}
		return e, nil
	}
	return EngineGo, nil
}

func openEngine(e Engine, cfg engine.Config) (engine.Engine, error) {
	var (
		eng engine.Engine
		err error
	)
	switch e {
	case EngineLibzmq:
		eng, err = libzmq.Open(cfg)
	case EngineGo:
		eng, err = gozmq.Open(cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("zmq: opening the %s engine: %w", e, wrapErr(err))
	}
	return eng, nil
}

// Engine returns the factory's engine.
func (f *Factory) Engine() Engine { return f.cfg.engine }

// EngineVersion names the factory's engine and its version, e.g.
// "libzmq 4.3.4".
func (f *Factory) EngineVersion() string { return f.eng.Version() }
