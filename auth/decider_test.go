package auth_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/auth"
)

// decodeMetadata decodes a ZAP reply's metadata frame (ZMTP properties:
// one-byte name length, name, four-byte value length, value), failing the
// test on anything else.
func decodeMetadata(t *testing.T, b []byte) map[string]string {
	t.Helper()
	m := map[string]string{}
	for len(b) > 0 {
		n := int(b[0])
		if len(b) < 1+n+4 {
			t.Fatalf("metadata cut short in a name: %q", b)
		}
		name := string(b[1 : 1+n])
		vn := int(binary.BigEndian.Uint32(b[1+n:]))
		b = b[1+n+4:]
		if len(b) < vn {
			t.Fatalf("metadata cut short in the value of %q", name)
		}
		m[name], b = string(b[:vn]), b[vn:]
	}
	return m
}

// callRaw sends a request and returns the whole reply, checking only its
// envelope.
func (z *zapClient) callRaw(req [][]byte) []string {
	z.t.Helper()
	z.send(req...)
	r := z.recv()
	if len(r) != 7 || r[0] != "" || r[1] != "1.0" || r[2] != string(req[2]) {
		z.t.Fatalf("reply %q: want [\"\" \"1.0\" %q status text user-id metadata]", r, req[2])
	}
	return r
}

// A Decider sees the whole request, with what the rules would decide, and
// its Decision is the reply: status, text, user id and metadata.
func TestDeciderGetsTheWholeRequestAndAnswers(t *testing.T) {
	f := newFactory(t)
	a := startAuth(t, f)
	allowed, other := keyPair(t), keyPair(t)
	if err := a.AllowCurveKeys(allowed.Public); err != nil {
		t.Fatal(err)
	}
	if err := a.SetPasswords(map[string]string{"admin": "s3cret"}); err != nil {
		t.Fatal(err)
	}
	seen := make(chan auth.Request, 1)
	a.SetDecider(func(ctx context.Context, q *auth.Request) auth.Decision {
		seen <- *q
		switch {
		case q.Mechanism == "CURVE" && q.ByRules.Status == auth.StatusOK:
			return auth.Decision{Status: auth.StatusOK, UserID: "user:" + q.ByRules.UserID,
				Metadata: map[string]string{"Role": "admin", "X-Team": "blue", "empty": ""}}
		case q.Mechanism == "PLAIN" && q.UserName == "later":
			return auth.Decision{Status: auth.StatusTemporary, StatusText: "try later", UserID: "ignored",
				Metadata: map[string]string{"ignored": "x"}}
		}
		return auth.Decision{Status: auth.StatusDenied, StatusText: "not today"}
	})
	z := newZAPClient(t, f)
	next := func() auth.Request {
		t.Helper()
		select {
		case q := <-seen:
			return q
		default:
			t.Fatal("the Decider was not called")
			return auth.Request{}
		}
	}

	// CURVE, allowed by the rules: the Decider adds a user id and metadata.
	r := z.callRaw(request("1", "global", "192.0.2.7", "CURVE", rawKey(t, allowed.Public)))
	if r[3] != "200" || r[5] != "user:"+allowed.Public {
		t.Errorf("CURVE allowed: reply %q", r[3:6])
	}
	if md := decodeMetadata(t, []byte(r[6])); !maps.Equal(md, map[string]string{"Role": "admin", "X-Team": "blue", "empty": ""}) {
		t.Errorf("metadata %q", md)
	}
	q := next()
	if q.Domain != "global" || q.Address != "192.0.2.7" || string(q.Identity) != "identity" || q.Mechanism != "CURVE" ||
		q.CurveKey != allowed.Public || len(q.Credentials) != 1 || !bytes.Equal(q.Credentials[0], rawKey(t, allowed.Public)) ||
		q.ByRules.Status != auth.StatusOK || q.ByRules.UserID != allowed.Public {
		t.Errorf("CURVE request as the Decider saw it: %+v", q)
	}

	// CURVE, refused by the rules: the Decider follows them here.
	if r := z.callRaw(request("2", "global", "192.0.2.7", "CURVE", rawKey(t, other.Public))); r[3] != "400" || r[4] != "not today" || r[5] != "" || r[6] != "" {
		t.Errorf("CURVE not allowed: reply %q", r[3:])
	}
	if q := next(); q.ByRules.Status != auth.StatusDenied {
		t.Errorf("ByRules for an unknown key: %+v", q.ByRules)
	}

	// PLAIN: credentials decoded; a 300 carries no user id or metadata.
	if r := z.callRaw(request("3", "global", "", "PLAIN", []byte("later"), []byte("pw"))); r[3] != "300" || r[4] != "try later" || r[5] != "" || r[6] != "" {
		t.Errorf("PLAIN 300: reply %q", r[3:])
	}
	if q := next(); q.UserName != "later" || q.Password != "pw" || q.ByRules.Status != auth.StatusDenied {
		t.Errorf("PLAIN request as the Decider saw it: %+v", q)
	}
	if st := a.Stats(); st.Accepted != 1 || st.Denied != 2 || st.Malformed != 0 {
		t.Errorf("stats %+v, want 1 accepted, 2 denied", st)
	}

	// Back to the rules alone.
	a.SetDecider(nil)
	if status, user := z.call(request("4", "global", "", "PLAIN", []byte("admin"), []byte("s3cret"))); status != "200" || user != "admin" {
		t.Errorf("without a Decider: %s %q", status, user)
	}
	select {
	case q := <-seen:
		t.Errorf("the removed Decider was called: %+v", q)
	default:
	}
}

