package main

import (
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// What a sender says, and how it exits, when what it read reached no peer.

// closedPort returns a loopback tcp endpoint where nothing listens: a port
// the system handed out, then freed.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ep := "tcp://" + l.Addr().String()
	l.Close()
	return ep
}

func TestUndelivered(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string // "EP" stands for the endpoint
		want  string   // the last stderr line, "EP" for the endpoint
	}{
		{"push connecting over ipc", "a\nb\n", []string{"push", "-c", "EP", "--linger", "100ms"},
			"2 messages not delivered: no connection to EP"},
		{"push connecting over tcp", "a\n", []string{"push", "-c", "EP", "--linger", "100ms"},
			"1 message not delivered: no connection to EP"},
		{"push binding", "a\n", []string{"push", "-b", "EP", "--linger", "100ms"},
			"1 message not delivered: no peer connected to EP"},
		{"req", "q1\nq2\n", []string{"req", "-c", "EP", "--linger", "100ms"},
			"2 messages not delivered: no connection to EP"},
		{"dealer", "a\n", []string{"dealer", "-c", "EP", "--linger", "100ms"},
			"1 message not delivered: no connection to EP"},
		{"pair binding", "a\n", []string{"pair", "-b", "EP", "--linger", "100ms"},
			"1 message not delivered: no peer connected to EP"},
		{"pub", "a\n", []string{"pub", "-c", "EP", "--linger", "0"},
			"1 message not delivered: no subscriber ever connected, and pub drops what nobody subscribed to: no connection to EP"},
		{"xsub", "a\n", []string{"xsub", "-c", "EP", "--linger", "0"},
			"1 message not delivered: no publisher ever connected: no connection to EP"},
		{"pub binding with -o", "a\n", []string{"pub", "-b", "EP", "-o", "linger=0"},
			"1 message not delivered: no subscriber ever connected, and pub drops what nobody subscribed to: no peer connected to EP"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ep := ipcEndpoint(t)
			if strings.Contains(tc.name, "tcp") {
				ep = closedPort(t)
			}
			args := slices.Clone(tc.args)
			for i, a := range args {
				if a == "EP" {
					args[i] = ep
				}
			}
			p := start(t, tc.stdin, args...)
			p.exitsWith(1)
			errs := p.stderrLines()
			want := "zmqcat: " + strings.ReplaceAll(tc.want, "EP", ep)
			if len(errs) != 1 || errs[0] != want {
				t.Fatalf("stderr %q, want one line: %q", errs, want)
			}
		})
	}
}

// A sender whose messages all reached a peer exits 0 and says nothing,
// and a bad line among good ones is reported and counted.
func TestUndeliveredBadLine(t *testing.T) {
	t.Parallel()
	ep := ipcEndpoint(t)
	pull := start(t, "", "pull", "-b", ep, "-n", "2", "--format", "json")
	push := startPiped(t, "push", "-c", ep, "--format", "json")
	push.write(`["one"]` + "\n" + `not json` + "\n" + `["two"]` + "\n")
	wantLines(t, "pull", pull.lines(2), `["one"]`, `["two"]`)
	pull.exitsWith(0)
	push.closeStdin()
	push.exitsWith(1)
	errs := push.stderrLines()
	if len(errs) != 2 || !strings.HasPrefix(errs[0], "zmqcat: line 2: want a JSON array of frames") ||
		errs[1] != "zmqcat: 1 message not delivered: lines that are not messages (reported above)" {
		t.Fatalf("push stderr %q, want line 2 reported, then the count", errs)
	}
}

// A timeout says what it left undelivered on its one line.
func TestUndeliveredTimeout(t *testing.T) {
	t.Parallel()
	ep := ipcEndpoint(t)
	p := start(t, "a\n", "push", "-b", ep, "--timeout=200ms")
	p.exitsWith(3)
	want := "zmqcat: timeout: could not send within 200ms; 1 message not delivered: no peer connected to " + ep
	if errs := p.stderrLines(); len(errs) != 1 || errs[0] != want {
		t.Fatalf("stderr %q, want %q", errs, want)
	}
}

