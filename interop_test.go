package zmq_test

// Interoperability with Python peers: plain libzmq sockets through pyzmq,
// and txZMQ connections running under the Twisted reactor. Each test
// starts testdata/interop/peer.py with a role, passes endpoints on the
// command line and reads the peer's findings from its stdout (see the
// script's docstring for the roles and their line protocol).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/internal/testpeer"
)

// interopTimeout bounds one interop test; the peer's own watchdog (30 s)
// is longer, so a stuck exchange is reported by the Go side first.
const interopTimeout = 25 * time.Second

// interopStderr collects a peer's stderr; it may be read while the peer runs.
type interopStderr struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *interopStderr) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *interopStderr) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// pyPeer is a running peer.py process.
type pyPeer struct {
	t        *testing.T
	name     string
	cmd      *exec.Cmd
	kill     context.CancelFunc
	stdin    io.WriteCloser
	stdinMu  sync.Mutex
	stdinEnd bool
	stderr   interopStderr
	lines    chan string   // stdout, line by line; closed at EOF
	quit     chan struct{} // closed when nobody reads lines any more
	readDone chan struct{} // closed when stdout reached EOF
	waitOnce sync.Once
	waitErr  error
}

// startPyPeer starts peer.py ROLE ENDPOINT ARGS... The process is stopped
// (stdin closed, then killed if it does not exit) and waited for when the
// test ends.
func startPyPeer(t *testing.T, role, endpoint string, args ...string) *pyPeer {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("testdata", "interop", "peer.py"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, kill := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, testpeer.Python, append([]string{script, role, endpoint}, args...)...)
	cmd.WaitDelay = 5 * time.Second
	p := &pyPeer{
		t:        t,
		name:     strings.Join(append([]string{role}, args...), " "),
		cmd:      cmd,
		kill:     kill,
		lines:    make(chan string),
		quit:     make(chan struct{}),
		readDone: make(chan struct{}),
	}
	cmd.Stderr = &p.stderr
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		kill()
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		kill()
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		kill()
		t.Fatalf("start peer %s: %v", p.name, err)
	}
	go p.read(stdout)
	t.Cleanup(p.stop)
	return p
}

func (p *pyPeer) read(r io.Reader) {
	defer close(p.readDone)
	defer close(p.lines)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		select {
		case p.lines <- sc.Text():
		case <-p.quit:
		}
	}
	// Keep draining so that the peer never blocks on a full pipe.
	io.Copy(io.Discard, r)
}

// stop ends the peer: EOF on stdin asks it to exit; if it has not after a
// while it is killed. Then the process is waited for.
func (p *pyPeer) stop() {
	p.closeStdin()
	close(p.quit)
	select {
	case <-p.readDone:
	case <-time.After(10 * time.Second):
		p.t.Errorf("peer %s did not exit after stdin closed; killing it", p.name)
		p.kill()
	}
	err := p.wait()
	p.kill()
	if p.t.Failed() {
		p.t.Logf("peer %s exited: %v; stderr:\n%s", p.name, err, p.stderr.String())
	}
}

// wait waits for the process to exit (stdout at EOF first, as exec wants).
func (p *pyPeer) wait() error {
	p.waitOnce.Do(func() {
		<-p.readDone
		p.waitErr = p.cmd.Wait()
	})
	return p.waitErr
}

func (p *pyPeer) closeStdin() {
	p.stdinMu.Lock()
	defer p.stdinMu.Unlock()
	if !p.stdinEnd {
		p.stdinEnd = true
		p.stdin.Close()
	}
}

// send writes one line to the peer's stdin.
func (p *pyPeer) send(line string) {
	p.t.Helper()
	p.stdinMu.Lock()
	defer p.stdinMu.Unlock()
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		p.t.Fatalf("peer %s: write %q: %v", p.name, line, err)
	}
}

