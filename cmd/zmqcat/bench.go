package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zmqx/zmq"
)

// runBench runs one side of a throughput or latency measurement, in the
// manner of libzmq's local_thr/remote_thr and local_lat/remote_lat:
//
//	thr-recv    binds a PULL, receives W+N messages, times the last N from
//	            the first of them to the last and prints
//	            msgs_per_s=<float> mb_per_s=<float> (MB = 10^6 bytes)
//	thr-send    connects a PUSH and sends W+N messages of S bytes
//	lat-server  binds a REP and echoes W+N requests
//	lat-client  connects a REQ, makes W untimed round trips, then N timed ones,
//	            and prints rtt_us_mean=<float> rtt_us_p50=<float> rtt_us_p99=<float>
//
// When stderr is a terminal, a live count and rate are shown there.
func runBench(ctx context.Context, cfg *benchConfig, stdout, stderr io.Writer) (err error) {
	linger := time.Second
	if cfg.mode == "thr-send" {
		linger = -1 // every message must reach the receiver, which counts them
	}
	f, err := zmq.NewFactory(factoryOptions(cfg.engine, zmq.WithDefaultLinger(linger))...)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	total := cfg.warmup + cfg.count
	var done atomic.Int64
	stop := showProgress(stderr, cfg.mode, &done, total)
	defer stop()
	switch cfg.mode {
	case "thr-recv":
		return thrRecv(ctx, f, cfg, &done, stdout, stderr)
	case "thr-send":
		return thrSend(ctx, f, cfg, &done)
	case "lat-server":
		return latServer(ctx, f, cfg, &done, stderr)
	case "lat-client":
		return latClient(ctx, f, cfg, &done, stdout, stderr)
	}
	return usagef("bench: unknown mode %q", cfg.mode)
}

func benchBind(w wirer, ep string, stderr io.Writer) error {
	got, err := w.Bind(ep)
	if err != nil {
		return &endpointError{op: "bind", endpoint: ep, err: err}
	}
	if got != ep {
		fmt.Fprintf(stderr, "zmqcat: bound %s\n", got)
	}
	return nil
}

func benchConnect(w wirer, ep string) error {
	if err := w.Connect(ep); err != nil {
		return &endpointError{op: "connect", endpoint: ep, err: err}
	}
	return nil
}

// checkSize rejects a message that is not one frame of the agreed size:
// both sides must run with the same --size.
func checkSize(m zmq.Msg, size int) error {
	if len(m.Frames) != 1 || len(m.Frames[0]) != size {
		return fmt.Errorf("bench: got a message of %d bytes in %d frames; want one frame of --size %d", m.Len(), len(m.Frames), size)
	}
	return nil
}

func thrRecv(ctx context.Context, f *zmq.Factory, cfg *benchConfig, done *atomic.Int64, stdout, stderr io.Writer) error {
	pull, err := f.NewPull()
	if err != nil {
		return err
	}
	if err := benchBind(pull, cfg.endpoint, stderr); err != nil {
		return err
	}
	var start time.Time
	total := cfg.warmup + cfg.count
	for i := range total {
		m, err := pull.Recv(ctx)
		if err != nil {
			return err
		}
		if err := checkSize(m, cfg.size); err != nil {
			return err
		}
		if i == cfg.warmup {
			start = time.Now()
		}
		done.Store(int64(i + 1))
	}
	elapsed := time.Since(start).Seconds()
	rate := float64(cfg.count-1) / elapsed // count-1 gaps from first to last
	fmt.Fprintf(stdout, "msgs_per_s=%.1f mb_per_s=%.3f\n", rate, rate*float64(cfg.size)/1e6)
	return nil
}

