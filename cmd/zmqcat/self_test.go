package main

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// zmqcat against itself, over ipc. Where a receiver might not be there yet,
// the sender's stdin stays open until the receiver has printed everything,
// or pub's wait for its first subscriber covers it.

func TestPushPullMultipart(t *testing.T) {
	t.Parallel()
	ep := ipcEndpoint(t)
	pull := start(t, "", "pull", "-b", ep, "-n", "3")
	push := startPiped(t, "push", "--connect", ep, "-d", ",")
	push.write("a,b\nc\n,d,\n")
	// Frames split on push's delimiter, printed with pull's (TAB).
	wantLines(t, "pull", pull.lines(3), "a\tb", "c", "\td\t")
	pull.exitsWith(0)
	push.closeStdin()
	push.exitsWith(0)
}

func TestJSONOutput(t *testing.T) {
	t.Parallel()
	ep := ipcEndpoint(t)
	pull := start(t, "", "pull", "-b", ep, "-n", "3", "--format", "json", "-d", "|")
	push := startPiped(t, "push", "-c", ep, "--delimiter", "|")
	push.write("plain|\xff\xfe\n<a&b>|é\n|\n")
	wantLines(t, "pull", pull.lines(3),
		`["plain",{"base64":"//4="}]`,
		`["<a&b>","é"]`,
		`["",""]`)
	pull.exitsWith(0)
	push.closeStdin()
	push.exitsWith(0)
}

func TestCountStopsReceiver(t *testing.T) {
	t.Parallel()
	ep := ipcEndpoint(t)
	pull := start(t, "", "pull", "-b", ep, "--count", "2")
	push := startPiped(t, "push", "-c", ep)
	push.write("1\n2\n3\n")
	wantLines(t, "pull", pull.lines(2), "1", "2")
	pull.exitsWith(0) // with nothing more printed
	push.closeStdin()
	// Whether push handed "3" over before pull left is a matter of timing:
	// either it did, or it says that it did not.
	code, rest := push.wait()
	undelivered := []string{"zmqcat: 1 message not delivered: disconnected from " + ep}
	if len(rest) > 0 || !(code == 0 || code == 1 && slices.Equal(push.stderrLines(), undelivered)) {
		t.Fatalf("push: exit status %d, stdout %q, stderr %q; want 0, or 1 with %q", code, rest, push.stderrLines(), undelivered)
	}
}

func TestCountStopsSender(t *testing.T) {
	t.Parallel()
	ep := ipcEndpoint(t)
	rep := start(t, "", "rep", "-b", ep, "-n", "1")
	req := start(t, "one\ntwo\nthree\n", "req", "-c", ep, "-n", "1")
	wantLines(t, "req", req.lines(1), "one")
	req.exitsWith(0)
	wantLines(t, "rep", rep.lines(1), "one")
	rep.exitsWith(0)
}

func TestPubSubFilter(t *testing.T) {
	t.Parallel()
	ep := ipcEndpoint(t)
	// The subscriber starts first and connects as soon as pub binds; pub
	// waits for its subscription before sending, so nothing is lost.
	sub := start(t, "", "sub", "-c", ep, "--subscribe", "a", "-n", "3")
	pub := start(t, "a1\nb1\na2\tx\nb2\nab\n", "pub", "-b", ep)
	pub.exitsWith(0)
	wantLines(t, "sub", sub.lines(3), "a1", "a2\tx", "ab")
	sub.exitsWith(0)
}

func TestSubscribeRepeatable(t *testing.T) {
	t.Parallel()
	ep := ipcEndpoint(t)
	sub := start(t, "", "sub", "-b", ep, "--subscribe", "a", "--subscribe", "c")
	pub := startPiped(t, "pub", "-c", ep)
	// Publish until both subscriptions have taken effect.
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := pub.stdin.Write([]byte("a\nb\nc\n")); err != nil {
				return
			}
		}
	}()
	seen := map[string]bool{}
	for !seen["a"] || !seen["c"] {
		s := sub.line()
		if s != "a" && s != "c" {
			t.Fatalf("sub printed %q, which matches neither subscription", s)
		}
		seen[s] = true
	}
	close(stop)
	<-done
	sub.signal(syscall.SIGTERM)
	if code, _ := sub.wait(); code != 0 {
		t.Fatalf("sub: exit status %d after SIGTERM, want 0", code)
	}
	pub.closeStdin()
	pub.exitsWith(0)
}

