package auth_test

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/auth"
)

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
