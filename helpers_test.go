package zmq_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/internal/watchtest"
)

// watchdogThreshold is R6's limit (see internal/watchtest).
const watchdogThreshold = watchtest.Threshold

// TestMain fails the run if any goroutine or file descriptor outlives the
// tests (every factory is closed by then), or if the R6 watchdog saw a
// goroutine stay parked for watchdogThreshold while its socket was ready.
func TestMain(m *testing.M) {
	// The runtime's netpoller opens its own fds (epoll, wake-up eventfd)
	// on first use and keeps them; start it before counting.
	if r, w, err := os.Pipe(); err == nil {
		r.Close()
		w.Close()
	}
	before := countFDs()
	watchtest.Start()
	code := m.Run()
	if !watchtest.Finish(testing.Verbose()) {
		code = 1
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutine leak:", err)
			code = 1
		}
		if after := countFDs(); after > before {
			fmt.Fprintf(os.Stderr, "fd leak: %d open before the tests, %d after\n", before, after)
			code = 1
		}
	}
	os.Exit(code)
}

func countFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0
	}
	return len(ents)
}

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
