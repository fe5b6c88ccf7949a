package auth_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/auth"
	"github.com/zmqx/zmq/internal/brief"
)

// zapClient drives an authenticator directly, as libzmq would: a Dealer
// connected to the ZAP endpoint sending hand-made requests.
type zapClient struct {
	t *testing.T
	d *zmq.Dealer
}

func newZAPClient(t *testing.T, f *zmq.Factory) *zapClient {
	t.Helper()
	d := must[*zmq.Dealer](t)(f.NewDealer())
	if err := d.Connect(auth.Endpoint); err != nil {
		t.Fatal(err)
	}
	return &zapClient{t: t, d: d}
}

func (z *zapClient) send(frames ...[]byte) {
	z.t.Helper()
	if err := z.d.Send(testCtx(z.t, eventWait), zmq.NewMsg(frames...)); err != nil {
		z.t.Fatal(err)
	}
}

func (z *zapClient) recv() []string {
	z.t.Helper()
	m, err := z.d.Recv(testCtx(z.t, eventWait))
	if err != nil {
		z.t.Fatal(err)
	}
	return m.Strings()
}

// request builds a well-formed ZAP request.
func request(id, domain, address, mechanism string, creds ...[]byte) [][]byte {
	fr := [][]byte{{}, []byte("1.0"), []byte(id), []byte(domain), []byte(address), []byte("identity"), []byte(mechanism)}
	return append(fr, creds...)
}

// call sends a request and checks the reply's shape: delimiter plus the
// six frames of RFC 27, the request id echoed, user id empty unless 200.
// It returns status and user id.
func (z *zapClient) call(req [][]byte) (status, userID string) {
	z.t.Helper()
	z.send(req...)
	r := z.recv()
	z.checkReply(r, string(req[2]))
	return r[3], r[5]
}

func (z *zapClient) checkReply(r []string, id string) {
	z.t.Helper()
	if len(r) != 7 || r[0] != "" || r[1] != "1.0" || r[2] != id || r[6] != "" {
		z.t.Fatalf("reply %q: want [\"\" \"1.0\" %q status text user-id \"\"]", r, id)
	}
	switch r[3] {
	case "200":
	case "300", "400", "500":
		if r[5] != "" {
			z.t.Fatalf("reply %q: user id set with status %s", r, r[3])
		}
	default:
		z.t.Fatalf("reply %q: status %q", r, r[3])
	}
}

func rawKey(t testing.TB, z85 string) []byte {
	t.Helper()
	return must[[]byte](t)(zmq.Z85Decode(z85))
}

