// Command pubsub publishes the current time once per interval and prints
// what a subscriber receives: the Go counterpart of txZMQ's
// examples/pub_sub.py.
//
// With no flags it runs a publisher and a subscriber in one process (mode
// "both"): the subscriber binds an ephemeral TCP port on 127.0.0.1, the
// publisher connects to it, five messages flow, and the program exits 0.
//
// To run the two sides as separate processes, in two terminals:
//
//	go run ./examples/pubsub --mode subscriber --method bind --endpoint ipc:///tmp/zmq-demo
//	go run ./examples/pubsub --mode publisher --method connect --endpoint ipc:///tmp/zmq-demo
//
// Either side may bind and the other connect. Ctrl-C stops either one.
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
	defaultEndpoint = "tcp://127.0.0.1:5556"
	// bothEndpoint is the default of mode "both": an ephemeral port, so the
	// demo never depends on a fixed port being free.
	bothEndpoint = "tcp://127.0.0.1:*"
	// warmupTopic marks the messages mode "both" publishes until the
	// subscriber is known to receive; subscribers do not print them.
	warmupTopic = "warm-up"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.As(err, new(usageError)):
		fmt.Fprintln(os.Stderr, "pubsub:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "pubsub:", err)
		os.Exit(1)
	}
}

// usageError is a bad command line; main exits 2 for it.
type usageError struct{ error }

type config struct {
	method   string // what the publisher does: "bind" or "connect"
	endpoint string
	mode     string
	interval time.Duration
	count    int // messages to publish/receive; 0 means until interrupted
}

// parseFlags reads the command line. For -h it writes the usage to stdout
// and returns flag.ErrHelp.
func parseFlags(args []string, stdout io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("pubsub", flag.ContinueOnError)
	var usage strings.Builder
	fs.SetOutput(&usage)
	fs.StringVar(&c.method, "method", "connect", "`bind|connect` the endpoint (in mode both, what the publisher does; the subscriber does the other)")
	fs.StringVar(&c.endpoint, "endpoint", "", "ZeroMQ `endpoint` (default "+defaultEndpoint+", or "+bothEndpoint+" in mode both)")
	fs.StringVar(&c.mode, "mode", "both", "which `side` to run: publisher, subscriber or both")
	fs.DurationVar(&c.interval, "interval", time.Second, "time between publications")
	fs.IntVar(&c.count, "count", 0, "messages to publish or receive before exiting, 0 for no limit (default 5 in mode both)")
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
	case c.mode != "publisher" && c.mode != "subscriber" && c.mode != "both":
		return c, usageError{fmt.Errorf("--mode %q: want publisher, subscriber or both", c.mode)}
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

	// A message that is not in txZMQ's topic framing (a plain libzmq
	// publisher's, say) is skipped by ServeTopics and reported here.
	f, err := zmq.NewFactory(zmq.WithErrorHandler(func(err error) {
		out.printf("skipped: %v\n", err)
	}))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, f.Close()) }()

	pub, sub, err := sockets(f, c, out)
	if err != nil {
		return err
	}
	switch c.mode {
	case "publisher":
		err = publish(ctx, pub, c, out)
	case "subscriber":
		err = subscribe(ctx, sub, c.count, nil, out)
	default:
		err = both(ctx, pub, sub, c, out)
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
func sockets(f *zmq.Factory, c config, out *printer) (*zmq.Pub, *zmq.Sub, error) {
	var pub *zmq.Pub
	var sub *zmq.Sub
	var err error
	if c.mode != "subscriber" {
		if pub, err = f.NewPub(); err != nil {
			return nil, nil, err
		}
	}
	if c.mode != "publisher" {
		// Subscribe to everything, like txZMQ's example.
		if sub, err = f.NewSub(zmq.WithSubscribe("")); err != nil {
			return nil, nil, err
		}
	}
	switch c.mode {
	case "publisher":
		_, err = attach(pub, "publisher", c.method, c.endpoint, out)
	case "subscriber":
		_, err = attach(sub, "subscriber", c.method, c.endpoint, out)
	default:
		var first, second endpointer = sub, pub
		names := [2]string{"subscriber", "publisher"}
		if c.method == "bind" {
			first, second = pub, sub
			names[0], names[1] = names[1], names[0]
		}
		var ep string
		if ep, err = attach(first, names[0], "bind", c.endpoint, out); err == nil {
			_, err = attach(second, names[1], "connect", ep, out)
		}
	}
	return pub, sub, err
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

// both runs the publisher and the subscriber side by side.
func both(ctx context.Context, pub *zmq.Pub, sub *zmq.Sub, c config, out *printer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	warm := make(chan struct{})
	subDone := make(chan error, 1)
	go func() { subDone <- subscribe(ctx, sub, c.count, warm, out) }()
	stopSub := func(err error) error {
		cancel()
		<-subDone
		return err
	}

	// The slow joiner: a Pub drops what it publishes before the
	// subscriber's subscription has reached it. Publish warm-up messages
	// until the subscriber has received one; from then on nothing is lost.
	if err := warmUp(ctx, pub, warm); err != nil {
		return stopSub(err)
	}
	if err := publish(ctx, pub, c, out); err != nil {
		return stopSub(err)
	}

	// Everything is published; give the last messages time to arrive.
	grace := time.NewTimer(max(2*time.Second, 2*c.interval))
	defer grace.Stop()
	select {
	case err := <-subDone:
		return err
	case <-grace.C:
		return stopSub(fmt.Errorf("the subscriber received fewer than %d messages", c.count))
	}
}

// warmUp publishes warm-up messages every 10ms until warm is closed.
func warmUp(ctx context.Context, pub *zmq.Pub, warm <-chan struct{}) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		if err := pub.Publish(ctx, warmupTopic, nil); err != nil {
			return err
		}
		select {
		case <-warm:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// publish publishes the time with an empty topic, as txZMQ's example
// does, once per interval: c.count times, or until ctx ends.
func publish(ctx context.Context, pub *zmq.Pub, c config, out *printer) error {
	t := time.NewTicker(c.interval)
	defer t.Stop()
	for n := 1; ; n++ {
		body := time.Now().Format(time.RFC3339Nano)
		// Print under the printer's lock, so that "published" comes before
		// the subscriber's "received" for the same message.
		err := out.locked(func(w io.Writer) error {
			if err := pub.Publish(ctx, "", []byte(body)); err != nil {
				return err
			}
			_, err := fmt.Fprintf(w, "published: tag=%q body=%q\n", "", body)
			return err
		})
		if err != nil || n == c.count {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// subscribe prints what sub receives until it has count messages (0: no
// limit) or ctx ends. Warm-up messages are not printed or counted; the
// first one closes warm, if warm is not nil.
func subscribe(ctx context.Context, sub *zmq.Sub, count int, warm chan<- struct{}, out *printer) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	received := 0
	err := sub.ServeTopics(ctx, func(ctx context.Context, topic string, body []byte) error {
		if topic == warmupTopic {
			if warm != nil {
				close(warm)
				warm = nil
			}
			return nil
		}
		out.printf("received: tag=%q body=%q\n", topic, body)
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
