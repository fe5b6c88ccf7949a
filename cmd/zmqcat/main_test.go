package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// zmqcatBin is the binary under test, built once by TestMain (with -race
// when the tests run with it).
var zmqcatBin string

// waitLimit bounds every wait for a line or an exit; a test that hits it
// has hung.
const waitLimit = 20 * time.Second

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "zmqcat-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	zmqcatBin = filepath.Join(dir, "zmqcat")
	args := []string{"build", "-o", zmqcatBin}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, ".")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building zmqcat:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// ipcEndpoint returns an ipc endpoint in a fresh directory of the test.
func ipcEndpoint(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s")
	if len(path) > 100 {
		t.Fatalf("ipc path %s is too long for a unix socket", path)
	}
	return "ipc://" + path
}

// proc is a running program whose output the test reads line by line.
type proc struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser // nil unless started with startPiped
	out    chan string    // stdout lines, closed at end of output
	errs   chan string    // stderr lines, closed at end of output
	exited chan struct{}  // closed once the program has exited

	mu      sync.Mutex
	stderr  []string
	waitErr error
}

// start runs zmqcat with args and the given stdin, read to its end.
func start(t *testing.T, stdin string, args ...string) *proc {
	t.Helper()
	cmd := zmqcatCmd(args...)
	cmd.Stdin = strings.NewReader(stdin)
	return launch(t, "zmqcat "+args[0], cmd, false)
}

// startEnv is start with more environment variables (NAME=VALUE), which
// override the test's own.
func startEnv(t *testing.T, env []string, stdin string, args ...string) *proc {
	t.Helper()
	cmd := zmqcatCmd(args...)
	cmd.Env = append(cmd.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	return launch(t, "zmqcat "+args[0], cmd, false)
}

// zmqcatCmd returns the command for zmqcat with args. A race-enabled
// binary would pause for a second at exit; a race it finds still makes it
// exit with status 66.
func zmqcatCmd(args ...string) *exec.Cmd {
	cmd := exec.Command(zmqcatBin, args...)
	if raceEnabled {
		cmd.Env = append(os.Environ(), "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	}
	return cmd
}

// startPiped runs zmqcat with args and a stdin the test writes to.
func startPiped(t *testing.T, args ...string) *proc {
	t.Helper()
	return launch(t, "zmqcat "+args[0], zmqcatCmd(args...), true)
}

func launch(t *testing.T, name string, cmd *exec.Cmd, piped bool) *proc {
	t.Helper()
	p := &proc{
		t: t, name: name, cmd: cmd,
		out: make(chan string, 1024), errs: make(chan string, 1024),
		exited: make(chan struct{}),
	}
	var err error
	if piped {
		if p.stdin, err = cmd.StdinPipe(); err != nil {
			t.Fatal(err)
		}
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var readers sync.WaitGroup
	readers.Go(func() { readLinesInto(stdout, p.out, nil) })
	readers.Go(func() { readLinesInto(stderr, p.errs, p) })
	go func() {
		readers.Wait() // Wait closes the pipes: read them to the end first
		err := cmd.Wait()
		p.mu.Lock()
		p.waitErr = err
		p.mu.Unlock()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

func readLinesInto(r io.Reader, ch chan<- string, keep *proc) {
	defer close(ch)
	br := bufio.NewReader(r)
	for {
		s, err := br.ReadString('\n')
		if s != "" {
			s = strings.TrimSuffix(s, "\n")
			if keep != nil {
				keep.mu.Lock()
				keep.stderr = append(keep.stderr, s)
				keep.mu.Unlock()
			}
			ch <- s
		}
		if err != nil {
			return
		}
	}
}

// stderrLines returns what the program wrote on stderr so far.
func (p *proc) stderrLines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.stderr...)
}

// line returns the program's next line of stdout.
func (p *proc) line() string {
	p.t.Helper()
	select {
	case s, ok := <-p.out:
		if !ok {
			<-p.exited
			p.t.Fatalf("%s: stdout ended early (%v); stderr: %q", p.name, p.waitErr, p.stderrLines())
		}
		return s
	case <-time.After(waitLimit):
		p.t.Fatalf("%s: no line on stdout within %v; stderr: %q", p.name, waitLimit, p.stderrLines())
	}
	return ""
}

// lines returns the next n lines of stdout.
func (p *proc) lines(n int) []string {
	p.t.Helper()
	out := make([]string, n)
	for i := range out {
		out[i] = p.line()
	}
	return out
}

// errLine returns the program's next line of stderr.
func (p *proc) errLine() string {
	p.t.Helper()
	select {
	case s, ok := <-p.errs:
		if !ok {
			p.t.Fatalf("%s: stderr ended early", p.name)
		}
		return s
	case <-time.After(waitLimit):
		p.t.Fatalf("%s: no line on stderr within %v", p.name, waitLimit)
	}
	return ""
}

// write writes s to the program's stdin.
func (p *proc) write(s string) {
	p.t.Helper()
	if _, err := io.WriteString(p.stdin, s); err != nil {
		p.t.Fatalf("%s: writing stdin: %v", p.name, err)
	}
}

func (p *proc) closeStdin() {
	p.t.Helper()
	if err := p.stdin.Close(); err != nil {
		p.t.Fatalf("%s: closing stdin: %v", p.name, err)
	}
}

func (p *proc) signal(sig os.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("%s: %v", p.name, err)
	}
}

// wait waits for the program to exit and returns its exit status and the
// stdout lines not read yet.
func (p *proc) wait() (code int, rest []string) {
	p.t.Helper()
	// Keep reading stdout meanwhile: a program blocked writing to a full
	// pipe would never exit.
	limit := time.After(waitLimit)
	for out := p.out; out != nil; {
		select {
		case s, ok := <-out:
			if !ok {
				out = nil
				break
			}
			rest = append(rest, s)
		case <-limit:
			p.cmd.Process.Kill()
			<-p.exited
			p.t.Fatalf("%s: still running after %v; killed. stderr: %q", p.name, waitLimit, p.stderrLines())
		}
	}
	<-p.exited
	var ee *exec.ExitError
	switch {
	case p.waitErr == nil:
		return 0, rest
	case errors.As(p.waitErr, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			p.t.Fatalf("%s: killed by %v; stderr: %q", p.name, ws.Signal(), p.stderrLines())
		}
		return ee.ExitCode(), rest
	}
	p.t.Fatalf("%s: %v", p.name, p.waitErr)
	return -1, nil
}

// exitsWith waits for the program to exit with status want and no further
// output on stdout.
func (p *proc) exitsWith(want int) {
	p.t.Helper()
	code, rest := p.wait()
	if code != want {
		p.t.Fatalf("%s: exit status %d, want %d; stderr: %q", p.name, code, want, p.stderrLines())
	}
	if len(rest) > 0 {
		p.t.Fatalf("%s: unexpected output %q", p.name, rest)
	}
}

func wantLines(t *testing.T, who string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s printed %q, want %q", who, got, want)
	}
}
