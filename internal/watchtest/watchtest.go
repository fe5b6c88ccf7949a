// Package watchtest is the TestMain of this module's test packages: it
// runs the engine's lost-wake-up watchdog over the tests and, after them, fails the
// run on any violation, leaked goroutine or leaked file descriptor.
package watchtest

import (
	"flag"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/zmqx/zmq/internal/libzmq"
)

// Threshold is the watchdog's limit: how long a goroutine may stay parked while its
// socket could serve it.
const Threshold = 100 * time.Millisecond

// Main runs m's tests and exits. The watchdog audits every socket created
// meanwhile, unless the run is for benchmarks (-test.bench): they measure
// speed, and the watchdog's probes would be part of what they measure.
func Main(m *testing.M) {
	// The runtime's netpoller opens its own fds (epoll, wake-up eventfd)
	// on first use and keeps them; start it before counting.
	if r, w, err := os.Pipe(); err == nil {
		r.Close()
		w.Close()
	}
	before := CountFDs()
	flag.Parse()
	stop := func() bool { return true }
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		stop = start()
	}
	code := m.Run()
	if !stop() {
		code = 1
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutine leak:", err)
			code = 1
		}
		if after := CountFDs(); after > before && !profiling() {
			fmt.Fprintf(os.Stderr, "fd leak: %d open before the tests, %d after\n", before, after)
			code = 1
		}
	}
	os.Exit(code)
}

// profiling reports whether the run writes a profile or trace: the testing
// package leaves those files open after the tests, so the fd count cannot
// tell a leak then.
func profiling() bool {
	for _, name := range []string{"cpuprofile", "memprofile", "blockprofile", "mutexprofile", "trace", "coverprofile"} {
		if f := flag.Lookup("test." + name); f != nil && f.Value.String() != "" {
			return true
		}
	}
	return false
}

// start starts the watchdog; the function it returns stops it, writes each
// violation to stderr (and, with -v, a summary to stdout) and reports
// whether there were none.
func start() func() bool {
	var (
		mu         sync.Mutex
		violations []libzmq.Violation
	)
	stop := libzmq.StartWatchdog(Threshold, func(v libzmq.Violation) {
		mu.Lock()
		violations = append(violations, v)
		mu.Unlock()
	})
	return func() bool {
		st := stop()
		if testing.Verbose() {
			fmt.Printf("lost-wake-up watchdog over the whole run: %d ticks, %d probes of goroutines parked over %v, %d violations\n",
				st.Ticks, st.Probes, Threshold, st.Violations)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, v := range violations {
			fmt.Fprintf(os.Stderr, "lost-wake-up watchdog: a goroutine stayed parked in %s for %v while its socket (libzmq type %d) was ready (edge unpolled: %v); its stack once it got going:\n%s\n",
				v.Dir, v.Parked, v.SocketType, v.Unpolled, v.Stack)
		}
		return len(violations) == 0
	}
}

// CountFDs returns how many file descriptors the process has open.
func CountFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0
	}
	return len(ents)
}