// Address rules come first: a denied address never reaches the Decider.
// A domain's own Decider applies to that domain only.
func TestDeciderAfterAddressRulesPerDomain(t *testing.T) {
	f := newFactory(t)
	a := startAuth(t, f)
	if err := a.Deny("192.0.2.66"); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	a.SetDecider(func(context.Context, *auth.Request) auth.Decision {
		calls.Add(1)
		return auth.Decision{Status: auth.StatusOK, UserID: "default"}
	})
	lan := a.Domain("lan")
	lan.SetDecider(func(context.Context, *auth.Request) auth.Decision {
		return auth.Decision{Status: auth.StatusOK, UserID: "lan"}
	})
	z := newZAPClient(t, f)
	if status, _ := z.call(request("1", "global", "192.0.2.66", "NULL")); status != "400" {
		t.Errorf("denied address: %s", status)
	}
	if status, user := z.call(request("2", "global", "192.0.2.1", "NULL")); status != "200" || user != "default" {
		t.Errorf("default domain: %s %q", status, user)
	}
	if status, user := z.call(request("3", "lan", "192.0.2.66", "NULL")); status != "200" || user != "lan" {
		t.Errorf("domain lan (its own, empty address rules): %s %q", status, user)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("the default Decider ran %d times, want once", n)
	}
}

// A Decider that panics, or answers what cannot be sent, gets the peer a
// 500; the authenticator goes on.
func TestDeciderFailuresAre500(t *testing.T) {
	f := newFactory(t)
	a := startAuth(t, f)
	decisions := make(chan auth.Decision, 1) // the next NULL request's answer
	a.SetDecider(func(_ context.Context, q *auth.Request) auth.Decision {
		if q.Mechanism == "PLAIN" {
			panic("decider bug")
		}
		return <-decisions
	})
	z := newZAPClient(t, f)
	for i, bad := range []auth.Decision{
		{Status: 201},
		{},
		{Status: auth.StatusOK, UserID: strings.Repeat("u", 256)},
		{Status: auth.StatusOK, Metadata: map[string]string{"User-Id": "spoofed"}},
		{Status: auth.StatusOK, Metadata: map[string]string{"peer-address": "spoofed"}},
		{Status: auth.StatusOK, Metadata: map[string]string{"bad name": "x"}},
		{Status: auth.StatusOK, Metadata: map[string]string{"": "x"}},
		{Status: auth.StatusOK, Metadata: map[string]string{strings.Repeat("n", 256): "x"}},
	} {
		decisions <- bad
		id := string(rune('a' + i))
		if r := z.callRaw(request(id, "global", "", "NULL")); r[3] != "500" || r[5] != "" || r[6] != "" {
			t.Errorf("Decision %+v: reply %q, want 500 and nothing else", bad, r[3:])
		}
	}
	if status, _ := z.call(request("p", "global", "", "PLAIN", []byte("u"), []byte("p"))); status != "500" {
		t.Errorf("a panicking Decider: status %s, want 500", status)
	}
	decisions <- auth.Decision{Status: auth.StatusOK}
	if status, _ := z.call(request("ok", "global", "", "NULL")); status != "200" {
		t.Errorf("after the failures: status %s", status)
	}
	if st := a.Stats(); st.Malformed != 9 || st.Accepted != 1 {
		t.Errorf("stats %+v, want 9 answered 500 and 1 accepted", st)
	}
}

