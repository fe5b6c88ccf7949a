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
	"time"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/examples/internal/cli"
)

func main() { cli.Main("pubsub", run) }

// run is the whole program; cli.Main adds signals and exit codes. It
// returns nil when ctx ends (Ctrl-C).
func run(ctx context.Context, args []string, stdout io.Writer) (err error) {
	c, err := parseFlags(args, stdout)
	if err != nil {
		return err
	}
	out := cli.NewPrinter(stdout)

	// A message that is not in txZMQ's topic framing (a plain libzmq
	// publisher's, say) is skipped by ServeTopics and reported here.
	f, err := zmq.NewFactory(zmq.WithErrorHandler(func(err error) {
		out.Printf("skipped: %v\n", err)
	}))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, f.Close()) }()

	// Mode publisher uses only pub, mode subscriber only sub.
	pub, err := f.NewPub()
	if err != nil {
		return err
	}
	// Subscribe to everything, like txZMQ's example.
	sub, err := f.NewSub(zmq.WithSubscribe(""))
	if err != nil {
		return err
	}
	if err := c.Link(pub, sub, out); err != nil {
		return err
	}
	switch c.Mode {
	case "publisher":
		err = publish(ctx, pub, c, out)
	case "subscriber":
		err = subscribe(ctx, sub, c.Count, out)
	default:
		err = both(ctx, pub, sub, c, out)
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return nil // interrupted: a clean exit
	}
	return err
}

// publish publishes the time with an empty topic, as txZMQ's example
// does, once per interval: c.Count times, or until ctx ends.
func publish(ctx context.Context, pub *zmq.Pub, c config, out *cli.Printer) error {
	t := time.NewTicker(c.Interval)
	defer t.Stop()
	for n := 1; ; n++ {
		body := time.Now().Format(time.RFC3339Nano)
		// Print under the printer's lock, so that "published" comes before
		// the subscriber's "received" for the same message.
		err := out.Locked(func(w io.Writer) error {
			if err := pub.Publish(ctx, "", []byte(body)); err != nil {
				return err
			}
			_, err := fmt.Fprintf(w, "published: tag=%q body=%q\n", "", body)
			return err
		})
		if err != nil || n == c.Count {
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
// limit) or ctx ends.
func subscribe(ctx context.Context, sub *zmq.Sub, count int, out *cli.Printer) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	received := 0
	err := sub.ServeTopics(ctx, func(ctx context.Context, topic string, body []byte) error {
		out.Printf("received: tag=%q body=%q\n", topic, body)
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

// both runs the publisher and the subscriber side by side.
func both(ctx context.Context, pub *zmq.Pub, sub *zmq.Sub, c config, out *cli.Printer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	subDone := make(chan error, 1)
	go func() { subDone <- subscribe(ctx, sub, c.Count, out) }()
	stopSub := func(err error) error {
		cancel()
		<-subDone
		return err
	}

	// The slow joiner: a Pub drops what it publishes before the
	// subscriber's subscription has reached it. Wait for the subscription;
	// from then on nothing is lost.
	if err := pub.WaitSubscriptions(ctx, 1); err != nil {
		return stopSub(err)
	}
	if err := publish(ctx, pub, c, out); err != nil {
		return stopSub(err)
	}

	// Everything is published; give the last messages time to arrive.
	grace := time.NewTimer(max(2*time.Second, 2*c.Interval))
	defer grace.Stop()
	select {
	case err := <-subDone:
		return err
	case <-grace.C:
		return stopSub(fmt.Errorf("the subscriber received fewer than %d messages", c.Count))
	}
}

// config is the command line: the two sides' flags.
type config struct{ *cli.Sides }

// parseFlags reads the command line. For -h it writes the usage to stdout
// and returns flag.ErrHelp.
func parseFlags(args []string, stdout io.Writer) (config, error) {
	fs := flag.NewFlagSet("pubsub", flag.ContinueOnError)
	c := config{cli.AddSides(fs, [2]string{"publisher", "subscriber"}, [2]string{"publisher", "subscriber"},
		"tcp://127.0.0.1:5556", "time between publications", "messages to publish or receive")}
	if err := cli.Parse(fs, args, stdout); err != nil {
		return c, err
	}
	return c, c.Check()
}
