package zmq_test

// The matrix's remote sides: sockets of another ZeroMQ implementation in a
// process of their own, driven over stdin with the protocol of
// testdata/interop/remote.py (pyzmq, that is libzmq 4.3.4; see
// interop_pyzmq_test.go) and testdata/interop/Remote.java (JeroMQ 0.3.6; see
// interop_jeromq_test.go).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zmqx/zmq"
)

// remoteHost is a running remote.py or Remote.java: one process for a
// whole matrix, whose cases open and close sockets in it in turn.
type remoteHost struct {
	name     string
	kinds    []string // the socket kinds it makes
	monitors bool     // whether its sockets report events ("event")
	cmd      *exec.Cmd
	stop     context.CancelFunc
	stdin    io.WriteCloser
	stderr   interopStderr
	lines    chan string // its answers; closed when it exits
	seq      int
	socks    int // sockets opened, for unique names
}

// startRemote starts argv as a remote host named name that makes sockets
// of the given kinds, with monitors if it can. It is stopped (stdin closed,
// then killed) when t ends.
func startRemote(t *testing.T, name string, kinds []string, monitors bool, argv ...string) *remoteHost {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.WaitDelay = 5 * time.Second
	h := &remoteHost{name: name, kinds: kinds, monitors: monitors, cmd: cmd, stop: stop, lines: make(chan string, 1)}
	cmd.Stderr = &h.stderr
	var err error
	if h.stdin, err = cmd.StdinPipe(); err != nil {
		stop()
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		stop()
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		stop()
		t.Fatalf("start %s: %v", name, err)
	}
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		defer close(h.lines)
		r := bufio.NewReader(stdout)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			h.lines <- strings.TrimRight(line, "\n")
		}
	}()
	t.Cleanup(func() {
		h.stdin.Close()
		// Drain what it still says, so that it is never blocked writing.
		go func() {
			for range h.lines {
			}
		}()
		select {
		case <-readDone:
		case <-time.After(10 * time.Second):
			t.Errorf("%s did not exit after stdin closed; killing it", name)
			stop()
		}
		if err := cmd.Wait(); err != nil && !t.Failed() {
			t.Errorf("%s: %v; stderr:\n%s", name, err, h.stderr.String())
		}
		stop()
	})
	return h
}

func (h *remoteHost) String() string         { return h.name }
func (h *remoteHost) hosts(kind string) bool { return slices.Contains(h.kinds, kind) }

// do sends one command and returns the words of its answer after "ok".
// An "err" answer, an exit, or the end of ctx fails t.
func (h *remoteHost) do(t *testing.T, ctx context.Context, verb, name string, args ...string) []string {
	t.Helper()
	h.seq++
	seq := strconv.Itoa(h.seq)
	line := strings.Join(append([]string{seq, verb, name}, args...), " ")
	if _, err := io.WriteString(h.stdin, line+"\n"); err != nil {
		t.Fatalf("%s: %s %s: %v; stderr:\n%s", h.name, verb, name, err, h.stderr.String())
	}
	for {
		select {
		case answer, ok := <-h.lines:
			if !ok {
				t.Fatalf("%s exited during %s %s; stderr:\n%s", h.name, verb, name, h.stderr.String())
			}
			words := strings.Fields(answer)
			if len(words) < 2 || words[0] != seq {
				continue // the late answer of a command given up on
			}
			if words[1] != "ok" {
				t.Fatalf("%s: %s %s: %s", h.name, verb, name, strings.Join(words[1:], " "))
			}
			return words[2:]
		case <-ctx.Done():
			t.Fatalf("%s: %s %s: no answer: %v; stderr so far:\n%s", h.name, verb, name, ctx.Err(), h.stderr.String())
		}
	}
}

func (h *remoteHost) open(t *testing.T, ctx context.Context, kind string, o mxOpts) mxEnd {
	t.Helper()
	h.socks++
	e := &remoteEnd{h: h, t: t, ctx: ctx, name: "s" + strconv.Itoa(h.socks), kind: kind}
	args := []string{kind}
	if o.id != "" {
		args = append(args, "id="+hex.EncodeToString([]byte(o.id)))
	}
	if o.mandatory {
		args = append(args, "mandatory=1")
	}
	if o.monitor && h.monitors {
		args = append(args, "monitor=1")
	}
	h.do(t, ctx, "new", e.name, args...)
	t.Cleanup(e.close)
	return e
}

