package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/zmqx/zmq"
)

// The command line and stdin, through the built binary.

func TestGNUFlagsAndTypeCase(t *testing.T) {
	t.Parallel()
	ep := ipcEndpoint(t)
	pull := start(t, "", "Pull", "--bind="+ep, "-n1", "--timeout=20s")
	push := start(t, "gnu\n", "PUSH", "-c"+ep, "-d,")
	push.exitsWith(0)
	wantLines(t, "pull", pull.lines(1), "gnu")
	pull.exitsWith(0) // after -n1
}

func TestTimeoutFlagWithEquals(t *testing.T) {
	t.Parallel()
	p := start(t, "", "pull", "-b", ipcEndpoint(t), "--timeout=200ms")
	p.exitsWith(3)
	if errs := p.stderrLines(); len(errs) != 1 || errs[0] != "zmqcat: timeout: no message within 200ms" {
		t.Fatalf("stderr %q, want the timeout of 200ms", errs)
	}
}

// Errors name a flag as it was typed.
func TestFlagErrorsAsTyped(t *testing.T) {
	t.Parallel()
	ep := ipcEndpoint(t)
	for _, tc := range []struct {
		args []string
		want string // the whole stderr line after "zmqcat: "
	}{
		{[]string{"pull", "-b", ep, "--bogus"}, "unknown flag: --bogus (zmqcat -h for help)"},
		{[]string{"pull", "-b", ep, "--bogus=1"}, "unknown flag: --bogus (zmqcat -h for help)"},
		{[]string{"pull", "-b", ep, "-x"}, `unknown shorthand flag: 'x' in -x (zmqcat -h for help)`},
		{[]string{"pull", "-b", ep, "--count=many"}, `bad --count "many": want a whole number`},
		{[]string{"pull", "-b", ep, "-nmany"}, `bad -n/--count "many": want a whole number`},
		{[]string{"pull", "-b", ep, "-count", "many"}, `bad -count "many": want a whole number`},
		{[]string{"pull", "-b", ep, "--timeout", "soon"}, `bad --timeout "soon": want a duration such as 500ms, 2s or 1m`},
		{[]string{"pull", "-b", ep, "--timeout"}, `--timeout needs a value (zmqcat -h for help)`},
		{[]string{"pull", "-b", ep, "-n"}, `-n/--count needs a value (zmqcat -h for help)`},
		{[]string{"pull", "-b", ep, "--engine=gopher"}, `bad --engine "gopher": want go or libzmq`},
		{[]string{"pull", "-b", ep, "-v=maybe"}, `bad -v/--verbose "maybe": want true or false, or no value`},
		{[]string{"pull", "-b", ep, "--format=xml"}, `bad --format "xml": want text or json`},
		{[]string{"pull", "-b", ep, "-o", "sndhwm"}, `bad -o/--option "sndhwm": want NAME=VALUE (zmqcat -h lists the names)`},
		{[]string{"pull", "-b", ep, "--option=sndhwm=ten"}, `bad --option "sndhwm=ten": want a whole number`},
		{[]string{"router", "-b", ep, "-o", "conflate=1"}, `bad -o/--option "conflate=1": conflate applies to push, pull, sub, dealer, not router`},
		{[]string{"push", "-c", ep, "-o", "linger=1.5ms"}, `bad -o/--option "linger=1.5ms": want whole milliseconds, or negative for no limit`},
	} {
		t.Run(strings.Join(tc.args[3:], " "), func(t *testing.T) {
			t.Parallel()
			p := start(t, "", tc.args...)
			p.exitsWith(2)
			if errs := p.stderrLines(); len(errs) != 1 || errs[0] != "zmqcat: "+tc.want {
				t.Fatalf("stderr %q, want %q", errs, "zmqcat: "+tc.want)
			}
		})
	}
}

func TestUnknownSocketOptionListsTheValidOnes(t *testing.T) {
	t.Parallel()
	p := start(t, "", "push", "-c", ipcEndpoint(t), "-o", "bogus=1")
	p.exitsWith(2)
	errs := p.stderrLines()
	if len(errs) != 1 || !strings.HasPrefix(errs[0], `zmqcat: bad -o/--option "bogus=1": unknown socket option "bogus"; valid: `) {
		t.Fatalf("stderr %q, want one line naming bogus", errs)
	}
	for name := range sockOpts {
		if !regexp.MustCompile(`[ ,]` + name + `(,|$)`).MatchString(errs[0]) {
			t.Errorf("stderr %q does not list %s", errs[0], name)
		}
	}
}

