package auth_test

// The security rows S1–S6 of reliability.md §5.2, as far as they concern
// the authenticator. Events come from socket monitors and message arrival;
// the only waits that are not for an event are short observation windows
// that show something does not happen.

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/auth"
)

// observeWindow is how long a test watches for retries or deliveries that
// must not happen.
const observeWindow = time.Second

// S1a: an allowed key gets in: both sides see the handshake succeed, the
// message arrives, and it carries the client's public key as user id.
func TestS1aAllowedKey(t *testing.T) {
	f := newFactory(t)
	a := startAuth(t, f)
	ck := keyPair(t)
	if err := a.AllowCurveKeys(ck.Public); err != nil {
		t.Fatal(err)
	}
	srv, sk := curveServer(t, f)
	start := time.Now()
	c := dial(t, f, srv.ep, zmq.WithCurveClient(sk.Public, ck))
	c.send(t, "hello")
	if ev := srv.w.first(t, handshakeEvents); ev.Type != zmq.EventHandshakeSucceeded {
		t.Fatalf("server: %v", ev)
	}
	if ev := c.w.first(t, handshakeEvents); ev.Type != zmq.EventHandshakeSucceeded {
		t.Fatalf("client: %v", ev)
	}
	elapsed := time.Since(start)
	m := srv.recv(t)
	if got := m.Strings(); len(got) != 1 || got[0] != "hello" {
		t.Fatalf("got %v", m)
	}
	if m.UserID() != ck.Public {
		t.Fatalf("UserID = %q, want the client's public key %q", m.UserID(), ck.Public)
	}
	if m.PeerAddress() != "127.0.0.1" {
		t.Errorf("PeerAddress = %q, want 127.0.0.1", m.PeerAddress())
	}
	if st := a.Stats(); st.Requests != 1 || st.Accepted != 1 {
		t.Errorf("stats %+v, want 1 request accepted", st)
	}
	t.Logf("S1a: handshake succeeded on both sides in %v; UserID is the client key", elapsed)
}

// S1b: a refused client (key not allowed, or address denied) fails with
// ZAP status 400 on both sides, after exactly one attempt, and nothing is
// delivered.
func TestS1bRefused(t *testing.T) {
	cases := []struct {
		name   string
		policy func(a *auth.Authenticator, client zmq.CurveKeyPair) error
	}{
		{"key not allowed", func(a *auth.Authenticator, _ zmq.CurveKeyPair) error {
			return a.AllowCurveKeys(keyPair(t).Public) // somebody else's key
		}},
		{"address denied", func(a *auth.Authenticator, client zmq.CurveKeyPair) error {
			if err := a.AllowCurveKeys(client.Public); err != nil {
				return err
			}
			return a.Deny("127.0.0.1")
		}},
		{"address not in allow list", func(a *auth.Authenticator, client zmq.CurveKeyPair) error {
			if err := a.AllowCurveKeys(client.Public); err != nil {
				return err
			}
			return a.Allow("192.0.2.0/24")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFactory(t)
			a := startAuth(t, f)
			ck := keyPair(t)
			if err := tc.policy(a, ck); err != nil {
				t.Fatal(err)
			}
			srv, sk := curveServer(t, f)
			c := dial(t, f, srv.ep, zmq.WithCurveClient(sk.Public, ck),
				zmq.WithReconnectInterval(20*time.Millisecond))
			c.offer(t, "intruder")
			sev := srv.w.first(t, handshakeEvents)
			if sev.Type != zmq.EventHandshakeFailedAuth || authStatus(sev) != 400 {
				t.Fatalf("server: %v, want handshake-failed-auth 400", sev)
			}
			cev := c.w.first(t, handshakeEvents)
			if cev.Type != zmq.EventHandshakeFailedAuth || authStatus(cev) != 400 {
				t.Fatalf("client: %v, want handshake-failed-auth 400", cev)
			}
			// Watch for retries (at 20 ms intervals there would be dozens)
			// and deliveries.
			srv.expectNothing(t, observeWindow)
			connects := c.w.count(zmq.EventConnected)
			cfail, sfail := c.w.count(handshakeEvents), srv.w.count(handshakeEvents)
			if connects != 1 || cfail != 1 || sfail != 1 {
				t.Fatalf("in %v: %d connections, %d client and %d server handshake outcomes; want exactly 1 each\nclient: %v\nserver: %v",
					observeWindow, connects, cfail, sfail, c.w.all(), srv.w.all())
			}
			if st := a.Stats(); st.Requests != 1 || st.Denied != 1 {
				t.Errorf("stats %+v, want 1 request denied", st)
			}
			t.Logf("S1b %s: %d attempt, status %d on the server and %d on the client, nothing delivered in %v",
				tc.name, connects, authStatus(sev), authStatus(cev), observeWindow)
		})
	}
}