// S2: the authenticator's replies conform to RFC 27, per policy, and
// malformed requests get a 500 or are dropped, without harm.
func TestS2ReplyConformance(t *testing.T) {
	f := newFactory(t)
	a := startAuth(t, f)
	allowed, other := keyPair(t), keyPair(t)
	if err := a.AllowCurveKeys(allowed.Public); err != nil {
		t.Fatal(err)
	}
	if err := a.SetPasswords(map[string]string{"admin": "s3cret"}); err != nil {
		t.Fatal(err)
	}
	z := newZAPClient(t, f)

	ok := []struct {
		name           string
		req            [][]byte
		status, userID string
	}{
		{"CURVE allowed", request("\x00\x01\xff", "global", "127.0.0.1", "CURVE", rawKey(t, allowed.Public)), "200", allowed.Public},
		{"CURVE not allowed", request("2", "global", "127.0.0.1", "CURVE", rawKey(t, other.Public)), "400", ""},
		{"PLAIN right", request("3", "global", "127.0.0.1", "PLAIN", []byte("admin"), []byte("s3cret")), "200", "admin"},
		{"PLAIN wrong password", request("4", "global", "127.0.0.1", "PLAIN", []byte("admin"), []byte("guess")), "400", ""},
		{"PLAIN unknown user", request("5", "global", "127.0.0.1", "PLAIN", []byte("root"), []byte("s3cret")), "400", ""},
		{"PLAIN empty password", request("6", "global", "127.0.0.1", "PLAIN", []byte("admin"), []byte("")), "400", ""},
		{"NULL", request("7", "global", "127.0.0.1", "NULL"), "200", ""},
		{"GSSAPI", request("8", "global", "127.0.0.1", "GSSAPI", []byte("principal")), "400", ""},
		{"empty request id", request("", "global", "", "NULL"), "200", ""},
	}
	for _, tc := range ok {
		status, user := z.call(tc.req)
		if status != tc.status || user != tc.userID {
			t.Errorf("%s: status %s user %q; want %s %q", tc.name, status, user, tc.status, tc.userID)
		}
	}

	malformed := []struct {
		name string
		req  [][]byte
	}{
		{"version 2.0", append([][]byte{{}, []byte("2.0")}, request("m1", "global", "127.0.0.1", "NULL")[2:]...)},
		{"too few frames", request("m2", "global", "127.0.0.1", "NULL")[:5]},
		{"CURVE key of 31 bytes", request("m3", "global", "127.0.0.1", "CURVE", make([]byte, 31))},
		{"CURVE without key", request("m4", "global", "127.0.0.1", "CURVE")},
		{"PLAIN without password", request("m5", "global", "127.0.0.1", "PLAIN", []byte("admin"))},
		{"NULL with credentials", request("m6", "global", "127.0.0.1", "NULL", []byte("x"))},
		{"CURVE with two keys", request("m7", "global", "127.0.0.1", "CURVE", rawKey(t, allowed.Public), rawKey(t, allowed.Public))},
	}
	for _, tc := range malformed {
		if status, _ := z.call(tc.req); status != "500" {
			t.Errorf("%s: status %s, want 500", tc.name, status)
		}
	}

	// Requests with no envelope cannot be answered: they are dropped, and
	// the next request is answered as usual (replies come in order, so
	// the next reply proves the drop).
	for _, req := range [][][]byte{
		{[]byte("1.0"), []byte("d1")},      // no delimiter
		{{}, []byte("1.0")},                // no request id
		{[]byte("garbage")},                // one frame
		{bytes.Repeat([]byte("x"), 1<<16)}, // a large frame
	} {
		z.send(req...)
	}
	if status, _ := z.call(request("after", "global", "127.0.0.1", "NULL")); status != "200" {
		t.Fatalf("after dropped requests: status %s", status)
	}
	st := a.Stats()
	want := auth.Stats{Requests: uint64(len(ok) + len(malformed) + 5), Accepted: 5, Denied: 5, Malformed: uint64(len(malformed) + 4)}
	if st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}
}

