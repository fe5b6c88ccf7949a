package zmq_test

// The interop matrix: every compatible socket-type pair, run with each of
// its two sockets on a different implementation. A side is where sockets
// are made: one of our engines (interop_local_test.go), or a process of
// another ZeroMQ implementation driven over stdin (interop_remote_test.go:
// pyzmq, JeroMQ). A row of the table names the pair and the scenario it
// runs (interop_scenarios_test.go); each row runs over tcp and ipc, with
// each side on each end of the pair, and with each end binding.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zmqx/zmq"
)

// mxTimeout bounds one case of the matrix; every case needs far less.
const mxTimeout = 20 * time.Second

// mxOpts are the socket options a scenario may ask for.
type mxOpts struct {
	id        string // routing id; "" lets the peer pick one
	mandatory bool   // ROUTER_MANDATORY: a send to an unknown peer fails
	monitor   bool   // record events, for mxEnd.await
}

// mxSide makes sockets: ours on one engine, or a peer implementation's.
type mxSide interface {
	String() string
	// hosts reports whether the side can make sockets of kind.
	hosts(kind string) bool
	// open makes a socket of kind for the test t: a libzmq type name
	// (PUSH, ROUTER, ...), or Req and Rep for our asynchronous
	// request-reply types. Failures fail t.
	open(t *testing.T, ctx context.Context, kind string, o mxOpts) mxEnd
}

// mxEnd is one socket of a scenario. Every method fails the test when the
// operation fails or ctx ends; frames pass exactly as sent.
type mxEnd interface {
	String() string
	// bind binds endpoint and returns the endpoint bound.
	bind(endpoint string) string
	connect(endpoint string)
	send(frames ...[]byte)
	recv() [][]byte
	// recvWithin returns the next message if one arrives within d.
	recvWithin(d time.Duration) ([][]byte, bool)
	subscribe(prefix string)
	unsubscribe(prefix string)
	// await waits for the socket's next monitor event of type ev.
	await(ev zmq.EventType)
	// flood sends ["flood", "0"], ["flood", "1"], ... in the background
	// until stopFlood, which returns how many it sent.
	flood()
	stopFlood() int
	// close closes the socket and everything it ran on, as if its
	// process exited: its endpoints are free when close returns.
	close()
}

// mxSock is a socket opened by a link, with what it takes to open it again.
type mxSock struct {
	mxEnd
	side mxSide
	kind string
	opts mxOpts
	ep   string // the endpoint it bound, if it did
}

// mxRow is a line of the matrix: the socket kinds of sides a and b and
// the scenario they play.
type mxRow struct {
	name   string
	ka, kb string
	run    func(l *mxLink)
}

// mxLink is one case of a row: which side makes the a and b sockets,
// the transport, and which of them binds.
type mxLink struct {
	t         *testing.T
	ctx       context.Context
	row       mxRow
	a, b      mxSide
	transport string
	aBinds    bool
	ipcDir    string
	seq       int
}

// open makes a socket of kind on side and closes it when the test ends.
func (l *mxLink) open(side mxSide, kind string, o mxOpts) *mxSock {
	l.t.Helper()
	s := &mxSock{mxEnd: side.open(l.t, l.ctx, kind, o), side: side, kind: kind, opts: o}
	l.t.Cleanup(s.close)
	return s
}

// openA and openB make a socket of the row's kind on side a or b.
func (l *mxLink) openA(o mxOpts) *mxSock { l.t.Helper(); return l.open(l.a, l.row.ka, o) }
func (l *mxLink) openB(o mxOpts) *mxSock { l.t.Helper(); return l.open(l.b, l.row.kb, o) }

// freshEndpoint returns an endpoint to bind on the link's transport: an
// ephemeral tcp port, or a new ipc path short enough for sun_path.
func (l *mxLink) freshEndpoint() string {
	switch l.transport {
	case "tcp":
		return "tcp://127.0.0.1:*"
	case "ipc":
		l.seq++
		return "ipc://" + filepath.Join(l.ipcDir, strconv.Itoa(l.seq))
	}
	l.t.Fatalf("unknown transport %q", l.transport)
	return ""
}

// join connects x, a socket of side a, with y, one of side b: the one the
// link says binds (once: it may be joined to several), the other connects.
func (l *mxLink) join(x, y *mxSock) {
	l.t.Helper()
	binder, connecter := x, y
	if !l.aBinds {
		binder, connecter = y, x
	}
	if binder.ep == "" {
		binder.ep = binder.bind(l.freshEndpoint())
	}
	connecter.connect(binder.ep)
}

// restart closes s, which bound, and opens a new socket like it on the
// same endpoint: the peer process restarted.
func (l *mxLink) restart(s *mxSock) *mxSock {
	l.t.Helper()
	if s.ep == "" {
		l.t.Fatalf("restart %s: it did not bind", s)
	}
	s.close()
	n := l.open(s.side, s.kind, s.opts)
	n.ep = n.bind(s.ep)
	return n
}

// binderOf returns which of x (side a) and y (side b) binds.
func (l *mxLink) binderOf(x, y *mxSock) (binder, connecter *mxSock) {
	if l.aBinds {
		return x, y
	}
	return y, x
}

// mxCaseName names a case by who binds and who connects.
func mxCaseName(row mxRow, a, b mxSide, aBinds bool) string {
	ea, eb := a.String()+"-"+row.ka, b.String()+"-"+row.kb
	if aBinds {
		return ea + "-binds," + eb + "-connects"
	}
	return eb + "-binds," + ea + "-connects"
}