func TestReqRep(t *testing.T) {
	t.Parallel()
	t.Run("reply", func(t *testing.T) {
		t.Parallel()
		ep := ipcEndpoint(t)
		rep := start(t, "", "rep", "-b", ep, "--reply", "pong\tok", "-n", "2")
		req := start(t, "ping\nq\tr\n", "req", "-c", ep)
		wantLines(t, "req", req.lines(2), "pong\tok", "pong\tok")
		req.exitsWith(0)
		wantLines(t, "rep", rep.lines(2), "ping", "q\tr")
		rep.exitsWith(0)
	})
	t.Run("echo", func(t *testing.T) {
		t.Parallel()
		ep := ipcEndpoint(t)
		rep := start(t, "", "rep", "-c", ep, "-n", "1")
		req := start(t, "x|y\n", "req", "-b", ep, "-d", "|")
		wantLines(t, "req", req.lines(1), "x|y")
		req.exitsWith(0)
		wantLines(t, "rep", rep.lines(1), "x\ty")
		rep.exitsWith(0)
	})
}

func TestDealerRouter(t *testing.T) {
	t.Parallel()
	ep := ipcEndpoint(t)
	router := startPiped(t, "router", "-b", ep)
	dealer := startPiped(t, "dealer", "-c", ep, "--identity", "d1", "-n", "1")
	dealer.write("hello\tworld\n")
	dealer.closeStdin() // with -n, dealer goes on until it has printed 1 message
	wantLines(t, "router", router.lines(1), "d1\thello\tworld")
	router.write("ghost\tboo\n") // no such peer: reported at once, not fatal
	router.write("d1\thi\tthere\n")
	router.closeStdin()
	// It was never delivered: said again at the end, with exit status 1.
	router.exitsWith(1)
	wantLines(t, "dealer", dealer.lines(1), "hi\tthere")
	dealer.exitsWith(0)
	errs := router.stderrLines()
	if len(errs) != 2 || !strings.Contains(errs[0], `no connected peer "ghost"`) ||
		errs[1] != `zmqcat: 1 message not delivered: no connected peer "ghost"` {
		t.Errorf("router stderr %q, want a line about peer \"ghost\", then the count", errs)
	}
}

func TestPairPair(t *testing.T) {
	t.Parallel()
	ep := ipcEndpoint(t)
	a := startPiped(t, "pair", "-b", ep)
	b := startPiped(t, "pair", "-c", ep, "-n", "1")
	b.write("ping\n")
	b.closeStdin()
	wantLines(t, "pair -b", a.lines(1), "ping")
	a.write("pong\n")
	a.closeStdin()
	a.exitsWith(0)
	wantLines(t, "pair -c", b.lines(1), "pong")
	b.exitsWith(0)
}

func TestXPubXSub(t *testing.T) {
	t.Parallel()
	ep := ipcEndpoint(t)
	xpub := startPiped(t, "xpub", "-b", ep, "--format", "json")
	xsub := startPiped(t, "xsub", "-c", ep, "--subscribe", "m", "-n", "2")
	xsub.closeStdin()
	// xpub prints the subscription: byte 1, then the prefix.
	wantLines(t, "xpub", xpub.lines(1), `["\u0001m"]`)
	xpub.write(`["m1"]` + "\n" + `["x"]` + "\n" + `["m2","z"]` + "\n") // json on stdin too
	wantLines(t, "xsub", xsub.lines(2), "m1", "m2\tz")
	xsub.exitsWith(0)
	// The subscriber has gone, so xpub prints the unsubscription: byte 0,
	// then the prefix. Its stdin stays open until then, or it could exit
	// before the event arrives.
	wantLines(t, "xpub", xpub.lines(1), `["\u0000m"]`)
	xpub.closeStdin()
	xpub.exitsWith(0)
}

