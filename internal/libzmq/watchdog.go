//go:build cgo && unix && zmqwatchdog

package libzmq

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zmqx/zmq/internal/libzmq/capi"
)

// The watchdog is the tests' check for lost wake-ups: it looks for a
// goroutine that stays parked while its socket could serve it. It is
// compiled in only with the build tag zmqwatchdog (the module's tests use
// it); without, waiting carries none of its bookkeeping.
//
// Every tick it visits each socket and, under the socket lock, each
// direction's head waiter that has been parked for at least the threshold
// and is not already signalled:
//
//   - If the fd is readable, libzmq has posted a command that the poller
//     has not consumed yet; that is normal for a moment. Only when it stays
//     readable for the threshold does the watchdog step in.
//   - Otherwise it reads ZMQ_EVENTS. If the waiter's direction is ready
//     while nothing is pending on the fd, no edge will ever come: that is a
//     lost wake-up.
//
// In both cases it then wakes ready waiters, as every libzmq caller must
// (its own ZMQ_EVENTS read may have consumed an edge). A woken waiter
// retries; only if its operation then succeeds is a Violation reported,
// so sockets whose POLLOUT is only a hint (XPUB with no-drop, ROUTER with
// mandatory routing) cannot raise false alarms. The one false alarm left
// is a command that lands in the microsecond between the fd check and the
// ZMQ_EVENTS read of a probe; probes of a waiter that stays idle grow
// rarer (every 100 ms, 200 ms, ... up to every 5 s) to keep that unlikely,
// and a probe that took longer than probeWindow (descheduled in between)
// reports nothing.

var watch struct {
	on        atomic.Bool
	threshold time.Duration
	report    func(Violation)

	mu      sync.Mutex
	sockets map[*Socket]struct{}

	ticks, probes, violations atomic.Uint64
	inconclusive              atomic.Uint64 // probes that proved nothing (probeWindow)
}

// StartWatchdog starts auditing every socket created from now on until
// stop is called: report receives each violation (from whichever goroutine
// found it; it must not call into the socket). threshold is how long a
// goroutine may stay parked while its socket is ready. Only one watchdog
// runs at a time; stop returns its counters.
func StartWatchdog(threshold time.Duration, report func(Violation)) (stop func() WatchdogStats) {
	if !watch.on.CompareAndSwap(false, true) {
		panic("engine: StartWatchdog called twice")
	}
	watch.threshold, watch.report = threshold, report
	watch.mu.Lock()
	watch.sockets = make(map[*Socket]struct{})
	watch.mu.Unlock()
	watch.ticks.Store(0)
	watch.probes.Store(0)
	watch.violations.Store(0)
	watch.inconclusive.Store(0)
	done, started, finished := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(threshold / 4)
		defer t.Stop()
		close(started)
		var sockets []*Socket // reused: a tick allocates nothing
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				sockets = auditAll(now, sockets)
			}
		}
	}()
	// Running by the time the caller goes on: its start-up allocations must
	// not land inside a test's allocation count.
	<-started
	return func() WatchdogStats {
		close(done)
		<-finished
		watch.on.Store(false)
		watch.mu.Lock()
		watch.sockets = nil
		watch.mu.Unlock()
		return WatchdogCounters()
	}
}

// WatchdogCounters returns the running watchdog's counters so far.
func WatchdogCounters() WatchdogStats {
	return WatchdogStats{Ticks: watch.ticks.Load(), Probes: watch.probes.Load(), Violations: watch.violations.Load(), Inconclusive: watch.inconclusive.Load()}
}

// WatchdogBuilt reports whether the watchdog is compiled in: only with
// the build tag zmqwatchdog, which the module's tests are run with.
const WatchdogBuilt = true

// audit is what the watchdog keeps per waiter, reset each time it parks.
type audit struct {
	parkedAt, next, readableSince time.Time
	every                         time.Duration // between probes of an idle waiter
	probe                         *Violation    // found by a probe; reported if the waiter then succeeds
}

// park records that the waiter parks now.
func (a *audit) park() { *a = audit{parkedAt: time.Now()} }

// takeProbe returns the violation a probe found while the waiter was
// parked, if any.
func (a *audit) takeProbe() *Violation { return a.probe }

func watchSocket(s *Socket) {
	if !watch.on.Load() {
		return
	}
	watch.mu.Lock()
	if watch.sockets != nil {
		watch.sockets[s] = struct{}{}
		s.watched = true
	}
	watch.mu.Unlock()
}

