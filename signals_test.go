package zmq_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/internal/watchtest"
	"go.uber.org/goleak"
)

// signalStorm sends SIGURG and SIGALRM to the process every period (on
// average) until stopped; SIGALRM is routed to a channel so that it cannot end the
// process. stop returns how many of each were sent.
func signalStorm(period time.Duration) (stop func() int) {
	alrm := make(chan os.Signal, 1)
	signal.Notify(alrm, syscall.SIGALRM)
	quit := make(chan struct{})
	drained := make(chan struct{})
	go func() { // keep the channel flowing (signal.Notify drops when full)
		defer close(drained)
		for {
			select {
			case <-alrm:
			case <-quit:
				return
			}
		}
	}()
	var sent atomic.Int64
	done := make(chan struct{})
	pid := os.Getpid()
	go func() {
		defer close(done)
		// A sleep lasts longer than 100 µs, so each wake-up sends the pairs
		// that are due: on average one pair per period.
		start := time.Now()
		for {
			select {
			case <-quit:
				return
			default:
			}
			due := int64(time.Since(start) / period)
			for sent.Load() <= due {
				syscall.Kill(pid, syscall.SIGURG)
				syscall.Kill(pid, syscall.SIGALRM)
				sent.Add(1)
			}
			time.Sleep(period)
		}
	}()
	return func() int {
		close(quit)
		<-done
		signal.Stop(alrm)
		<-drained
		return int(sent.Load())
	}
}

// TestSignalStormReachesNoCaller: while SIGURG and SIGALRM arrive every 100 µs,
// a sequence run as in TestPushPullKeepsOrderAcrossConsumerStalls (200,000 messages per transport; 100,000 under the race
// detector) must be as clean as without them, and a loop that parks calls
// and ends them by cancel, deadline or Close, and terminates factories with
// queued messages, must see only the expected errors, never EINTR, each
// call returning promptly.
func TestSignalStormReachesNoCaller(t *testing.T) {
	n := scaled(200_000, 2) // never below 100,000
	leakOpt := goleak.IgnoreCurrent()
	fdsBefore := watchtest.CountFDs()
	stop := signalStorm(100 * time.Microsecond)
	stormStart := time.Now()
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()

	// The cancel/close/terminate loop, until the sequence runs are done.
	loopCtx, loopStop := context.WithCancel(context.Background())
	var loopWG sync.WaitGroup
	var loopIters [4]atomic.Int64
	var loopMu sync.Mutex
	loopErrs := map[string]int{}
	loopErr := func(what string, err error) {
		loopMu.Lock()
		defer loopMu.Unlock()
		key := what + ": " + err.Error()
		if errors.Is(err, syscall.EINTR) {
			key = "EINTR surfaced: " + key
		}
		loopErrs[key]++
	}
	dir := t.TempDir()
	loopWG.Go(func() { cancelLoop(loopCtx, dir, &loopIters, loopErr) })

	for _, tr := range transports {
		f := newFactory(t)
		push, pull := seqPushPull(t, f, tr, 100)
		r := runSequence(testCtx(t, 3*time.Minute), push, pull, n, n/4, 50*time.Millisecond)
		reportSequence(t, "signal storm "+tr, r)
		t.Logf("%s under the signal storm: %d × 64 B, HWM 100: %s; %s; sender waited %d times",
			tr, n, r.check, r.rate(), r.sendWaits)
		if err := f.Close(); err != nil {
			checkNoEINTR(t, "Factory.Close", err)
			t.Errorf("%s: Factory.Close: %v", tr, err)
		}
	}
	loopStop()
	loopWG.Wait()
	signals := stop()
	stopped = true
	stormFor := time.Since(stormStart)
	for k, v := range loopErrs {
		t.Errorf("cancel/close loop: %d × %s", v, k)
	}
	// Every factory is closed now (the sequence runs' explicitly, the
	// loop's before it returned): nothing of them may remain.
	if err := goleak.Find(leakOpt); err != nil {
		t.Errorf("goroutines left after every factory closed: %v", err)
	}
	if fds := watchtest.CountFDs(); fds > fdsBefore {
		t.Errorf("%d fds open after every factory closed, %d before (a context that was not terminated keeps its fds)", fds, fdsBefore)
	}
	t.Logf("%d SIGURG+SIGALRM pairs in %v (one per %v on average; target 100 µs); cancel/close loop: %d cancels, %d deadlines, %d Closes, %d factory terminations with queued messages; 0 EINTR surfaced unless reported above",
		signals, stormFor.Round(time.Millisecond), (stormFor / time.Duration(max(signals, 1))).Round(time.Microsecond),
		loopIters[0].Load(), loopIters[1].Load(), loopIters[2].Load(), loopIters[3].Load())
}

