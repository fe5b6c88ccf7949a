package main

import (
	"encoding/hex"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zmqx/zmq/internal/testpeer"
)

// zmqcat against JeroMQ 0.3.6, a Java implementation that speaks
// ZMTP/2.0, hosted by the interop tests' testdata/interop/Remote.java.

// jeromqHost is a running Remote.java, driven one command at a time.
type jeromqHost struct {
	p   *proc
	seq int
}

func startJeroMQ(t *testing.T) *jeromqHost {
	t.Helper()
	cp := testpeer.JeroMQ(t, filepath.Join("..", "..", "testdata", "interop", "Remote.java"))
	return &jeromqHost{p: launch(t, "JeroMQ host", exec.Command("java", "-cp", cp, "Remote"), true)}
}

// do runs one command ("VERB NAME ARG...") and returns the words of its
// "ok" answer.
func (h *jeromqHost) do(cmd string) []string {
	h.p.t.Helper()
	h.seq++
	h.p.write(fmt.Sprintf("%d %s\n", h.seq, cmd))
	words := strings.Fields(h.p.line())
	if len(words) < 2 || words[0] != fmt.Sprint(h.seq) || words[1] != "ok" {
		h.p.t.Fatalf("JeroMQ host: %q answered %q", cmd, words)
	}
	return words[2:]
}

func hexFrames(frames ...string) string {
	out := make([]string, len(frames))
	for i, f := range frames {
		out[i] = hex.EncodeToString([]byte(f))
	}
	return strings.Join(out, " ")
}

// zmqcat push delivers to a JeroMQ PULL, and zmqcat pull prints what a
// JeroMQ PUSH sends, frames split on the delimiter, over ZMTP/2.0.
func TestJeroMQPushPull(t *testing.T) {
	t.Parallel()
	h := startJeroMQ(t)

	h.do("new in PULL")
	ep := h.do("bind in tcp://127.0.0.1:*")[0]
	push := start(t, "hello\tjava\nsecond\n", "push", "-c", ep)
	push.exitsWith(0)
	for _, want := range [][]string{{"hello", "java"}, {"second"}} {
		if got := strings.Join(h.do("recv in"), " "); got != hexFrames(want...) {
			t.Fatalf("JeroMQ PULL received %q, want %q", got, hexFrames(want...))
		}
	}

	h.do("new out PUSH")
	ep = h.do("bind out tcp://127.0.0.1:*")[0]
	pull := start(t, "", "pull", "-c", ep, "-n", "2")
	h.do("send out " + hexFrames("from", "jeromq"))
	h.do("send out " + hexFrames("again"))
	wantLines(t, "pull", pull.lines(2), "from\tjeromq", "again")
	pull.exitsWith(0)
	h.p.closeStdin()
}
