package auth_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/auth"
	"github.com/zmqx/zmq/internal/watchtest"
)

// TestMain runs the tests under the lost-wake-up watchdog and fails the run if it
// saw a goroutine stay parked while its socket was ready, or if any
// goroutine or file descriptor outlives the tests (see internal/watchtest).
func TestMain(m *testing.M) { watchtest.Main(m) }

// scaled returns n, or n/div under the race detector, never below floor.
func scaled(n, div, floor int) int {
	if raceEnabled {
		n /= div
	}
	return max(n, floor)
}

// newFactory returns a factory closed when the test ends.
func newFactory(t testing.TB, opts ...zmq.FactoryOption) *zmq.Factory {
	t.Helper()
	f, err := zmq.NewFactory(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Errorf("factory close: %v", err)
		}
	})
	return f
}

// startAuth starts an authenticator on f, closed when the test ends
// (before f, since cleanups run last-in first-out).
func startAuth(t testing.TB, f *zmq.Factory, opts ...auth.Option) *auth.Authenticator {
	t.Helper()
	a, err := auth.Start(f, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := a.Close(); err != nil {
			t.Errorf("authenticator close: %v", err)
		}
	})
	return a
}

func testCtx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func keyPair(t testing.TB) zmq.CurveKeyPair {
	t.Helper()
	return must[zmq.CurveKeyPair](t)(zmq.NewCurveKeyPair())
}

// eventWait bounds every wait for an event that must happen.
const eventWait = 10 * time.Second

// monitorable is any socket.
type monitorable interface {
	Monitor(zmq.EventType) (*zmq.Monitor, error)
}

// watcher records a socket's monitor events as they come, so that a test
// can wait for one or count them.
type watcher struct {
	mu      sync.Mutex
	events  []zmq.Event
	changed chan struct{} // closed and replaced at each event
	done    chan struct{}
}

// watch starts recording every event of s; it stops when the test ends.
func watch(t testing.TB, s monitorable) *watcher {
	t.Helper()
	mon, err := s.Monitor(zmq.EventAll)
	if err != nil {
		t.Fatal(err)
	}
	w := &watcher{changed: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			ev, err := mon.Recv(context.Background())
			if err != nil {
				return
			}
			w.mu.Lock()
			w.events = append(w.events, ev)
			close(w.changed)
			w.changed = make(chan struct{})
			w.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		mon.Close()
		<-w.done
	})
	return w
}

// handshakeEvents are the outcomes of a handshake.
const handshakeEvents = zmq.EventHandshakeSucceeded | zmq.EventHandshakeFailedAuth |
	zmq.EventHandshakeFailedProtocol | zmq.EventHandshakeFailedNoDetail

// waitN waits until n events of a type in types were recorded and returns
// the nth.
func (w *watcher) waitN(t testing.TB, types zmq.EventType, n int) zmq.Event {
	t.Helper()
	timeout := time.NewTimer(eventWait)
	defer timeout.Stop()
	for {
		w.mu.Lock()
		seen := 0
		for _, ev := range w.events {
			if ev.Type&types != 0 {
				if seen++; seen == n {
					w.mu.Unlock()
					return ev
				}
			}
		}
		ch := w.changed
		w.mu.Unlock()
		select {
		case <-ch:
		case <-timeout.C:
			t.Fatalf("no event %d of %v within %v; events: %v", n, types, eventWait, w.all())
			return zmq.Event{}
		}
	}
}

// first waits for the first event of a type in types.
func (w *watcher) first(t testing.TB, types zmq.EventType) zmq.Event {
	t.Helper()
	return w.waitN(t, types, 1)
}

func (w *watcher) count(types zmq.EventType) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, ev := range w.events {
		if ev.Type&types != 0 {
			n++
		}
	}
	return n
}

func (w *watcher) all() []zmq.Event {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.events)
}

// server is a CURVE (or other) server socket under test: a Pull bound on
// loopback tcp, with its events recorded.
type server struct {
	f    *zmq.Factory
	pull *zmq.Pull
	ep   string
	w    *watcher
}

func newServer(t testing.TB, f *zmq.Factory, opts ...zmq.PullOption) *server {
	t.Helper()
	pull := must[*zmq.Pull](t)(f.NewPull(opts...))
	w := watch(t, pull)
	ep := must[string](t)(pull.Bind("tcp://127.0.0.1:*"))
	return &server{f: f, pull: pull, ep: ep, w: w}
}

// curveServer makes a CURVE server with a fresh key pair.
func curveServer(t testing.TB, f *zmq.Factory, opts ...zmq.PullOption) (*server, zmq.CurveKeyPair) {
	t.Helper()
	kp := keyPair(t)
	return newServer(t, f, append([]zmq.PullOption{zmq.WithCurveServer(kp.Secret)}, opts...)...), kp
}

// client is a Push connected to a server, with its events recorded.
type client struct {
	push *zmq.Push
	w    *watcher
}

