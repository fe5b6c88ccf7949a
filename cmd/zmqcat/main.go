// Command zmqcat is netcat for ZeroMQ: it pipes stdin lines into a socket of
// any type and prints what the socket receives, one message per line.
//
//	zmqcat TYPE [flags]
//	zmqcat keygen [--out DIR --name NAME]
//	zmqcat bench thr-recv|thr-send|lat-server|lat-client --endpoint EP [--count N] [--size S] [--warmup W]
//
// TYPE is pub, sub, xpub, xsub, push, pull, pair, req, rep, dealer or router.
// Run zmqcat -h for the flags. Messages are raw frames: a txZMQ topic frame
// prints as it is on the wire, topic, a zero byte, body.
//
//	$ zmqcat pull -b tcp://127.0.0.1:5555 -n 1 &
//	$ echo 'hello' | zmqcat push -c tcp://127.0.0.1:5555
//	hello
//
// With CURVE, encrypted, and only the client whose key the server allows
// gets in (keys are Z85, or @FILE for a certificate that keygen --out or
// pyzmq wrote):
//
//	$ zmqcat keygen --out keys --name server >/dev/null
//	$ zmqcat keygen --out keys --name client >/dev/null
//	$ zmqcat pull -b tcp://127.0.0.1:5555 --curve-server --curve-secret-key @keys/server.key_secret --curve-allow @keys/client.key &
//	$ echo 'hello' | zmqcat push -c tcp://127.0.0.1:5555 --curve-secret-key @keys/client.key_secret --curve-server-key @keys/server.key
//	hello
//
// A sender that ends with messages it read but never handed to a peer
// (see Delivery in zmqcat -h) says how many, and what its endpoints
// lacked, in one line on stderr:
//
//	$ echo 'hello' | zmqcat push -c tcp://127.0.0.1:5555
//	zmqcat: 1 message not delivered: no connection to tcp://127.0.0.1:5555
//
// Exit status: 0 done (end of input, -n reached, SIGINT or SIGTERM), 1 a
// failure, or messages not delivered, 2 bad input on the command line (one
// line on stderr names the bad value, or the flag of a bad secret key),
// 3 --timeout expired.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/spf13/pflag"
	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/auth"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal closes zmqcat cleanly; after it, a second one ends
	// the process at once, for a close that lingers too long.
	context.AfterFunc(ctx, stop)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
	exitTimeout = 3
)

// run runs zmqcat with args (without the program name) and returns its exit
// status. The end of ctx (a signal) closes everything cleanly and counts as
// success.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	stderr = &lockedWriter{w: stderr}
	err := dispatch(ctx, args, stdin, stdout, stderr)
	var ud *undeliveredError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, pflag.ErrHelp):
		fmt.Fprint(stdout, usageText)
		return exitOK
	case errors.As(err, &ud):
		// Even after a signal: what was read and not delivered is lost.
	case ctx.Err() != nil:
		return exitOK
	}
	fmt.Fprintln(stderr, "zmqcat: "+oneLine(err.Error()))
	return exitCode(err)
}

func dispatch(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "help":
			return pflag.ErrHelp
		case "bench":
			cfg, err := parseBenchFlags(args[1:])
			if err != nil {
				return err
			}
			return runBench(ctx, cfg, stdout, stderr)
		case "keygen":
			return runKeygen(args[1:], stdout, stderr)
		}
	}
	cfg, err := parseFlags(args)
	if err != nil {
		return err
	}
	if cfg.version {
		return printVersion(cfg.engine, stdout)
	}
	return serve(ctx, cfg, stdin, stdout, stderr)
}

// factoryOptions adds the choice of engine, if made, to opts.
func factoryOptions(engine zmq.Engine, opts ...zmq.FactoryOption) []zmq.FactoryOption {
	if engine != "" {
		opts = append(opts, zmq.WithEngine(engine))
	}
	return opts
}

// serve runs one socket of cfg.typ from setup to close.
func serve(ctx context.Context, cfg *config, stdin io.Reader, stdout, stderr io.Writer) (err error) {
	linger := cfg.linger
	if cfg.role == recvOnly {
		// sub and pull send no messages: what may be queued at exit is a
		// subscription for a publisher that went away, not worth waiting for.
		linger = 0
	}
	f, err := zmq.NewFactory(factoryOptions(cfg.engine, zmq.WithDefaultLinger(linger))...)
	if err != nil {
		return err
	}
	// Closing the factory gives queued messages the linger period to leave.
	var authn *auth.Authenticator
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if authn != nil {
			// Stopped by f.Close; this reports a failure that stopped it
			// earlier, if any.
			if cerr := authn.Close(); err == nil {
				err = cerr
			}
		}
	}()
	if cfg.curve != nil {
		// A CURVE server's authenticator runs before its socket exists.
		if authn, err = startCurve(f, cfg.curve, stderr); err != nil {
			return err
		}
	}
	s, err := openSocket(f, cfg)
	if err != nil {
		return err
	}
	// Watching starts before the first bind or connect, so that no event
	// is missed.
	w, err := watch(s.wire, cfg, stderr)
	if err != nil {
		return err
	}
	defer w.finish(s.wire, false)
	if err := wire(s, cfg, w, stderr); err != nil {
		return err
	}
	err = runSocket(ctx, cfg, s, w, stdin, stdout, stderr)
	if s.xpub != nil && !s.subscribed {
		// A subscriber that came after pub stopped waiting for one.
		s.subscribed = subscriptionWaiting(s.xpub)
	}
	// Closing the socket leaves the factory's close the linger period for
	// what is queued; the events up to here are all handled after it.
	w.finish(s.wire, s.handedOver(cfg))
	return verdict(err, cfg, s, w)
}

// exitCode maps an error to zmqcat's exit status.
func exitCode(err error) int {
	var (
		ue *usageError
		ee *endpointError
		te *timeoutError
	)
	switch {
	case errors.As(err, &te):
		return exitTimeout
	case errors.As(err, &ue), errors.As(err, &ee),
		errors.Is(err, zmq.ErrInvalidOption), errors.Is(err, zmq.ErrInvalidEndpoint):
		return exitUsage
	}
	return exitFailure
}

// oneLine keeps an error message on one line of stderr.
func oneLine(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(s), "\n", " ")
}

// lockedWriter serialises writes to stderr, which several goroutines use.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