// The address rules: deny list, allow list, prefixes, IPv6, addresses of
// peers without IP (ipc, inproc), per ZAP requests.
func TestAddressRules(t *testing.T) {
	f := newFactory(t)
	a := startAuth(t, f)
	z := newZAPClient(t, f)
	n := 0
	check := func(address, want string) {
		t.Helper()
		n++
		if status, _ := z.call(request(fmt.Sprint(n), "global", address, "NULL")); status != want {
			t.Errorf("address %q: status %s, want %s", address, status, want)
		}
	}
	check("192.0.2.1", "200") // no rules: NULL passes
	if err := a.Deny("192.0.2.1", "2001:db8::/32"); err != nil {
		t.Fatal(err)
	}
	check("192.0.2.1", "400")
	check("::ffff:192.0.2.1", "400") // IPv4-mapped form
	check("2001:db8::7", "400")
	check("[2001:db8::7]", "400")
	check("192.0.2.2", "200")
	check("", "200") // no address, no allow list
	if err := a.Allow("10.0.0.0/8", "::1", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	check("10.1.2.3", "200")
	check("::1", "200")
	check("192.0.2.1", "400") // denied beats allowed
	check("192.0.2.2", "400") // not in the allow list
	check("", "400")          // no address: not in the allow list
	check("not an address", "400")

	long := strings.Repeat("1", 100_000)
	for _, bad := range []string{"", "1.2.3", "10.0.0.0/33", "10.0.0.0/08", "10.0.0.0/", "::ffff:10.0.0.0/95",
		"fe80::1%eth0", "fe80::1%eth0/64", "example.com", "1.2.3.4:80", long, long + "/8", "10.0.0.0/" + long} {
		err := a.Allow("127.0.0.1", bad)
		if err == nil || strings.Count(err.Error(), brief.Quote(bad)) != 1 || len(err.Error()) > 2*brief.Max+200 {
			t.Errorf("Allow(%.200q): %.400v, want an error naming it once, cut to a readable length", bad, err)
		}
		if err := a.Deny(bad); err == nil {
			t.Errorf("Deny(%q) succeeded", bad)
		}
	}
	// The failed calls changed nothing: 127.0.0.1 was not added.
	check("127.0.0.1", "400")
}

// Per-domain policies replace the default one for their domain only.
func TestDomains(t *testing.T) {
	f := newFactory(t)
	a := startAuth(t, f)
	k1, k2 := keyPair(t), keyPair(t)
	if err := a.AllowCurveKeys(k1.Public); err != nil {
		t.Fatal(err)
	}
	if err := a.Deny("192.0.2.9"); err != nil {
		t.Fatal(err)
	}
	vip := a.Domain("vip")
	if a.Domain("") == nil {
		t.Fatal("Domain(\"\") is nil")
	}
	z := newZAPClient(t, f)
	n := 0
	check := func(domain, address string, key zmq.CurveKeyPair, want string) {
		t.Helper()
		n++
		status, user := z.call(request(fmt.Sprint(n), domain, address, "CURVE", rawKey(t, key.Public)))
		if status != want || (status == "200" && user != key.Public) {
			t.Errorf("domain %q address %s: status %s user %q, want %s", domain, address, status, user, want)
		}
	}
	check("vip", "127.0.0.1", k1, "200") // vip untouched yet: default policy
	if err := vip.AllowCurveKeys(k2.Public); err != nil {
		t.Fatal(err)
	}
	check("vip", "127.0.0.1", k2, "200")
	check("vip", "127.0.0.1", k1, "400") // vip has its own keys only
	check("vip", "192.0.2.9", k2, "200") // and its own (empty) address rules
	check("global", "127.0.0.1", k2, "400")
	check("global", "127.0.0.1", k1, "200")
	check("other", "192.0.2.9", k1, "400") // default rules: denied address
	vip.AllowAnyCurve()
	check("vip", "127.0.0.1", k1, "200")
	check("global", "127.0.0.1", keyPair(t), "400")
}

func TestPolicyValidation(t *testing.T) {
	f := newFactory(t)
	a := startAuth(t, f)
	kp := keyPair(t)
	long := strings.Repeat("k", 100_000)
	for _, bad := range []string{"", kp.Public[:39], kp.Public + "x", strings.Repeat("~", 40), long} {
		err := a.AllowCurveKeys(kp.Public, bad)
		if err == nil || strings.Count(err.Error(), brief.Quote(bad)) != 1 || len(err.Error()) > 2*brief.Max+200 {
			t.Errorf("AllowCurveKeys(%.200q): %.400v, want an error naming the key once, cut to a readable length", bad, err)
		}
	}
	for _, user := range []string{"", long} {
		err := a.SetPasswords(map[string]string{user: "x"})
		if err == nil || strings.Count(err.Error(), brief.Quote(user)) != 1 || len(err.Error()) > 2*brief.Max+200 {
			t.Errorf("SetPasswords with a %d-byte user name: %.400v, want an error naming it once, cut", len(user), err)
		}
	}
	if err := a.ReloadCurveDir(); err == nil {
		t.Error("ReloadCurveDir without a directory succeeded")
	}
	if err := a.AllowCurveDir(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("AllowCurveDir of a missing directory succeeded")
	}
	if _, err := auth.Start(nil); err == nil {
		t.Error("Start(nil) succeeded")
	}
	if _, err := auth.Start(f, auth.WithLogger(nil)); err == nil {
		t.Error("Start with WithLogger(nil) succeeded")
	}
	if _, err := auth.Start(f); !errors.Is(err, zmq.EADDRINUSE) {
		t.Errorf("second Start on a factory: %v, want EADDRINUSE", err)
	}
	// The failed AllowCurveKeys calls added nothing.
	z := newZAPClient(t, f)
	if status, _ := z.call(request("1", "global", "127.0.0.1", "CURVE", rawKey(t, kp.Public))); status != "400" {
		t.Errorf("a key from a failed AllowCurveKeys call is allowed: %s", status)
	}
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

// PLAIN: the right password admits the client, whose messages carry its
// user name; a wrong one is refused with 400 on both sides.
func TestPlain(t *testing.T) {
	f := newFactory(t)
	a := startAuth(t, f)
	if err := a.SetPasswords(map[string]string{"admin": "s3cret", "guest": "guest"}); err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, f, zmq.WithPlainServer())

	good := dial(t, f, srv.ep, zmq.WithPlainClient("admin", "s3cret"))
	good.send(t, "hello")
	if m := srv.recv(t); m.UserID() != "admin" || m.Strings()[0] != "hello" {
		t.Fatalf("got %v from %q, want hello from admin", m, m.UserID())
	}
	bad := dial(t, f, srv.ep, zmq.WithPlainClient("admin", "guest"))
	bad.offer(t, "let me in")
	if ev := srv.w.waitN(t, handshakeEvents, 2); authStatus(ev) != 400 {
		t.Fatalf("server: %v, want handshake-failed-auth 400", ev)
	}
	if ev := bad.w.first(t, handshakeEvents); authStatus(ev) != 400 {
		t.Fatalf("client: %v, want handshake-failed-auth 400", ev)
	}
	srv.expectNothing(t, 100*time.Millisecond)

	// SetPasswords replaces the users: the old password stops working for
	// new connections.
	if err := a.SetPasswords(map[string]string{"admin": "n3w"}); err != nil {
		t.Fatal(err)
	}
	stale := dial(t, f, srv.ep, zmq.WithPlainClient("admin", "s3cret"))
	stale.offer(t, "old password")
	if ev := stale.w.first(t, handshakeEvents); authStatus(ev) != 400 {
		t.Fatalf("old password: %v, want 400", ev)
	}
	fresh := dial(t, f, srv.ep, zmq.WithPlainClient("admin", "n3w"))
	fresh.send(t, "new password")
	if m := srv.recv(t); m.UserID() != "admin" || m.Strings()[0] != "new password" {
		t.Fatalf("got %v from %q", m, m.UserID())
	}
}

// NULL with a ZAP domain: the address rules decide.
func TestNullAddressFilter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy func(*auth.Policy) error
		admit  bool
	}{
		{"deny list", func(p *auth.Policy) error { return p.Deny("127.0.0.1") }, false},
		{"allow list", func(p *auth.Policy) error { return p.Allow("127.0.0.0/8") }, true},
		{"allow list without us", func(p *auth.Policy) error { return p.Allow("192.0.2.1") }, false},
		{"no rules", func(p *auth.Policy) error { return nil }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFactory(t)
			a := startAuth(t, f)
			if err := tc.policy(a.Domain("lan")); err != nil {
				t.Fatal(err)
			}
			srv := newServer(t, f, zmq.WithZAPDomain("lan"))
			c := dial(t, f, srv.ep)
			if tc.admit {
				c.send(t, "hi")
			} else {
				c.offer(t, "hi")
			}
			ev := srv.w.first(t, handshakeEvents)
			if tc.admit {
				if m := srv.recv(t); m.Strings()[0] != "hi" || m.UserID() != "" {
					t.Fatalf("got %v from %q", m, m.UserID())
				}
				return
			}
			if authStatus(ev) != 400 {
				t.Fatalf("server: %v, want handshake-failed-auth 400", ev)
			}
			cev := c.w.first(t, handshakeEvents)
			srv.expectNothing(t, 100*time.Millisecond)
			t.Logf("NULL %s: server %v; client %v", tc.name, ev, cev)
		})
	}
}

