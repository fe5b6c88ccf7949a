package zmq

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/zmqx/zmq/internal/engine"
)

// Factory owns one engine instance (for libzmq, a context) and every socket
// made from it. It is the Go counterpart of txZMQ's ZmqFactory. A Factory
// is safe for concurrent use.
//
// Close it when done: Close closes every socket it made (each socket's
// linger period applies) and then closes the engine.
type Factory struct {
	cfg factoryConfig
	eng engine.Engine

	mu      sync.Mutex
	sockets map[*socket]struct{}
	closing bool
	done    chan struct{} // closed when Close has finished
	err     error
}

type factoryConfig struct {
	engine     Engine
	ioThreads  int
	maxSockets int
	linger     time.Duration
	logger     *slog.Logger
	onError    func(error)
}

// FactoryOption configures a Factory.
type FactoryOption func(*factoryConfig) error

// WithIOThreads sets the number of libzmq I/O threads (ZMQ_IO_THREADS).
// Default 1, which libzmq recommends per gigabit per second of traffic.
// The go engine has no I/O threads (its I/O runs in the goroutines that
// ask for it) and ignores it.
func WithIOThreads(n int) FactoryOption {
	return func(c *factoryConfig) error {
		if n < 1 || n > 1024 {
			return fmt.Errorf("%w: WithIOThreads(%d): want 1 to 1024", ErrInvalidOption, n)
		}
		c.ioThreads = n
		return nil
	}
}

// WithMaxSockets sets how many sockets the factory's context may hold at
// once (ZMQ_MAX_SOCKETS). Default 1023, libzmq's. Each socket also uses two
// file descriptors (libzmq's notification fd and the netpoller's
// duplicate), so large values need a matching RLIMIT_NOFILE.
func WithMaxSockets(n int) FactoryOption {
	return func(c *factoryConfig) error {
		if n < 1 {
			return fmt.Errorf("%w: WithMaxSockets(%d): want at least 1", ErrInvalidOption, n)
		}
		c.maxSockets = n
		return nil
	}
}

// WithDefaultLinger sets the linger period (ZMQ_LINGER) given to every
// socket of the factory that does not set its own with WithLinger.
// Default 100ms, as in txZMQ, so that Close never hangs on undeliverable
// messages; libzmq's own default is to wait forever (-1).
func WithDefaultLinger(d time.Duration) FactoryOption {
	return func(c *factoryConfig) error {
		if err := checkLinger("WithDefaultLinger", d); err != nil {
			return err
		}
		c.linger = d
		return nil
	}
}

// WithLogger sets a logger for background errors: handlers that failed or
// panicked, messages a Rep or a Req dropped for a malformed envelope.
// Default: nothing is logged.
func WithLogger(l *slog.Logger) FactoryOption {
	return func(c *factoryConfig) error {
		if l == nil {
			return fmt.Errorf("%w: WithLogger(nil)", ErrInvalidOption)
		}
		c.logger = l
		return nil
	}
}

// WithErrorHandler sets a function that receives errors that happen in the
// background, where no caller can get them: a handler that returned an
// error or panicked (as *HandlerError), a reply that could not be sent, a
// message dropped because its envelope was malformed (as *EnvelopeError).
// It may be called from several goroutines at once. Default: none (the
// errors are still counted in the socket's Stats and logged if a logger is
// set).
func WithErrorHandler(f func(error)) FactoryOption {
	return func(c *factoryConfig) error {
		if f == nil {
			return fmt.Errorf("%w: WithErrorHandler(nil)", ErrInvalidOption)
		}
		c.onError = f
		return nil
	}
}

// NewFactory creates a Factory with its own engine instance.
func NewFactory(opts ...FactoryOption) (*Factory, error) {
	cfg := factoryConfig{
		ioThreads: 1,
		linger:    100 * time.Millisecond,
		logger:    slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil FactoryOption", ErrInvalidOption)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.engine == "" {
		e, err := defaultEngine()
		if err != nil {
			return nil, err
		}
		cfg.engine = e
	}
	eng, err := openEngine(cfg.engine, engine.Config{IOThreads: cfg.ioThreads, MaxSockets: cfg.maxSockets})
	if err != nil {
		return nil, err
	}
	return &Factory{
		cfg:     cfg,
		eng:     eng,
		sockets: make(map[*socket]struct{}),
		done:    make(chan struct{}),
	}, nil
}

// CloseWhenDone makes the factory close itself when ctx is done, like
// txZMQ's registerForShutdown. It is safe together with an explicit Close:
// whichever comes first closes the factory, the other waits for it.
func (f *Factory) CloseWhenDone(ctx context.Context) {
	stop := context.AfterFunc(ctx, func() { f.Close() })
	go func() {
		// Release the AfterFunc registration if the factory closes first.
		<-f.done
		stop()
	}()
}

// Close closes every socket the factory made, then closes the engine
// (for libzmq, terminates the context), which waits at most for the
// longest linger period among the sockets. It is idempotent and safe to call concurrently; every call
// returns once the factory is closed.
func (f *Factory) Close() error {
	f.mu.Lock()
	if f.closing {
		f.mu.Unlock()
		<-f.done
		return f.err
	}
	f.closing = true
	socks := make([]*socket, 0, len(f.sockets))
	for s := range f.sockets {
		socks = append(socks, s)
	}
	f.mu.Unlock()

	var errs []error
	for _, s := range socks {
		if err := s.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := f.eng.Close(); err != nil {
		errs = append(errs, fmt.Errorf("zmq: closing the %s engine: %w", f.cfg.engine, wrapErr(err)))
	}
	f.err = errors.Join(errs...)
	close(f.done)
	return f.err
}

// Done returns a channel that is closed when the factory has closed.
func (f *Factory) Done() <-chan struct{} { return f.done }

func (f *Factory) String() string { return "zmq.Factory" }

func (f *Factory) forget(s *socket) {
	f.mu.Lock()
	delete(f.sockets, s)
	f.mu.Unlock()
}

// report hands a background error to the error handler and the logger.
func (f *Factory) report(err error) {
	f.cfg.logger.Warn("zmq background error", "err", err)
	if f.cfg.onError != nil {
		f.cfg.onError(err)
	}
}