// S1c: a client with the wrong server key: the server reports a
// cryptographic protocol error, no ZAP request is made, nothing is
// delivered, and the client retries at its reconnect interval.
func TestS1cWrongServerKey(t *testing.T) {
	f := newFactory(t)
	a := startAuth(t, f)
	a.AllowAnyCurve()
	srv, _ := curveServer(t, f)
	wrong := keyPair(t)
	const ivl = 100 * time.Millisecond
	c := dial(t, f, srv.ep, zmq.WithCurveClient(wrong.Public, keyPair(t)),
		zmq.WithReconnectInterval(ivl), zmq.WithReconnectIntervalMax(ivl))
	c.offer(t, "lost")
	sev := srv.w.first(t, handshakeEvents)
	if sev.Type != zmq.EventHandshakeFailedProtocol || !errors.Is(sev.Err(), zmq.ProtocolErrorCryptographic) {
		t.Fatalf("server: %v, want a cryptographic protocol error", sev)
	}
	cev := c.w.first(t, handshakeEvents)
	if cev.Type == zmq.EventHandshakeSucceeded {
		t.Fatalf("client: %v", cev)
	}
	start := time.Now()
	srv.expectNothing(t, observeWindow)
	window := time.Since(start)
	fails := c.w.count(handshakeEvents)
	// The client retries (it cannot tell a wrong key from a lost
	// connection), at most once per interval.
	maxFails := int(window/ivl) + 3
	if fails < 2 || fails > maxFails {
		t.Fatalf("client handshake failures in %v: %d, want 2..%d (retries bounded by the reconnect interval); %v",
			window, fails, maxFails, c.w.all())
	}
	if st := a.Stats(); st.Requests != 0 {
		t.Errorf("stats %+v: a ZAP request was made for an undecryptable HELLO", st)
	}
	t.Logf("S1c: server %v; client %v; %d client attempts in %v at IVL %v; 0 ZAP requests",
		sev.Err(), cev.Err(), fails, window, ivl)
}

// S1d: once the authenticator is closed, new handshakes fail and nothing
// is delivered; the connection approved before stays up.
func TestS1dAuthenticatorClosed(t *testing.T) {
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
	t.Logf("S1d: after Close the server reports %v after %v, the client %v after %v; nothing delivered; the earlier connection survives",
		sev.Err(), serverAfter.Round(time.Microsecond), cev.Err(), clientAfter.Round(time.Millisecond))
}

