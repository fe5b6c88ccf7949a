// Package testpeer runs the peers that the module's tests talk to in
// another process: pyzmq and txZMQ under the system interpreter, and
// JeroMQ under Java. The
// root and auth packages' tests share it, so that a missing module skips
// their tests the same way, saying what to install.
package testpeer

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Python is the system interpreter, the one Debian's python3-zmq,
// python3-txzmq and python3-twisted are installed for; the python3 first
// on PATH may be another one, without them.
const Python = "/usr/bin/python3"

var imports struct {
	sync.Mutex
	checked map[string]error // module -> why it cannot be imported, or nil
}

// RequirePython skips t unless Python can import every module. Each
// module is tried once per test binary.
func RequirePython(t testing.TB, modules ...string) {
	t.Helper()
	imports.Lock()
	defer imports.Unlock()
	if imports.checked == nil {
		imports.checked = make(map[string]error)
	}
	for _, m := range modules {
		err, ok := imports.checked[m]
		if !ok {
			out, runErr := exec.Command(Python, "-c", "import "+m).CombinedOutput()
			if out = bytes.TrimSpace(out); runErr != nil && len(out) > 0 {
				err = fmt.Errorf("%v: %s", runErr, out)
			} else if runErr != nil {
				err = runErr
			}
			imports.checked[m] = err
		}
		if err != nil {
			t.Skipf("%s cannot import %s (install Debian's python3-zmq, python3-txzmq, python3-twisted): %v", Python, m, err)
		}
	}
}

// Run runs script (as python3 -c script args...) to completion and fails
// t, with the script's output, if it fails.
func Run(t testing.TB, script string, args ...string) {
	t.Helper()
	out, err := exec.Command(Python, append([]string{"-c", script}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
}

// Start starts script (as python3 -c script args...) and returns a scanner
// over its stdout, line by line. The process is killed once timeout has
// passed; when the test ends it is waited for, and its failure, with its
// stderr, fails the test unless the test failed already.
func Start(t testing.TB, timeout time.Duration, script string, args ...string) *bufio.Scanner {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	cmd := exec.CommandContext(ctx, Python, append([]string{"-c", script}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		err := cmd.Wait()
		cancel()
		if err != nil && !t.Failed() {
			t.Errorf("python: %v\n%s", err, stderr.String())
		}
	})
	return bufio.NewScanner(out)
}

// JeroMQJar is Debian's JeroMQ 0.3.6 (libjeromq-java), which speaks
// ZMTP/2.0.
const JeroMQJar = "/usr/share/java/jeromq-0.3.6.jar"

var jeromq struct {
	sync.Mutex
	classes map[string]string // a Java source -> the directory of its classes
}

// JeroMQ compiles the Java peer at src against JeroMQ (once per test
// binary) and returns the class path to run it with, or skips t when
// java, javac or JeroMQ is missing.
func JeroMQ(t testing.TB, src string) string {
	t.Helper()
	for _, tool := range []string{"java", "javac"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s on PATH (install Debian's default-jdk-headless): %v", tool, err)
		}
	}
	if _, err := os.Stat(JeroMQJar); err != nil {
		t.Skipf("no JeroMQ 0.3.6 (install Debian's libjeromq-java): %v", err)
	}
	jeromq.Lock()
	defer jeromq.Unlock()
	dir, ok := jeromq.classes[src]
	if !ok {
		var err error
		if dir, err = os.MkdirTemp("", "zmq-jeromq"); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("javac", "-cp", JeroMQJar, "-d", dir, src).CombinedOutput(); err != nil {
			t.Fatalf("javac %s: %v\n%s", src, err, out)
		}
		if jeromq.classes == nil {
			jeromq.classes = make(map[string]string)
		}
		jeromq.classes[src] = dir
	}
	return JeroMQJar + string(filepath.ListSeparator) + dir
}