// next returns the peer's next stdout line. A "fail ..." line, an early
// exit or the end of ctx fails the test.
func (p *pyPeer) next(ctx context.Context) string {
	p.t.Helper()
	select {
	case line, ok := <-p.lines:
		if !ok {
			err := p.wait()
			p.t.Fatalf("peer %s exited (%v) before reporting; stderr:\n%s", p.name, err, p.stderr.String())
		}
		if strings.HasPrefix(line, "fail") {
			p.t.Fatalf("peer %s: %s; stderr:\n%s", p.name, line, p.stderr.String())
		}
		return line
	case <-ctx.Done():
		p.t.Fatalf("peer %s: no report: %v; stderr so far:\n%s", p.name, ctx.Err(), p.stderr.String())
	}
	return ""
}

// expect reads the next line and fails the test unless it is want.
func (p *pyPeer) expect(ctx context.Context, want string) {
	p.t.Helper()
	if got := p.next(ctx); got != want {
		p.t.Fatalf("peer %s reported %q, want %q", p.name, got, want)
	}
}

// exit waits for the peer to exit by itself and fails the test unless it
// said nothing more and exited with status 0.
func (p *pyPeer) exit(ctx context.Context) {
	p.t.Helper()
	for {
		select {
		case line, ok := <-p.lines:
			if ok {
				p.t.Errorf("peer %s: unexpected report %q", p.name, line)
				continue
			}
		case <-ctx.Done():
			p.t.Fatalf("peer %s did not exit: %v", p.name, ctx.Err())
		}
		break
	}
	if err := p.wait(); err != nil {
		p.t.Fatalf("peer %s: %v; stderr:\n%s", p.name, err, p.stderr.String())
	}
}

// interopEndpointer is a socket that can bind and connect.
type interopEndpointer interface {
	Bind(string) (string, error)
	Connect(string) error
}

// interopBothWays runs f as two subtests: the Go socket binds and the Python peer
// connects, then the Python peer binds and the Go socket connects.
func interopBothWays(t *testing.T, f func(t *testing.T, goBinds bool)) {
	t.Run("go-binds", func(t *testing.T) { f(t, true) })
	t.Run("python-binds", func(t *testing.T) { f(t, false) })
}

// interopEachWay runs f as interopBothWays does, over tcp and over ipc.
func interopEachWay(t *testing.T, f func(t *testing.T, goBinds bool, transport string)) {
	for _, tr := range []string{"tcp", "ipc"} {
		t.Run(tr, func(t *testing.T) {
			interopBothWays(t, func(t *testing.T, goBinds bool) { f(t, goBinds, tr) })
		})
	}
}

// linkPyPeer starts the peer ROLE and connects it with s over tcp: if goBinds,
// s binds 127.0.0.1 on an ephemeral port and the peer connects; otherwise
// the peer binds, reports its endpoint first, and s connects to it.
func linkPyPeer(t *testing.T, ctx context.Context, goBinds bool, s interopEndpointer, role string, args ...string) *pyPeer {
	t.Helper()
	return linkPyPeerOver(t, ctx, "tcp", goBinds, s, role, args...)
}

// linkPyPeerOver is linkPyPeer over transport, tcp or ipc.
func linkPyPeerOver(t *testing.T, ctx context.Context, transport string, goBinds bool, s interopEndpointer, role string, args ...string) *pyPeer {
	t.Helper()
	if goBinds {
		return startPyPeer(t, role, bind(t, s, transport), args...)
	}
	where := "bind"
	if transport != "tcp" {
		where = "bind=" + bindEndpoint(t, transport)
	}
	p := startPyPeer(t, role, where, args...)
	ep := p.next(ctx)
	if !strings.HasPrefix(ep, transport+"://") {
		t.Fatalf("peer %s reported endpoint %q", p.name, ep)
	}
	if err := s.Connect(ep); err != nil {
		t.Fatal(err)
	}
	return p
}

func interopFrames(parts ...string) [][]byte {
	out := make([][]byte, len(parts))
	for i, s := range parts {
		out[i] = []byte(s)
	}
	return out
}

func interopSameFrames(got [][]byte, want ...string) bool {
	return slices.EqualFunc(got, interopFrames(want...), bytes.Equal)
}

