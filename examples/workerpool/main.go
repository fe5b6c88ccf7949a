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
	"strings"
	"sync"
	"time"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/examples/internal/cli"
)

const (
	// frontendEndpoint is where clients reach the pool: an ephemeral port.
	frontendEndpoint = "tcp://127.0.0.1:*"
	// backendEndpoint is where the workers take jobs from.
	backendEndpoint = "inproc://workerpool-backend"
	// requestTimeout bounds how long a request waits for its reply.
	requestTimeout = 10 * time.Second
)

func main() { cli.Main("workerpool", run) }

// run is the whole program; cli.Main adds signals and exit codes. It
// returns nil when ctx ends (Ctrl-C).
func run(ctx context.Context, args []string, stdout io.Writer) (err error) {
	c, err := parseFlags(args, stdout)
	if err != nil {
		return err
	}
	out := cli.NewPrinter(stdout)

	// Handler errors happen on the workers' goroutines, where no caller
	// sees them: the factory hands them here.
	f, err := zmq.NewFactory(zmq.WithErrorHandler(func(err error) {
		out.Printf("worker error: %v\n", err)
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
	clientEndpoint, err := frontend.Bind(frontendEndpoint)
	if err != nil {
		return cli.UsageIfInvalid(err)
	}
	backend, err := f.NewDealer()
	if err != nil {
		return err
	}
	workerEndpoint, err := backend.Bind(backendEndpoint)
	if err != nil {
		return cli.UsageIfInvalid(err)
	}
	out.Printf("frontend: bound %s\nbackend: bound %s\n", clientEndpoint, workerEndpoint)

	// Everything the pool runs stops when poolCtx ends; wg says when it
	// has. The client's requests use ctx, so Ctrl-C stops them too.
	poolCtx, stopPool := context.WithCancel(ctx)
	defer stopPool()
	var wg sync.WaitGroup
	stopErrs := make(chan error, 1+c.Workers)
	wg.Go(func() { stopErrs <- zmq.Proxy(poolCtx, frontend, backend, nil) })
	for id := 1; id <= c.Workers; id++ {
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
		wg.Go(func() { stopErrs <- w.Serve(poolCtx, worker(id, c.Work, out)) })
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
		out.Printf("done: %d replies; proxy and %d workers stopped\n", c.Requests, c.Workers)
	}
	if ctx.Err() != nil && errors.Is(clientErr, ctx.Err()) {
		return nil // interrupted: a clean exit
	}
	return clientErr
}

// worker returns the handler of worker id: it "works" for d, unless its
// ctx ends first, and answers with who did the job.
func worker(id int, d time.Duration, out *cli.Printer) zmq.RepHandler {
	return func(ctx context.Context, q *zmq.Request) (zmq.Msg, error) {
		job := strings.Join(q.Strings(), " ")
		out.Printf("worker %d: started %s\n", id, job)
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return zmq.Msg{}, fmt.Errorf("worker %d: %s abandoned: %w", id, job, ctx.Err())
		}
		return zmq.NewMsgString(fmt.Sprintf("%s done by worker %d", job, id)), nil
	}
}

// client sends c.Requests requests at once over one Req socket, each from
// its own goroutine, and waits for every reply.
func client(ctx context.Context, f *zmq.Factory, endpoint string, c config, out *cli.Printer) error {
	req, err := f.NewReq()
	if err != nil {
		return err
	}
	if err := req.Connect(endpoint); err != nil {
		return err
	}

	errs := make(chan error, c.Requests)
	var wg sync.WaitGroup
	for n := 1; n <= c.Requests; n++ {
		wg.Go(func() {
			rctx, cancel := context.WithTimeout(ctx, requestTimeout)
			defer cancel()
			reply, err := req.Request(rctx, fmt.Appendf(nil, "job %d", n))
			if err != nil {
				errs <- fmt.Errorf("job %d: %w", n, err)
				return
			}
			out.Printf("reply: %s\n", reply.Frames[0])
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

// config is the command line.
type config struct {
	Workers  int           // number of workers
	Requests int           // requests the client sends, all at once
	Work     time.Duration // how long each job takes
}

// parseFlags reads the command line. For -h it writes the usage to stdout
// and returns flag.ErrHelp.
func parseFlags(args []string, stdout io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("workerpool", flag.ContinueOnError)
	fs.IntVar(&c.Workers, "workers", 4, "number of workers")
	fs.IntVar(&c.Requests, "requests", 10, "number of requests the client sends, all at once")
	fs.DurationVar(&c.Work, "work", 100*time.Millisecond, "how long each job takes")
	if err := cli.Parse(fs, args, stdout); err != nil {
		return c, err
	}
	switch {
	case c.Workers < 1:
		return c, cli.Usagef("--workers %d: want at least 1", c.Workers)
	case c.Requests < 1:
		return c, cli.Usagef("--requests %d: want at least 1", c.Requests)
	case c.Work < 0:
		return c, cli.Usagef("--work %v: must not be negative", c.Work)
	}
	return c, nil
}
