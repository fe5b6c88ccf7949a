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
	"strings"
	"time"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/examples/internal/cli"
)

func main() { cli.Main("reqrep", run) }

// run is the whole program; cli.Main adds signals and exit codes. It
// returns nil when ctx ends (Ctrl-C).
func run(ctx context.Context, args []string, stdout io.Writer) (err error) {
	c, err := parseFlags(args, stdout)
	if err != nil {
		return err
	}
	out := cli.NewPrinter(stdout)

	f, err := zmq.NewFactory()
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, f.Close()) }()

	// Mode req uses only req, mode rep only rep.
	req, err := f.NewReq()
	if err != nil {
		return err
	}
	rep, err := f.NewRep()
	if err != nil {
		return err
	}
	if err := c.Link(req, rep, out); err != nil {
		return err
	}
	switch c.Mode {
	case "req":
		_, err = request(ctx, req, c, out)
	case "rep":
		err = reply(ctx, rep, c.Count, out)
	default:
		err = both(ctx, req, rep, c, out)
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return nil // interrupted: a clean exit
	}
	return err
}

// request sends the time as a request once per interval, c.Count times or
// until ctx ends, and prints each reply. A request that gets no reply
// within c.Timeout is reported and counted, and the next one goes out at
// the next tick.
func request(ctx context.Context, req *zmq.Req, c config, out *cli.Printer) (timeouts int, err error) {
	t := time.NewTicker(c.Interval)
	defer t.Stop()
	for n := 1; ; n++ {
		body := time.Now().Format(time.RFC3339Nano)
		out.Printf("request: %q\n", body)
		rctx, cancel := context.WithTimeout(ctx, c.Timeout)
		m, err := req.Request(rctx, []byte(body))
		cancel()
		switch {
		case ctx.Err() != nil:
			return timeouts, ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			timeouts++
			out.Printf("timeout: no reply within %v; is a replier running?\n", c.Timeout)
		case err != nil:
			return timeouts, err
		default:
			out.Printf("reply: %s\n", m)
		}
		if n == c.Count {
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
func reply(ctx context.Context, rep *zmq.Rep, count int, out *cli.Printer) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	answered := 0
	err := rep.Serve(ctx, func(ctx context.Context, q *zmq.Request) (zmq.Msg, error) {
		out.Printf("replier: request %x %s\n", q.MsgID, q.Msg)
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

// both runs the requester and the replier side by side. Unlike mode req,
// where a missing replier is expected, a request that times out here is
// an error.
func both(ctx context.Context, req *zmq.Req, rep *zmq.Rep, c config, out *cli.Printer) error {
	ctx, cancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- reply(ctx, rep, 0, out) }()

	timeouts, err := request(ctx, req, c, out)
	cancel()
	if serr := <-served; !errors.Is(serr, context.Canceled) {
		err = errors.Join(err, serr)
	}
	if err == nil && timeouts > 0 {
		err = fmt.Errorf("%d of %d requests timed out", timeouts, c.Count)
	}
	return err
}

// config is the command line: the two sides' flags and the request
// timeout.
type config struct {
	*cli.Sides
	Timeout time.Duration // how long a request waits for its reply
}

// parseFlags reads the command line. For -h it writes the usage to stdout
// and returns flag.ErrHelp.
func parseFlags(args []string, stdout io.Writer) (config, error) {
	fs := flag.NewFlagSet("reqrep", flag.ContinueOnError)
	c := config{Sides: cli.AddSides(fs, [2]string{"requester", "replier"}, [2]string{"req", "rep"},
		"tcp://127.0.0.1:5558", "time between requests", "requests to send or answer")}
	fs.DurationVar(&c.Timeout, "timeout", 950*time.Millisecond, "how long a request waits for its reply")
	if err := cli.Parse(fs, args, stdout); err != nil {
		return c, err
	}
	if c.Timeout <= 0 {
		return c, cli.Usagef("--timeout %v: must be positive", c.Timeout)
	}
	return c, c.Check()
}