// interopConcurrently runs f(0..n-1) in goroutines and returns the first error.
func interopConcurrently(n int, f func(i int) error) error {
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- f(i)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// interopCheckReply sends parts with r.Request and checks the reply is
// prefix + parts.
func interopCheckReply(ctx context.Context, r *zmq.Req, prefix []string, parts ...string) error {
	m, err := r.Request(ctx, interopFrames(parts...)...)
	if err != nil {
		return fmt.Errorf("request %q: %w", parts, err)
	}
	if want := append(slices.Clone(prefix), parts...); !interopSameFrames(m.Frames, want...) {
		return fmt.Errorf("request %q: reply %s, want %q", parts, m, want)
	}
	return nil
}

// Case 1: our Req against a plain libzmq REP socket (pyzmq), which strips
// the [id, ""] envelope and puts it back on the reply.
func TestInteropReqPyzmqREP(t *testing.T) {
	testpeer.RequirePython(t, "zmq")
	interopBothWays(t, func(t *testing.T, goBinds bool) {
		ctx := testCtx(t, interopTimeout)
		f := newFactory(t)
		req := must[*zmq.Req](t)(f.NewReq())
		sequential := [][]string{
			{"one"},
			{"multi", "part", "message"},
			{"", "empty first part"},
			{"bin\x00\xff", "", "x"},
		}
		const concurrent = 8
		p := linkPyPeer(t, ctx, goBinds, req, "zmq-rep", strconv.Itoa(len(sequential)+concurrent))
		for _, parts := range sequential {
			if err := interopCheckReply(ctx, req, []string{"echo"}, parts...); err != nil {
				t.Fatal(err)
			}
		}
		// Several requests in flight at once: REP answers them one by one.
		err := interopConcurrently(concurrent, func(i int) error {
			return interopCheckReply(ctx, req, []string{"echo"}, "concurrent", strconv.Itoa(i))
		})
		if err != nil {
			t.Fatal(err)
		}
		p.expect(ctx, fmt.Sprintf("ok %d", len(sequential)+concurrent))
		p.exit(ctx)
	})
}

// Case 2: our Req against txZMQ's ZmqREPConnection, which answers by
// messageId — here in batches, newest first, so replies arrive out of
// order and must be matched by id. Over tcp and ipc.
func TestInteropReqTxREP(t *testing.T) {
	testpeer.RequirePython(t, "zmq", "txzmq", "twisted")
	interopEachWay(t, func(t *testing.T, goBinds bool, transport string) {
		ctx := testCtx(t, interopTimeout)
		f := newFactory(t)
		req := must[*zmq.Req](t)(f.NewReq())
		const n, batch = 12, 4
		p := linkPyPeerOver(t, ctx, transport, goBinds, req, "tx-rep", strconv.Itoa(n), strconv.Itoa(batch))
		err := interopConcurrently(n, func(i int) error {
			parts := []string{"req", strconv.Itoa(i)}
			if i%3 == 0 {
				parts = append(parts, "", "more\x00parts")
			}
			return interopCheckReply(ctx, req, []string{"tx"}, parts...)
		})
		if err != nil {
			t.Fatal(err)
		}
		// txZMQ saw n distinct 16-byte message ids.
		p.expect(ctx, fmt.Sprintf("ok %d ids %d", n, n))
		p.exit(ctx)
	})
}

// Case 3: our Req against a ROUTER that sends every message back as it
// came, envelope included; the peer checks the envelope is txZMQ's
// [peer, 16-byte id, "", parts...].
func TestInteropReqPyzmqRouterEcho(t *testing.T) {
	testpeer.RequirePython(t, "zmq")
	interopBothWays(t, func(t *testing.T, goBinds bool) {
		ctx := testCtx(t, interopTimeout)
		f := newFactory(t)
		req := must[*zmq.Req](t)(f.NewReq())
		const n = 10
		p := linkPyPeer(t, ctx, goBinds, req, "zmq-router-echo", strconv.Itoa(n))
		if err := interopCheckReply(ctx, req, nil, "first", "", "two\x00parts"); err != nil {
			t.Fatal(err)
		}
		err := interopConcurrently(n-1, func(i int) error {
			return interopCheckReply(ctx, req, nil, "echo", strconv.Itoa(i), strings.Repeat("z", i*100))
		})
		if err != nil {
			t.Fatal(err)
		}
		p.expect(ctx, fmt.Sprintf("ok %d", n))
		p.exit(ctx)
	})
}

// Case 4: txZMQ's ZmqREQConnection with 50 requests in flight against our
// Rep, which takes all 50 before answering any, newest first. Over tcp
// and ipc.
func TestInteropTxREQToRep(t *testing.T) {
	testpeer.RequirePython(t, "zmq", "txzmq", "twisted")
	interopEachWay(t, func(t *testing.T, goBinds bool, transport string) {
		ctx := testCtx(t, interopTimeout)
		f := newFactory(t)
		rep := must[*zmq.Rep](t)(f.NewRep())
		const n = 50
		p := linkPyPeerOver(t, ctx, transport, goBinds, rep, "tx-req", strconv.Itoa(n))
		var reqs []*zmq.Request
		seen := make(map[string]bool)
		for range n {
			q, err := rep.Recv(ctx)
			if err != nil {
				t.Fatalf("after %d requests: %v", len(reqs), err)
			}
			if len(q.MsgID) != 16 || seen[string(q.MsgID)] {
				t.Fatalf("request %s: message id %x is not a fresh 16-byte id", q.Msg, q.MsgID)
			}
			seen[string(q.MsgID)] = true
			if len(q.Frames) != 2 || string(q.Frames[0]) != "req" {
				t.Fatalf("request %s, want [req, i]", q.Msg)
			}
			reqs = append(reqs, q)
		}
		if got := rep.Pending(); got != n {
			t.Errorf("Pending() = %d, want %d", got, n)
		}
		for _, q := range slices.Backward(reqs) {
			if err := q.Reply(ctx, []byte("rep"), q.Frames[0], q.Frames[1]); err != nil {
				t.Fatal(err)
			}
		}
		p.expect(ctx, fmt.Sprintf("ok %d", n))
		p.exit(ctx)
	})
}

// interopServeEcho serves rep until the test ends, replying "rep" + request.
func interopServeEcho(t *testing.T, rep *zmq.Rep) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- rep.Serve(ctx, func(ctx context.Context, q *zmq.Request) (zmq.Msg, error) {
			return zmq.NewMsg(append([][]byte{[]byte("rep")}, q.Frames...)...), nil
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("Serve: %v", err)
		}
	})
}

