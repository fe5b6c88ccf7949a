package zmq_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/zmqx/zmq"
)

// Sequence-numbered PUSH→PULL runs, shared by the stress tests: a checker
// that counts lost, duplicated and reordered messages, and a watchdog that
// ends a run that stops making progress. Figures (throughput, recovery
// times, close times) are logged with t.Logf and never asserted, apart
// from generous bounds that only catch a hang; docs/reliability.md records
// them as measured.

// stallLimit is how long a run may go without any message arriving before it
// is declared stalled. It only bounds how long a failing run takes; the
// deliberate consumer stalls (200 ms) are far below it.
const stallLimit = 10 * time.Second

// promptLimit bounds how long a call may take to return after its ctx ended
// or its socket closed before the test calls it frozen.
const promptLimit = 2 * time.Second

// envInt returns the positive integer in the environment variable name
// (a soak-tier knob), or def when it is unset.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return n
}

// allStacks returns every goroutine's stack, for stall reports.
func allStacks() string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return string(buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}

// checkNoEINTR fails t, naming the call, when err is or wraps EINTR.
func checkNoEINTR(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil && errors.Is(err, syscall.EINTR) {
		t.Errorf("%s: EINTR surfaced to the caller: %v", what, err)
	}
}

// progressWatchdog cancels ctx with a stall error when progress has not moved
// for stallLimit. Stop it by cancelling ctx.
func progressWatchdog(ctx context.Context, fail context.CancelCauseFunc, progress *atomic.Int64, what string) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	last, lastAt := progress.Load(), time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if p := progress.Load(); p != last {
			last, lastAt = p, time.Now()
			continue
		}
		if time.Since(lastAt) > stallLimit {
			fail(fmt.Errorf("%s stalled: no progress for %v at %d\n%s", what, stallLimit, last, allStacks()))
			return
		}
	}
}

// seqPushPull makes a PUSH connected to a PULL over transport tr, both with the
// given high-water marks.
func seqPushPull(t testing.TB, f *zmq.Factory, tr string, hwm int) (*zmq.Push, *zmq.Pull) {
	t.Helper()
	pull := must[*zmq.Pull](t)(f.NewPull(zmq.WithRecvHWM(hwm), zmq.WithSendHWM(hwm)))
	push := must[*zmq.Push](t)(f.NewPush(zmq.WithSendHWM(hwm), zmq.WithRecvHWM(hwm)))
	if err := push.Connect(bind(t, pull, tr)); err != nil {
		t.Fatal(err)
	}
	return push, pull
}

// seqCheck classifies a received stream of sequence numbers 0..n-1.
type seqCheck struct {
	n         int
	seen      []uint64 // bit set
	distinct  int
	next      uint64 // the sequence number expected next
	dups      int    // a number seen before
	reordered int    // a new number that is not the one expected
	bad       int    // malformed messages
	first     string // the first anomaly, for the report
}

func newSeqCheck(n int) *seqCheck {
	return &seqCheck{n: n, seen: make([]uint64, (n+63)/64)}
}

func (c *seqCheck) anomaly(format string, args ...any) {
	if c.first == "" {
		c.first = fmt.Sprintf(format, args...)
	}
}

func (c *seqCheck) see(seq uint64) {
	if seq >= uint64(c.n) {
		c.bad++
		c.anomaly("sequence number %d out of range (n=%d)", seq, c.n)
		return
	}
	w, b := seq/64, uint64(1)<<(seq%64)
	if c.seen[w]&b != 0 {
		c.dups++
		c.anomaly("sequence number %d received twice (expected %d next)", seq, c.next)
		return
	}
	c.seen[w] |= b
	c.distinct++
	if seq != c.next {
		c.reordered++
		c.anomaly("received %d where %d was expected next", seq, c.next)
	}
	c.next = seq + 1
}

func (c *seqCheck) lost() int { return c.n - c.distinct }

func (c *seqCheck) clean() bool {
	return c.lost() == 0 && c.dups == 0 && c.reordered == 0 && c.bad == 0
}

