package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/auth"
)

// CURVE: zmqcat keygen, the --curve-* flags, and zmqcat against itself and
// against pyzmq with encryption on.

const z85Char = `[0-9a-zA-Z.\-:+=^!/*?&<>()\[\]{}@%$#]`

var keygenLine = regexp.MustCompile(`^(public|secret): (` + z85Char + `{40})$`)

func newKeys(t *testing.T) zmq.CurveKeyPair {
	t.Helper()
	kp, err := zmq.NewCurveKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

// keygen runs zmqcat keygen with args and returns the pair it printed.
func keygen(t *testing.T, args ...string) (kp zmq.CurveKeyPair, stderr []string) {
	t.Helper()
	p := start(t, "", append([]string{"keygen"}, args...)...)
	code, out := p.wait()
	if code != 0 {
		t.Fatalf("keygen: exit status %d; stderr %q", code, p.stderrLines())
	}
	if len(out) != 2 {
		t.Fatalf("keygen printed %q, want two lines", out)
	}
	for i, want := range []string{"public", "secret"} {
		m := keygenLine.FindStringSubmatch(out[i])
		if m == nil || m[1] != want {
			t.Fatalf("keygen line %d is %q, want %q and 40 Z85 characters", i+1, out[i], want+": ")
		}
	}
	return zmq.CurveKeyPair{Public: out[0][len("public: "):], Secret: out[1][len("secret: "):]}, p.stderrLines()
}

func TestKeygen(t *testing.T) {
	t.Parallel()
	t.Run("stdout", func(t *testing.T) {
		t.Parallel()
		kp, errs := keygen(t)
		if len(errs) > 0 {
			t.Fatalf("keygen wrote %q on stderr, want nothing", errs)
		}
		if pub, err := zmq.CurvePublicKey(kp.Secret); err != nil || pub != kp.Public {
			t.Fatalf("CurvePublicKey(secret) = %q, %v; want the public key printed, %q", pub, err, kp.Public)
		}
		if again, _ := keygen(t); again == kp {
			t.Fatal("two runs of keygen printed the same key pair")
		}
	})
	t.Run("certificate files", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(t.TempDir(), "new") // keygen creates it
		kp, errs := keygen(t, "--out", dir, "--name", "alice")
		pubFile, secFile := filepath.Join(dir, "alice.key"), filepath.Join(dir, "alice.key_secret")
		if len(errs) != 1 || !strings.Contains(errs[0], pubFile) || !strings.Contains(errs[0], secFile) {
			t.Fatalf("stderr %q, want one line naming %s and %s", errs, pubFile, secFile)
		}
		if strings.Contains(errs[0], kp.Secret) {
			t.Fatalf("stderr %q shows the secret key", errs)
		}
		if got, err := auth.LoadCertificate(secFile); err != nil || got.CurveKeyPair != kp {
			t.Fatalf("LoadCertificate(%s) = %+v, %v; want the pair printed", secFile, got, err)
		}
		if got, err := auth.LoadCertificate(pubFile); err != nil || got.CurveKeyPair != (zmq.CurveKeyPair{Public: kp.Public}) {
			t.Fatalf("LoadCertificate(%s) = %+v, %v; want the public key alone", pubFile, got, err)
		}
		if fi, err := os.Stat(secFile); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("secret certificate: %v, %v; want mode 0600", fi.Mode(), err)
		}
	})
}

// boundEndpoint returns the endpoint p announces on stderr, and the stderr
// lines before it.
func boundEndpoint(t *testing.T, p *proc) (ep string, before []string) {
	t.Helper()
	re := regexp.MustCompile(`^zmqcat: bound (\S+)$`)
	for {
		s := p.errLine()
		if m := re.FindStringSubmatch(s); m != nil {
			return m[1], before
		}
		before = append(before, s)
	}
}

// errLineContaining returns the first line of p's stderr, from the next
// one on, that contains want.
func errLineContaining(t *testing.T, p *proc, want string) string {
	t.Helper()
	for {
		if s := p.errLine(); strings.Contains(s, want) {
			return s
		}
	}
}

// noSecrets fails if any stderr line of ps shows one of the secret keys.
func noSecrets(t *testing.T, secrets []string, ps ...*proc) {
	t.Helper()
	for _, p := range ps {
		for _, line := range p.stderrLines() {
			for _, s := range secrets {
				if strings.Contains(line, s) {
					t.Fatalf("%s: stderr %q shows a secret key", p.name, line)
				}
			}
		}
	}
}