// Case 5a: a plain libzmq REQ socket (pyzmq) against our Rep: its request
// id is its routing id, and an empty frame inside the body stays body.
func TestInteropPyzmqREQToRep(t *testing.T) {
	testpeer.RequirePython(t, "zmq")
	interopBothWays(t, func(t *testing.T, goBinds bool) {
		ctx := testCtx(t, interopTimeout)
		f := newFactory(t)
		rep := must[*zmq.Rep](t)(f.NewRep())
		interopServeEcho(t, rep)
		const n = 10
		p := linkPyPeer(t, ctx, goBinds, rep, "zmq-req", strconv.Itoa(n))
		p.expect(ctx, fmt.Sprintf("ok %d", n))
		p.exit(ctx)
		if st := rep.Stats(); st.HandlerErrors != 0 {
			t.Errorf("Stats.HandlerErrors = %d", st.HandlerErrors)
		}
	})
}

// Case 5b: a pyzmq DEALER sending ["", body...], pipelined, against our Rep.
func TestInteropPyzmqDealerToRep(t *testing.T) {
	testpeer.RequirePython(t, "zmq")
	interopBothWays(t, func(t *testing.T, goBinds bool) {
		ctx := testCtx(t, interopTimeout)
		f := newFactory(t)
		rep := must[*zmq.Rep](t)(f.NewRep())
		interopServeEcho(t, rep)
		const n = 20
		p := linkPyPeer(t, ctx, goBinds, rep, "zmq-dealer-req", strconv.Itoa(n))
		p.expect(ctx, fmt.Sprintf("ok %d", n))
		p.exit(ctx)
		if st := rep.Stats(); st.HandlerErrors != 0 {
			t.Errorf("Stats.HandlerErrors = %d", st.HandlerErrors)
		}
	})
}