// -o sndhwm=10 reaches the socket: with immediate off, a push connecting
// to nobody queues 10 messages and waits with the 11th, where by default
// it would queue all 11.
func TestSocketOptionReachesTheSocket(t *testing.T) {
	t.Parallel()
	lines := strings.Repeat("m\n", 11)
	t.Run("sndhwm=10", func(t *testing.T) {
		t.Parallel()
		ep := ipcEndpoint(t)
		p := start(t, lines, "push", "-c", ep, "-o", "immediate=0", "-o", "SNDHWM=10", "--timeout=300ms", "--linger=0")
		p.exitsWith(3)
		want := "zmqcat: timeout: could not send within 300ms; 11 messages not delivered: no connection to " + ep
		if errs := p.stderrLines(); len(errs) != 1 || errs[0] != want {
			t.Fatalf("stderr %q, want %q", errs, want)
		}
	})
	t.Run("default", func(t *testing.T) {
		t.Parallel()
		ep := ipcEndpoint(t)
		p := start(t, lines, "push", "-c", ep, "-o", "immediate=0", "--timeout=300ms", "--linger=0")
		p.exitsWith(1)
		want := "zmqcat: 11 messages not delivered: no connection to " + ep
		if errs := p.stderrLines(); len(errs) != 1 || errs[0] != want {
			t.Fatalf("stderr %q, want %q", errs, want)
		}
	})
}

func TestCRLFInput(t *testing.T) {
	t.Parallel()
	ep := ipcEndpoint(t)
	pull := start(t, "", "pull", "-b", ep, "-n", "3", "--format", "json")
	push := startPiped(t, "push", "-c", ep)
	push.write("a\r\nb\tc\r\nmid\rdle\n")
	wantLines(t, "pull", pull.lines(3), `["a"]`, `["b","c"]`, `["mid\rdle"]`)
	pull.exitsWith(0)
	push.closeStdin()
	push.exitsWith(0)
}

// With --format json, stdin lines are messages as pull prints them, so
// any bytes go through and come back out the same.
func TestJSONInputRoundTrip(t *testing.T) {
	t.Parallel()
	lines := []string{
		`["plain",{"base64":"//4="}]`,
		`[{"base64":"AAEC/w=="}]`,
		`["<a&b>","é","tab\there","nl\nthere"]`,
		`["",""]`,
	}
	ep := ipcEndpoint(t)
	pull := start(t, "", "pull", "-b", ep, "-n", fmt.Sprint(len(lines)), "--format=json")
	push := startPiped(t, "push", "-c", ep, "--format=json")
	// The same messages written loosely: spaces, a CRLF.
	push.write(`[ "plain" , { "base64" : "//4=" } ]` + "\r\n")
	push.write(strings.Join(lines[1:], "\n") + "\n")
	wantLines(t, "pull", pull.lines(len(lines)), lines...)
	pull.exitsWith(0)
	push.closeStdin()
	push.exitsWith(0)
}

func TestJSONInputErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ line, want string }{
		{`"just a string"`, `want a JSON array of frames`},
		{`[]`, `the array is empty`},
		{`["a"] ["b"]`, `alone on its line; found "[\"b\"]" after it`},
		{`[1]`, `frame 1: want a string or {"base64": "..."}, got 1`},
		{`["a",{"hex":"00"}]`, `frame 2: want {"base64": "..."}, got {"hex":"00"}`},
		{`[{"base64":"!!"}]`, `frame 1: bad base64 "!!"`},
	} {
		if _, err := parseJSONFrames([]byte(tc.line)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.line, err, tc.want)
		}
	}
}

var versionLine = regexp.MustCompile(`^zmqcat \(github\.com/zmqx/zmq( \S+)?\) engine (\S+) \S+$`)

func TestVersion(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  []string
		args []string
		want string // the engine
	}{
		{[]string{"ZMQ_ENGINE="}, []string{"--version"}, defaultEngine()},
		{[]string{"ZMQ_ENGINE=libzmq"}, []string{"--version"}, "libzmq"},
		{[]string{"ZMQ_ENGINE=go"}, []string{"--version", "--engine", "libzmq"}, "libzmq"},
		{[]string{"ZMQ_ENGINE=libzmq"}, []string{"--version", "--engine=go"}, "go"},
		{[]string{"ZMQ_ENGINE=go"}, []string{"--version"}, "go"},
		{[]string{"ZMQ_ENGINE=libzmq"}, []string{"push", "--version", "--engine", "LIBZMQ"}, "libzmq"},
	} {
		t.Run(strings.Join(append(tc.env, tc.args...), " "), func(t *testing.T) {
			t.Parallel()
			p := startEnv(t, tc.env, "", tc.args...)
			code, out := p.wait()
			wantEngine(t, p, code, out, tc.want)
			if code == 0 {
				if m := versionLine.FindStringSubmatch(out[0]); m == nil || m[2] != tc.want {
					t.Fatalf("printed %q, want the version line of engine %s", out, tc.want)
				}
			}
		})
	}
}

