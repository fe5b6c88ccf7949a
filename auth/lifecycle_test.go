package auth_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/auth"
)

// Once the authenticator is closed, new handshakes fail and nothing
// is delivered; the connection approved before stays up.
func TestClosedAuthenticatorAdmitsNoNewPeer(t *testing.T) {
	f := newFactory(t)
	a, err := auth.Start(f)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ck := keyPair(t)
	if err := a.AllowCurveKeys(ck.Public); err != nil {
		t.Fatal(err)
	}
	srv, sk := curveServer(t, f, zmq.WithHandshakeInterval(time.Second))
	before := dial(t, f, srv.ep, zmq.WithCurveClient(sk.Public, ck))
	before.send(t, "before")
	if m := srv.recv(t); m.UserID() != ck.Public {
		t.Fatalf("UserID %q", m.UserID())
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	select {
	case <-a.Done():
	default:
		t.Fatal("Done not closed after Close")
	}

	start := time.Now()
	after := dial(t, f, srv.ep, zmq.WithCurveClient(sk.Public, ck),
		zmq.WithReconnectInterval(50*time.Millisecond))
	after.offer(t, "after")
	sev := srv.w.waitN(t, handshakeEvents, 2)
	serverAfter := time.Since(start)
	if sev.Type != zmq.EventHandshakeFailedNoDetail || !errors.Is(sev.Err(), syscall.EFAULT) {
		t.Fatalf("server: %v after the authenticator closed, want handshake-failed EFAULT (no ZAP handler)", sev)
	}
	cev := after.w.first(t, handshakeEvents)
	clientAfter := time.Since(start)
	if cev.Type == zmq.EventHandshakeSucceeded {
		t.Fatalf("client: %v after the authenticator closed", cev)
	}
	// The old connection still delivers; the new one never does.
	before.send(t, "still here")
	if m := srv.recv(t); m.Strings()[0] != "still here" {
		t.Fatalf("got %v", m)
	}
	srv.expectNothing(t, observeWindow/2)
	// libzmq does not close the refused connection: the client learns at
	// the server's handshake interval (1 s here, 30 s by default).
	t.Logf("after Close the server reports %v after %v, the client %v after %v; nothing delivered; the earlier connection survives",
		sev.Err(), serverAfter.Round(time.Microsecond), cev.Err(), clientAfter.Round(time.Millisecond))
}

// Authenticator and server started concurrently, many times: no
// message from a refused client is ever delivered, and every allowed
// client eventually gets in. Start is given a random head start or delay
// of up to 2 ms, so that some handshakes reach the server before the
// authenticator is bound.
func TestConcurrentStartNeverAdmitsARefusedClient(t *testing.T) {
	rounds := 1000 // the same under the race detector: the races are the point
	const workers = 4
	var unauthenticated, intruderIn, early, done atomic.Int64
	var wg sync.WaitGroup
	next := make(chan int)
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r, err := concurrentStartRound(time.Duration(i%5) * 500 * time.Microsecond)
				if err != nil {
					errs <- fmt.Errorf("round %d: %w", i, err)
					for range next {
					}
					return
				}
				unauthenticated.Add(int64(r.unauthenticated))
				intruderIn.Add(int64(r.intruderIn))
				if r.early {
					early.Add(1)
				}
				done.Add(1)
			}
		}()
	}
	start := time.Now()
	for i := range rounds {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if unauthenticated.Load() != 0 || intruderIn.Load() != 0 {
		t.Fatalf("%d rounds: %d unauthenticated deliveries, %d refused-client handshakes succeeded",
			done.Load(), unauthenticated.Load(), intruderIn.Load())
	}
	t.Logf("%d concurrent starts in %v (%d with a handshake before the authenticator was bound): 0 unauthenticated deliveries",
		done.Load(), time.Since(start), early.Load())
}

type roundResult struct {
	unauthenticated int  // messages delivered that are not from the allowed client
	intruderIn      int  // handshakes of the refused client that succeeded
	early           bool // the refused client failed once before reaching the authenticator
}

