// Command reqrep sends the current time as a request once per interval and
// prints the reply: the Go counterpart of txZMQ's examples/req_rep.py.
//
// With no flags it runs a requester and a replier in one process (mode
// "both"): the replier binds an ephemeral TCP port on 127.0.0.1, the
// requester connects to it, five requests are answered, and the program
// exits 0.
//
// As separate processes, in two terminals:
//
//	go run ./examples/reqrep --mode rep --method bind
//	go run ./examples/reqrep --mode req --method connect
//
// Each request has a deadline (--timeout, 950ms by default): start the
// requester alone to see requests time out. The requester is a zmq.Req, so
// it also talks to txZMQ's ZmqREPConnection and to a plain libzmq REP
// socket; the replier is a zmq.Rep, which serves txZMQ's
// ZmqREQConnection and plain REQ sockets too.
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
	defaultEndpoint = "tcp://127.0.0.1:5558"
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
		fmt.Fprintln(os.Stderr, "reqrep:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "reqrep:", err)
		os.Exit(1)
	}
}

// usageError is a bad command line; main exits 2 for it.
type usageError struct{ error }

type config struct {
	method   string // what the requester does: "bind" or "connect"
	endpoint string
	mode     string
	interval time.Duration
	timeout  time.Duration
	count    int // requests to send or answer; 0 means until interrupted
}

// parseFlags reads the command line. For -h it writes the usage to stdout
// and returns flag.ErrHelp.
func parseFlags(args []string, stdout io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("reqrep", flag.ContinueOnError)
	var usage strings.Builder
	fs.SetOutput(&usage)
	fs.StringVar(&c.method, "method", "connect", "`bind|connect` the endpoint (in mode both, what the requester does; the replier does the other)")
	fs.StringVar(&c.endpoint, "endpoint", "", "ZeroMQ `endpoint` (default "+defaultEndpoint+", or "+bothEndpoint+" in mode both)")
	fs.StringVar(&c.mode, "mode", "both", "which `side` to run: req, rep or both")
	fs.DurationVar(&c.interval, "interval", time.Second, "time between requests")
	fs.DurationVar(&c.timeout, "timeout", 950*time.Millisecond, "how long a request waits for its reply")
	fs.IntVar(&c.count, "count", 0, "requests to send or answer before exiting, 0 for no limit (default 5 in mode both)")
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
	case c.mode != "req" && c.mode != "rep" && c.mode != "both":
		return c, usageError{fmt.Errorf("--mode %q: want req, rep or both", c.mode)}
	case c.interval <= 0:
		return c, usageError{fmt.Errorf("--interval %v: must be positive", c.interval)}
	case c.timeout <= 0:
		return c, usageError{fmt.Errorf("--timeout %v: must be positive", c.timeout)}
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

	req, rep, err := sockets(f, c, out)
	if err != nil {
		return err
	}
	switch c.mode {
	case "req":
		_, err = request(ctx, req, c, out)
	case "rep":
		err = reply(ctx, rep, c.count, out)
	default:
		err = both(ctx, req, rep, c, out)
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
func sockets(f *zmq.Factory, c config, out *printer) (*zmq.Req, *zmq.Rep, error) {
	var req *zmq.Req
	var rep *zmq.Rep
	var err error
	if c.mode != "rep" {
		if req, err = f.NewReq(); err != nil {
			return nil, nil, err
		}
	}
	if c.mode != "req" {
		if rep, err = f.NewRep(); err != nil {
			return nil, nil, err
		}
	}
	switch c.mode {
	case "req":
		_, err = attach(req, "requester", c.method, c.endpoint, out)
	case "rep":
		_, err = attach(rep, "replier", c.method, c.endpoint, out)
	default:
		var first, second endpointer = rep, req
		names := [2]string{"replier", "requester"}
		if c.method == "bind" {
			first, second = req, rep
			names[0], names[1] = names[1], names[0]
		}
		var ep string
		if ep, err = attach(first, names[0], "bind", c.endpoint, out); err == nil {
			_, err = attach(second, names[1], "connect", ep, out)
		}
	}
	return req, rep, err
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

// both runs the requester and the replier side by side. Unlike mode req,
// where a missing replier is expected, a request that times out here is
// an error.
func both(ctx context.Context, req *zmq.Req, rep *zmq.Rep, c config, out *printer) error {
	ctx, cancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- reply(ctx, rep, 0, out) }()

	timeouts, err := request(ctx, req, c, out)
	cancel()
	if serr := <-served; !errors.Is(serr, context.Canceled) {
		err = errors.Join(err, serr)
	}
	if err == nil && timeouts > 0 {
		err = fmt.Errorf("%d of %d requests timed out", timeouts, c.count)
	}
	return err
}

// request sends the time as a request once per interval, c.count times or
// until ctx ends, and prints each reply. A request that gets no reply
// within c.timeout is reported and counted, and the next one goes out at
// the next tick.
func request(ctx context.Context, req *zmq.Req, c config, out *printer) (timeouts int, err error) {
	t := time.NewTicker(c.interval)
	defer t.Stop()
	for n := 1; ; n++ {
		body := time.Now().Format(time.RFC3339Nano)
		out.printf("request: %q\n", body)
		rctx, cancel := context.WithTimeout(ctx, c.timeout)
		m, err := req.Request(rctx, []byte(body))
		cancel()
		switch {
		case ctx.Err() != nil:
			return timeouts, ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			timeouts++
			out.printf("timeout: no reply within %v; is a replier running?\n", c.timeout)
		case err != nil:
			return timeouts, err
		default:
			out.printf("reply: %s\n", m)
		}
		if n == c.count {
			return timeouts, nil
		}
		select {
		case <-ctx.Done():
			return timeouts, ctx.Err()
		case <-t.C:
		}
	}
}

// reply answers each request with its id and parts until it has answered
// count of them (0: no limit) or ctx ends.
func reply(ctx context.Context, rep *zmq.Rep, count int, out *printer) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	answered := 0
	err := rep.Serve(ctx, func(ctx context.Context, q *zmq.Request) (zmq.Msg, error) {
		out.printf("replier: request %x %s\n", q.MsgID, q.Msg)
		m := zmq.NewMsgString(fmt.Sprintf("%x %s", q.MsgID, strings.Join(q.Strings(), " ")))
		if answered++; answered < count || count == 0 {
			return m, nil // Serve sends it
		}
		// The last one: Serve sends a returned reply with its own ctx, which
		// must not be cancelled before that. So reply here, then stop.
		if err := q.Reply(ctx, m.Frames...); err != nil {
			return zmq.Msg{}, err
		}
		stop()
		return zmq.Msg{}, zmq.ErrReplyLater // already answered: Serve sends nothing
	})
	if count > 0 && answered == count {
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