func unwatchSocket(s *Socket) {
	if !s.watched {
		return
	}
	watch.mu.Lock()
	delete(watch.sockets, s)
	watch.mu.Unlock()
}

// auditAll audits every watched socket, listing them in buf first (so the
// registry's lock is not held while sockets are locked). It returns buf,
// emptied, for the next tick.
func auditAll(now time.Time, buf []*Socket) []*Socket {
	watch.ticks.Add(1)
	watch.mu.Lock()
	sockets := buf[:0]
	for s := range watch.sockets {
		sockets = append(sockets, s)
	}
	watch.mu.Unlock()
	for _, s := range sockets {
		s.mu.Lock()
		if !s.closed {
			s.auditLocked(now)
		}
		s.mu.Unlock()
	}
	clear(sockets) // keep no closed socket alive
	return sockets[:0]
}

func (s *Socket) auditLocked(now time.Time) {
	for _, d := range [...]struct {
		q   *waitq
		bit int
	}{{&s.recvQ, capi.PollIn}, {&s.sendQ, capi.PollOut}} {
		h := d.q.head
		if h == nil || h.woken || now.Sub(h.audit.parkedAt) < watch.threshold || now.Before(h.audit.next) {
			continue
		}
		watch.probes.Add(1)
		probeStart := time.Now()
		unpolled := capi.FDReadable(s.fd)
		if unpolled {
			if h.audit.readableSince.IsZero() {
				h.audit.readableSince = now
			}
			limit := watch.threshold
			if s.poller != nil {
				// A poller waits in the netpoller on this fd: the edge is
				// the runtime's to deliver, and only a starved scheduler
				// (a loaded machine, the race detector) delays it. A
				// waiter with nobody polling is what strands for good.
				limit = starvedPollerGrace
			}
			if now.Sub(h.audit.readableSince) < limit {
				continue
			}
		} else {
			h.audit.readableSince = time.Time{}
		}
		var ev int
		var err error
		landed := false
		if unpolled {
			ev, err = s.zs.Events()
		} else {
			// The fd looked quiet: look again and read ZMQ_EVENTS in one
			// C call, so that a command landing just now shows as a
			// readable fd instead of passing for a lost edge.
			landed, ev, err = s.zs.Probe(s.fd)
		}
		ready := err == nil && (ev&d.bit != 0 || d.bit == capi.PollIn && len(s.ready) > 0)
		if ready && !unpolled && (landed || time.Since(probeStart) > probeWindow) {
			// A command landed between finding the fd quiet and the
			// ZMQ_EVENTS read, or may have (the probe was descheduled, as
			// happens on a loaded machine): that is not a lost wake-up,
			// so this probe proves nothing. A lost wake-up lasts; a later
			// probe finds it. (An fd that was readable all along needs no
			// such care.)
			watch.inconclusive.Add(1)
			ready = false
		}
		if ready {
			typ, _ := s.zs.GetInt(zmqType)
			h.audit.probe = &Violation{Dir: dirName(d.bit), Parked: now.Sub(h.audit.parkedAt), Unpolled: unpolled, SocketType: typ}
		}
		// Audit an idle waiter less and less often (a lost wake-up lasts
		// forever, so it is still found): each probe is a chance for the
		// false alarm described above.
		h.audit.every = min(max(2*h.audit.every, watch.threshold), maxAuditEvery)
		h.audit.next = now.Add(h.audit.every)
		// This ZMQ_EVENTS read may have consumed an edge: pass it on.
		s.recheckLocked()
	}
}

// probeWindow bounds the time between a probe's fd check and its
// ZMQ_EVENTS read for the probe to count: a few microseconds when the probe
// runs undisturbed. The watchdog's own tests, which strand a waiter on
// purpose, lift it before starting the watchdog.
var probeWindow = 200 * time.Microsecond

const (
	zmqType       = 16 // ZMQ_TYPE
	maxAuditEvery = 5 * time.Second
	// starvedPollerGrace is how long the fd may stay readable while a
	// poller waits on it before the watchdog steps in.
	starvedPollerGrace = 2 * time.Second
)

func dirName(bit int) string {
	if bit == capi.PollIn {
		return "recv"
	}
	return "send"
}

// reportProbe reports the violation a watchdog probe found, now that the
// waiter it woke has proceeded. It runs without the socket lock.
func reportProbe(v *Violation) {
	if v == nil || !watch.on.Load() {
		return
	}
	watch.violations.Add(1)
	buf := make([]byte, 8<<10)
	v.Stack = string(buf[:runtime.Stack(buf, false)])
	if watch.report != nil {
		watch.report(*v)
	}
}
