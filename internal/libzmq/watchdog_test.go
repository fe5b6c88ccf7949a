//go:build cgo && unix && zmqwatchdog

package libzmq

import (
	"context"
	"testing"
	"time"

	"github.com/zmqx/zmq/internal/libzmq/capi"
)

// The watchdog must be able to fail: these tests break the wake-up rules on
// purpose and check that it reports the stranded goroutine, then rescues it.

const watchThreshold = 100 * time.Millisecond

// withoutPoller makes s believe a poller waits on its fd, so no goroutine
// ever does: the only way a parked caller gets out is somebody else's
// re-check (or the watchdog's).
func withoutPoller(s *Socket) {
	s.mu.Lock()
	s.poller = &waiter{}
	s.mu.Unlock()
}

// strandReceiver parks a Recv on a PULL whose poller never runs, sends it a
// message, and returns the Recv's outcome. breakRule runs once the message
// has reached the PULL (its fd is readable).
func strandReceiver(t *testing.T, breakRule func(pull *Socket)) (<-chan Violation, <-chan error, time.Time) {
	t.Helper()
	violations := make(chan Violation, 16)
	// Nothing else runs on these sockets: a slow probe is still a fair
	// one, however loaded the machine.
	window := probeWindow
	probeWindow = time.Hour
	stop := StartWatchdog(watchThreshold, func(v Violation) { violations <- v })
	t.Cleanup(func() {
		stop()
		probeWindow = window
	})

	c := newCtx(t)
	pull := newSock(t, c, tPull, 0)
	push := newSock(t, c, tPush, 0)
	connectInproc(t, push, pull)
	withoutPoller(pull)

	got := make(chan error, 1)
	go func() {
		m, err := pull.Recv(context.Background())
		if err == nil && string(m.Frames[0]) != "stranded" {
			t.Errorf("received %q, want \"stranded\"", m.Frames[0])
		}
		got <- err
	}()
	waitQueued(t, pull, 1, 0)
	if err := push.Send(context.Background(), msg("stranded")); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	for !capi.FDReadable(pull.fd) {
		if time.Since(sent) > 10*time.Second {
			t.Fatal("the message never signalled the PULL's fd")
		}
		time.Sleep(time.Millisecond) // polling libzmq's fd, which has no other observer here
	}
	breakRule(pull)
	return violations, got, sent
}

func expectViolation(t *testing.T, violations <-chan Violation, got <-chan error, sent time.Time, unpolled bool) {
	t.Helper()
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("stranded Recv: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the watchdog did not rescue the stranded Recv")
	}
	t.Logf("Recv returned %v after the message", time.Since(sent))
	select {
	case v := <-violations:
		t.Logf("violation: %s parked %v, unpolled %v, socket type %d", v.Dir, v.Parked, v.Unpolled, v.SocketType)
		if v.Dir != "recv" || v.Unpolled != unpolled || v.Parked < watchThreshold {
			t.Errorf("violation %+v, want Dir recv, Unpolled %v, Parked >= %v", v, unpolled, watchThreshold)
		}
	default:
		t.Fatal("a goroutine stayed parked on a ready socket and no violation was reported")
	}
}

// TestWatchdogReportsUnpolledEdge: the fd stays readable because nobody
// polls it.
func TestWatchdogReportsUnpolledEdge(t *testing.T) {
	violations, got, sent := strandReceiver(t, func(*Socket) {})
	expectViolation(t, violations, got, sent, true)
}

// TestWatchdogReportsLostEdge commits txZMQ's bug: a ZMQ_EVENTS read
// consumes the edge and nobody re-checks the waiters.
func TestWatchdogReportsLostEdge(t *testing.T) {
	violations, got, sent := strandReceiver(t, func(pull *Socket) {
		pull.mu.Lock()
		if _, err := pull.zs.Events(); err != nil {
			t.Error(err)
		}
		pull.mu.Unlock()
		if capi.FDReadable(pull.fd) {
			t.Error("the fd is still readable after ZMQ_EVENTS")
		}
	})
	expectViolation(t, violations, got, sent, false)
}

// TestWatchdogQuietOnBackpressure: a sender parked at the high-water mark
// for several thresholds is probed but is not a violation, and neither is
// its wake-up once the receiver drains.
func TestWatchdogQuietOnBackpressure(t *testing.T) {
	var violations []Violation
	stop := StartWatchdog(watchThreshold, func(v Violation) { violations = append(violations, v) })
	c := newCtx(t)
	pull := newSock(t, c, tPull, 1)
	push := newSock(t, c, tPush, 1)
	connectInproc(t, push, pull)
	n := fillUp(t, push)
	sent := make(chan error, 1)
	go func() { sent <- push.Send(context.Background(), msg("over")) }()
	waitQueued(t, push, 0, 1)
	time.Sleep(4 * watchThreshold) // the point: stay parked while the watchdog looks
	for i := 0; i <= n; i++ {
		if _, err := pull.Recv(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	st := stop()
	t.Logf("watchdog: %+v", st)
	if st.Probes == 0 {
		t.Error("the watchdog never probed a sender parked for 4 thresholds")
	}
	if len(violations) != 0 || st.Violations != 0 {
		t.Errorf("violations on plain backpressure: %+v", violations)
	}
}