// writeCert writes a public certificate in pyzmq's format (their text,
// quoted key, four-space indent).
func writeCert(t *testing.T, dir, name string, kp zmq.CurveKeyPair) string {
	t.Helper()
	pub, _, err := auth.WriteCertificate(dir, name, auth.Certificate{CurveKeyPair: zmq.CurveKeyPair{Public: kp.Public}})
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// A certificate directory: allowed keys get in; reloading after removing
// and adding files swaps the set atomically; connections made before the
// reload stay up.
func TestCurveDirReload(t *testing.T) {
	f := newFactory(t)
	a := startAuth(t, f)
	dir := t.TempDir()
	alice, bob := keyPair(t), keyPair(t)
	alicePub, aliceSecret, err := auth.WriteCertificate(dir, "alice", auth.Certificate{CurveKeyPair: alice})
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(aliceSecret); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret certificate mode: %v, %v", fi.Mode(), err)
	}
	// Clutter that must not matter.
	os.WriteFile(filepath.Join(dir, "README"), []byte("certificates of our clients\n"), 0o644)
	os.Mkdir(filepath.Join(dir, "old"), 0o755)
	writeCert(t, filepath.Join(dir, "old"), "bob", bob) // subdirectories are not read
	if err := a.AllowCurveDir(dir); err != nil {
		t.Fatal(err)
	}
	srv, sk := curveServer(t, f)

	aliceConn := dial(t, f, srv.ep, zmq.WithCurveClient(sk.Public, alice))
	aliceConn.send(t, "alice 1")
	if m := srv.recv(t); m.UserID() != alice.Public {
		t.Fatalf("got %v from %q", m, m.UserID())
	}
	bobConn := dial(t, f, srv.ep, zmq.WithCurveClient(sk.Public, bob))
	bobConn.offer(t, "bob 1")
	if ev := bobConn.w.first(t, handshakeEvents); authStatus(ev) != 400 {
		t.Fatalf("bob before reload: %v, want 400", ev)
	}

	// Revoke alice (deleting her public certificate is enough: secret
	// certificates are never read), admit bob.
	if err := os.Remove(alicePub); err != nil {
		t.Fatal(err)
	}
	writeCert(t, dir, "bob", bob)
	if err := a.ReloadCurveDir(); err != nil {
		t.Fatal(err)
	}
	aliceConn.send(t, "alice 2") // the existing connection survives
	if m := srv.recv(t); m.Strings()[0] != "alice 2" || m.UserID() != alice.Public {
		t.Fatalf("got %v from %q, want alice 2 from alice", m, m.UserID())
	}
	aliceAgain := dial(t, f, srv.ep, zmq.WithCurveClient(sk.Public, alice))
	aliceAgain.offer(t, "alice 3")
	if ev := aliceAgain.w.first(t, handshakeEvents); authStatus(ev) != 400 {
		t.Fatalf("alice after revocation: %v, want 400", ev)
	}
	bobAgain := dial(t, f, srv.ep, zmq.WithCurveClient(sk.Public, bob))
	bobAgain.send(t, "bob 2")
	if m := srv.recv(t); m.Strings()[0] != "bob 2" || m.UserID() != bob.Public {
		t.Fatalf("got %v from %q, want bob 2 from bob", m, m.UserID())
	}

	// A broken certificate makes the reload fail and keeps the old set.
	os.WriteFile(filepath.Join(dir, "broken.key"), []byte("curve\n    public-key = \"tooshort\"\n"), 0o644)
	if err := a.ReloadCurveDir(); err == nil || !strings.Contains(err.Error(), "broken.key") {
		t.Fatalf("reload with a broken certificate: %v, want an error naming the file", err)
	}
	bob3 := dial(t, f, srv.ep, zmq.WithCurveClient(sk.Public, bob))
	bob3.send(t, "bob 3")
	if m := srv.recv(t); m.Strings()[0] != "bob 3" {
		t.Fatalf("got %v", m)
	}
}