// mxIPCDir returns a short directory for ipc paths (t.TempDir's can pass
// the 107 bytes of sun_path with long test names), removed after t.
func mxIPCDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "zmx")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// runMatrix runs row over tcp and ipc (those in transports) with sides x
// and y each as a and b, and each end binding. A case whose side cannot
// make its socket kind is not applicable and is not run.
func runMatrix(t *testing.T, row mxRow, x, y mxSide, transports []string) {
	t.Helper()
	dir := mxIPCDir(t)
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			for _, sides := range [][2]mxSide{{x, y}, {y, x}} {
				a, b := sides[0], sides[1]
				if !a.hosts(row.ka) || !b.hosts(row.kb) {
					continue
				}
				for _, aBinds := range []bool{true, false} {
					t.Run(mxCaseName(row, a, b, aBinds), func(t *testing.T) {
						l := &mxLink{
							t: t, ctx: testCtx(t, mxTimeout), row: row,
							a: a, b: b, transport: tr, aBinds: aBinds, ipcDir: dir,
						}
						row.run(l)
					})
				}
			}
		})
	}
}

// mxRows is the matrix. Req and Rep are our asynchronous request-reply
// types; the other kinds are the libzmq socket types, ours made with the
// typed constructors (NewPush, ...) or, for REQ and REP, NewSocket.
var mxRows = []mxRow{
	{"PUSH-PULL", "PUSH", "PULL", mxOneWay},
	{"PUSH-PULL-round-robin", "PUSH", "PULL", mxRoundRobin},
	{"PUSH-PULL-fair-queue", "PUSH", "PULL", mxFairQueue},
	{"PUSH-PULL-restart", "PUSH", "PULL", mxRestartPipeline},
	{"REQ-REP", "REQ", "REP", mxLockstep},
	{"Req-Rep", "Req", "Rep", mxLockstep},
	{"Req-REP", "Req", "REP", mxLockstep},
	{"REQ-Rep", "REQ", "Rep", mxLockstep},
	{"DEALER-REP", "DEALER", "REP", mxDealerRep},
	{"DEALER-Rep", "DEALER", "Rep", mxDealerRep},
	{"REQ-ROUTER", "REQ", "ROUTER", mxReqRouter},
	{"Req-ROUTER", "Req", "ROUTER", mxReqRouter},
	{"DEALER-ROUTER", "DEALER", "ROUTER", mxDealerRouter},
	{"DEALER-DEALER", "DEALER", "DEALER", mxBothWays},
	{"ROUTER-ROUTER", "ROUTER", "ROUTER", mxRouterRouter},
	{"PAIR-PAIR", "PAIR", "PAIR", mxBothWays},
	{"PUB-SUB", "PUB", "SUB", mxPubSub},
	{"PUB-SUB-restart", "PUB", "SUB", mxRestartPubSub},
	{"PUB-XSUB", "PUB", "XSUB", mxPubSub},
	{"XPUB-SUB", "XPUB", "SUB", mxXPubSub},
	{"XPUB-XSUB", "XPUB", "XSUB", mxXPubXSub},
}

// TestInteropMatrixEngines runs the matrix with one socket of each pair on
// the go engine and the other on libzmq, in one process, whatever engine
// ZMQ_ENGINE names.
func TestInteropMatrixEngines(t *testing.T) {
	if f, err := zmq.NewFactory(zmq.WithEngine(zmq.EngineLibzmq)); err != nil {
		t.Skipf("no libzmq engine in this build: %v", err)
	} else {
		f.Close()
	}
	goSide, libzmqSide := localSide{zmq.EngineGo}, localSide{zmq.EngineLibzmq}
	for _, row := range mxRows {
		t.Run(row.name, func(t *testing.T) {
			runMatrix(t, row, goSide, libzmqSide, []string{"tcp", "ipc"})
		})
	}
}

// ---------------------------------------------------------------- frames

// mxBig is a 1 MiB frame whose bytes depend on their offset, so that a
// frame cut, padded or reassembled out of order does not compare equal.
// The remote hosts know the pattern too (remote.py's docstring).
var mxBig = func() []byte {
	b := make([]byte, 1<<20)
	for i := range b {
		b[i] = byte(i*7 + i>>12)
	}
	return b
}()

// mxFrames converts strings to frames.
func mxFrames(parts ...string) [][]byte {
	out := make([][]byte, len(parts))
	for i, p := range parts {
		out[i] = []byte(p)
	}
	return out
}

// mxPayloads are the messages of a stream: single and multipart, empty
// frames first, last and alone, binary bytes, a 1 MiB frame, then a
// numbered run whose order must survive.
func mxPayloads() [][][]byte {
	ps := [][][]byte{
		mxFrames("hello"),
		{{}},
		{{}, {}, []byte("after two empty frames")},
		mxFrames("multi", "part", "", "message", "\x00\xff\x01", ""),
		{mxBig, []byte("after 1 MiB")},
	}
	for i := range 20 {
		ps = append(ps, mxFrames("seq", strconv.Itoa(i)))
	}
	return ps
}

// mxShow prints frames readably: short ones quoted, long ones by size and
// digest.
func mxShow(frames [][]byte) string {
	parts := make([]string, len(frames))
	for i, f := range frames {
		if len(f) <= 48 {
			parts[i] = strconv.Quote(string(f))
		} else {
			parts[i] = fmt.Sprintf("<%d bytes %x>", len(f), sha256.Sum256(f))
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func mxEqual(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// mxExpect fails t unless got is want.
func mxExpect(t *testing.T, what string, got, want [][]byte) {
	t.Helper()
	if !mxEqual(got, want) {
		t.Fatalf("%s: got %s, want %s", what, mxShow(got), mxShow(want))
	}
}

// mxCat joins frame lists.
func mxCat(lists ...[][]byte) [][]byte {
	var out [][]byte
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
