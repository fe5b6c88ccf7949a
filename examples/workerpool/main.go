// Command workerpool is a shared queue: clients send requests to a Router
// frontend, zmq.Proxy passes them to a Dealer backend, and a pool of
// workers, each a Rep served by a handler, answer them.
//
//	client (Req) ──► frontend (Router) ══ Proxy ══ backend (Dealer) ──► workers (Rep)
//
// One client sends all its requests at once, from one goroutine each, over
// one Req socket; the Dealer hands them round-robin to the workers. Each
// handler gets the worker's ctx, so stopping the pool also interrupts work
// in progress. After the last reply the program stops the proxy and the
// workers, waits for them, closes the factory and exits 0.
//
//	go run ./examples/workerpool --workers 4 --requests 10
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

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.As(err, new(usageError)):
		fmt.Fprintln(os.Stderr, "workerpool:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "workerpool:", err)
		os.Exit(1)
	}
}

// usageError is a bad command line; main exits 2 for it.
type usageError struct{ error }

type config struct {
	frontend, backend string
	workers, requests int
	work, timeout     time.Duration
}

// parseFlags reads the command line. For -h it writes the usage to stdout
// and returns flag.ErrHelp.
func parseFlags(args []string, stdout io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("workerpool", flag.ContinueOnError)
	var usage strings.Builder
	fs.SetOutput(&usage)
	fs.StringVar(&c.frontend, "frontend", "tcp://127.0.0.1:*", "`endpoint` the frontend binds for clients")
	fs.StringVar(&c.backend, "backend", "inproc://workerpool-backend", "`endpoint` the backend binds for workers")
	fs.IntVar(&c.workers, "workers", 4, "number of workers")
	fs.IntVar(&c.requests, "requests", 10, "number of requests the client sends, all at once")
	fs.DurationVar(&c.work, "work", 100*time.Millisecond, "how long each job takes")
	fs.DurationVar(&c.timeout, "timeout", 10*time.Second, "how long a request waits for its reply")
	switch err := fs.Parse(args); {
	case errors.Is(err, flag.ErrHelp):
		io.WriteString(stdout, usage.String())
		return c, err
	case err != nil:
		return c, usageError{errors.New(strings.TrimSpace(usage.String()))}
	case fs.NArg() > 0:
		return c, usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	case c.workers < 1:
		return c, usageError{fmt.Errorf("--workers %d: want at least 1", c.workers)}
	case c.requests < 1:
		return c, usageError{fmt.Errorf("--requests %d: want at least 1", c.requests)}
	case c.work < 0:
		return c, usageError{fmt.Errorf("--work %v: must not be negative", c.work)}
	case c.timeout <= 0:
		return c, usageError{fmt.Errorf("--timeout %v: must be positive", c.timeout)}
	}
	return c, nil
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

	// Handler errors happen on the workers' goroutines, where no caller
	// sees them: the factory hands them here.
	f, err := zmq.NewFactory(zmq.WithErrorHandler(func(err error) {
		out.printf("worker error: %v\n", err)
	}))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, f.Close()) }()

	// The queue: a Router for clients, a Dealer for workers.
	frontend, err := f.NewRouter()
	if err != nil {
		return err
	}
	clientEndpoint, err := frontend.Bind(c.frontend)
	if err != nil {
		return usageIfInvalid(err)
	}
	backend, err := f.NewDealer()
	if err != nil {
		return err
	}
	workerEndpoint, err := backend.Bind(c.backend)
	if err != nil {
		return usageIfInvalid(err)
	}
	out.printf("frontend: bound %s\nbackend: bound %s\n", clientEndpoint, workerEndpoint)

	// Everything the pool runs stops when poolCtx ends; wg says when it
	// has. The client's requests use ctx, so Ctrl-C stops them too.
	poolCtx, stopPool := context.WithCancel(ctx)
	defer stopPool()
	var wg sync.WaitGroup
	stopErrs := make(chan error, 1+c.workers)
	wg.Go(func() { stopErrs <- zmq.Proxy(poolCtx, frontend, backend, nil) })
	for id := 1; id <= c.workers; id++ {
		w, err := f.NewRep()
		if err != nil {
			stopPool()
			wg.Wait()
			return err
		}
		if err := w.Connect(workerEndpoint); err != nil {
			stopPool()
			wg.Wait()
			return err
		}
		wg.Go(func() { stopErrs <- w.Serve(poolCtx, worker(id, c.work, out)) })
	}

	clientErr := client(ctx, f, clientEndpoint, c, out)

	// Shut down: stop the proxy and the workers and wait for them. Each
	// returns why it stopped, context.Canceled when all went well.
	stopPool()
	wg.Wait()
	close(stopErrs)
	for err := range stopErrs {
		if !errors.Is(err, context.Canceled) {
			clientErr = errors.Join(clientErr, err)
		}
	}
	if clientErr == nil {
		out.printf("done: %d replies; proxy and %d workers stopped\n", c.requests, c.workers)
	}
	if ctx.Err() != nil && errors.Is(clientErr, ctx.Err()) {
		return nil // interrupted: a clean exit
	}
	return clientErr
}

// worker returns the handler of worker id: it "works" for d, unless its
// ctx ends first, and answers with who did the job.
func worker(id int, d time.Duration, out *printer) zmq.RepHandler {
	return func(ctx context.Context, q *zmq.Request) (zmq.Msg, error) {
		job := strings.Join(q.Strings(), " ")
		out.printf("worker %d: started %s\n", id, job)
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return zmq.Msg{}, fmt.Errorf("worker %d: %s abandoned: %w", id, job, ctx.Err())
		}
		return zmq.NewMsgString(fmt.Sprintf("%s done by worker %d", job, id)), nil
	}
}

// client sends c.requests requests at once over one Req socket, each from
// its own goroutine, and waits for every reply.
func client(ctx context.Context, f *zmq.Factory, endpoint string, c config, out *printer) error {
	req, err := f.NewReq()
	if err != nil {
		return err
	}
	if err := req.Connect(endpoint); err != nil {
		return err
	}

	errs := make(chan error, c.requests)
	var wg sync.WaitGroup
	for n := 1; n <= c.requests; n++ {
		wg.Go(func() {
			rctx, cancel := context.WithTimeout(ctx, c.timeout)
			defer cancel()
			reply, err := req.Request(rctx, fmt.Appendf(nil, "job %d", n))
			if err != nil {
				errs <- fmt.Errorf("job %d: %w", n, err)
				return
			}
			out.printf("reply: %s\n", reply.Frames[0])
		})
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
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
