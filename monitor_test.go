package zmq_test

import (
	"context"
	"errors"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/internal/watchtest"
)

// nextEvent returns the next event of type want, skipping others.
func nextEvent(t *testing.T, m *zmq.Monitor, want zmq.EventType) zmq.Event {
	t.Helper()
	ctx := testCtx(t, 10*time.Second)
	for {
		ev, err := m.Recv(ctx)
		if err != nil {
			t.Fatalf("waiting for %v: %v", want, err)
		}
		if ev.Type == want {
			return ev
		}
	}
}

func TestMonitorConnectionEvents(t *testing.T) {
	f := newFactory(t)
	pull := must[*zmq.Pull](t)(f.NewPull())
	push := must[*zmq.Push](t)(f.NewPush())
	mon, err := pull.Monitor(zmq.EventAll)
	if err != nil {
		t.Fatal(err)
	}
	defer mon.Close()
	if _, err := pull.Monitor(zmq.EventAll); !errors.Is(err, zmq.ErrMonitorActive) {
		t.Fatalf("second monitor: got %v, want ErrMonitorActive", err)
	}
	ep := bind(t, pull, "tcp")
	if ev := nextEvent(t, mon, zmq.EventListening); ev.Endpoint != ep {
		t.Fatalf("listening on %q, want %q", ev.Endpoint, ep)
	}
	if err := push.Connect(ep); err != nil {
		t.Fatal(err)
	}
	nextEvent(t, mon, zmq.EventAccepted)
	nextEvent(t, mon, zmq.EventHandshakeSucceeded)
	push.Close()
	nextEvent(t, mon, zmq.EventDisconnected)
	pull.Close()
	nextEvent(t, mon, zmq.EventMonitorStopped)
	if _, err := mon.Recv(testCtx(t, time.Second)); !errors.Is(err, zmq.ErrClosed) {
		t.Fatalf("after the socket closed: got %v, want ErrClosed", err)
	}
}

