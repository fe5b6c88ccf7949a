package zmq_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/internal/watchtest"
)

// watchdogThreshold is how long a goroutine may stay parked while its
// socket could serve it (see internal/watchtest).
const watchdogThreshold = watchtest.Threshold

// TestMain runs the tests under the lost-wake-up watchdog and fails the run if it
// saw a goroutine stay parked while its socket was ready, or if any
// goroutine or file descriptor outlives the tests (see internal/watchtest).
func TestMain(m *testing.M) { watchtest.Main(m) }

// newFactory returns a factory closed when the test ends.
func newFactory(t testing.TB, opts ...zmq.FactoryOption) *zmq.Factory {
	t.Helper()
	f, err := zmq.NewFactory(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Errorf("factory close: %v", err)
		}
	})
	return f
}

var transports = []string{"inproc", "ipc", "tcp"}

// libzmqOnly skips t unless it runs on the libzmq engine: for tests of
// what libzmq does and the go engine cannot (why says what).
func libzmqOnly(t testing.TB, why string) {
	t.Helper()
	if e := engineUnderTest(t); e != zmq.EngineLibzmq {
		t.Skipf("on the %s engine: %s", e, why)
	}
}

// engineUnderTest returns the engine the tests run on: the one ZMQ_ENGINE
// names, else the default.
func engineUnderTest(t testing.TB) zmq.Engine {
	t.Helper()
	return newFactory(t).Engine()
}

var endpointSeq atomic.Int64

// bindEndpoint returns an endpoint to bind for a transport: an ephemeral
// tcp port, an ipc path in the test's temp dir, or a unique inproc name.
func bindEndpoint(t testing.TB, transport string) string {
	t.Helper()
	n := endpointSeq.Add(1)
	switch transport {
	case "tcp":
		return "tcp://127.0.0.1:*"
	case "ipc":
		return "ipc://" + filepath.Join(t.TempDir(), fmt.Sprintf("s%d", n))
	case "inproc":
		return fmt.Sprintf("inproc://test-%d", n)
	}
	t.Fatalf("unknown transport %q", transport)
	return ""
}

// binder is any socket that can bind.
type binder interface {
	Bind(string) (string, error)
}

// bind binds s on a fresh endpoint of transport and returns the real one.
func bind(t testing.TB, s binder, transport string) string {
	t.Helper()
	ep, err := s.Bind(bindEndpoint(t, transport))
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

// dealerToRouter returns a Router bound on a fresh endpoint of transport
// and a Dealer connected to it, both made with opts, in a factory closed
// when the test ends.
func dealerToRouter(t testing.TB, transport string, opts ...zmq.CommonOption) (*zmq.Router, *zmq.Dealer) {
	t.Helper()
	f := newFactory(t)
	routerOpts := make([]zmq.RouterOption, len(opts))
	dealerOpts := make([]zmq.DealerOption, len(opts))
	for i, o := range opts {
		routerOpts[i], dealerOpts[i] = o, o
	}
	router := must[*zmq.Router](t)(f.NewRouter(routerOpts...))
	dealer := must[*zmq.Dealer](t)(f.NewDealer(dealerOpts...))
	if err := dealer.Connect(bind(t, router, transport)); err != nil {
		t.Fatal(err)
	}
	return router, dealer
}

// pushPull returns a Pull bound on a fresh endpoint of transport and a
// Push connected to it, both made with opts, in a factory closed when the
// test ends.
func pushPull(t testing.TB, transport string, opts ...zmq.CommonOption) (*zmq.Pull, *zmq.Push) {
	t.Helper()
	f := newFactory(t)
	pullOpts := make([]zmq.PullOption, len(opts))
	pushOpts := make([]zmq.PushOption, len(opts))
	for i, o := range opts {
		pullOpts[i], pushOpts[i] = o, o
	}
	pull := must[*zmq.Pull](t)(f.NewPull(pullOpts...))
	push := must[*zmq.Push](t)(f.NewPush(pushOpts...))
	if err := push.Connect(bind(t, pull, transport)); err != nil {
		t.Fatal(err)
	}
	return pull, push
}

// testCtx returns a context that ends with the test or after d.
func testCtx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// scaled returns n, or n/div under the race detector (at least 1).
func scaled(n, div int) int {
	if raceEnabled {
		n /= div
	}
	return max(n, 1)
}

// waitLimit bounds every wait for something that must happen.
const waitLimit = 10 * time.Second

type msgReceiver interface {
	Recv(ctx context.Context) (zmq.Msg, error)
	TryRecv() (zmq.Msg, error)
}

type msgSender interface {
	Send(ctx context.Context, m zmq.Msg) error
	TrySend(m zmq.Msg) error
}

type connectable interface {
	Connect(endpoint string) error
}

func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func connectTo(t testing.TB, s connectable, ep string) {
	t.Helper()
	if err := s.Connect(ep); err != nil {
		t.Fatalf("connect %s: %v", ep, err)
	}
}

// sendFrames sends the frames as one message, waiting at most waitLimit.
func sendFrames(t testing.TB, s msgSender, frames ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := s.Send(ctx, zmq.NewMsgString(frames...)); err != nil {
		t.Fatalf("send %q: %v", frames, err)
	}
}

// recvMsg receives one message, waiting at most waitLimit.
func recvMsg(t testing.TB, r msgReceiver) zmq.Msg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	m, err := r.Recv(ctx)
	if err != nil {
		t.Fatalf("recv: %v", err)
	}
	return m
}