// haveLibzmq reports whether this build has the libzmq engine (cgo); the
// zmqcat under test is built the same way.
func haveLibzmq() bool {
	major, _, _ := zmq.LibVersion()
	return major > 0
}

// defaultEngine is the engine zmqcat opens with no --engine and no
// ZMQ_ENGINE.
func defaultEngine() string { return "go" }

// wantEngine checks a run that was to open engine: exit 0 with one line
// printed, or, asked for libzmq in a build without it, exit 1 with the
// error that says why.
func wantEngine(t *testing.T, p *proc, code int, out []string, engine string) {
	t.Helper()
	errs := p.stderrLines()
	if engine == "libzmq" && !haveLibzmq() {
		if code != 1 || len(errs) != 1 || !strings.Contains(errs[0], "the libzmq engine needs cgo") {
			t.Fatalf("exit status %d, stderr %q; want 1 and an error saying the libzmq engine needs cgo", code, errs)
		}
		return
	}
	if code != 0 || len(out) != 1 || len(errs) != 0 {
		t.Fatalf("exit status %d, stdout %q, stderr %q; want one line printed", code, out, errs)
	}
}

// --engine reaches the factory, and wins over ZMQ_ENGINE.
func TestEngineFlag(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env    string
		flag   string
		engine string
	}{
		{"ZMQ_ENGINE=go", "--engine=libzmq", "libzmq"},
		{"ZMQ_ENGINE=libzmq", "--engine=go", "go"},
		{"ZMQ_ENGINE=go", "--engine=go", "go"},
	} {
		t.Run(tc.env+" "+tc.flag, func(t *testing.T) {
			t.Parallel()
			ep := ipcEndpoint(t)
			pull := startEnv(t, []string{tc.env}, "", "pull", "-b", ep, "-n", "1", tc.flag)
			push := startEnv(t, []string{tc.env}, "via "+tc.engine+"\n", "push", "-c", ep, tc.flag)
			pushCode, _ := push.wait()
			code, out := pull.wait()
			wantEngine(t, pull, code, out, tc.engine)
			if code == 0 {
				if out[0] != "via "+tc.engine || pushCode != 0 {
					t.Fatalf("pull printed %q, push exited %d; want the message, and 0", out, pushCode)
				}
			}
		})
	}
	t.Run("bad ZMQ_ENGINE", func(t *testing.T) {
		t.Parallel()
		p := startEnv(t, []string{"ZMQ_ENGINE=gopher"}, "", "pull", "-b", ipcEndpoint(t))
		p.exitsWith(2)
		if errs := p.stderrLines(); len(errs) != 1 || !strings.Contains(errs[0], `"gopher"`) {
			t.Fatalf("stderr %q, want one line naming gopher", errs)
		}
	})
	t.Run("bench", func(t *testing.T) {
		t.Parallel()
		p := start(t, "", "bench", "thr-recv", "--endpoint", ipcEndpoint(t), "--engine", "gopher")
		p.exitsWith(2)
		if errs := p.stderrLines(); len(errs) != 1 || errs[0] != `zmqcat: bad --engine "gopher": want go or libzmq` {
			t.Fatalf("stderr %q, want one line naming gopher", errs)
		}
	})
}

func TestHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}, {"push", "-c", "ipc://x", "-vh"}} {
		p := start(t, "", args...)
		code, out := p.wait()
		if code != 0 || strings.Join(out, "\n")+"\n" != usageText || len(p.stderrLines()) > 0 {
			t.Fatalf("%q: exit status %d, stderr %q; want the help on stdout and 0", args, code, p.stderrLines())
		}
	}
	// The help lists every -o name.
	for name := range sockOpts {
		if !regexp.MustCompile(`\s` + name + `\s`).MatchString(usageText) {
			t.Errorf("zmqcat -h does not list -o %s", name)
		}
	}
}