// cancelLoop parks a Recv (on a PULL with no peer) or a Send (on a PUSH
// with no peer) and ends it by cancel, by deadline or by Close, and every
// fourth iteration closes a whole factory with queued messages and a 20 ms
// linger, until ctx ends. Every call must return within promptLimit with the
// expected error. dir is a directory for ipc addresses nobody listens on.
func cancelLoop(ctx context.Context, dir string, iters *[4]atomic.Int64, errs func(string, error)) {
	f, err := zmq.NewFactory()
	if err != nil {
		errs("NewFactory", err)
		return
	}
	defer func() {
		if err := f.Close(); err != nil {
			errs("Factory.Close", err)
		}
	}()
	nobody := "ipc://" + filepath.Join(dir, "nobody")
	for i := 0; ctx.Err() == nil; i++ {
		mode := i % 4
		if mode == 3 {
			// Terminate a factory whose PUSH has queued messages for an
			// ipc address nobody listens on.
			g, err := zmq.NewFactory(zmq.WithDefaultLinger(20 * time.Millisecond))
			if err != nil {
				errs("NewFactory", err)
				continue
			}
			p, err := g.NewPush(zmq.WithSendHWM(10))
			if err == nil {
				err = p.Connect(nobody)
			}
			for err == nil {
				err = p.TrySend(zmq.NewMsgString("queued"))
			}
			if !errors.Is(err, zmq.EAGAIN) {
				errs("queue for nobody", err)
			}
			res := make(chan error, 1)
			go func() { res <- g.Close() }()
			select {
			case err := <-res:
				if err != nil {
					errs("Factory.Close with queued messages", err)
				}
			case <-time.After(promptLimit):
				errs("Factory.Close with queued messages", fmt.Errorf("froze for %v\n%s", promptLimit, allStacks()))
				return
			}
			iters[3].Add(1)
			continue
		}
		var s interface{ Close() error }
		var call func(context.Context) error
		if (i/4)%2 == 0 {
			p, err := f.NewPull()
			if err != nil {
				errs("NewPull", err)
				return
			}
			if _, err := p.Bind(fmt.Sprintf("inproc://signal-storm-%d", i)); err != nil {
				errs("Bind", err)
			}
			s, call = p, func(ctx context.Context) error { _, err := p.Recv(ctx); return err }
		} else {
			p, err := f.NewPush()
			if err != nil {
				errs("NewPush", err)
				return
			}
			s, call = p, func(ctx context.Context) error { return p.Send(ctx, zmq.NewMsgString("x")) }
		}
		var cctx context.Context
		var cancel context.CancelFunc
		if mode == 1 {
			cctx, cancel = context.WithTimeout(ctx, 200*time.Microsecond)
		} else {
			cctx, cancel = context.WithCancel(ctx)
		}
		res := make(chan error, 1)
		go func() { res <- call(cctx) }()
		switch mode {
		case 0:
			cancel()
		case 2:
			if err := s.Close(); err != nil {
				errs("Close", err)
			}
		}
		var err error
		select {
		case err = <-res:
		case <-time.After(promptLimit):
			errs(fmt.Sprintf("mode %d call", mode), fmt.Errorf("did not return within %v\n%s", promptLimit, allStacks()))
			cancel()
			s.Close()
			<-res
			return
		}
		cancel()
		switch {
		case mode == 0 && err == context.Canceled,
			mode == 1 && err == context.DeadlineExceeded,
			mode == 2 && errors.Is(err, zmq.ErrClosed):
		case ctx.Err() != nil && err == context.Canceled:
			// the loop itself ended
		default:
			errs(fmt.Sprintf("mode %d call", mode), fmt.Errorf("got %v", err))
		}
		if err := s.Close(); err != nil {
			errs("Close", err)
		}
		iters[mode].Add(1)
	}
}
