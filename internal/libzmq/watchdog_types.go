package libzmq

import "time"

// Violation describes a goroutine that stayed parked while its socket could
// serve it.
type Violation struct {
	Dir string // "recv" or "send"
	// Parked is how long the goroutine had been parked when the watchdog
	// found its socket ready.
	Parked time.Duration
	// Unpolled is true when libzmq's fd had an edge nobody consumed (the
	// poller did not run), false when the fd was silent (the edge was lost).
	Unpolled bool
	// SocketType is libzmq's number for the socket's type (ZMQ_TYPE).
	SocketType int
	// Stack is the stack of the goroutine that was stranded, taken when it
	// got going again: it names the caller.
	Stack string
}

// WatchdogStats counts the watchdog's work since it started.
type WatchdogStats struct {
	Ticks, Probes, Violations uint64
	// Inconclusive counts the probes that were descheduled between their
	// two reads and so proved nothing either way.
	Inconclusive uint64
}
