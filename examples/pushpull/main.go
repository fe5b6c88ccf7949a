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
	"time"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/examples/internal/cli"
)

func main() { cli.Main("pushpull", run) }

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

	// Mode push uses only push, mode pull only pull.
	push, err := f.NewPush()
	if err != nil {
		return err
	}
	pull, err := f.NewPull()
	if err != nil {
		return err
	}
	if err := c.Link(push, pull, out); err != nil {
		return err
	}
	switch c.Mode {
	case "push":
		err = pushEvery(ctx, push, c, out)
	case "pull":
		err = pullAll(ctx, pull, c.Count, out)
	default:
		err = both(ctx, push, pull, c, out)
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return nil // interrupted: a clean exit
	}
	return err
}

// pushEvery pushes [time, hostname] once per interval, the first after
// one interval, until c.Count messages went out or ctx ends.
func pushEvery(ctx context.Context, push *zmq.Push, c config, out *cli.Printer) error {
	host, err := os.Hostname()
	if err != nil {
		return err
	}
	t := time.NewTicker(c.Interval)
	defer t.Stop()
	for sent := 0; c.Count == 0 || sent < c.Count; {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		m := zmq.NewMsgString(time.Now().Format(time.RFC3339Nano), host)
		// Print under the printer's lock, so that "pushed" comes before
		// the puller's "pulled" for the same message.
		err := out.Locked(func(w io.Writer) error {
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
func pullAll(ctx context.Context, pull *zmq.Pull, count int, out *cli.Printer) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	received := 0
	err := pull.Serve(ctx, func(ctx context.Context, m zmq.Msg) error {
		out.Printf("pulled: %s\n", m)
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

// both runs the pusher and the puller side by side.
func both(ctx context.Context, push *zmq.Push, pull *zmq.Pull, c config, out *cli.Printer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pulled := make(chan error, 1)
	go func() { pulled <- pullAll(ctx, pull, c.Count, out) }()

	if err := pushEvery(ctx, push, c, out); err != nil {
		cancel()
		<-pulled
		return err
	}
	// Push delivers everything it accepted; this bound only guards
	// against a bug turning the demo into a hang.
	grace := time.NewTimer(max(2*time.Second, 2*c.Interval))
	defer grace.Stop()
	select {
	case err := <-pulled:
		return err
	case <-grace.C:
		cancel()
		<-pulled
		return fmt.Errorf("the puller received fewer than %d messages", c.Count)
	}
}

// config is the command line: the two sides' flags.
type config struct{ *cli.Sides }

// parseFlags reads the command line. For -h it writes the usage to stdout
// and returns flag.ErrHelp.
func parseFlags(args []string, stdout io.Writer) (config, error) {
	fs := flag.NewFlagSet("pushpull", flag.ContinueOnError)
	c := config{cli.AddSides(fs, [2]string{"pusher", "puller"}, [2]string{"push", "pull"},
		"tcp://127.0.0.1:5557", "time between pushes", "messages to push or pull")}
	if err := cli.Parse(fs, args, stdout); err != nil {
		return c, err
	}
	return c, c.Check()
}