// Certificate parsing: the formats pyzmq and CZMQ write, and what is
// refused. Secret keys never appear in errors.
func TestCertificateFiles(t *testing.T) {
	dir := t.TempDir()
	kp := keyPair(t)
	pyzmqSecret := "#   ****  Generated on 2024-01-01 by pyzmq  ****\n" +
		"#   ZeroMQ CURVE **Secret** Certificate\n\n" +
		"metadata\n    name = x\ncurve\n" +
		"    public-key = \"" + kp.Public + "\"\n" +
		"    secret-key = \"" + kp.Secret + "\"\n"
	czmqPublic := "#   ZeroMQ CURVE Public Certificate\n" +
		"metadata\n    email = \"a@example.com\"\ncurve\n    public-key = \"" + kp.Public + "\"\r\n"
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	got, err := auth.LoadCertificate(write("py.key_secret", pyzmqSecret))
	if err != nil || got.CurveKeyPair != kp || !maps.Equal(got.Metadata, map[string]string{"name": "x"}) {
		t.Fatalf("pyzmq secret certificate: metadata %q, %v", got.Metadata, err)
	}
	got, err = auth.LoadCertificate(write("cz", czmqPublic))
	if err != nil || got.Public != kp.Public || got.Secret != "" || !maps.Equal(got.Metadata, map[string]string{"email": "a@example.com"}) {
		t.Fatalf("CZMQ public certificate: %+v, %v", got, err)
	}
	other := keyPair(t)
	for name, text := range map[string]string{
		"mismatch":      strings.Replace(pyzmqSecret, kp.Public, other.Public, 1),
		"bad secret":    strings.Replace(pyzmqSecret, kp.Secret, kp.Secret[:39]+"~", 1),
		"short secret":  strings.Replace(pyzmqSecret, kp.Secret, kp.Secret[:30], 1),
		"no public key": "curve\n    secret-key = \"" + kp.Secret + "\"\n",
		"wrong section": "metadata\n    public-key = \"" + kp.Public + "\"\n",
		"unterminated":  "curve\n    public-key = \"" + kp.Public + "\n",
	} {
		_, err := auth.LoadCertificate(write("bad", text))
		if err == nil {
			t.Errorf("%s: loaded", name)
			continue
		}
		if strings.Contains(err.Error(), kp.Secret) || strings.Contains(err.Error(), kp.Secret[:30]) {
			t.Errorf("%s: the error quotes the secret key: %v", name, err)
		}
	}
	if _, _, err := auth.WriteCertificate(dir, "../x", auth.Certificate{CurveKeyPair: kp}); err == nil {
		t.Error("WriteCertificate with a path as name succeeded")
	}
	if _, _, err := auth.WriteCertificate(dir, "x", auth.Certificate{CurveKeyPair: zmq.CurveKeyPair{Public: kp.Public, Secret: other.Secret}}); err == nil ||
		strings.Contains(err.Error(), other.Secret) {
		t.Errorf("WriteCertificate with a mismatched pair: %v", err)
	}
}

