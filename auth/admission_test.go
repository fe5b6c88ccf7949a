package auth_test

import (
	"errors"
	"testing"
	"time"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/auth"
)

// An allowed key gets in: both sides see the handshake succeed, the
// message arrives, and it carries the client's public key as user id.
func TestAllowedKeyGetsInWithItsKeyAsUserID(t *testing.T) {
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
	t.Logf("handshake succeeded on both sides in %v; UserID is the client key", elapsed)
}

// A refused client (key not allowed, or address denied) fails with
// ZAP status 400 on both sides, after exactly one attempt, and nothing is
// delivered.
func TestRefusedClientFailsWith400AfterOneAttempt(t *testing.T) {
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
			t.Logf("%s: %d attempt, status %d on the server and %d on the client, nothing delivered in %v",
				tc.name, connects, authStatus(sev), authStatus(cev), observeWindow)
		})
	}
}

// A client with the wrong server key: the server reports a
// cryptographic protocol error, no ZAP request is made, nothing is
// delivered, and the client retries at its reconnect interval.
func TestWrongServerKeyFailsBeforeAnyZAPRequest(t *testing.T) {
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
	t.Logf("server %v; client %v; %d client attempts in %v at IVL %v; 0 ZAP requests",
		sev.Err(), cev.Err(), fails, window, ivl)
}

// NULL and PLAIN clients against a CURVE server fail with a
// mechanism mismatch, the authenticator never sees a request, nothing is
// delivered.
func TestMechanismMismatchFailsBeforeAnyZAPRequest(t *testing.T) {
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
			t.Logf("%s client: server %v, client %v, 0 ZAP requests, nothing delivered", tc.name, sev.Err(), cev.Err())
		})
	}
}