func thrSend(ctx context.Context, f *zmq.Factory, cfg *benchConfig, done *atomic.Int64) error {
	push, err := f.NewPush()
	if err != nil {
		return err
	}
	if err := benchConnect(push, cfg.endpoint); err != nil {
		return err
	}
	payload := make([]byte, cfg.size)
	total := cfg.warmup + cfg.count
	for i := range total {
		if err := push.Send(ctx, zmq.NewMsg(payload)); err != nil {
			if ctx.Err() != nil {
				// Interrupted: do not wait for the queue to drain.
				push.SetOption(zmq.WithLinger(0))
			}
			return err
		}
		done.Store(int64(i + 1))
	}
	return nil
}

func latServer(ctx context.Context, f *zmq.Factory, cfg *benchConfig, done *atomic.Int64, stderr io.Writer) error {
	rep, err := f.NewSocket(zmq.REP)
	if err != nil {
		return err
	}
	if err := benchBind(rep, cfg.endpoint, stderr); err != nil {
		return err
	}
	total := cfg.warmup + cfg.count
	for i := range total {
		m, err := rep.Recv(ctx)
		if err != nil {
			return err
		}
		if err := checkSize(m, cfg.size); err != nil {
			return err
		}
		if err := rep.Send(ctx, m); err != nil {
			return err
		}
		done.Store(int64(i + 1))
	}
	return nil
}

func latClient(ctx context.Context, f *zmq.Factory, cfg *benchConfig, done *atomic.Int64, stdout, stderr io.Writer) error {
	req, err := f.NewSocket(zmq.REQ)
	if err != nil {
		return err
	}
	if err := benchConnect(req, cfg.endpoint); err != nil {
		return err
	}
	payload := zmq.NewMsg(make([]byte, cfg.size))
	rtts := make([]time.Duration, 0, cfg.count)
	total := cfg.warmup + cfg.count
	for i := range total {
		t0 := time.Now()
		if err := req.Send(ctx, payload); err != nil {
			return err
		}
		m, err := req.Recv(ctx)
		if err != nil {
			return err
		}
		rtt := time.Since(t0)
		if err := checkSize(m, cfg.size); err != nil {
			return err
		}
		if i >= cfg.warmup {
			rtts = append(rtts, rtt)
		}
		done.Store(int64(i + 1))
	}
	mean, p50, p99 := latencyStats(rtts)
	fmt.Fprintf(stdout, "rtt_us_mean=%.2f rtt_us_p50=%.2f rtt_us_p99=%.2f\n", mean, p50, p99)
	return nil
}

// latencyStats returns the mean, median and 99th percentile of rtts in
// microseconds; percentiles are nearest-rank. rtts is sorted in place.
func latencyStats(rtts []time.Duration) (mean, p50, p99 float64) {
	if len(rtts) == 0 {
		return 0, 0, 0
	}
	slices.Sort(rtts)
	var sum time.Duration
	for _, d := range rtts {
		sum += d
	}
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	rank := func(p float64) time.Duration {
		i := int(math.Ceil(p*float64(len(rtts)))) - 1
		return rtts[max(i, 0)]
	}
	return us(sum) / float64(len(rtts)), us(rank(0.50)), us(rank(0.99))
}

// showProgress prints a live message count and rate on stderr while a
// person watches (stderr is a terminal), until the returned stop is called.
func showProgress(stderr io.Writer, label string, done *atomic.Int64, total int) (stop func()) {
	if !isTerminal(stderr) {
		return func() {}
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		const every = 500 * time.Millisecond
		tick := time.NewTicker(every)
		defer tick.Stop()
		last, lastT := int64(0), time.Now()
		for {
			select {
			case <-quit:
				fmt.Fprint(stderr, "\r\x1b[K") // leave the terminal line clean
				return
			case now := <-tick.C:
				n := done.Load()
				rate := float64(n-last) / now.Sub(lastT).Seconds()
				last, lastT = n, now
				fmt.Fprintf(stderr, "\r\x1b[K%s: %d/%d messages, %.0f msg/s", label, n, total, rate)
			}
		}
	})
	return func() {
		close(quit)
		wg.Wait()
	}
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	if l, ok := w.(*lockedWriter); ok {
		w = l.w
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
