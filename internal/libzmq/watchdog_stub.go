//go:build !(cgo && unix && zmqwatchdog)

package libzmq

import "time"

// WatchdogBuilt reports whether the watchdog is compiled in: only with
// the build tag zmqwatchdog, on a build that has the libzmq engine.
const WatchdogBuilt = false

// StartWatchdog does nothing: the watchdog is not compiled in.
func StartWatchdog(time.Duration, func(Violation)) func() WatchdogStats {
	return func() WatchdogStats { return WatchdogStats{} }
}

// WatchdogCounters returns zeros: the watchdog is not compiled in.
func WatchdogCounters() WatchdogStats { return WatchdogStats{} }