// S1e: authenticator and server started concurrently, many times: no
// message from a refused client is ever delivered, and every allowed
// client eventually gets in. Start is given a random head start or delay
// of up to 2 ms, so that some handshakes reach the server before the
// authenticator is bound.
func TestS1eConcurrentStart(t *testing.T) {
	rounds := 1000 // issue 4 asks for 1,000, race detector or not
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
	t.Logf("S1e: %d concurrent starts in %v (%d with a handshake before the authenticator was bound): 0 unauthenticated deliveries",
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

// S1f / S6: NULL and PLAIN clients against a CURVE server fail with a
// mechanism mismatch, the authenticator never sees a request, nothing is
// delivered.
func TestS1fMechanismMismatch(t *testing.T) {
	cases := []struct {
		name string
		opts []zmq.PushOption
	}{
		{"NULL", nil},
		{"PLAIN", []zmq.PushOption{zmq.WithPlainClient("admin", "secret")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFactory(t)
			a := startAuth(t, f)
			a.AllowAnyCurve()
			if err := a.SetPasswords(map[string]string{"admin": "secret"}); err != nil {
				t.Fatal(err)
			}
			srv, _ := curveServer(t, f)
			c := dial(t, f, srv.ep, tc.opts...)
			c.offer(t, "downgrade")
			sev := srv.w.first(t, handshakeEvents)
			if sev.Type != zmq.EventHandshakeFailedProtocol || !errors.Is(sev.Err(), zmq.ProtocolErrorMechanismMismatch) {
				t.Fatalf("server: %v, want a mechanism mismatch", sev)
			}
			cev := c.w.first(t, handshakeEvents)
			if cev.Type == zmq.EventHandshakeSucceeded {
				t.Fatalf("client: %v", cev)
			}
			srv.expectNothing(t, observeWindow/4)
			if st := a.Stats(); st.Requests != 0 {
				t.Fatalf("stats %+v, want 0 ZAP requests", st)
			}
			t.Logf("S1f %s client: server %v, client %v, 0 ZAP requests, nothing delivered", tc.name, sev.Err(), cev.Err())
		})
	}
}

// S2 (second half): libzmq's reaction to a misbehaving ZAP handler, with a
// test double in place of our authenticator, as typed events.
func TestS2MisbehavingHandler(t *testing.T) {
	type reply func(id []byte) [][]byte
	ok := func(status, user string) reply {
		return func(id []byte) [][]byte {
			return [][]byte{{}, []byte("1.0"), id, []byte(status), []byte("text"), []byte(user), {}}
		}
	}
	cases := []struct {
		name       string
		reply      reply // nil: close the handler without replying
		server     func(zmq.Event) bool
		client     func(zmq.Event) bool
		wantServer string
	}{
		{"bad version",
			func(id []byte) [][]byte {
				return [][]byte{{}, []byte("2.0"), id, []byte("200"), {}, {}, {}}
			},
			isProtocol(zmq.ProtocolErrorZAPBadVersion), nil, "ZAP bad version"},
		{"bad request id",
			func(id []byte) [][]byte { return ok("200", "u")(append([]byte("x"), id...)) },
			isProtocol(zmq.ProtocolErrorZAPBadRequestID), nil, "ZAP bad request id"},
		{"invalid status",
			ok("invalid_status", ""),
			isProtocol(zmq.ProtocolErrorZAPInvalidStatus), nil, "ZAP invalid status"},
		{"too many frames",
			func(id []byte) [][]byte { return append(ok("200", "u")(id), []byte("extra")) },
			isProtocol(zmq.ProtocolErrorZAPMalformedReply), nil, "ZAP malformed reply"},
		{"status 300",
			ok("300", ""), isAuth(300), nil, "auth 300"},
		{"status 500",
			ok("500", ""), isAuth(500), isAuth(500), "auth 500 on both sides"},
		{"no reply, handler gone",
			nil, isNoDetail(), nil, "no detail, at the handshake interval"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFactory(t)
			h := must[*zmq.Router](t)(f.NewRouter())
			if _, err := h.Bind(auth.Endpoint); err != nil {
				t.Fatal(err)
			}
			// A handler that never replies stalls the handshake until the
			// server's handshake interval.
			srv, sk := curveServer(t, f, zmq.WithHandshakeInterval(time.Second))
			c := dial(t, f, srv.ep, zmq.WithCurveClient(sk.Public, keyPair(t)))
			c.offer(t, "x")
			peer, req, err := h.RecvFrom(testCtx(t, eventWait))
			if err != nil {
				t.Fatal(err)
			}
			if len(req.Frames) < 3 {
				t.Fatalf("request %v", req)
			}
			if tc.reply == nil {
				h.Close()
			} else if err := h.SendTo(testCtx(t, eventWait), peer, tc.reply(req.Frames[2])...); err != nil {
				t.Fatal(err)
			}
			sev := srv.w.first(t, handshakeEvents)
			if !tc.server(sev) {
				t.Fatalf("server: %v, want %s", sev, tc.wantServer)
			}
			if tc.client != nil {
				if cev := c.w.first(t, handshakeEvents); !tc.client(cev) {
					t.Fatalf("client: %v", cev)
				}
			}
			srv.expectNothing(t, 50*time.Millisecond)
			cev := "none"
			if c.w.count(handshakeEvents) > 0 {
				cev = c.w.first(t, handshakeEvents).String()
			}
			t.Logf("S2 %s: server %v; client %s", tc.name, sev, cev)
		})
	}
}

func isProtocol(want zmq.ProtocolError) func(zmq.Event) bool {
	return func(ev zmq.Event) bool {
		return ev.Type == zmq.EventHandshakeFailedProtocol && errors.Is(ev.Err(), want)
	}
}

func isAuth(status int) func(zmq.Event) bool {
	return func(ev zmq.Event) bool { return ev.Type == zmq.EventHandshakeFailedAuth && authStatus(ev) == status }
}

func isNoDetail() func(zmq.Event) bool {
	return func(ev zmq.Event) bool { return ev.Type == zmq.EventHandshakeFailedNoDetail }
}

// S6 (and S3's inputs that matter here): raw TCP peers throwing a ZMTP/1.0
// greeting with a message, an HTTP request, or random bytes at a CURVE
// server port leave it serving: a legitimate client's message arrives
// afterwards, the "sneaky" ZMTP/1.0 message never does, and the server
// closes the raw connections.
func TestS6GarbageAndDowngrade(t *testing.T) {
	f := newFactory(t)
	a := startAuth(t, f)
	ck := keyPair(t)
	if err := a.AllowCurveKeys(ck.Public); err != nil {
		t.Fatal(err)
	}
	srv, sk := curveServer(t, f, zmq.WithHandshakeInterval(time.Second))
	addr := strings.TrimPrefix(srv.ep, "tcp://")

	random := make([]byte, 4096)
	rand.Read(random)
	// ZMTP/1.0: an identity frame (length 1: flags only), then a message
	// frame (length 6: flags and "sneaky").
	zmtp10 := append([]byte{0x01, 0x00}, append([]byte{0x07, 0x00}, "sneaky"...)...)
	// ZMTP/2.0-style: signature, revision 1, socket type PUSH, then the
	// same message.
	zmtp20 := append([]byte{0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 0x01, 0x08, 0x00, 0x00}, append([]byte{0x00, 0x06}, "sneaky"...)...)
	// ZMTP/3.0 NULL greeting.
	null30 := make([]byte, 64)
	null30[0], null30[9], null30[10] = 0xff, 0x7f, 3
	copy(null30[12:], "NULL")
	inputs := []struct {
		name string
		data []byte
	}{
		{"ZMTP/1.0 greeting and message", zmtp10},
		{"ZMTP/2.0 greeting and message", zmtp20},
		{"ZMTP/3.0 NULL greeting", null30},
		{"HTTP GET", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")},
		{"4 KiB random", random},
		{"truncated greeting", null30[:11]},
	}
	for i, in := range inputs {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write(in.data); err != nil {
			conn.Close()
			t.Fatalf("%s: %v", in.name, err)
		}
		start := time.Now()
		c := dial(t, f, srv.ep, zmq.WithCurveClient(sk.Public, ck))
		body := fmt.Sprintf("legit %d", i)
		c.send(t, body)
		m := srv.recv(t)
		if m.Strings()[0] != body || m.UserID() != ck.Public {
			t.Fatalf("after %s: got %v from %q", in.name, m, m.UserID())
		}
		served := time.Since(start)
		// The server drops the raw peer: at once for a bad greeting, at
		// the handshake interval (1 s here) for a stalled one.
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = io.Copy(io.Discard, conn)
		closed := time.Since(start)
		conn.Close()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("after %s: the server did not close the raw connection: %v", in.name, err)
		}
		t.Logf("S6 %s: legitimate message after %v; raw connection closed by the server after %v", in.name, served, closed)
		if served > time.Second {
			t.Errorf("after %s: the legitimate message took %v, want under 1 s", in.name, served)
		}
		c.push.Close()
	}
	srv.expectNothing(t, 100*time.Millisecond) // the sneaky messages never arrive
	st := a.Stats()
	if st.Denied != 0 || st.Accepted != uint64(len(inputs)) {
		t.Errorf("stats %+v, want %d accepted (the raw peers never reach the authenticator)", st, len(inputs))
	}
}

// The fail-closed promise says a CURVE, PLAIN or ZAP-domain socket admits
// no peer the authenticator has not approved. libzmq's inproc transport
// has no handshake at all, so such a socket bound on inproc admits any
// in-process peer: no encryption, no ZAP request, no monitor event, an
// empty UserID. The root package therefore refuses inproc endpoints on
// authenticating sockets; this test fails if a peer gets in that way.
func TestInprocCannotBypassAuthentication(t *testing.T) {
	f := newFactory(t)
	a := startAuth(t, f)
	sk := keyPair(t)
	pull := must[*zmq.Pull](t)(f.NewPull(zmq.WithCurveServer(sk.Secret)))
	if _, err := pull.Bind("inproc://gap-curve-server"); err != nil {
		if !errors.Is(err, zmq.ErrInvalidEndpoint) {
			t.Fatalf("Bind inproc on a CURVE server: got %v, want ErrInvalidEndpoint", err)
		}
		return
	}
	push := must[*zmq.Push](t)(f.NewPush()) // NULL, no key at all
	if err := push.Connect("inproc://gap-curve-server"); err != nil {
		t.Logf("Connect refused: %v", err)
		return
	}
	if err := push.Send(testCtx(t, eventWait), zmq.NewMsgString("unauthenticated")); err != nil {
		t.Fatal(err)
	}
	m, err := pull.Recv(testCtx(t, observeWindow/4))
	if err != nil {
		return // kept out: the gap is closed
	}
	t.Fatalf("a CURVE server bound on inproc delivered %v from a NULL in-process peer "+
		"(UserID %q, %d ZAP requests); inproc bypasses the handshake and the authenticator", m, m.UserID(), a.Stats().Requests)
}