// A handshake refused by a CURVE peer is reported when it happens, and
// again, with the count, when input ends with nothing delivered.
func TestCurveRefusedIsNotSilent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// intruder: the client's key is not allowed; else the client
		// uses the wrong server key.
		intruder bool
		reason   *regexp.Regexp // after "no handshake with EP: "
	}{
		{"client key not allowed", true,
			regexp.MustCompile(`^the server refused this client's public key "` + z85Char + `{40}"$`)},
		{"wrong server key", false,
			regexp.MustCompile(`\(wrong --curve-server-key\?\)$`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, cli, other := newKeys(t), newKeys(t), newKeys(t)
			pull := start(t, "", "pull", "-b", "tcp://127.0.0.1:*", "--curve-server", "--curve-secret-key", srv.Secret, "--curve-allow", cli.Public)
			ep, _ := boundEndpoint(t, pull)
			serverKey, secret := srv.Public, cli.Secret
			if tc.intruder {
				secret = other.Secret
			} else {
				serverKey = other.Public
			}
			push := startPiped(t, "push", "-c", ep, "--linger", "100ms", "--curve-secret-key", secret, "--curve-server-key", serverKey)
			push.write("let me in\n")
			first := errLineContaining(t, push, "CURVE handshake with "+ep+" failed: ")
			push.closeStdin()
			push.exitsWith(1)
			errs := push.stderrLines()
			last := errs[len(errs)-1]
			prefix := "zmqcat: 1 message not delivered: no handshake with " + ep + ": "
			if !strings.HasPrefix(last, prefix) || !tc.reason.MatchString(strings.TrimPrefix(last, prefix)) {
				t.Fatalf("push's last stderr line %q, want %q and a reason matching %v", last, prefix, tc.reason)
			}
			if !tc.reason.MatchString(first[strings.Index(first, "failed: ")+len("failed: "):]) {
				t.Fatalf("push reported %q, want a reason matching %v", first, tc.reason)
			}
			pull.signal(syscall.SIGTERM)
			pull.exitsWith(0)
			noSecrets(t, []string{srv.Secret, cli.Secret, other.Secret}, pull, push)
		})
	}
}

// -v says what happens to the connection, one line per event.
func TestVerbose(t *testing.T) {
	t.Parallel()
	pull := start(t, "", "pull", "-b", "tcp://127.0.0.1:*", "-v", "-n1")
	ep, before := boundEndpoint(t, pull)
	push := start(t, "hi\n", "push", "-c", ep, "-v")
	push.exitsWith(0)
	wantLines(t, "pull", pull.lines(1), "hi")
	pull.exitsWith(0)
	inOrder(t, "push", push.stderrLines(),
		"zmqcat: connected to "+ep,
		"zmqcat: handshake succeeded with "+ep)
	inOrder(t, "pull", append(before, pull.stderrLines()...),
		"zmqcat: listening on "+ep,
		"zmqcat: accepted a connection on "+ep,
		"zmqcat: handshake succeeded on "+ep)
	for _, p := range []*proc{push, pull} {
		for _, l := range p.stderrLines() {
			if !verboseLine.MatchString(l) {
				t.Errorf("%s: stderr line %q is not an event line", p.name, l)
			}
		}
	}
}

var verboseLine = regexp.MustCompile(`^zmqcat: (bound|listening on|connected to|accepted a connection on|handshake succeeded (on|with)|a peer disconnected from|disconnected from|retrying) `)

// inOrder fails unless lines holds want, in that order (other lines may
// come between).
func inOrder(t *testing.T, who string, lines []string, want ...string) {
	t.Helper()
	i := 0
	for _, l := range lines {
		if i < len(want) && l == want[i] {
			i++
		}
	}
	if i < len(want) {
		t.Fatalf("%s stderr %q: want %q, in order", who, lines, want)
	}
}

// -v shows a connection that keeps failing at its 1st, 2nd and 4th retry.
func TestVerboseRetries(t *testing.T) {
	t.Parallel()
	ep := ipcEndpoint(t)
	push := startPiped(t, "push", "-c", ep, "-v", "-o", "reconnect_ivl=10")
	for _, n := range []int{1, 2, 4} {
		want := regexp.MustCompile(fmt.Sprintf(`^zmqcat: retrying %s in \d+ms \(retry %d\)$`, regexp.QuoteMeta(ep), n))
		if l := push.errLine(); !want.MatchString(l) {
			t.Fatalf("push stderr %q, want retry %d", l, n)
		}
	}
	push.closeStdin() // nothing read: nothing undelivered
	push.exitsWith(0)
}

func TestUndeliveredReasonsAreBounded(t *testing.T) {
	var u undelivered
	for i := range 100 {
		u.add(1, fmt.Sprintf("no connected peer %q", fmt.Sprint(i)))
		u.add(1, fmt.Sprintf("no connected peer %q", fmt.Sprint(i%3)))
	}
	n, why := u.report(&watcher{})
	want := `no connected peer "0"; no connected peer "1"; no connected peer "2"; no connected peer "3"; no connected peer "4"; and for other reasons`
	if n != 200 || why != want || len(u.reasons) != maxReasons {
		t.Fatalf("report: %d, %q (%d reasons kept); want 200, %q", n, why, len(u.reasons), want)
	}
}