// remoteEnd is a socket in a remote host.
type remoteEnd struct {
	h      *remoteHost
	t      *testing.T
	ctx    context.Context
	name   string
	kind   string
	closed bool
}

func (e *remoteEnd) String() string { return e.h.name + " " + e.kind }

func (e *remoteEnd) do(verb string, args ...string) []string {
	e.t.Helper()
	return e.h.do(e.t, e.ctx, verb, e.name, args...)
}

func (e *remoteEnd) bind(endpoint string) string {
	e.t.Helper()
	w := e.do("bind", endpoint)
	if len(w) != 1 {
		e.t.Fatalf("%s: bind answered %q", e, w)
	}
	return w[0]
}

func (e *remoteEnd) connect(endpoint string) { e.t.Helper(); e.do("connect", endpoint) }

func (e *remoteEnd) send(frames ...[]byte) {
	e.t.Helper()
	words := make([]string, len(frames))
	for i, f := range frames {
		words[i] = remoteFrameWord(f)
	}
	e.do("send", words...)
}

// remoteFrameWord writes a frame as the remote protocol does: hex, "-"
// when empty, "*N" when it is the first N bytes of mxBig, the pattern the
// hosts make themselves (so a 1 MiB frame is not 2 MiB of hex each way).
func remoteFrameWord(f []byte) string {
	switch {
	case len(f) == 0:
		return "-"
	case len(f) > 64 && len(f) <= len(mxBig) && bytes.Equal(f, mxBig[:len(f)]):
		return "*" + strconv.Itoa(len(f))
	}
	return hex.EncodeToString(f)
}

func (e *remoteEnd) recv() [][]byte {
	e.t.Helper()
	return e.frames(e.do("recv"))
}

func (e *remoteEnd) recvWithin(d time.Duration) ([][]byte, bool) {
	e.t.Helper()
	w := e.do("recv", strconv.FormatInt(max(d.Milliseconds(), 1), 10))
	if len(w) == 1 && w[0] == "none" {
		return nil, false
	}
	return e.frames(w), true
}

func (e *remoteEnd) frames(words []string) [][]byte {
	e.t.Helper()
	if len(words) == 0 {
		e.t.Fatalf("%s: received a message of no frames", e)
	}
	out := make([][]byte, len(words))
	for i, w := range words {
		if w == "-" {
			out[i] = []byte{}
			continue
		}
		if n, ok := strings.CutPrefix(w, "*"); ok {
			size, err := strconv.Atoi(n)
			if err != nil || size < 0 || size > len(mxBig) {
				e.t.Fatalf("%s: frame %d: bad pattern length %q", e, i, w)
			}
			out[i] = mxBig[:size:size]
			continue
		}
		f, err := hex.DecodeString(w)
		if err != nil {
			e.t.Fatalf("%s: frame %d: %v", e, i, err)
		}
		out[i] = f
	}
	return out
}

func (e *remoteEnd) subscribe(prefix string) {
	e.t.Helper()
	e.do("sub", hexOrDash(prefix))
}

func (e *remoteEnd) unsubscribe(prefix string) {
	e.t.Helper()
	e.do("unsub", hexOrDash(prefix))
}

func hexOrDash(s string) string {
	if s == "" {
		return "-"
	}
	return hex.EncodeToString([]byte(s))
}

// remoteEvents names our event types as remote.py's "event" does.
var remoteEvents = map[zmq.EventType]string{
	zmq.EventHandshakeSucceeded: "HANDSHAKE_SUCCEEDED",
	zmq.EventDisconnected:       "DISCONNECTED",
}

func (e *remoteEnd) await(ev zmq.EventType) {
	e.t.Helper()
	name, ok := remoteEvents[ev]
	if !ok || !e.h.monitors {
		e.t.Fatalf("%s cannot wait for %s", e, ev)
	}
	e.do("event", name)
}

func (e *remoteEnd) flood() { e.t.Helper(); e.do("flood") }

func (e *remoteEnd) stopFlood() int {
	e.t.Helper()
	w := e.do("stop")
	n, err := strconv.Atoi(strings.Join(w, ""))
	if err != nil {
		e.t.Fatalf("%s: stop answered %q", e, w)
	}
	return n
}

func (e *remoteEnd) close() {
	if e.closed {
		return
	}
	e.closed = true
	// At cleanup the test's ctx may be over: give the close its own.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e.h.do(e.t, ctx, "close", e.name)
}