// Certificates keep their metadata: WriteCertificate writes it in both
// files, LoadCertificate reads it back, whatever the values hold that ZPL
// can hold; what it cannot hold is refused by name.
func TestCertificateMetadataRoundTrip(t *testing.T) {
	dir := t.TempDir()
	kp := keyPair(t)
	md := map[string]string{
		"email":          "a@example.com",
		"name":           "Ada Lovelace",
		"quote":          `say "hi"`,
		"apostrophe":     "it's",
		"hash":           "#1 # not a comment",
		"empty":          "",
		"spaces":         "  padded  ",
		"x-$weird@name+": "ok",
	}
	pub, sec, err := auth.WriteCertificate(dir, "meta", auth.Certificate{CurveKeyPair: kp, Metadata: md})
	if err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]zmq.CurveKeyPair{pub: {Public: kp.Public}, sec: kp} {
		got, err := auth.LoadCertificate(file)
		if err != nil || got.CurveKeyPair != want || !maps.Equal(got.Metadata, md) {
			t.Errorf("%s: %+v, %v; want metadata %q", filepath.Base(file), got, err, md)
		}
	}
	for _, bad := range []map[string]string{
		{"bad name": "x"},
		{"": "x"},
		{"n": "line\nbreak"},
		{"n": `both " and '`},
		{"n": "nul\x00"},
	} {
		if _, _, err := auth.WriteCertificate(dir, "bad", auth.Certificate{CurveKeyPair: kp, Metadata: bad}); err == nil || strings.Contains(err.Error(), kp.Secret) {
			t.Errorf("WriteCertificate with metadata %q: %v, want an error without the secret key", bad, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.key")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused certificate left a file behind: %v", err)
	}
}