// A Decider's ctx ends when the authenticator closes, so that one waiting
// on something slow lets Close return.
func TestDeciderContextEndsAtClose(t *testing.T) {
	f := newFactory(t)
	a, err := auth.Start(f)
	if err != nil {
		t.Fatal(err)
	}
	entered, ended := make(chan struct{}), make(chan error, 1)
	a.SetDecider(func(ctx context.Context, _ *auth.Request) auth.Decision {
		close(entered)
		<-ctx.Done()
		ended <- ctx.Err()
		return auth.Decision{Status: auth.StatusDenied}
	})
	z := newZAPClient(t, f)
	z.send(request("1", "global", "", "NULL")...)
	ctx := testCtx(t, eventWait)
	select {
	case <-entered:
	case <-ctx.Done():
		t.Fatal("the Decider was not called")
	}
	closed := make(chan error, 1)
	go func() { closed <- a.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		t.Fatal("Close did not return while a Decider waited on its ctx")
	}
	if err := <-ended; err != context.Canceled {
		t.Errorf("the Decider's ctx ended with %v, want context.Canceled", err)
	}
}

// End to end: a PLAIN server whose Decider checks passwords itself and
// attaches metadata; libzmq takes the reply (the handshake succeeds, the
// message carries the user id).
func TestDeciderAdmitsPeersEndToEnd(t *testing.T) {
	f := newFactory(t)
	a := startAuth(t, f)
	a.SetDecider(func(_ context.Context, q *auth.Request) auth.Decision {
		if q.Mechanism == "PLAIN" && q.UserName == "carol" && q.Password == "from-vault" {
			return auth.Decision{Status: auth.StatusOK, UserID: "carol@vault", Metadata: map[string]string{"Tier": "gold"}}
		}
		return auth.Decision{Status: auth.StatusDenied, StatusText: "unknown"}
	})
	srv := newServer(t, f, zmq.WithPlainServer(), zmq.WithMessageProperties("Tier"))
	bad := dial(t, f, srv.ep, zmq.WithPlainClient("carol", "guess"))
	bad.offer(t, "let me in")
	if ev := bad.w.first(t, handshakeEvents); authStatus(ev) != 400 {
		t.Fatalf("wrong password: %v, want handshake-failed-auth 400", ev)
	}
	good := dial(t, f, srv.ep, zmq.WithPlainClient("carol", "from-vault"))
	good.send(t, "hello")
	m := srv.recv(t)
	if m.UserID() != "carol@vault" || !slices.Equal(m.Strings(), []string{"hello"}) {
		t.Fatalf("got %v from %q, want hello from carol@vault", m, m.UserID())
	}
	// The Decider's metadata reaches the messages of the connection.
	if tier, ok := m.Property("tier"); !ok || tier != "gold" {
		t.Fatalf("Property(\"tier\") = %q, %v; want the Decider's \"gold\"", tier, ok)
	}
	if ev := good.w.first(t, handshakeEvents); ev.Type != zmq.EventHandshakeSucceeded {
		t.Fatalf("client: %v", ev)
	}
}
