// Command pushpull pushes [time, hostname] once per interval to whoever
// pulls: the Go counterpart of txZMQ's examples/push_pull.py.
//
// With no flags it runs a pusher and a puller in one process (mode
// "both"): the puller binds an ephemeral TCP port on 127.0.0.1, the
// pusher connects to it, five messages flow, and the program exits 0.
//
// As separate processes, in two terminals (start them in either order):
//
//	go run ./examples/pushpull --mode pull --method connect
//	go run ./examples/pushpull --mode push --method bind
//
// Send waits while a Push has nowhere to put a message. The pusher uses
// TrySend instead, which fails with EAGAIN at once: a bound pusher with no
// puller connected skips that message, as txZMQ's pusher does. (A pusher
// that connects queues its messages until the puller appears.)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/zmqx/zmq"
)

const (
	// defaultEndpoint is where the separate-process modes meet by default.
	defaultEndpoint = "tcp://127.0.0.1:5557"
	// bothEndpoint is the default of mode "both": an ephemeral port.
	bothEndpoint = "tcp://127.0.0.1:*"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.As(err, new(usageError)):
		fmt.Fprintln(os.Stderr, "pushpull:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "pushpull:", err)
		os.Exit(1)
	}
}

// usageError is a bad command line; main exits 2 for it.
type usageError struct{ error }

type config struct {
	method   string // what the pusher does: "bind" or "connect"
	endpoint string
	mode     string
	interval time.Duration
	count    int // messages to push/pull; 0 means until interrupted
}

// parseFlags reads the command line. For -h it writes the usage to stdout
// and returns flag.ErrHelp.
func parseFlags(args []string, stdout io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("pushpull", flag.ContinueOnError)
	var usage strings.Builder
	fs.SetOutput(&usage)
	fs.StringVar(&c.method, "method", "connect", "`bind|connect` the endpoint (in mode both, what the pusher does; the puller does the other)")
	fs.StringVar(&c.endpoint, "endpoint", "", "ZeroMQ `endpoint` (default "+defaultEndpoint+", or "+bothEndpoint+" in mode both)")
	fs.StringVar(&c.mode, "mode", "both", "which `side` to run: push, pull or both")
	fs.DurationVar(&c.interval, "interval", time.Second, "time between pushes")
	fs.IntVar(&c.count, "count", 0, "messages to push or pull before exiting, 0 for no limit (default 5 in mode both)")
	switch err := fs.Parse(args); {
	case errors.Is(err, flag.ErrHelp):
		io.WriteString(stdout, usage.String())
		return c, err
	case err != nil:
		return c, usageError{errors.New(strings.TrimSpace(usage.String()))}
	case fs.NArg() > 0:
		return c, usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	case c.method != "bind" && c.method != "connect":
		return c, usageError{fmt.Errorf("--method %q: want bind or connect", c.method)}
	case c.mode != "push" && c.mode != "pull" && c.mode != "both":
		return c, usageError{fmt.Errorf("--mode %q: want push, pull or both", c.mode)}
	case c.interval <= 0:
		return c, usageError{fmt.Errorf("--interval %v: must be positive", c.interval)}
	case c.count < 0:
		return c, usageError{fmt.Errorf("--count %d: must be 0 or more", c.count)}
	}
	if c.mode == "both" && !isSet(fs, "count") {
		c.count = 5
	}
	if c.endpoint == "" {
		c.endpoint = defaultEndpoint
		if c.mode == "both" {
			c.endpoint = bothEndpoint
		}
	}
	return c, nil
}

// isSet reports whether the command line set the flag name.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// run is the whole program; main only adds signals and exit codes. It
// returns nil when ctx ends (Ctrl-C), and a usageError for a bad command
// line.
func run(ctx context.Context, args []string, stdout io.Writer) (err error) {
	c, err := parseFlags(args, stdout)
	if err != nil {
		return err
	}
	out := &printer{w: stdout}

	f, err := zmq.NewFactory()
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, f.Close()) }()

	push, pull, err := sockets(f, c, out)
	if err != nil {
		return err
	}
	switch c.mode {
	case "push":
		err = pushEvery(ctx, push, c, out)
	case "pull":
		err = pullAll(ctx, pull, c.count, out)
	default:
		err = both(ctx, push, pull, c, out)
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return nil // interrupted: a clean exit
	}
	return err
}

// endpointer is what sockets do with endpoints.
type endpointer interface {
	Bind(endpoint string) (string, error)
	Connect(endpoint string) error
}