// pyHex is how peer.py prints a frame: hex, "-" when empty.
func pyHex(s string) string {
	if s == "" {
		return "-"
	}
	return hex.EncodeToString([]byte(s))
}

// pingUntilReady publishes the sentinel (sync, ping) every 5 ms until the
// peer reports "ready": the slow joiner's subscription has reached pub.
func pingUntilReady(t *testing.T, ctx context.Context, pub *zmq.Pub, p *pyPeer) {
	t.Helper()
	stop := make(chan struct{})
	stopPing := sync.OnceFunc(func() { close(stop) })
	defer stopPing()
	pinged := make(chan error, 1)
	go func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			if err := pub.Publish(ctx, "sync", []byte("ping")); err != nil {
				pinged <- err
				return
			}
			select {
			case <-stop:
				pinged <- nil
				return
			case <-tick.C:
			}
		}
	}()
	line := p.next(ctx)
	stopPing()
	if err := <-pinged; err != nil {
		t.Fatal(err)
	}
	if line != "ready" {
		t.Fatalf("peer reported %q, want ready", line)
	}
}

// expectPyPublications reads the peer's reports up to "end" and fails the
// test unless they are want.
func expectPyPublications(t *testing.T, ctx context.Context, p *pyPeer, want []string) {
	t.Helper()
	var got []string
	for len(got) < len(want) {
		line := p.next(ctx)
		got = append(got, line)
		if line == "end" {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("subscriber %s got\n%s\nwant\n%s", p.name, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Case 6: our Pub against txZMQ's ZmqSubConnection subscribed to "sync"
// and "weather": gotMessage(message, tag) must see our topic and body, in
// both the one-frame topic\0body form and the two-frame form, and only for
// subscribed prefixes. Over tcp and ipc.
func TestInteropPubToTxSub(t *testing.T) {
	testpeer.RequirePython(t, "zmq", "txzmq", "twisted")
	interopEachWay(t, func(t *testing.T, goBinds bool, transport string) {
		ctx := testCtx(t, interopTimeout)
		f := newFactory(t)
		pub := must[*zmq.Pub](t)(f.NewPub())
		p := linkPyPeerOver(t, ctx, transport, goBinds, pub, "tx-sub", "sync", "weather")
		pingUntilReady(t, ctx, pub, p)

		publish := func(topic, body string) {
			t.Helper()
			if err := pub.Publish(ctx, topic, []byte(body)); err != nil {
				t.Fatal(err)
			}
		}
		publish("other", "not subscribed")
		publish("weather.paris", "12C")
		publish("weathe", "shorter than the prefix")
		publish("weather", "")
		publish("weather.nul", "a\x00b\x00c") // split at the first separator
		if err := pub.Send(ctx, zmq.NewMsgString("weather.two", "frames")); err != nil {
			t.Fatal(err)
		}
		publish("news", "not subscribed either")
		publish("sync", "end")

		expectPyPublications(t, ctx, p, []string{
			"msg " + pyHex("weather.paris") + " " + pyHex("12C"),
			"msg " + pyHex("weather") + " " + pyHex(""),
			"msg " + pyHex("weather.nul") + " " + pyHex("a\x00b\x00c"),
			"msg " + pyHex("weather.two") + " " + pyHex("frames"),
			"end",
		})
		p.exit(ctx)
	})
}

// Case 6b: our Pub against a pyzmq SUB reading with recv_multipart, in
// both forms: by default one frame topic\0body; made
// WithTopicFraming(TwoFrames), exactly the two frames [topic, body] that
// programs written from the ZeroMQ guide expect.
func TestInteropPubToPyzmqSub(t *testing.T) {
	testpeer.RequirePython(t, "zmq")
	for _, c := range []struct {
		form string
		opts []zmq.PubOption
	}{
		{"one", nil},
		{"two", []zmq.PubOption{zmq.WithTopicFraming(zmq.TwoFrames)}},
	} {
		t.Run(c.form+"-frame", func(t *testing.T) {
			interopBothWays(t, func(t *testing.T, goBinds bool) {
				ctx := testCtx(t, interopTimeout)
				f := newFactory(t)
				pub := must[*zmq.Pub](t)(f.NewPub(c.opts...))
				p := linkPyPeer(t, ctx, goBinds, pub, "zmq-sub", c.form, "sync", "weather")
				pingUntilReady(t, ctx, pub, p)
				for _, pb := range [][2]string{
					{"other", "not subscribed"},
					{"weather.paris", "12C"},
					{"weathe", "shorter than the prefix"},
					{"weather", ""},
					{"weather.nul", "a\x00b\x00c"},
					{"news", "not subscribed either"},
					{"sync", "end"},
				} {
					if err := pub.Publish(ctx, pb[0], []byte(pb[1])); err != nil {
						t.Fatal(err)
					}
				}
				expectPyPublications(t, ctx, p, []string{
					"msg " + pyHex("weather.paris") + " " + pyHex("12C"),
					"msg " + pyHex("weather") + " " + pyHex(""),
					"msg " + pyHex("weather.nul") + " " + pyHex("a\x00b\x00c"),
					"end",
				})
				p.exit(ctx)
			})
		})
	}
}

// Case 7: publications from txZMQ's publish(message, tag) (one frame
// tag\0message), from pyzmq send_multipart([topic, body]) (two frames) and
// from pyzmq send(topic\0body) (one frame) reach our Sub, which gives the
// same topic and body either way and filters by its subscriptions. Over
// tcp and ipc.
func TestInteropPythonPubToSub(t *testing.T) {
	for _, c := range []struct{ name, role, form string }{
		{"txzmq-publish", "tx-pub", ""},
		{"pyzmq-multipart", "zmq-pub", "two"},
		{"pyzmq-one-frame", "zmq-pub", "one"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.role == "tx-pub" {
				testpeer.RequirePython(t, "zmq", "txzmq", "twisted")
			} else {
				testpeer.RequirePython(t, "zmq")
			}
			interopEachWay(t, func(t *testing.T, goBinds bool, transport string) {
				testPythonPubToSub(t, transport, goBinds, c.role, c.form)
			})
		})
	}
}

func testPythonPubToSub(t *testing.T, transport string, goBinds bool, role, form string) {
	ctx := testCtx(t, interopTimeout)
	f := newFactory(t)
	sub := must[*zmq.Sub](t)(f.NewSub())
	for _, prefix := range []string{"sync", "weather"} {
		if err := sub.Subscribe(prefix); err != nil {
			t.Fatal(err)
		}
	}
	var args []string
	if form != "" {
		args = append(args, form)
	}
	p := linkPyPeerOver(t, ctx, transport, goBinds, sub, role, args...)

	// The peer publishes the sentinel until told it arrived.
	topic, body, err := sub.RecvTopic(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if topic != "sync" || string(body) != "ping" {
		t.Fatalf("first publication %q %q, want the sentinel sync ping", topic, body)
	}
	p.send("go")

	want := [][2]string{
		{"weather.paris", "12C"},
		{"weather", ""},
		{"weather.nul", "a\x00b\x00c"},
	}
	var got [][2]string
	for {
		topic, body, err := sub.RecvTopic(ctx)
		if err != nil {
			t.Fatalf("after %q: %v", got, err)
		}
		if topic == "sync" {
			if string(body) == "end" {
				break
			}
			continue // sentinels still in flight
		}
		got = append(got, [2]string{topic, string(body)})
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	p.expect(ctx, "sent")
	p.closeStdin()
	p.exit(ctx)
}

// Case 8a: our Router against a pyzmq DEALER with a routing id: RecvFrom
// reports that id and SendTo reaches the DEALER.
func TestInteropRouterPyzmqDealer(t *testing.T) {
	testpeer.RequirePython(t, "zmq")
	interopBothWays(t, func(t *testing.T, goBinds bool) {
		ctx := testCtx(t, interopTimeout)
		f := newFactory(t)
		router := must[*zmq.Router](t)(f.NewRouter())
		const n, id = 10, "py-dealer-7"
		p := linkPyPeer(t, ctx, goBinds, router, "zmq-dealer", id, strconv.Itoa(n))
		for i := range n {
			peer, m, err := router.RecvFrom(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if string(peer) != id {
				t.Fatalf("message %d from routing id %q, want %q", i, peer, id)
			}
			if !interopSameFrames(m.Frames, "hello", strconv.Itoa(i)) {
				t.Fatalf("message %d: %s, want [hello %d]", i, m, i)
			}
			if err := router.SendTo(ctx, peer, []byte("reply"), []byte(strconv.Itoa(i))); err != nil {
				t.Fatal(err)
			}
		}
		p.expect(ctx, fmt.Sprintf("ok %d", n))
		p.exit(ctx)
	})
}

// Case 8b: our Dealer (with a routing id) against a pyzmq ROUTER.
func TestInteropDealerPyzmqRouter(t *testing.T) {
	testpeer.RequirePython(t, "zmq")
	interopBothWays(t, func(t *testing.T, goBinds bool) {
		ctx := testCtx(t, interopTimeout)
		f := newFactory(t)
		const n, id = 10, "go-dealer"
		dealer := must[*zmq.Dealer](t)(f.NewDealer(zmq.WithRoutingID([]byte(id))))
		p := linkPyPeer(t, ctx, goBinds, dealer, "zmq-router", strconv.Itoa(n))
		for i := range n {
			if err := dealer.Send(ctx, zmq.NewMsgString("ping", strconv.Itoa(i))); err != nil {
				t.Fatal(err)
			}
		}
		for i := range n {
			m, err := dealer.Recv(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !interopSameFrames(m.Frames, "pong", strconv.Itoa(i)) {
				t.Fatalf("reply %d: %s, want [pong %d]", i, m, i)
			}
		}
		p.expect(ctx, fmt.Sprintf("ok %d peers %x", n, id))
		p.exit(ctx)
	})
}

const interopPipelineCount = 10000

// Case 9a: our Push to a pyzmq PULL, in order.
func TestInteropPushToPyzmqPull(t *testing.T) {
	testpeer.RequirePython(t, "zmq")
	interopBothWays(t, func(t *testing.T, goBinds bool) {
		ctx := testCtx(t, interopTimeout)
		f := newFactory(t)
		push := must[*zmq.Push](t)(f.NewPush())
		n := interopPipelineCount
		p := linkPyPeer(t, ctx, goBinds, push, "zmq-pull", strconv.Itoa(n))
		for i := range n {
			m := zmq.NewMsg([]byte(strconv.Itoa(i)), []byte(fmt.Sprintf("payload-%d", i)))
			if err := push.Send(ctx, m); err != nil {
				t.Fatalf("message %d: %v", i, err)
			}
		}
		p.expect(ctx, fmt.Sprintf("ok %d", n))
		p.exit(ctx)
	})
}

// Case 9b: a pyzmq PUSH to our Pull, in order.
func TestInteropPyzmqPushToPull(t *testing.T) {
	testpeer.RequirePython(t, "zmq")
	interopBothWays(t, func(t *testing.T, goBinds bool) {
		ctx := testCtx(t, interopTimeout)
		f := newFactory(t)
		pull := must[*zmq.Pull](t)(f.NewPull())
		n := interopPipelineCount
		p := linkPyPeer(t, ctx, goBinds, pull, "zmq-push", strconv.Itoa(n))
		for i := range n {
			m, err := pull.Recv(ctx)
			if err != nil {
				t.Fatalf("message %d: %v", i, err)
			}
			if !interopSameFrames(m.Frames, strconv.Itoa(i), fmt.Sprintf("payload-%d", i)) {
				t.Fatalf("message %d: %s", i, m)
			}
		}
		p.expect(ctx, fmt.Sprintf("sent %d", n))
		p.closeStdin()
		p.exit(ctx)
	})
}