// expectFrames receives one message and checks its frames.
func expectFrames(t testing.TB, r msgReceiver, want ...string) {
	t.Helper()
	if m := recvMsg(t, r); !slices.Equal(m.Strings(), want) {
		t.Fatalf("received %s, want %s", m, zmq.NewMsgString(want...))
	}
}

// eventually polls cond (every millisecond) until it holds, or fails the
// test after waitLimit. It is for states that have no event to wait on, such
// as a pipe that libzmq tears down in the background.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", waitLimit, what)
		}
		time.Sleep(time.Millisecond)
	}
}

// syncSub defeats the slow joiner: it publishes sentinels "tag#n" until
// the subscriber receives one (sub must be subscribed to tag). Sentinels
// still in flight arrive later; recvData skips them.
func syncSub(t testing.TB, pub msgSender, sub msgReceiver, tag string) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for i := 0; ; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("subscription %q not effective within %v", tag, waitLimit)
		}
		if err := pub.TrySend(zmq.NewMsgString(fmt.Sprintf("%s#%d", tag, i))); err != nil && !errors.Is(err, zmq.EAGAIN) {
			t.Fatalf("publish sentinel: %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
		m, err := sub.Recv(ctx)
		cancel()
		switch {
		case err == nil && strings.HasPrefix(string(m.Frames[0]), tag+"#"):
			return
		case err == nil && strings.Contains(string(m.Frames[0]), "#"):
			// a sentinel of an earlier sync, still in flight
		case err == nil:
			t.Fatalf("while waiting for sentinel %q: unexpected %s", tag, m)
		case !errors.Is(err, context.DeadlineExceeded):
			t.Fatalf("while waiting for sentinel %q: %v", tag, err)
		}
	}
}

// recvData receives the next message that is not a sentinel.
func recvData(t testing.TB, sub msgReceiver) zmq.Msg {
	t.Helper()
	for {
		m := recvMsg(t, sub)
		if !strings.Contains(string(m.Frames[0]), "#") {
			return m
		}
	}
}

// timeIt runs f and returns how long it took.
func timeIt(f func()) time.Duration {
	start := time.Now()
	f()
	return time.Since(start)
}

// expectFairQueue has each of n senders send m messages [sender, seq] (send
// does that) before the receiver reads, then checks that all arrive and
// each sender's messages stay in order. On inproc, where a message is in
// the receiver's pipe as soon as Send returns, it also checks strict fair
// queueing: each batch of n consecutive messages holds one per sender. On
// ipc and tcp arrival times are up to the I/O thread, so only the weaker
// properties are checked.
func expectFairQueue(t *testing.T, tr string, r msgReceiver, n, m int, send func(i, j int)) {
	t.Helper()
	for j := range m {
		for i := range n {
			send(i, j)
		}
	}
	next := make([]int, n)
	batch := map[int]bool{}
	for k := range n * m {
		msg := recvMsg(t, r)
		f := msg.Frames
		if len(f) < 2 {
			t.Fatalf("message %d: %s", k, msg)
		}
		i, err1 := strconv.Atoi(string(f[len(f)-2]))
		j, err2 := strconv.Atoi(string(f[len(f)-1]))
		if err1 != nil || err2 != nil || i < 0 || i >= n {
			t.Fatalf("message %d: %s", k, msg)
		}
		if j != next[i] {
			t.Fatalf("sender %d: got message %d, want %d (per-sender order broken)", i, j, next[i])
		}
		next[i]++
		if tr == "inproc" {
			if batch[i] {
				t.Fatalf("message %d: sender %d served twice within one round of %d (not fair-queued)", k, i, n)
			}
			batch[i] = true
			if len(batch) == n {
				clear(batch)
			}
		}
	}
}

// expectMsg receives one message and checks its frames.
func expectMsg(t *testing.T, ctx context.Context, recv func(context.Context) (zmq.Msg, error), frames ...string) {
	t.Helper()
	m, err := recv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Strings(), frames) {
		t.Fatalf("got %s, want %s", m, zmq.NewMsgString(frames...))
	}
}