// sockets makes the sockets the mode needs (nil for the other) and binds
// or connects them. In mode both the side that binds goes first, so the
// other can connect to the endpoint it actually got.
func sockets(f *zmq.Factory, c config, out *printer) (*zmq.Push, *zmq.Pull, error) {
	var push *zmq.Push
	var pull *zmq.Pull
	var err error
	if c.mode != "pull" {
		if push, err = f.NewPush(); err != nil {
			return nil, nil, err
		}
	}
	if c.mode != "push" {
		if pull, err = f.NewPull(); err != nil {
			return nil, nil, err
		}
	}
	switch c.mode {
	case "push":
		_, err = attach(push, "pusher", c.method, c.endpoint, out)
	case "pull":
		_, err = attach(pull, "puller", c.method, c.endpoint, out)
	default:
		var first, second endpointer = pull, push
		names := [2]string{"puller", "pusher"}
		if c.method == "bind" {
			first, second = push, pull
			names[0], names[1] = names[1], names[0]
		}
		var ep string
		if ep, err = attach(first, names[0], "bind", c.endpoint, out); err == nil {
			_, err = attach(second, names[1], "connect", ep, out)
		}
	}
	return push, pull, err
}

// attach binds or connects s, says so, and returns the endpoint: for a
// bind, the one actually bound (an ephemeral port filled in).
func attach(s endpointer, side, method, ep string, out *printer) (string, error) {
	if method == "connect" {
		if err := s.Connect(ep); err != nil {
			return "", usageIfInvalid(err)
		}
		out.printf("%s: connected to %s\n", side, ep)
		return ep, nil
	}
	ep, err := s.Bind(ep)
	if err != nil {
		return "", usageIfInvalid(err)
	}
	out.printf("%s: bound %s\n", side, ep)
	return ep, nil
}

// both runs the pusher and the puller side by side.
func both(ctx context.Context, push *zmq.Push, pull *zmq.Pull, c config, out *printer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pulled := make(chan error, 1)
	go func() { pulled <- pullAll(ctx, pull, c.count, out) }()

	if err := pushEvery(ctx, push, c, out); err != nil {
		cancel()
		<-pulled
		return err
	}
	// Push delivers everything it accepted; this bound only guards
	// against a bug turning the demo into a hang.
	grace := time.NewTimer(max(2*time.Second, 2*c.interval))
	defer grace.Stop()
	select {
	case err := <-pulled:
		return err
	case <-grace.C:
		cancel()
		<-pulled
		return fmt.Errorf("the puller received fewer than %d messages", c.count)
	}
}

// pushEvery pushes [time, hostname] once per interval, the first after
// one interval, until c.count messages went out or ctx ends.
func pushEvery(ctx context.Context, push *zmq.Push, c config, out *printer) error {
	host, err := os.Hostname()
	if err != nil {
		return err
	}
	t := time.NewTicker(c.interval)
	defer t.Stop()
	for sent := 0; c.count == 0 || sent < c.count; {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		m := zmq.NewMsgString(time.Now().Format(time.RFC3339Nano), host)
		// Print under the printer's lock, so that "pushed" comes before
		// the puller's "pulled" for the same message.
		err := out.locked(func(w io.Writer) error {
			err := push.TrySend(m)
			switch {
			case errors.Is(err, zmq.EAGAIN):
				fmt.Fprintln(w, "Skipping, no pull consumers...")
				return nil
			case err == nil:
				sent++
				fmt.Fprintf(w, "pushed: %s\n", m)
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// pullAll prints what pull receives until it has count messages (0: no
// limit) or ctx ends.
func pullAll(ctx context.Context, pull *zmq.Pull, count int, out *printer) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	received := 0
	err := pull.Serve(ctx, func(ctx context.Context, m zmq.Msg) error {
		out.printf("pulled: %s\n", m)
		if received++; received == count {
			stop()
		}
		return nil
	})
	if count > 0 && received == count {
		return nil
	}
	return err
}

// usageIfInvalid makes an endpoint the library rejected a usage error.
func usageIfInvalid(err error) error {
	if errors.Is(err, zmq.ErrInvalidEndpoint) {
		return usageError{err}
	}
	return err
}

// printer serialises lines written from several goroutines.
type printer struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *printer) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format, args...)
}

func (p *printer) locked(f func(io.Writer) error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return f(p.w)
}
