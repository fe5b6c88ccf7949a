package zmq_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/internal/watchtest"
)

// watchdogThreshold is R6's limit (see internal/watchtest).
const watchdogThreshold = watchtest.Threshold

// TestMain runs the tests under the R6 watchdog and fails the run if it
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
