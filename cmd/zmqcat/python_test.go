package main

import (
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/zmqx/zmq/internal/testpeer"
)

// zmqcat against pyzmq peers. They run with the system interpreter: the
// python3 first on PATH may be another one, without pyzmq.
const systemPython = testpeer.Python

var pyzmqCheck = sync.OnceValue(func() string {
	out, err := exec.Command(systemPython, "-c", "import zmq").CombinedOutput()
	if err != nil {
		return systemPython + ` cannot import zmq (install python3-zmq): ` + strings.TrimSpace(string(out))
	}
	return ""
})

// pyPrelude opens every peer script: a context, and out() to print one
// line at once. startPython ends every script by closing the context.
const pyPrelude = `
import sys, zmq
ctx = zmq.Context()
def out(*a):
    print(*a, flush=True)
`

// startPython runs a pyzmq script with args in sys.argv[1:].
func startPython(t *testing.T, script string, args ...string) *proc {
	t.Helper()
	if why := pyzmqCheck(); why != "" {
		t.Skip(why)
	}
	// Without an explicit term, pyzmq may exit before the I/O thread has
	// sent what is queued.
	script = pyPrelude + script + "ctx.destroy(linger=10000)\n"
	cmd := exec.Command(systemPython, append([]string{"-c", script}, args...)...)
	return launch(t, "python", cmd, false)
}