// concurrentStartRound starts an authenticator and a CURVE server at the
// same time in a fresh factory (Start delayed by delay); an allowed and a
// refused client connect at once and send.
func concurrentStartRound(delay time.Duration) (r roundResult, err error) {
	f, err := zmq.NewFactory(zmq.WithDefaultLinger(0))
	if err != nil {
		return r, err
	}
	defer f.Close()
	sk, err := zmq.NewCurveKeyPair()
	if err != nil {
		return r, err
	}
	good, _ := zmq.NewCurveKeyPair()
	bad, _ := zmq.NewCurveKeyPair()

	ctx, cancel := context.WithTimeout(context.Background(), eventWait)
	defer cancel()
	type started struct {
		a   *auth.Authenticator
		err error
	}
	startc := make(chan started, 1)
	go func() {
		if delay > 0 {
			time.Sleep(delay) // jitter the race, not a wait for an event
		}
		// The policy is in place before the first request is answered:
		// a client refused by an empty policy would not retry.
		a, err := auth.Start(f, auth.WithSetup(func(a *auth.Authenticator) error {
			return a.AllowCurveKeys(good.Public)
		}))
		startc <- started{a, err}
	}()
	var a *auth.Authenticator
	consumed := false
	defer func() {
		if !consumed {
			if s := <-startc; s.err == nil {
				a = s.a
			}
		}
		if a != nil {
			a.Close()
		}
	}()

	// A short handshake interval: a handshake that reached the server
	// before the authenticator was bound stalls until then (libzmq).
	pull, err := f.NewPull(zmq.WithCurveServer(sk.Secret), zmq.WithHandshakeInterval(500*time.Millisecond))
	if err != nil {
		return r, err
	}
	ep, err := pull.Bind("tcp://127.0.0.1:*")
	if err != nil {
		return r, err
	}
	var intruderMon *zmq.Monitor
	for _, kp := range []zmq.CurveKeyPair{good, bad} {
		push, err := f.NewPush(zmq.WithCurveClient(sk.Public, kp), zmq.WithReconnectInterval(10*time.Millisecond))
		if err != nil {
			return r, err
		}
		if kp == bad {
			if intruderMon, err = push.Monitor(handshakeEvents); err != nil {
				return r, err
			}
			defer intruderMon.Close()
		}
		if err := push.Connect(ep); err != nil {
			return r, err
		}
		// TrySend: a refused client may have lost its only peer already.
		if err := push.TrySend(zmq.NewMsgString(kp.Public)); err != nil && (kp == good || !errors.Is(err, zmq.EAGAIN)) {
			return r, err
		}
	}
	s := <-startc
	consumed = true
	if s.err != nil {
		return r, s.err
	}
	a = s.a

	// The allowed client's message arrives once the authenticator runs.
	m, err := pull.Recv(ctx)
	if err != nil {
		return r, fmt.Errorf("allowed client: %w", err)
	}
	if m.UserID() != good.Public || m.Strings()[0] != good.Public {
		r.unauthenticated++
	}
	// The refused client ends with a 400; before the authenticator was
	// bound its handshakes fail without detail and it retries.
	for {
		ev, err := intruderMon.Recv(ctx)
		if err != nil {
			return r, fmt.Errorf("refused client: %w", err)
		}
		if ev.Type == zmq.EventHandshakeSucceeded {
			r.intruderIn++
			break
		}
		if ev.Type == zmq.EventHandshakeFailedAuth {
			break
		}
		r.early = true
	}
	for {
		m, err := pull.TryRecv()
		if err != nil {
			break
		}
		if m.UserID() != good.Public {
			r.unauthenticated++
		}
	}
	return r, nil
}

// An authenticator can be closed and started again on the same factory at
// once; in between, handshakes fail.
func TestRestart(t *testing.T) {
	f := newFactory(t)
	ck := keyPair(t)
	srv, sk := curveServer(t, f, zmq.WithHandshakeInterval(time.Second))
	for i := range 3 {
		a, err := auth.Start(f)
		if err != nil {
			t.Fatalf("start %d: %v", i, err)
		}
		if err := a.AllowCurveKeys(ck.Public); err != nil {
			t.Fatal(err)
		}
		c := dial(t, f, srv.ep, zmq.WithCurveClient(sk.Public, ck))
		c.send(t, fmt.Sprint(i))
		if m := srv.recv(t); m.Strings()[0] != fmt.Sprint(i) || m.UserID() != ck.Public {
			t.Fatalf("round %d: %v from %q", i, m, m.UserID())
		}
		c.push.Close()
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// Closing the factory stops the authenticator too; Close afterwards is
// fine.
func TestFactoryClosedFirst(t *testing.T) {
	f, err := zmq.NewFactory()
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.Start(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-a.Done():
	case <-time.After(eventWait):
		t.Fatal("authenticator still serving after its factory closed")
	}
	if err := a.Close(); err != nil {
		t.Fatalf("Close after the factory closed: %v", err)
	}
	if _, err := auth.Start(f); !errors.Is(err, zmq.ErrClosed) {
		t.Fatalf("Start on a closed factory: %v, want ErrClosed", err)
	}
}
