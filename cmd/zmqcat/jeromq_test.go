package main

import (
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// zmqcat against JeroMQ 0.3.6, a Java implementation that speaks
// ZMTP/2.0, hosted by the interop tests' testdata/interop/Remote.java.

const jeromqJar = "/usr/share/java/jeromq-0.3.6.jar"

var jeromqClasses = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "zmqcat-jeromq")
	if err != nil {
		return "", err
	}
	src := filepath.Join("..", "..", "testdata", "interop", "Remote.java")
	if out, err := exec.Command("javac", "-cp", jeromqJar, "-d", dir, src).CombinedOutput(); err != nil {
		return "", fmt.Errorf("javac %s: %v\n%s", src, err, out)
	}
	return dir, nil
})

// jeromqHost is a running Remote.java, driven one command at a time.
type jeromqHost struct {
	p   *proc
	seq int
}

func startJeroMQ(t *testing.T) *jeromqHost {
	t.Helper()
	for _, tool := range []string{"java", "javac"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s on PATH (install Debian's default-jdk-headless): %v", tool, err)
		}
	}
	if _, err := os.Stat(jeromqJar); err != nil {
		t.Skipf("no JeroMQ 0.3.6 (install Debian's libjeromq-java): %v", err)
	}
	dir, err := jeromqClasses()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("java", "-cp", jeromqJar+string(filepath.ListSeparator)+dir, "Remote")
	return &jeromqHost{p: launch(t, "JeroMQ host", cmd, true)}
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