func TestPython(t *testing.T) {
	t.Parallel()
	if why := pyzmqCheck(); why != "" {
		t.Skip(why)
	}
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"pull from python push", func(t *testing.T) {
			py := startPython(t, `
s = ctx.socket(zmq.PUSH)
out("tcp://127.0.0.1:%d" % s.bind_to_random_port("tcp://127.0.0.1"))
s.send_multipart([b"a", b"b"])
s.send(b"c")
s.send_multipart([b"", b"d", b""])
`)
			pull := start(t, "", "pull", "-c", py.line(), "-n", "3", "-d", "|")
			wantLines(t, "pull", pull.lines(3), "a|b", "c", "|d|")
			pull.exitsWith(0)
			py.exitsWith(0)
		}},
		{"push to python pull", func(t *testing.T) {
			py := startPython(t, `
s = ctx.socket(zmq.PULL)
out("tcp://127.0.0.1:%d" % s.bind_to_random_port("tcp://127.0.0.1"))
for _ in range(2):
    out(s.recv_multipart())
`)
			push := start(t, "x,y\nz\n", "push", "-c", py.line(), "-d", ",")
			push.exitsWith(0)
			wantLines(t, "python", py.lines(2), "[b'x', b'y']", "[b'z']")
			py.exitsWith(0)
		}},
		{"req to python rep", func(t *testing.T) {
			py := startPython(t, `
s = ctx.socket(zmq.REP)
out("tcp://127.0.0.1:%d" % s.bind_to_random_port("tcp://127.0.0.1"))
for _ in range(2):
    m = s.recv_multipart()
    s.send_multipart([b"re:" + m[0]] + m[1:])
`)
			req := start(t, "q1\nq2\tx\n", "req", "-c", py.line())
			wantLines(t, "req", req.lines(2), "re:q1", "re:q2\tx")
			req.exitsWith(0)
			py.exitsWith(0)
		}},
		{"python req to rep", func(t *testing.T) {
			ep := ipcEndpoint(t)
			rep := start(t, "", "rep", "-b", ep, "-n", "1")
			py := startPython(t, `
s = ctx.socket(zmq.REQ)
s.connect(sys.argv[1])
s.send_multipart([b"hi", b"there"])
out(s.recv_multipart())
`, ep)
			wantLines(t, "python", py.lines(1), "[b'hi', b'there']")
			py.exitsWith(0)
			wantLines(t, "rep", rep.lines(1), "hi\tthere")
			rep.exitsWith(0)
		}},
		{"sub to python txZMQ-style publisher", func(t *testing.T) {
			// An XPUB, so that the publisher can wait for zmqcat's
			// subscription. Topic frames are txZMQ's topic, NUL, body.
			py := startPython(t, `
s = ctx.socket(zmq.XPUB)
out("tcp://127.0.0.1:%d" % s.bind_to_random_port("tcp://127.0.0.1"))
out(s.recv())
s.send(b"other\x00x")
s.send(b"topic\x00body")
`)
			sub := start(t, "", "sub", "-c", py.line(), "--subscribe", "topic", "-n", "1")
			wantLines(t, "python", py.lines(1), `b'\x01topic'`)
			wantLines(t, "sub", sub.lines(1), "topic\x00body")
			sub.exitsWith(0)
			py.exitsWith(0)
		}},
		{"pub to python sub", func(t *testing.T) {
			py := startPython(t, `
s = ctx.socket(zmq.SUB)
s.setsockopt(zmq.SUBSCRIBE, b"")
out("tcp://127.0.0.1:%d" % s.bind_to_random_port("tcp://127.0.0.1"))
for _ in range(2):
    out(s.recv_multipart())
`)
			// pub waits for the subscription, which comes once connected.
			pub := start(t, "m1\nm2\tx\n", "pub", "-c", py.line())
			pub.exitsWith(0)
			wantLines(t, "python", py.lines(2), "[b'm1']", "[b'm2', b'x']")
			py.exitsWith(0)
		}},
		{"dealer to python router", func(t *testing.T) {
			py := startPython(t, `
s = ctx.socket(zmq.ROUTER)
out("tcp://127.0.0.1:%d" % s.bind_to_random_port("tcp://127.0.0.1"))
m = s.recv_multipart()
out(m)
s.send_multipart([m[0]] + m[:0:-1])
`)
			dealer := start(t, "a\tb\n", "dealer", "-c", py.line(), "--identity", "me", "-n", "1")
			wantLines(t, "python", py.lines(1), "[b'me', b'a', b'b']")
			wantLines(t, "dealer", dealer.lines(1), "b\ta")
			dealer.exitsWith(0)
			py.exitsWith(0)
		}},
		{"router to python dealer", func(t *testing.T) {
			ep := ipcEndpoint(t)
			router := startPiped(t, "router", "-b", ep)
			py := startPython(t, `
s = ctx.socket(zmq.DEALER)
s.setsockopt(zmq.IDENTITY, b"py")
s.connect(sys.argv[1])
s.send(b"hello")
out(s.recv_multipart())
`, ep)
			wantLines(t, "router", router.lines(1), "py\thello")
			router.write("py\tworld\tagain\n")
			router.closeStdin()
			router.exitsWith(0)
			wantLines(t, "python", py.lines(1), "[b'world', b'again']")
			py.exitsWith(0)
		}},
		{"router replies to a python dealer's binary routing id", func(t *testing.T) {
			// The id is not UTF-8: json prints it as base64, and a line
			// that starts with the same element goes back to that peer.
			ep := ipcEndpoint(t)
			router := startPiped(t, "router", "-b", ep, "--format", "json")
			py := startPython(t, `
s = ctx.socket(zmq.DEALER)
s.setsockopt(zmq.IDENTITY, b"\xff\x00id")
s.connect(sys.argv[1])
s.send_multipart([b"hello", b"\x80"])
out(s.recv_multipart())
`, ep)
			wantLines(t, "router", router.lines(1), `[{"base64":"/wBpZA=="},"hello",{"base64":"gA=="}]`)
			router.write(`[{"base64":"/wBpZA=="},"world",{"base64":"AP8="}]` + "\n")
			router.closeStdin()
			router.exitsWith(0)
			wantLines(t, "python", py.lines(1), `[b'world', b'\x00\xff']`)
			py.exitsWith(0)
		}},
		{"pair with python", func(t *testing.T) {
			py := startPython(t, `
s = ctx.socket(zmq.PAIR)
out("tcp://127.0.0.1:%d" % s.bind_to_random_port("tcp://127.0.0.1"))
s.send(s.recv().upper())
`)
			pair := start(t, "ping\n", "pair", "-c", py.line(), "-n", "1")
			wantLines(t, "pair", pair.lines(1), "PING")
			pair.exitsWith(0)
			py.exitsWith(0)
		}},
		{"json of binary frames from python", func(t *testing.T) {
			py := startPython(t, `
s = ctx.socket(zmq.PUSH)
out("tcp://127.0.0.1:%d" % s.bind_to_random_port("tcp://127.0.0.1"))
s.send_multipart([b"ok", b"\x00\xff\x80", "é".encode(), b""])
`)
			pull := start(t, "", "pull", "-c", py.line(), "-n", "1", "--format", "json")
			wantLines(t, "pull", pull.lines(1), `["ok",{"base64":"AP+A"},"é",""]`)
			pull.exitsWith(0)
			py.exitsWith(0)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t)
		})
	}
}