func (c *seqCheck) String() string {
	s := fmt.Sprintf("%d lost, %d duplicated, %d out of order, %d malformed", c.lost(), c.dups, c.reordered, c.bad)
	if c.first != "" {
		s += "; first anomaly: " + c.first
	}
	return s
}

// seqResult is what one sequence run measured.
type seqResult struct {
	n                  int
	check              *seqCheck
	sendWaits          uint64
	elapsed, stalled   time.Duration
	stalls             int
	sendErr, recvErr   error
	cause              error // why the run was cut short, if it was
	received, sentMsgs int64
}

func (r seqResult) rate() string {
	active := r.elapsed - r.stalled
	return fmt.Sprintf("%.0f k msg/s overall, %.0f k msg/s excluding %v of consumer stalls",
		float64(r.n)/r.elapsed.Seconds()/1e3, float64(r.n)/active.Seconds()/1e3, r.stalled.Round(time.Millisecond))
}

// runSequence sends n 64-byte messages numbered 0..n-1 from push (one
// sending goroutine) and receives them on pull in the calling goroutine,
// which stops reading for stall every stallEvery messages (0: never).
func runSequence(ctx context.Context, push *zmq.Push, pull *zmq.Pull, n, stallEvery int, stall time.Duration) seqResult {
	res := seqResult{n: n, check: newSeqCheck(n)}
	ctx, fail := context.WithCancelCause(ctx)
	defer fail(nil)
	var received, sent atomic.Int64
	watchDone := make(chan struct{})
	go func() { defer close(watchDone); progressWatchdog(ctx, fail, &received, "sequence run") }()

	waitsBefore := push.Stats().SendWaits
	sendDone := make(chan error, 1)
	start := time.Now()
	go func() {
		buf := make([]byte, 64)
		for i := range n {
			binary.BigEndian.PutUint64(buf, uint64(i))
			buf[63] = byte(i)
			if err := push.Send(ctx, zmq.NewMsg(buf)); err != nil {
				sendDone <- fmt.Errorf("send %d: %w", i, err)
				return
			}
			sent.Add(1)
		}
		sendDone <- nil
	}()
	for i := range n {
		if stallEvery > 0 && i > 0 && i%stallEvery == 0 {
			// The deliberate stall: the queues fill and the sender parks.
			t0 := time.Now()
			time.Sleep(stall)
			res.stalled += time.Since(t0)
			res.stalls++
		}
		m, err := pull.Recv(ctx)
		if err != nil {
			res.recvErr = fmt.Errorf("recv after %d messages: %w", i, err)
			break
		}
		received.Add(1)
		if len(m.Frames) != 1 || len(m.Frames[0]) != 64 {
			res.check.bad++
			res.check.anomaly("message %d: %d frames, first of %d bytes", i, len(m.Frames), len(m.Frames[0]))
			continue
		}
		seq := binary.BigEndian.Uint64(m.Frames[0])
		if m.Frames[0][63] != byte(seq) {
			res.check.bad++
			res.check.anomaly("message %d (seq %d): corrupt trailer", i, seq)
		}
		res.check.see(seq)
	}
	res.elapsed = time.Since(start)
	if res.recvErr != nil {
		fail(res.recvErr)
	}
	res.sendErr = <-sendDone
	res.cause = context.Cause(ctx)
	fail(nil)
	<-watchDone
	res.sendWaits = push.Stats().SendWaits - waitsBefore
	res.received, res.sentMsgs = received.Load(), sent.Load()
	return res
}

// reportSequence fails t for anything a sequence run got wrong.
func reportSequence(t testing.TB, label string, r seqResult) {
	t.Helper()
	for _, e := range []error{r.sendErr, r.recvErr} {
		checkNoEINTR(t, label, e)
	}
	if r.cause != nil && !errors.Is(r.cause, context.Canceled) {
		t.Errorf("%s: run cut short: %v", label, r.cause)
	}
	if r.sendErr != nil || r.recvErr != nil {
		t.Errorf("%s: send error %v, receive error %v (sent %d, received %d of %d)", label, r.sendErr, r.recvErr, r.sentMsgs, r.received, r.n)
	}
	if !r.check.clean() {
		t.Errorf("%s: %s", label, r.check)
	}
}
