package auth_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/auth"
	"github.com/zmqx/zmq/internal/brief"
)

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