func TestMonitorHandshakeFailure(t *testing.T) {
	f := newFactory(t)
	pull := must[*zmq.Pull](t)(f.NewPull())
	mon := must[*zmq.Monitor](t)(pull.Monitor(zmq.EventHandshakeFailedProtocol))
	defer mon.Close()
	ep := bind(t, pull, "tcp")
	// A raw TCP peer greets with ZMTP 3.0 and the PLAIN mechanism; the
	// socket uses NULL, so the handshake fails with a mechanism mismatch.
	conn, err := net.Dial("tcp", strings.TrimPrefix(ep, "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	greeting := make([]byte, 64)
	greeting[0], greeting[9], greeting[10] = 0xff, 0x7f, 3
	copy(greeting[12:], "PLAIN")
	if _, err := conn.Write(greeting); err != nil {
		t.Fatal(err)
	}
	ev, err := mon.Recv(testCtx(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(ev.Err(), zmq.ProtocolErrorMechanismMismatch) {
		t.Fatalf("got %v, want a mechanism mismatch", ev)
	}
}

// TestMonitorCloseRacesFactoryClose: one goroutine ranges over a monitor's
// events and closes the monitor when the range ends, while another closes
// the factory. Both always return, round after round, although closing the
// factory makes the watched socket report the end of its connection.
func TestMonitorCloseRacesFactoryClose(t *testing.T) {
	ctx := testCtx(t, 2*time.Minute)
	for round := range 500 {
		f, err := zmq.NewFactory()
		if err != nil {
			t.Fatal(err)
		}
		push := must[*zmq.Push](t)(f.NewPush())
		mon := must[*zmq.Monitor](t)(push.Monitor(zmq.EventAll))
		pull := must[*zmq.Pull](t)(f.NewPull())
		if err := push.Connect(bind(t, pull, "tcp")); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{}, 2)
		go func() {
			for _, err := range mon.Events(ctx) {
				if err != nil {
					break
				}
			}
			mon.Close()
			done <- struct{}{}
		}()
		go func() {
			f.Close()
			done <- struct{}{}
		}()
		for range 2 {
			select {
			case <-done:
			case <-ctx.Done():
				t.Fatalf("round %d: Monitor.Close or Factory.Close did not return\n%s", round, concGoroutines())
			}
		}
	}
}

// TestMonitorSocketLimit: when the factory has no room for the monitor's
// sockets, Monitor fails with EMFILE and leaves the socket usable and
// closable.
func TestMonitorSocketLimit(t *testing.T) {
	f := newFactory(t, zmq.WithMaxSockets(2))
	push := must[*zmq.Push](t)(f.NewPush())
	ctx := testCtx(t, 30*time.Second)
	err := returns(t, ctx, "Monitor with no free socket", func() error {
		mon, err := push.Monitor(zmq.EventAll)
		if err == nil {
			mon.Close()
			err = errors.New("Monitor succeeded")
		}
		return err
	})
	if !errors.Is(err, syscall.EMFILE) {
		t.Fatalf("Monitor with no free socket: %v, want EMFILE", err)
	}
	if err := returns(t, ctx, "Close after a failed Monitor", push.Close); err != nil {
		t.Fatal(err)
	}
}

// returns runs call and returns its error, failing t if it has not
// returned when ctx ends: for calls that must never block for good.
func returns(t *testing.T, ctx context.Context, what string, call func() error) error {
	t.Helper()
	res := make(chan error, 1)
	go func() { res <- call() }()
	select {
	case err := <-res:
		return err
	case <-ctx.Done():
		t.Fatalf("%s did not return", what)
		return nil
	}
}

// TestMonitorUnreadKeepsNewest: a monitor nobody reads keeps its newest
// events up to a bound and counts the ones it dropped; the socket it
// watches never waits for it. libzmq itself would block the socket's
// calls once 2,000 events were queued.
func TestMonitorUnreadKeepsNewest(t *testing.T) {
	f := newFactory(t)
	push := must[*zmq.Push](t)(f.NewPush())
	mon := must[*zmq.Monitor](t)(push.Monitor(zmq.EventListening))
	ctx := testCtx(t, time.Minute)
	const binds = 2500 // one listening event each, reported by Bind itself
	eps := make([]string, 0, binds)
	var bound atomic.Int64
	res := make(chan error, 1)
	go func() {
		for range binds {
			ep, err := push.Bind("tcp://127.0.0.1:*")
			if err == nil {
				err = push.Unbind(ep)
			}
			if err != nil {
				res <- err
				return
			}
			eps = append(eps, ep)
			bound.Add(1)
		}
		res <- nil
	}()
	select {
	case err := <-res:
		if err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		t.Fatalf("Bind stalled behind an unread monitor after %d binds\n%s", bound.Load(), concGoroutines())
	}
	if err := returns(t, ctx, "Monitor.Close", mon.Close); err != nil {
		t.Fatal(err)
	}
	// What was kept is delivered after Close: the newest events, in order.
	var got []string
	for ev, err := range mon.Events(ctx) {
		if err != nil {
			if !errors.Is(err, zmq.ErrClosed) {
				t.Fatal(err)
			}
			break
		}
		if ev.Type != zmq.EventListening {
			t.Fatalf("got %v, which the monitor did not ask for", ev)
		}
		got = append(got, ev.Endpoint)
	}
	dropped := mon.Dropped()
	if dropped == 0 || uint64(len(got))+dropped != binds {
		t.Fatalf("delivered %d events and dropped %d, want %d in all with some dropped", len(got), dropped, binds)
	}
	if want := eps[binds-len(got):]; !slices.Equal(got, want) {
		t.Fatalf("the events kept are not the newest %d in order: first %q, last %q; want %q to %q",
			len(got), got[0], got[len(got)-1], want[0], want[len(want)-1])
	}
}

// TestMonitorUnreadDoesNotStallFactory: a monitor nobody reads, on a socket
// that reconnects every millisecond to a dead port, produces events far
// beyond any bound; the factory's other sockets keep moving messages.
// Without a drain, libzmq's I/O thread would block on the full monitor
// and freeze every socket of the factory.
func TestMonitorUnreadDoesNotStallFactory(t *testing.T) {
	f := newFactory(t)
	// A port with nobody behind it.
	gone := must[*zmq.Pull](t)(f.NewPull())
	dead := bind(t, gone, "tcp")
	if err := gone.Close(); err != nil {
		t.Fatal(err)
	}
	retrier := must[*zmq.Push](t)(f.NewPush(zmq.WithReconnectInterval(time.Millisecond), zmq.WithReconnectIntervalMax(time.Millisecond)))
	mon := must[*zmq.Monitor](t)(retrier.Monitor(zmq.EventAll))
	if err := retrier.Connect(dead); err != nil {
		t.Fatal(err)
	}
	pull, push := must[*zmq.Pull](t)(f.NewPull()), must[*zmq.Push](t)(f.NewPush())
	if err := push.Connect(bind(t, pull, "tcp")); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t, time.Minute)
	for i := 0; mon.Dropped() < 5000; i++ {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := push.Send(rctx, zmq.NewMsgString("tick"))
		if err == nil {
			_, err = pull.Recv(rctx)
		}
		cancel()
		if err != nil {
			t.Fatalf("message %d over an unrelated connection, with %d monitor events dropped: %v", i, mon.Dropped(), err)
		}
		if ctx.Err() != nil {
			t.Fatalf("the monitor dropped only %d events", mon.Dropped())
		}
		time.Sleep(time.Millisecond) // pacing the probe while events pile up
	}
	if err := returns(t, ctx, "Monitor.Close", mon.Close); err != nil {
		t.Fatal(err)
	}
}

// TestMonitorFreedWithItsSocket: closing a socket ends its monitor and
// frees everything the monitor held, whether or not the monitor was closed.
func TestMonitorFreedWithItsSocket(t *testing.T) {
	f := newFactory(t)
	fds, goroutines := watchtest.CountFDs(), runtime.NumGoroutine()
	const rounds = 300
	for range rounds {
		push := must[*zmq.Push](t)(f.NewPush())
		must[*zmq.Monitor](t)(push.Monitor(zmq.EventConnected))
		if err := push.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// libzmq frees a closed socket's own descriptor in its reaper thread,
	// later, and says nothing when it has: poll until the count settles. A
	// leak (a monitor's PAIR left open per round) never settles.
	grown := watchtest.CountFDs() - fds
	for deadline := time.Now().Add(10 * time.Second); grown > 4 && time.Now().Before(deadline); grown = watchtest.CountFDs() - fds {
		time.Sleep(time.Millisecond)
	}
	if grown > 4 {
		t.Fatalf("%d sockets closed with their monitors left %d more file descriptors open", rounds, grown)
	}
	if grown := runtime.NumGoroutine() - goroutines; grown > 5 {
		t.Fatalf("%d sockets closed with their monitors left %d more goroutines\n%s", rounds, grown, concGoroutines())
	}
}

// TestMonitorEndsWithoutStoppedInMask: a monitor that did not ask for
// EventMonitorStopped still ends when its socket or itself closes: Recv
// returns ErrClosed instead of waiting.
func TestMonitorEndsWithoutStoppedInMask(t *testing.T) {
	for _, closer := range []string{"socket", "monitor"} {
		t.Run(closer, func(t *testing.T) {
			f := newFactory(t)
			pull := must[*zmq.Pull](t)(f.NewPull())
			mon := must[*zmq.Monitor](t)(pull.Monitor(zmq.EventConnected | zmq.EventDisconnected))
			var err error
			if closer == "socket" {
				err = pull.Close()
			} else {
				err = mon.Close()
			}
			if err != nil {
				t.Fatal(err)
			}
			ev, err := mon.Recv(testCtx(t, 10*time.Second))
			if !errors.Is(err, zmq.ErrClosed) {
				t.Fatalf("after the %s closed: got %v, %v; want ErrClosed", closer, ev, err)
			}
		})
	}
}

// TestMonitorReplaced: once a monitor is closed the socket takes a new
// one, which a late second Close of the old one leaves running.
func TestMonitorReplaced(t *testing.T) {
	f := newFactory(t)
	pull := must[*zmq.Pull](t)(f.NewPull())
	old := must[*zmq.Monitor](t)(pull.Monitor(zmq.EventListening))
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	mon := must[*zmq.Monitor](t)(pull.Monitor(zmq.EventListening))
	defer mon.Close()
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	ep := bind(t, pull, "tcp")
	if ev := nextEvent(t, mon, zmq.EventListening); ev.Endpoint != ep {
		t.Fatalf("listening on %q, want %q", ev.Endpoint, ep)
	}
}