// lockedBuffer is a bytes.Buffer safe for the logger's goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Decisions are logged, keys and passwords never.
func TestLogging(t *testing.T) {
	var buf lockedBuffer
	f := newFactory(t)
	a := startAuth(t, f, auth.WithLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	allowed, refused := keyPair(t), keyPair(t)
	if err := a.AllowCurveKeys(allowed.Public); err != nil {
		t.Fatal(err)
	}
	if err := a.SetPasswords(map[string]string{"admin": "pa55word"}); err != nil {
		t.Fatal(err)
	}
	z := newZAPClient(t, f)
	z.call(request("1", "global", "127.0.0.1", "CURVE", rawKey(t, allowed.Public)))
	z.call(request("2", "global", "127.0.0.1", "CURVE", rawKey(t, refused.Public)))
	z.call(request("3", "global", "127.0.0.1", "PLAIN", []byte("admin"), []byte("pa55word")))
	z.call(request("4", "global", "127.0.0.1", "PLAIN", []byte("admin"), []byte("wr0ng")))
	z.call(request("5", "global", "127.0.0.1", "CURVE", []byte("short")))
	out := buf.String()
	for _, secret := range []string{allowed.Public, refused.Public, "pa55word", "wr0ng"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log contains %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{"zap: approved", "zap: denied", "CURVE key not allowed", "user=admin", "zap: malformed request"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %q:\n%s", want, out)
		}
	}
}

// Policy changes race with requests being served (run with -race).
func TestConcurrentPolicyChanges(t *testing.T) {
	f := newFactory(t)
	a := startAuth(t, f)
	dir := t.TempDir()
	kp := keyPair(t)
	writeCert(t, dir, "k", kp)
	if err := a.AllowCurveDir(dir); err != nil {
		t.Fatal(err)
	}
	n := scaled(400, 4, 100)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range n {
			switch i % 5 {
			case 0:
				a.AllowCurveKeys(keyPairNoT().Public)
			case 1:
				a.Deny(fmt.Sprintf("192.0.2.%d", i%250))
			case 2:
				a.ReloadCurveDir()
			case 3:
				a.SetPasswords(map[string]string{"u": fmt.Sprint(i)})
			case 4:
				a.Domain(fmt.Sprintf("d%d", i%3)).AllowAnyCurve()
			}
		}
	}()
	z := newZAPClient(t, f)
	for i := range n {
		// kp is in the directory throughout; 127.0.0.1 is never denied.
		if status, user := z.call(request(fmt.Sprint(i), "global", "127.0.0.1", "CURVE", rawKey(t, kp.Public))); status != "200" || user != kp.Public {
			t.Fatalf("request %d: %s %q", i, status, user)
		}
	}
	wg.Wait()
}

func keyPairNoT() zmq.CurveKeyPair {
	kp, err := zmq.NewCurveKeyPair()
	if err != nil {
		panic(err)
	}
	return kp
}

// WithSetup: the policy set by setup applies to requests that arrived
// before it was set; a failing setup fails Start and releases the
// endpoint.
func TestWithSetup(t *testing.T) {
	f := newFactory(t)
	kp := keyPair(t)
	if _, err := auth.Start(f, auth.WithSetup(func(*auth.Authenticator) error {
		return errors.New("no policy today")
	})); err == nil || !strings.Contains(err.Error(), "no policy today") {
		t.Fatalf("Start with a failing setup: %v", err)
	}
	if _, err := auth.Start(f, auth.WithSetup(nil)); err == nil {
		t.Fatal("WithSetup(nil) accepted")
	}
	z := newZAPClient(t, f) // connects before the bind; attached by it
	a := startAuth(t, f, auth.WithSetup(func(a *auth.Authenticator) error {
		// This request reaches the authenticator before the key is
		// allowed; it is answered after setup returns.
		z.send(request("early", "global", "127.0.0.1", "CURVE", rawKey(t, kp.Public))...)
		return a.AllowCurveKeys(kp.Public)
	}))
	r := z.recv()
	z.checkReply(r, "early")
	if r[3] != "200" || r[5] != kp.Public {
		t.Fatalf("early request: %q, want 200 with the key", r)
	}
	if st := a.Stats(); st.Accepted != 1 {
		t.Fatalf("stats %+v", st)
	}
}