func dial(t testing.TB, f *zmq.Factory, ep string, opts ...zmq.PushOption) *client {
	t.Helper()
	push := must[*zmq.Push](t)(f.NewPush(opts...))
	w := watch(t, push)
	if err := push.Connect(ep); err != nil {
		t.Fatal(err)
	}
	return &client{push: push, w: w}
}

// send queues m on the client; the Push takes it even before the
// handshake, so a refused client's message is never sent.
func (c *client) send(t testing.TB, body string) {
	t.Helper()
	if err := c.push.Send(testCtx(t, eventWait), zmq.NewMsgString(body)); err != nil {
		t.Fatal(err)
	}
}

// offer queues m on a client that may be refused: once libzmq has refused
// it, the Push has no peer left and could not take the message, which is
// fine (EAGAIN is ignored).
func (c *client) offer(t testing.TB, body string) {
	t.Helper()
	if err := c.push.TrySend(zmq.NewMsgString(body)); err != nil && !errors.Is(err, zmq.EAGAIN) {
		t.Fatal(err)
	}
}

// recv waits for a message on the server.
func (s *server) recv(t testing.TB) zmq.Msg {
	t.Helper()
	m, err := s.pull.Recv(testCtx(t, eventWait))
	if err != nil {
		t.Fatalf("server recv: %v; server events: %v", err, s.w.all())
	}
	return m
}

// expectNothing asserts that nothing arrives within d (a short window to
// show that something does not happen).
func (s *server) expectNothing(t testing.TB, d time.Duration) {
	t.Helper()
	if m, err := s.pull.Recv(testCtx(t, d)); err == nil {
		t.Fatalf("delivered: %v (user id %q)", m, m.UserID())
	}
}

// authStatus returns the ZAP status of a handshake-failed-auth event, or 0.
func authStatus(ev zmq.Event) int {
	if ae, ok := ev.Err().(*zmq.AuthError); ok {
		return ae.Status
	}
	return 0
}

// observeWindow is how long a test watches for retries or deliveries that
// must not happen. Everything else a test waits for is an event (from a
// socket monitor, or a message arriving); these short windows are the only
// waits that are not.
const observeWindow = time.Second

// zapClient drives an authenticator directly, as libzmq would: a Dealer
// connected to the ZAP endpoint sending hand-made requests.
type zapClient struct {
	t *testing.T
	d *zmq.Dealer
}

func newZAPClient(t *testing.T, f *zmq.Factory) *zapClient {
	t.Helper()
	d := must[*zmq.Dealer](t)(f.NewDealer())
	if err := d.Connect(auth.Endpoint); err != nil {
		t.Fatal(err)
	}
	return &zapClient{t: t, d: d}
}

func (z *zapClient) send(frames ...[]byte) {
	z.t.Helper()
	if err := z.d.Send(testCtx(z.t, eventWait), zmq.NewMsg(frames...)); err != nil {
		z.t.Fatal(err)
	}
}

func (z *zapClient) recv() []string {
	z.t.Helper()
	m, err := z.d.Recv(testCtx(z.t, eventWait))
	if err != nil {
		z.t.Fatal(err)
	}
	return m.Strings()
}

// request builds a well-formed ZAP request.
func request(id, domain, address, mechanism string, creds ...[]byte) [][]byte {
	fr := [][]byte{{}, []byte("1.0"), []byte(id), []byte(domain), []byte(address), []byte("identity"), []byte(mechanism)}
	return append(fr, creds...)
}

// call sends a request and checks the reply's shape: delimiter plus the
// six frames of RFC 27, the request id echoed, user id empty unless 200.
// It returns status and user id.
func (z *zapClient) call(req [][]byte) (status, userID string) {
	z.t.Helper()
	z.send(req...)
	r := z.recv()
	z.checkReply(r, string(req[2]))
	return r[3], r[5]
}

func (z *zapClient) checkReply(r []string, id string) {
	z.t.Helper()
	if len(r) != 7 || r[0] != "" || r[1] != "1.0" || r[2] != id || r[6] != "" {
		z.t.Fatalf("reply %q: want [\"\" \"1.0\" %q status text user-id \"\"]", r, id)
	}
	switch r[3] {
	case "200":
	case "300", "400", "500":
		if r[5] != "" {
			z.t.Fatalf("reply %q: user id set with status %s", r, r[3])
		}
	default:
		z.t.Fatalf("reply %q: status %q", r, r[3])
	}
}

func rawKey(t testing.TB, z85 string) []byte {
	t.Helper()
	return must[[]byte](t)(zmq.Z85Decode(z85))
}

// writeCert writes a public certificate in pyzmq's format (their text,
// quoted key, four-space indent).
func writeCert(t *testing.T, dir, name string, kp zmq.CurveKeyPair) string {
	t.Helper()
	pub, _, err := auth.WriteCertificate(dir, name, auth.Certificate{CurveKeyPair: zmq.CurveKeyPair{Public: kp.Public}})
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func keyPairNoT() zmq.CurveKeyPair {
	kp, err := zmq.NewCurveKeyPair()
	if err != nil {
		panic(err)
	}
	return kp
}
