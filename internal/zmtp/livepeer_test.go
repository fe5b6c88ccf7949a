package zmtp

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Live peers: a pyzmq (libzmq 4.3.4) or JeroMQ 0.3.6 socket in a child
// process, driven line by line (testdata/peer.py and testdata/Peer.java
// speak the same commands).

const livePatience = 15 * time.Second

type livePeer struct {
	t     *testing.T
	stdin io.Writer
	lines chan string
}

// startPeer runs argv and waits for its first line ("port N" after a bind,
// "connected" after a connect). The process is killed when the test ends.
func startPeer(t *testing.T, argv ...string) (*livePeer, int) {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = &testWriter{t}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<22) // lines carry whole messages in hex
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	p := &livePeer{t: t, stdin: stdin, lines: lines}
	first := p.next()
	port := 0
	if rest, ok := strings.CutPrefix(first, "port "); ok {
		if port, err = strconv.Atoi(rest); err != nil {
			t.Fatalf("peer said %q", first)
		}
	} else if first != "connected" {
		t.Fatalf("peer said %q", first)
	}
	return p, port
}

// testWriter passes a child's stderr to the test log.
type testWriter struct{ t *testing.T }

func (w *testWriter) Write(b []byte) (int, error) {
	w.t.Logf("peer: %s", strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

func (p *livePeer) next() string {
	p.t.Helper()
	select {
	case l, ok := <-p.lines:
		if !ok {
			p.t.Fatal("peer exited")
		}
		return l
	case <-time.After(livePatience):
		p.t.Fatal("peer did not answer")
	}
	return ""
}

// send makes the peer send one message.
func (p *livePeer) send(parts ...string) {
	p.t.Helper()
	fmt.Fprintln(p.stdin, "send", hexParts(parts))
	if l := p.next(); l != "sent" {
		p.t.Fatalf("peer said %q to send", l)
	}
}

// recv makes the peer receive one message and returns its parts, hex
// encoded as hexParts encodes them, or "timeout".
func (p *livePeer) recv() string {
	p.t.Helper()
	fmt.Fprintln(p.stdin, "recv")
	l := p.next()
	if l == "timeout" {
		return l
	}
	rest, ok := strings.CutPrefix(l, "msg ")
	if !ok {
		p.t.Fatalf("peer said %q to recv", l)
	}
	return rest
}

// event returns the peer's next handshake event ("HANDSHAKE_SUCCEEDED 0",
// "HANDSHAKE_FAILED_AUTH 400"...) or "timeout"; the peer must have been
// started with monitor=1.
func (p *livePeer) event() string {
	p.t.Helper()
	fmt.Fprintln(p.stdin, "event")
	l := p.next()
	if l == "timeout" {
		return l
	}
	rest, ok := strings.CutPrefix(l, "event ")
	if !ok {
		p.t.Fatalf("peer said %q to event", l)
	}
	return rest
}

func hexParts(parts []string) string {
	hs := make([]string, len(parts))
	for i, p := range parts {
		hs[i] = "-"
		if p != "" {
			hs[i] = hex.EncodeToString([]byte(p))
		}
	}
	return strings.Join(hs, " ")
}

// pythonPeer starts testdata/peer.py under the system Python, which has
// pyzmq on libzmq 4.3.4.
func pythonPeer(t *testing.T, args ...string) (*livePeer, int) {
	t.Helper()
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import zmq").Run(); err != nil {
		t.Skipf("pyzmq is not available under %s: %v", python, err)
	}
	return startPeer(t, append([]string{python, "testdata/peer.py"}, args...)...)
}

const jeromqJar = "/usr/share/java/jeromq-0.3.6.jar"

// javaPeer compiles testdata/Peer.java against JeroMQ 0.3.6 and starts it.
func javaPeer(t *testing.T, args ...string) (*livePeer, int) {
	t.Helper()
	for _, tool := range []string{"java", "javac"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: the JeroMQ peer cannot run", tool)
		}
	}
	if _, err := os.Stat(jeromqJar); err != nil {
		t.Skipf("JeroMQ is not installed: %v", err)
	}
	dir := t.TempDir()
	if out, err := exec.Command("javac", "-cp", jeromqJar, "-d", dir, "testdata/Peer.java").CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	return startPeer(t, append([]string{"java", "-cp", jeromqJar + string(filepath.ListSeparator) + dir, "Peer"}, args...)...)
}

// dialPeer connects to a peer that bound port.
func dialPeer(t *testing.T, port int) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(livePatience))
	t.Cleanup(func() { c.Close() })
	return c
}

// listen opens a port for a peer to connect to; accept takes the connection.
func listen(t *testing.T) (net.Listener, int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln, ln.Addr().(*net.TCPAddr).Port
}

func accept(t *testing.T, ln net.Listener) net.Conn {
	t.Helper()
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(livePatience))
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(livePatience))
	t.Cleanup(func() { c.Close() })
	return c
}

func mustHandshake(t *testing.T, c net.Conn, cfg *Config) *Session {
	t.Helper()
	s, err := Handshake(c, cfg)
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	return s
}

// sendMsg writes one message in one write.
func sendMsg(t *testing.T, c net.Conn, s *Session, parts ...string) {
	t.Helper()
	bs := make([][]byte, len(parts))
	for i, p := range parts {
		bs[i] = []byte(p)
	}
	out, err := s.Encoder.AppendMessage(nil, bs...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(out); err != nil {
		t.Fatal(err)
	}
}

// recvMsg reads the next message, hex encoded as the peers print theirs,
// answering and skipping the commands in between.
func recvMsg(t *testing.T, c net.Conn, s *Session) string {
	t.Helper()
	var parts []string
	for {
		f, err := s.Decoder.Next()
		if err != nil {
			t.Fatalf("receiving: %v", err)
		}
		if f.Command {
			answerPing(t, c, s, f)
			continue
		}
		parts = append(parts, string(f.Body))
		if !f.More {
			return hexParts(parts)
		}
	}
}

func answerPing(t *testing.T, c net.Conn, s *Session, f Frame) {
	t.Helper()
	cmd, err := ParseCommand(f.Body)
	if err != nil || cmd.Name != CmdPing {
		return
	}
	_, ctx, err := ParsePing(cmd.Data)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := s.Encoder.AppendPong(nil, ctx)
	if _, err := c.Write(out); err != nil {
		t.Fatal(err)
	}
}

// nextCommand reads frames until a command arrives and returns it.
func nextCommand(t *testing.T, s *Session) (Command, Frame) {
	t.Helper()
	for {
		f, err := s.Decoder.Next()
		if err != nil {
			t.Fatalf("receiving: %v", err)
		}
		if f.Command {
			c, err := ParseCommand(f.Body)
			if err != nil {
				t.Fatal(err)
			}
			return c, f
		}
	}
}