func TestCurvePushPull(t *testing.T) {
	t.Parallel()
	srv, cli := newKeys(t), newKeys(t)
	// The server reads its secret key from a certificate file, the client
	// takes its own on the command line.
	_, srvFile, err := auth.WriteCertificate(t.TempDir(), "server", auth.Certificate{CurveKeyPair: srv})
	if err != nil {
		t.Fatal(err)
	}
	pull := start(t, "", "pull", "-b", "tcp://127.0.0.1:*", "-n", "2",
		"--curve-server", "--curve-secret-key", "@"+srvFile, "--curve-allow", cli.Public)
	ep, before := boundEndpoint(t, pull)
	if len(before) > 0 {
		t.Fatalf("pull wrote %q on stderr before binding, want nothing (no warning with --curve-allow)", before)
	}
	push := startPiped(t, "push", "-c", ep, "--curve-secret-key", cli.Secret, "--curve-server-key", srv.Public)
	push.write("encrypted\nmulti\tpart\n")
	wantLines(t, "pull", pull.lines(2), "encrypted", "multi\tpart")
	pull.exitsWith(0)
	push.closeStdin()
	push.exitsWith(0)
	if errs := append(pull.stderrLines()[1:], push.stderrLines()...); len(errs) > 0 {
		t.Fatalf("stderr %q, want nothing after the bound endpoint", errs)
	}
}

func TestCurveAnyClientPubSub(t *testing.T) {
	t.Parallel()
	srv := newKeys(t)
	ep := ipcEndpoint(t)
	// The subscriber binds and is the CURVE server; without --curve-allow
	// it lets in any client, and says so.
	sub := start(t, "", "sub", "-b", ep, "-n", "1", "--curve-server", "--curve-secret-key", srv.Secret)
	if w := sub.errLine(); !strings.Contains(w, "warning") || !strings.Contains(w, "not authenticated") {
		t.Fatalf("sub stderr %q, want a warning that clients are not authenticated", w)
	}
	// The publisher has no key pair of its own: it makes one and prints
	// its public key.
	pub := startPiped(t, "pub", "-c", ep, "--curve-server-key", srv.Public)
	if s := pub.errLine(); !regexp.MustCompile(`public key ` + z85Char + `{40}$`).MatchString(s) {
		t.Fatalf("pub stderr %q, want the public key of its fresh key pair", s)
	}
	pub.write("hello\tsubscriber\n") // sent once the subscription has come
	wantLines(t, "sub", sub.lines(1), "hello\tsubscriber")
	sub.exitsWith(0)
	pub.closeStdin()
	pub.exitsWith(0)
	noSecrets(t, []string{srv.Secret}, sub, pub)
}

func TestCurveClientNotAllowed(t *testing.T) {
	t.Parallel()
	srv, allowed, intruder := newKeys(t), newKeys(t), newKeys(t)
	pull := start(t, "", "pull", "-b", "tcp://127.0.0.1:*", "--timeout", "3s",
		"--curve-server", "--curve-secret-key", srv.Secret, "--curve-allow", allowed.Public)
	ep, _ := boundEndpoint(t, pull)
	push := startPiped(t, "push", "-c", ep, "--linger", "0", "--curve-secret-key", intruder.Secret, "--curve-server-key", srv.Public)
	push.write("let me in\n")
	// Both sides report the refusal...
	if s := errLineContaining(t, push, "refused"); !strings.Contains(s, intruder.Public) {
		t.Fatalf("push stderr %q, want its refused public key", s)
	}
	errLineContaining(t, pull, "not in --curve-allow")
	// ...and nothing arrives: pull times out.
	pull.exitsWith(3)
	// Stopped, push says what it could not deliver, and why.
	push.signal(syscall.SIGTERM)
	push.exitsWith(1)
	errLineContaining(t, push, "1 message not delivered: no handshake with "+ep+": the server refused this client's public key")
	noSecrets(t, []string{srv.Secret, intruder.Secret}, pull, push)
}

