// Package watchtest runs the engine's R6 watchdog over a package's tests:
// call Start first thing in TestMain and Finish after m.Run.
package watchtest

import (
	"flag"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/zmqx/zmq/internal/engine"
)

// Threshold is R6's limit: how long a goroutine may stay parked while its
// socket could serve it.
const Threshold = 100 * time.Millisecond

var (
	mu         sync.Mutex
	violations []engine.Violation
	stop       func() engine.WatchdogStats
)

// Start starts the watchdog for every socket created from now on, unless
// the run is for benchmarks (-test.bench): they measure speed, and the
// watchdog's probes would be part of what they measure.
func Start() {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f != nil && f.Value.String() != "" {
		stop = func() engine.WatchdogStats { return engine.WatchdogStats{} }
		return
	}
	stop = engine.StartWatchdog(Threshold, func(v engine.Violation) {
		mu.Lock()
		violations = append(violations, v)
		mu.Unlock()
	})
}

// Finish stops the watchdog, writes each violation to stderr (and, when
// verbose, a summary to stdout) and reports whether there were none.
func Finish(verbose bool) bool {
	st := stop()
	if verbose {
		fmt.Printf("R6 watchdog over the whole run: %d ticks, %d probes of goroutines parked over %v, %d violations\n",
			st.Ticks, st.Probes, Threshold, st.Violations)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, v := range violations {
		fmt.Fprintf(os.Stderr, "R6 watchdog: a goroutine stayed parked in %s for %v while its socket (libzmq type %d) was ready (edge unpolled: %v); its stack once it got going:\n%s\n",
			v.Dir, v.Parked, v.SocketType, v.Unpolled, v.Stack)
	}
	return len(violations) == 0
}
