package zmq_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestExamplesSmoke builds every program in examples/ (with the race
// detector when the tests have it) and runs each one briefly, the way a
// user would, checking its exit status and its output. No run depends on a
// fixed port: the one-process modes bind ephemeral ports, the
// two-process run meets on an ipc path in a temp dir.
func TestExamplesSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: builds and runs the example programs")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH, so the examples cannot be built")
	}
	bin := t.TempDir()
	args := []string{"build", "-o", bin + string(filepath.Separator)}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command(goTool, append(args, "./examples/...")...)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go %s ./examples/...: %v\n%s", strings.Join(args, " "), err, out)
	}
	prog := func(name string) string { return filepath.Join(bin, name) }

	// One-process runs: each must exit 0 by itself and print every line.
	for _, tc := range []struct {
		name string
		args []string
		want map[string]int // line prefix -> how many lines start with it
	}{
		{"pubsub", []string{"--count", "3", "--interval", "50ms"},
			map[string]int{"subscriber: bound tcp://127.0.0.1:": 1, `published: tag="" body=`: 3, `received: tag="" body=`: 3}},
		{"pubsub", []string{"--method", "bind", "--count", "3", "--interval", "50ms"},
			map[string]int{"publisher: bound tcp://127.0.0.1:": 1, `published: tag="" body=`: 3, `received: tag="" body=`: 3}},
		{"pushpull", []string{"--count", "3", "--interval", "50ms"},
			map[string]int{"puller: bound tcp://127.0.0.1:": 1, "pushed: [": 3, "pulled: [": 3}},
		{"pushpull", []string{"--method", "bind", "--count", "3", "--interval", "50ms"},
			map[string]int{"pusher: bound tcp://127.0.0.1:": 1, "pushed: [": 3, "pulled: [": 3}},
		{"reqrep", []string{"--count", "3", "--interval", "50ms"},
			map[string]int{"replier: bound tcp://127.0.0.1:": 1, "request: ": 3, "replier: request ": 3, "reply: [": 3, "timeout:": 0}},
		{"reqrep", []string{"--method", "bind", "--count", "3", "--interval", "50ms"},
			map[string]int{"requester: bound tcp://127.0.0.1:": 1, "reply: [": 3, "timeout:": 0}},
		// With no replier, every request times out; that is not an error.
		{"reqrep", []string{"--mode", "req", "--method", "bind", "--endpoint", "tcp://127.0.0.1:*",
			"--count", "2", "--interval", "10ms", "--timeout", "50ms"},
			map[string]int{"timeout: no reply within 50ms": 2, "reply:": 0}},
		{"workerpool", []string{"--workers", "3", "--requests", "8", "--work", "10ms"},
			map[string]int{"reply: job ": 8, "done: 8 replies; proxy and 3 workers stopped": 1, "worker error:": 0}},
	} {
		t.Run(tc.name+" "+strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := runProgram(t, prog(tc.name), tc.args...)
			if code != 0 {
				t.Fatalf("exit status %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			for prefix, n := range tc.want {
				if got := countPrefix(stdout, prefix); got != n {
					t.Errorf("%d lines start with %q, want %d\nstdout:\n%s", got, prefix, n, stdout)
				}
			}
		})
	}

	// Bad command lines exit 2; -h exits 0.
	badArgs := [][]string{{"--no-such-flag"}, {"extra-argument"}, {"--mode", "nope"}, {"--count", "-1"}, {"--interval", "0s"}}
	for name, bad := range map[string][][]string{
		"pubsub":     badArgs,
		"pushpull":   badArgs,
		"reqrep":     append(badArgs, []string{"--timeout", "0s"}),
		"workerpool": {{"--no-such-flag"}, {"extra-argument"}, {"--workers", "0"}, {"--requests", "0"}},
	} {
		t.Run(name+" usage", func(t *testing.T) {
			t.Parallel()
			for _, args := range bad {
				if _, stderr, code := runProgram(t, prog(name), args...); code != 2 {
					t.Errorf("%s %s: exit status %d, want 2\nstderr:\n%s", name, strings.Join(args, " "), code, stderr)
				}
			}
			if stdout, _, code := runProgram(t, prog(name), "-h"); code != 0 || !strings.Contains(stdout, "Usage of "+name) {
				t.Errorf("%s -h: exit status %d, want 0 and the usage on stdout\nstdout:\n%s", name, code, stdout)
			}
		})
	}
	for _, name := range []string{"pubsub", "pushpull", "reqrep"} {
		t.Run(name+" connect to a wildcard", func(t *testing.T) {
			t.Parallel()
			_, stderr, code := runProgram(t, prog(name), "--endpoint", "tcp://127.0.0.1:*", "--mode", map[string]string{
				"pubsub": "publisher", "pushpull": "push", "reqrep": "req"}[name])
			if code != 2 || !strings.Contains(stderr, "invalid endpoint") {
				t.Errorf("exit status %d, want 2 and an invalid endpoint error\nstderr:\n%s", code, stderr)
			}
		})
	}

	// The two sides of pubsub as separate processes, as in txZMQ's README:
	// the subscriber binds and exits after three messages; the publisher
	// connects, publishes until interrupted, and exits 0 on SIGINT.
	t.Run("pubsub two processes", func(t *testing.T) {
		t.Parallel()
		ep := "ipc://" + filepath.Join(t.TempDir(), "pubsub")
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		sub := exec.CommandContext(ctx, prog("pubsub"), "--mode", "subscriber", "--method", "bind", "--endpoint", ep, "--count", "3")
		var subOut, subErr bytes.Buffer
		sub.Stdout, sub.Stderr = &subOut, &subErr
		if err := sub.Start(); err != nil {
			t.Fatal(err)
		}
		pub := exec.CommandContext(ctx, prog("pubsub"), "--mode", "publisher", "--method", "connect", "--endpoint", ep, "--interval", "20ms")
		var pubOut, pubErr bytes.Buffer
		pub.Stdout, pub.Stderr = &pubOut, &pubErr
		if err := pub.Start(); err != nil {
			t.Fatal(err)
		}
		subWait := sub.Wait()
		if err := pub.Process.Signal(os.Interrupt); err != nil {
			t.Error(err)
		}
		pubWait := pub.Wait()
		if subWait != nil {
			t.Errorf("subscriber: %v\nstdout:\n%s\nstderr:\n%s", subWait, &subOut, &subErr)
		}
		if pubWait != nil {
			t.Errorf("publisher after SIGINT: %v\nstdout:\n%s\nstderr:\n%s", pubWait, &pubOut, &pubErr)
		}
		if got := countPrefix(subOut.String(), "received: "); got != 3 {
			t.Errorf("subscriber received %d messages, want 3\nstdout:\n%s", got, &subOut)
		}
	})

	// A bound pusher with nobody pulling skips its messages (TrySend fails
	// with EAGAIN) and keeps going until interrupted.
	t.Run("pushpull without consumers", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, prog("pushpull"), "--mode", "push", "--method", "bind", "--endpoint", "tcp://127.0.0.1:*", "--interval", "10ms")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(stdout)
		skipped := 0
		for skipped < 2 && lines.Scan() {
			if lines.Text() == "Skipping, no pull consumers..." {
				skipped++
			}
		}
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			t.Error(err)
		}
		for lines.Scan() {
		}
		if err := cmd.Wait(); err != nil {
			t.Errorf("after SIGINT: %v\nstderr:\n%s", err, &stderr)
		}
		if skipped < 2 {
			t.Errorf("saw %d skip lines, want 2", skipped)
		}
	})
}

// runProgram runs path with args and returns its output and exit status.
func runProgram(t *testing.T, path string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatalf("%s: %v", path, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("%s %s: still running after a minute\nstdout:\n%s", filepath.Base(path), strings.Join(args, " "), &out)
	}
	return out.String(), errOut.String(), code
}

// countPrefix counts the lines of s that start with prefix.
func countPrefix(s, prefix string) int {
	n := 0
	for line := range strings.Lines(s) {
		if strings.HasPrefix(line, prefix) {
			n++
		}
	}
	return n
}