func TestCurveWrongServerKey(t *testing.T) {
	t.Parallel()
	srv, cli, impostor := newKeys(t), newKeys(t), newKeys(t)
	pull := start(t, "", "pull", "-b", "tcp://127.0.0.1:*", "--timeout", "3s",
		"--curve-server", "--curve-secret-key", srv.Secret, "--curve-allow", cli.Public)
	ep, _ := boundEndpoint(t, pull)
	push := startPiped(t, "push", "-c", ep, "--linger", "0", "--curve-secret-key", cli.Secret, "--curve-server-key", impostor.Public)
	push.write("for the wrong server\n")
	errLineContaining(t, pull, "cryptographic error")
	errLineContaining(t, push, "wrong --curve-server-key")
	pull.exitsWith(3)
	push.signal(syscall.SIGTERM)
	push.exitsWith(1)
	errLineContaining(t, push, "1 message not delivered: no handshake with "+ep+": ")
	noSecrets(t, []string{srv.Secret, cli.Secret}, pull, push)
}

func TestCurveBadInput(t *testing.T) {
	t.Parallel()
	ep := ipcEndpoint(t)
	kp, other := newKeys(t), newKeys(t)
	sec, pub := kp.Secret, kp.Public
	// Z85 keys may start with a dash, and hold a '=': such a key out of
	// place passes for a flag.
	dashSec, dashEqSec := "-"+sec[1:], "-"+sec[1:3]+"="+sec[4:]
	secrets := []string{sec, dashSec, dashEqSec}
	dir := t.TempDir()
	pubFile, _, err := auth.WriteCertificate(dir, "c", auth.Certificate{CurveKeyPair: kp})
	if err != nil {
		t.Fatal(err)
	}
	server := func(more ...string) []string {
		return append([]string{"pull", "-b", ep, "--curve-server"}, more...)
	}
	for _, tc := range []struct {
		name string
		args []string
		want []string // on the one line of stderr
	}{
		{"short secret", server("--curve-secret-key", sec[:39]),
			[]string{"--curve-secret-key", "39 characters"}},
		{"secret not Z85", server("--curve-secret-key", sec[:20]+"~"+sec[21:]),
			[]string{"--curve-secret-key", "Z85"}},
		{"client secret not Z85", []string{"push", "-c", ep, "--curve-server-key", pub, "--curve-secret-key", sec[:39] + " "},
			[]string{"--curve-secret-key", "Z85"}},
		{"secret as the value of --curve-server", []string{"pull", "-b", ep, "--curve-server=" + sec},
			[]string{"curve-server"}},
		{"secret after --curve-server", server(sec),
			[]string{"--curve-server takes no value"}},
		{"secret starting with a dash, after --curve-server", server(dashSec),
			[]string{"--curve-server takes no value"}},
		{"secret starting with -xy=, after --curve-server", server(dashEqSec),
			[]string{"--curve-server takes no value"}},
		{"secret file missing", server("--curve-secret-key", "@"+filepath.Join(dir, "no_such_file")),
			[]string{"--curve-secret-key @FILE", "no such file"}},
		{"public file missing", []string{"push", "-c", ep, "--curve-server-key", "@" + filepath.Join(dir, "no_such_file")},
			[]string{"--curve-server-key @" + filepath.Join(dir, "no_such_file"), "no such file"}},
		{"public certificate as secret", server("--curve-secret-key", "@"+pubFile),
			[]string{"--curve-secret-key @" + pubFile, "no secret-key"}},
		{"server without secret", server(),
			[]string{"--curve-server", "--curve-secret-key"}},
		{"server with a server key", server("--curve-secret-key", sec, "--curve-server-key", other.Public),
			[]string{"--curve-server-key", "--curve-server"}},
		{"server with a public key", server("--curve-secret-key", sec, "--curve-public-key", pub),
			[]string{"--curve-public-key", "--curve-server"}},
		{"bad allowed key", server("--curve-secret-key", sec, "--curve-allow", "short"),
			[]string{`--curve-allow "short"`, "5 characters"}},
		{"allow without server", []string{"pull", "-b", ep, "--curve-allow", other.Public},
			[]string{"--curve-allow", "--curve-server"}},
		{"client without server key", []string{"push", "-c", ep, "--curve-secret-key", sec},
			[]string{"--curve-server-key"}},
		{"bad server key", []string{"push", "-c", ep, "--curve-server-key", other.Public[:39] + "~"},
			[]string{`--curve-server-key "` + other.Public[:39] + `~"`, "Z85"}},
		{"public key without secret", []string{"push", "-c", ep, "--curve-server-key", other.Public, "--curve-public-key", pub},
			[]string{"--curve-public-key", "--curve-secret-key"}},
		{"public key of another pair", []string{"push", "-c", ep, "--curve-server-key", other.Public, "--curve-secret-key", sec, "--curve-public-key", other.Public},
			[]string{"--curve-public-key", "does not belong"}},
		{"keygen out without name", []string{"keygen", "--out", dir},
			[]string{"--out", "--name"}},
		{"keygen bad name", []string{"keygen", "--out", dir, "--name", "../x"},
			[]string{"--name", `"../x"`}},
		{"keygen argument", []string{"keygen", "now"},
			[]string{`"now"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := start(t, "", tc.args...)
			p.exitsWith(2)
			errs := p.stderrLines()
			if len(errs) != 1 || !strings.HasPrefix(errs[0], "zmqcat: ") {
				t.Fatalf("stderr %q, want one line", errs)
			}
			for _, w := range tc.want {
				if !strings.Contains(errs[0], w) {
					t.Errorf("stderr %q does not name %s", errs[0], w)
				}
			}
			// Not even a part of a secret key.
			for _, s := range secrets {
				for i := 0; i+6 <= len(s); i++ {
					if strings.Contains(errs[0], s[i:i+6]) {
						t.Fatalf("stderr %q shows part of a secret key", errs[0])
					}
				}
			}
			if strings.Contains(errs[0], "-"+dashEqSec[1:3]) {
				t.Fatalf("stderr %q shows the start of a secret key, as a flag name", errs[0])
			}
		})
	}
}

// TestCurveFlags checks what the --curve-* flags become.
func TestCurveFlags(t *testing.T) {
	t.Parallel()
	srv, cli := newKeys(t), newKeys(t)
	dir := t.TempDir()
	pubFile, secFile, err := auth.WriteCertificate(dir, "srv", auth.Certificate{CurveKeyPair: srv})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want curveConfig
	}{
		{[]string{"rep", "-b", "ipc://x", "--curve-server", "--curve-secret-key", srv.Secret, "--curve-allow", cli.Public, "--curve-allow", "@" + pubFile},
			curveConfig{server: true, keys: srv, allow: []string{cli.Public, srv.Public}}},
		{[]string{"rep", "-b", "ipc://x", "--curve-server", "--curve-secret-key", "@" + secFile},
			curveConfig{server: true, keys: srv}},
		{[]string{"req", "-c", "ipc://x", "--curve-secret-key", cli.Secret, "--curve-server-key", srv.Public},
			curveConfig{keys: cli, serverKey: srv.Public}},
		{[]string{"req", "-c", "ipc://x", "--curve-secret-key", cli.Secret, "--curve-public-key", cli.Public, "--curve-server-key", "@" + secFile},
			curveConfig{keys: cli, serverKey: srv.Public}},
		{[]string{"req", "-c", "ipc://x", "--curve-server-key", srv.Public},
			curveConfig{fresh: true, serverKey: srv.Public}},
	} {
		cfg, err := parseFlags(tc.args)
		if err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		if cfg.curve == nil {
			t.Fatalf("%q: no CURVE config", tc.args)
		}
		got := *cfg.curve
		if got.server != tc.want.server || got.keys != tc.want.keys || got.fresh != tc.want.fresh ||
			got.serverKey != tc.want.serverKey || strings.Join(got.allow, ",") != strings.Join(tc.want.allow, ",") {
			t.Errorf("%q:\n got %+v\nwant %+v", tc.args, got, tc.want)
		}
	}
	if cfg, err := parseFlags([]string{"pull", "-b", "ipc://x", "--curve-server=false"}); err != nil || cfg.curve != nil {
		t.Errorf("--curve-server=false: %+v, %v; want no CURVE", cfg, err)
	}
}

var pyCurveCheck = sync.OnceValue(func() string {
	if why := pyzmqCheck(); why != "" {
		return why
	}
	out, err := exec.Command(systemPython, "-c", "import zmq, zmq.auth; assert zmq.has('curve'), 'no CURVE'").CombinedOutput()
	if err != nil {
		return "pyzmq has no CURVE support: " + strings.TrimSpace(string(out))
	}
	return ""
})

func TestCurvePython(t *testing.T) {
	t.Parallel()
	if why := pyCurveCheck(); why != "" {
		t.Skip(why)
	}
	curveWithPython(t, start)
}

// TestCurvePythonWithoutCgo runs TestCurvePython's exchanges, with the same
// flags and key files, through zmqcat built with CGO_ENABLED=0: the go
// engine encrypts and authenticates against pyzmq as libzmq does.
func TestCurvePythonWithoutCgo(t *testing.T) {
	t.Parallel()
	if why := pyCurveCheck(); why != "" {
		t.Skip(why)
	}
	bin, err := noCgoBinary()
	if err != nil {
		t.Fatal(err)
	}
	// Whatever engine the suite runs on, the binary is left to its default.
	noEngine := append(os.Environ(), "ZMQ_ENGINE=")
	vcmd := exec.Command(bin, "--version")
	vcmd.Env = noEngine
	version := launch(t, "zmqcat --version", vcmd, false)
	if v := version.line(); !strings.Contains(v, "go ZMTP") {
		t.Fatalf("the CGO_ENABLED=0 zmqcat reports %q, want the go engine", v)
	}
	version.exitsWith(0)
	curveWithPython(t, func(t *testing.T, stdin string, args ...string) *proc {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = noEngine
		cmd.Stdin = strings.NewReader(stdin)
		return launch(t, "zmqcat (no cgo) "+args[0], cmd, false)
	})
}

// noCgoBinary builds zmqcat with CGO_ENABLED=0, once.
var noCgoBinary = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(filepath.Dir(zmqcatBin), "zmqcat-nocgo")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build with CGO_ENABLED=0: %v\n%s", err, out)
	}
	return bin, nil
})

// curveWithPython runs zmqcat (through run) against pyzmq peers with CURVE
// on, pyzmq's certificates on one side and zmqcat's flags on the other:
// a python client gets into a zmqcat server, one whose key is not
// allowed is refused with 400 and delivers nothing, and a zmqcat client
// gets into a python server.
func curveWithPython(t *testing.T, run func(t *testing.T, stdin string, args ...string) *proc) {
	t.Run("python client to zmqcat server", func(t *testing.T) {
		t.Parallel()
		// pyzmq writes both certificate pairs; zmqcat reads the server's
		// secret certificate and allows the client's public key.
		dir, ep := t.TempDir(), ipcEndpoint(t)
		py := startPython(t, `
import zmq.auth
d = sys.argv[1]
zmq.auth.create_certificates(d, "server")
_, secret_file = zmq.auth.create_certificates(d, "client")
cpub, csec = zmq.auth.load_certificate(secret_file)
spub, _ = zmq.auth.load_certificate(d + "/server.key")
s = ctx.socket(zmq.PUSH)
s.curve_publickey, s.curve_secretkey, s.curve_serverkey = cpub, csec, spub
out(cpub.decode())
s.connect(sys.argv[2])
s.send_multipart([b"from", b"python"])
`, dir, ep)
		clientKey := py.line()
		pull := run(t, "", "pull", "-b", ep, "-n", "1", "--curve-server",
			"--curve-secret-key", "@"+filepath.Join(dir, "server.key_secret"), "--curve-allow", clientKey)
		wantLines(t, "pull", pull.lines(1), "from\tpython")
		pull.exitsWith(0)
		py.exitsWith(0)
		if errs := pull.stderrLines(); len(errs) > 0 {
			t.Fatalf("pull stderr %q, want nothing", errs)
		}
	})
	t.Run("python client not allowed", func(t *testing.T) {
		t.Parallel()
		dir, ep := t.TempDir(), ipcEndpoint(t)
		if _, _, err := auth.WriteCertificate(dir, "server", auth.Certificate{CurveKeyPair: newKeys(t)}); err != nil {
			t.Fatal(err)
		}
		pull := run(t, "", "pull", "-b", ep, "--timeout", "3s", "--curve-server",
			"--curve-secret-key", "@"+filepath.Join(dir, "server.key_secret"), "--curve-allow", newKeys(t).Public)
		py := startPython(t, `
import zmq.auth
from zmq.utils.monitor import recv_monitor_message
d = sys.argv[1]
_, secret_file = zmq.auth.create_certificates(d, "client")
cpub, csec = zmq.auth.load_certificate(secret_file)
spub, _ = zmq.auth.load_certificate(d + "/server.key")
s = ctx.socket(zmq.PUSH)
s.curve_publickey, s.curve_secretkey, s.curve_serverkey = cpub, csec, spub
mon = s.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_HANDSHAKE_FAILED_AUTH)
s.connect(sys.argv[2])
s.send(b"let me in")
ev = recv_monitor_message(mon)
out(ev["event"], ev["value"])
s.disable_monitor()
mon.close()
s.close(linger=0)
`, dir, ep)
		if got := py.line(); got != fmt.Sprintf("%d 400", zmq.EventHandshakeFailedAuth) {
			t.Fatalf("python client: %q, want its handshake refused with 400", got)
		}
		errLineContaining(t, pull, "not in --curve-allow")
		pull.exitsWith(3) // nothing arrived before the timeout
		py.exitsWith(0)
	})
	t.Run("zmqcat client to python server", func(t *testing.T) {
		t.Parallel()
		py := startPython(t, `
pub, sec = zmq.curve_keypair()
s = ctx.socket(zmq.PULL)
s.curve_server, s.curve_secretkey = True, sec
out("tcp://127.0.0.1:%d" % s.bind_to_random_port("tcp://127.0.0.1"))
out(pub.decode())
out(s.recv_multipart())
`)
		ep, serverKey := py.line(), py.line()
		client := newKeys(t)
		push := run(t, "to\tpython\n", "push", "-c", ep, "--linger", "10s",
			"--curve-secret-key", client.Secret, "--curve-public-key", client.Public, "--curve-server-key", serverKey)
		wantLines(t, "python", py.lines(1), "[b'to', b'python']")
		py.exitsWith(0)
		push.exitsWith(0)
	})
}

// TestSecretNotInErrors puts secret keys, many of them since a Z85 key may
// start with a dash or hold a '=', where they do not belong, and checks
// that no error shows any part of one.
func TestSecretNotInErrors(t *testing.T) {
	t.Parallel()
	for range 300 {
		sec := newKeys(t).Secret
		for _, args := range [][]string{
			{"pull", "-b", "ipc://x", "--curve-server", sec},
			{"pull", "-b", "ipc://x", "--curve-server=" + sec},
			{sec, "-b", "ipc://x"},
			{"pull", sec, "-b", "ipc://x"},
			{"pull", "-b", "ipc://x", "-" + sec[1:3] + "=" + sec[4:]},
			{"pull", "-b", "ipc://x", "-n", sec},
			{"pull", "-b", "ipc://x", "--format", sec},
			{"pull", "-b", "ipc://x", "--curve-server", "--curve-secret-key", sec[:39]},
			{"pull", "-b", "ipc://x", "--curve-server", "--curve-secret-key", sec[:39] + "~"},
			{"push", "-c", "ipc://x", "--curve-secret-key", sec},
		} {
			_, err := parseFlags(args)
			if err == nil {
				// "-xy=..." may name a real flag: "--c=..." is -c.
				if args[len(args)-1] != "-"+sec[1:3]+"="+sec[4:] {
					t.Fatalf("%q: no error", args)
				}
				continue
			}
			for i := 0; i+6 <= len(sec); i++ {
				if strings.Contains(err.Error(), sec[i:i+6]) {
					t.Fatalf("%q: error %q shows part of the secret key", args, err)
				}
			}
		}
	}
	// Keys where they belong do not hide other errors.
	sec := newKeys(t).Secret
	_, err := parseFlags([]string{"pull", "-b", "ipc://x", "--curve-secret-key=" + sec, "--curve-secret-key"})
	if err == nil || err.Error() != "--curve-secret-key needs a value (zmqcat -h for help)" {
		t.Fatalf("error %v, want one naming --curve-secret-key", err)
	}
}

// A key that happens to start with '@' (a Z85 character) is a key, even a
// mistyped one, unless a file of that name exists; anything else after '@'
// is a file name.
func TestCertArgAtSign(t *testing.T) {
	key := "@" + strings.Repeat("a", 38)
	for _, v := range []string{key + "b", key + "~", key, key + "bb"} {
		if _, ok := certArg(v); ok {
			t.Errorf("certArg(%q) took a key-length value for a file", v)
		}
	}
	if path, ok := certArg("@keys/server.key_secret"); !ok || path != "keys/server.key_secret" {
		t.Errorf("certArg(@keys/server.key_secret) = %q, %t", path, ok)
	}
	file := filepath.Join(t.TempDir(), strings.Repeat("k", 38))
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok := certArg("@" + file); !ok {
		t.Errorf("certArg did not take an existing file")
	}
}