func TestWildcardBindIsAnnounced(t *testing.T) {
	t.Parallel()
	pull := start(t, "", "pull", "-b", "tcp://127.0.0.1:*", "-n", "1")
	announce := pull.errLine()
	m := regexp.MustCompile(`^zmqcat: bound (tcp://127\.0\.0\.1:\d+)$`).FindStringSubmatch(announce)
	if m == nil {
		t.Fatalf("stderr %q, want the bound endpoint", announce)
	}
	push := start(t, "over tcp\n", "push", "-c", m[1])
	push.exitsWith(0)
	wantLines(t, "pull", pull.lines(1), "over tcp")
	pull.exitsWith(0)
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	ep := ipcEndpoint(t)
	for _, tc := range []struct {
		name string
		args []string
		want string // the bad value, named on stderr
	}{
		{"unknown type", []string{"nosuch", "-b", ep}, `"nosuch"`},
		{"no type", []string{"-b", ep}, "no TYPE"},
		{"port out of range", []string{"pull", "-b", "tcp://127.0.0.1:99999"}, "tcp://127.0.0.1:99999"},
		{"unknown transport", []string{"push", "-c", "nope://x"}, "nope://x"},
		{"unresolvable host", []string{"push", "-c", "tcp://no-such-host.invalid:5555"}, "no-such-host.invalid"},
		{"no endpoint", []string{"pull"}, "no endpoint"},
		{"bad count", []string{"pull", "-b", ep, "-n", "many"}, `"many"`},
		{"negative count", []string{"pull", "-b", ep, "--count", "-1"}, "-1"},
		{"bad timeout", []string{"pull", "-b", ep, "--timeout", "soon"}, `"soon"`},
		{"bad format", []string{"pull", "-b", ep, "--format", "xml"}, `"xml"`},
		{"bad hwm", []string{"pull", "-b", ep, "--hwm", "-5"}, "-5"},
		{"bad linger", []string{"push", "-c", ep, "--linger", "1.5ms"}, "1.5ms"},
		{"empty delimiter", []string{"pull", "-b", ep, "-d", ""}, "delimiter"},
		{"unknown flag", []string{"pull", "-b", ep, "--frobnicate"}, "frobnicate"},
		{"subscribe on push", []string{"push", "-c", ep, "--subscribe", "x"}, "--subscribe"},
		{"reply on req", []string{"req", "-c", ep, "--reply", "x"}, "--reply"},
		{"long identity", []string{"dealer", "-c", ep, "--identity", strings.Repeat("i", 256)}, "--identity"},
		{"bench mode", []string{"bench", "thr-sideways", "--endpoint", ep}, `"thr-sideways"`},
		{"bench endpoint", []string{"bench", "thr-recv", "--endpoint", "nope://x"}, "nope://x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := start(t, "", tc.args...)
			p.exitsWith(2)
			errs := p.stderrLines()
			if len(errs) != 1 || !strings.HasPrefix(errs[0], "zmqcat: ") || !strings.Contains(errs[0], tc.want) {
				t.Fatalf("stderr %q, want one line naming %s", errs, tc.want)
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
	}{
		{"pull", "", []string{"pull", "-b", "", "--timeout", "200ms"}},
		{"rep", "", []string{"rep", "-b", "", "--timeout", "200ms"}},
		{"req", "anyone?\n", []string{"req", "-c", "", "--timeout", "200ms", "--linger", "0"}},
		{"push", "anyone?\n", []string{"push", "-b", "", "--timeout", "200ms"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.args[2] = ipcEndpoint(t) // nobody at the other end
			p := start(t, tc.stdin, tc.args...)
			p.exitsWith(3)
			if errs := p.stderrLines(); len(errs) != 1 || !strings.Contains(errs[0], "timeout") {
				t.Fatalf("stderr %q, want one line about the timeout", errs)
			}
		})
	}
}

func TestSignalsExitCleanly(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			ep := ipcEndpoint(t)
			pull := start(t, "", "pull", "-b", ep)
			push := startPiped(t, "push", "-c", ep)
			push.write("ready\n")
			// Both are up and running once a message has gone through.
			wantLines(t, "pull", pull.lines(1), "ready")
			pull.signal(sig)
			pull.exitsWith(0)
			push.signal(sig) // its stdin is still open
			push.exitsWith(0)
			if errs := append(pull.stderrLines(), push.stderrLines()...); len(errs) > 0 {
				t.Fatalf("stderr %q, want nothing", errs)
			}
		})
	}
}

func TestBench(t *testing.T) {
	t.Parallel()
	float := `(\d+(?:\.\d+)?)`
	t.Run("throughput", func(t *testing.T) {
		t.Parallel()
		ep := ipcEndpoint(t)
		// A tiny run: libzmq may drop what a closing sender still has
		// buffered when the receiver is slow, linger or not (libzmq #4660),
		// and a busy test machine makes receivers slow.
		recv := start(t, "", "bench", "thr-recv", "--endpoint", ep, "--count", "200", "--size", "16", "--warmup", "10")
		send := start(t, "", "bench", "thr-send", "--endpoint", ep, "--count", "200", "--size", "16", "--warmup", "10")
		send.exitsWith(0)
		out := recv.line()
		recv.exitsWith(0)
		m := regexp.MustCompile(`^msgs_per_s=` + float + ` mb_per_s=` + float + `$`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("thr-recv printed %q", out)
		}
		rate, _ := strconv.ParseFloat(m[1], 64)
		mb, _ := strconv.ParseFloat(m[2], 64)
		if rate <= 0 || mb <= 0 {
			t.Fatalf("thr-recv printed %q: want positive rates", out)
		}
	})
	t.Run("latency", func(t *testing.T) {
		t.Parallel()
		ep := ipcEndpoint(t)
		server := start(t, "", "bench", "lat-server", "--endpoint", ep, "--count", "200", "--size", "16", "--warmup", "20")
		client := start(t, "", "bench", "lat-client", "--endpoint", ep, "--count", "200", "--size", "16", "--warmup", "20")
		out := client.line()
		client.exitsWith(0)
		server.exitsWith(0)
		m := regexp.MustCompile(`^rtt_us_mean=` + float + ` rtt_us_p50=` + float + ` rtt_us_p99=` + float + `$`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("lat-client printed %q", out)
		}
		p50, _ := strconv.ParseFloat(m[2], 64)
		p99, _ := strconv.ParseFloat(m[3], 64)
		if p50 <= 0 || p99 < p50 {
			t.Fatalf("lat-client printed %q: want 0 < p50 <= p99", out)
		}
	})
}
