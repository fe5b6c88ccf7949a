package zmq_test

// Bad input: malformed endpoints, invalid options, misuse after Close.
// Every case must fail with an error that errors.Is/As can classify and
// whose text names the bad value, and nothing may panic.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/internal/brief"
)

// badCall runs f, turning a panic into a test failure.
func badCall(t *testing.T, what string, f func() error) (err error) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("%s panicked: %v", what, p)
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return f()
}

// badWant checks that err matches every target and that its text
// contains every string in mention.
func badWant(t *testing.T, what string, err error, targets []error, mention ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error", what)
		return
	}
	for _, target := range targets {
		if !errors.Is(err, target) {
			t.Errorf("%s: %v does not match %v", what, err, target)
		}
	}
	for _, m := range mention {
		if !strings.Contains(err.Error(), m) {
			t.Errorf("%s: error %q does not mention %q", what, err, m)
		}
	}
}

// shownEndpoint is how an *OpError shows endpoint: "" for none.
func shownEndpoint(endpoint string) string {
	if endpoint == "" {
		return ""
	}
	return brief.Show(endpoint)
}

// badOpError checks that err is an *OpError for op on sock and endpoint.
func badOpError(t *testing.T, what string, err error, op, sock, endpoint string) {
	t.Helper()
	var oe *zmq.OpError
	if !errors.As(err, &oe) {
		t.Errorf("%s: %T (%v) is not an *OpError", what, err, err)
		return
	}
	if oe.Op != op || oe.Socket != sock || oe.Endpoint != endpoint {
		t.Errorf("%s: OpError{Op: %q, Socket: %q, Endpoint: %q}, want {%q, %q, %q}",
			what, oe.Op, oe.Socket, oe.Endpoint, op, sock, endpoint)
	}
}

// badNewFactory returns NewFactory's error, closing the factory if one
// was made after all.
func badNewFactory(opts ...zmq.FactoryOption) error {
	f, err := zmq.NewFactory(opts...)
	if err == nil {
		f.Close()
		return errors.New("NewFactory succeeded")
	}
	return err
}

func TestBadEndpoints(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	longIPC := "ipc:///tmp/" + strings.Repeat("x", 110)
	cases := []struct {
		ep            string
		bind, connect bool
	}{
		{"tcp://127.0.0.1:99999", true, true}, // libzmq would bind port 34463
		{"tcp://127.0.0.1:65536", true, true},
		{"tcp://127.0.0.1:-1", true, true},
		{"tcp://1.2.3.4.5:1234567", true, true},
		{"nope://x", true, true},
		{"TCP://127.0.0.1:5555", true, true},
		{"garbage", true, true},
		{"", true, true},
		{"tcp://", true, true},
		{"tcp://127.0.0.1", true, true},
		{"tcp://127.0.0.1:", true, true},
		{"tcp://127.0.0.1:5555x", true, true},
		{"tcp://127.0.0.1:+5555", true, true},
		{"tcp://127.0.0.1:5555 ", true, true},
		{"tcp://:5555", true, true},
		{"tcp://[::1:5555", true, true},
		{"tcp://*:1", false, true},
		{"tcp://127.0.0.1:*", false, true},
		{"tcp://127.0.0.1:0", false, true},
		{"ipc://", true, true},
		{"inproc://", true, true},
		{longIPC, true, true},
		{"pgm://239.192.1.1:5555", true, true}, // no interface
		{"tcp://no-such-host.invalid:5555", false, true},
		// The source;destination form is for connect; libzmq's bind
		// ignores the source part, bad port and all.
		{"tcp://127.0.0.1:99999;127.0.0.1:*", true, false},
		{"tcp://127.0.0.1:99999;127.0.0.1:5555", false, true},
	}
	for i, c := range cases {
		for _, op := range []string{"bind", "connect"} {
			if op == "bind" && !c.bind || op == "connect" && !c.connect {
				continue
			}
			push := must[*zmq.Push](t)(f.NewPush())
			what := fmt.Sprintf("%s(%q)", op, c.ep)
			err := badCall(t, what, func() error {
				if op == "bind" {
					got, err := push.Bind(c.ep)
					if err == nil {
						return fmt.Errorf("bound %q", got)
					}
					return err
				}
				return push.Connect(c.ep)
			})
			badWant(t, what, err, []error{zmq.ErrInvalidEndpoint}, shownEndpoint(c.ep))
			badOpError(t, what, err, op, "PUSH", c.ep)
			// The socket is still usable after a refused endpoint.
			if _, err := push.Bind(fmt.Sprintf("inproc://bad-endpoint-%d-%s", i, op)); err != nil {
				t.Errorf("after %s: a good Bind failed: %v", what, err)
			}
			if err := push.Close(); err != nil {
				t.Error(err)
			}
		}
	}
}

// The ipc limit is the kernel's: 107 bytes of path fit, 108 do not.
func TestBadEndpointIPCLength(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	dir := t.TempDir()
	if len(dir) > 90 {
		t.Skipf("temp dir %q too long to build a 107-byte path in it", dir)
	}
	path := dir + "/" + strings.Repeat("p", 107-len(dir)-1)
	pull := must[*zmq.Pull](t)(f.NewPull())
	if got, err := pull.Bind("ipc://" + path); err != nil {
		t.Fatalf("107-byte ipc path: %v", err)
	} else if got != "ipc://"+path {
		t.Errorf("bound %q", got)
	}
	push := must[*zmq.Push](t)(f.NewPush())
	connectTo(t, push, "ipc://"+path)
	sendFrames(t, push, "fits")
	expectFrames(t, pull, "fits")

	ep := "ipc://" + path + "q"
	_, err := pull.Bind(ep)
	badWant(t, "108-byte ipc path", err, []error{zmq.ErrInvalidEndpoint}, shownEndpoint(ep))
	badOpError(t, "108-byte ipc path", err, "bind", "PULL", ep)
}

func TestBadEndpointInUse(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	for _, tr := range []string{"tcp", "inproc"} {
		a := must[*zmq.Pull](t)(f.NewPull())
		b := must[*zmq.Pull](t)(f.NewPull())
		ep := bind(t, a, tr)
		err := badCall(t, "bind twice", func() error { _, err := b.Bind(ep); return err })
		what := "second Bind(" + ep + ")"
		badWant(t, what, err, []error{zmq.EADDRINUSE, syscall.EADDRINUSE}, ep)
		badOpError(t, what, err, "bind", "PULL", ep)
	}
	// An address that is not this host's.
	pull := must[*zmq.Pull](t)(f.NewPull())
	ep := "tcp://192.0.2.1:*"
	_, err := pull.Bind(ep)
	badWant(t, "Bind(non-local address)", err, []error{zmq.EADDRNOTAVAIL, syscall.EADDRNOTAVAIL}, ep)
	badOpError(t, "Bind(non-local address)", err, "bind", "PULL", ep)
}

func TestBadUnbindDisconnectUnknown(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	other := must[*zmq.Pull](t)(f.NewPull())
	tcpEP := bind(t, other, "tcp")
	ipcEP := bind(t, other, "ipc")
	push := must[*zmq.Push](t)(f.NewPush())
	bind(t, push, "tcp")
	connectTo(t, push, bind(t, other, "inproc"))
	for _, ep := range []string{tcpEP, ipcEP, "inproc://never-bound", "ipc:///nonexistent/socket"} {
		err := badCall(t, "Unbind", func() error { return push.Unbind(ep) })
		badWant(t, "Unbind("+ep+")", err, []error{zmq.ENOENT, syscall.ENOENT}, ep)
		badOpError(t, "Unbind("+ep+")", err, "unbind", "PUSH", ep)
		err = badCall(t, "Disconnect", func() error { return push.Disconnect(ep) })
		badWant(t, "Disconnect("+ep+")", err, []error{zmq.ENOENT, syscall.ENOENT}, ep)
		badOpError(t, "Disconnect("+ep+")", err, "disconnect", "PUSH", ep)
	}
	// Malformed endpoints: some error naming them, no panic.
	for _, ep := range []string{"garbage", "", "nope://x", "tcp://127.0.0.1:99999"} {
		err := badCall(t, "Unbind", func() error { return push.Unbind(ep) })
		badWant(t, fmt.Sprintf("Unbind(%q)", ep), err, nil, ep)
		badOpError(t, fmt.Sprintf("Unbind(%q)", ep), err, "unbind", "PUSH", ep)
		err = badCall(t, "Disconnect", func() error { return push.Disconnect(ep) })
		badWant(t, fmt.Sprintf("Disconnect(%q)", ep), err, nil, ep)
		badOpError(t, fmt.Sprintf("Disconnect(%q)", ep), err, "disconnect", "PUSH", ep)
	}
}

func TestBadOptions(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	overTTL := 6553599*time.Millisecond + 100*time.Millisecond
	inv := []error{zmq.ErrInvalidOption}
	cases := []struct {
		name    string
		make    func() error
		mention []string
	}{
		{"WithSendHWM(-1)", func() error { _, err := f.NewPush(zmq.WithSendHWM(-1)); return err }, []string{"WithSendHWM", "-1"}},
		{"WithRecvHWM(-1)", func() error { _, err := f.NewPull(zmq.WithRecvHWM(-1)); return err }, []string{"WithRecvHWM", "-1"}},
		{"WithRoutingID(nil)", func() error { _, err := f.NewDealer(zmq.WithRoutingID(nil)); return err }, []string{"WithRoutingID"}},
		{"WithRoutingID(256 bytes)", func() error {
			_, err := f.NewDealer(zmq.WithRoutingID([]byte(strings.Repeat("r", 256))))
			return err
		}, []string{"WithRoutingID", brief.Quote(strings.Repeat("r", 256)), "256"}},
		{"WithRoutingID(\\x00...)", func() error { _, err := f.NewDealer(zmq.WithRoutingID([]byte("\x00abc"))); return err }, []string{"WithRoutingID", `\x00abc`}},
		{"WithTCPKeepaliveIdle(0)", func() error { _, err := f.NewPush(zmq.WithTCPKeepaliveIdle(0)); return err }, []string{"WithTCPKeepaliveIdle(0"}},
		{"WithTCPKeepaliveCount(0)", func() error { _, err := f.NewPush(zmq.WithTCPKeepaliveCount(0)); return err }, []string{"WithTCPKeepaliveCount", "0"}},
		{"WithHeartbeatTTL(over max)", func() error { _, err := f.NewPush(zmq.WithHeartbeatTTL(overTTL)); return err }, []string{"WithHeartbeatTTL", overTTL.String()}},
		{"WithHeartbeatInterval(-5ms)", func() error {
			_, err := f.NewPush(zmq.WithHeartbeatInterval(-5 * time.Millisecond))
			return err
		}, []string{"WithHeartbeatInterval", "-5ms"}},
		{"WithLinger(1.5ms)", func() error { _, err := f.NewPush(zmq.WithLinger(1500 * time.Microsecond)); return err }, []string{"WithLinger", "1.5ms"}},
		{"WithReconnectInterval(1.5ms)", func() error {
			_, err := f.NewPush(zmq.WithReconnectInterval(1500 * time.Microsecond))
			return err
		}, []string{"WithReconnectInterval", "1.5ms"}},
		{"WithTOS(256)", func() error { _, err := f.NewPush(zmq.WithTOS(256)); return err }, []string{"WithTOS", "256"}},
		{"WithBacklog(0)", func() error { _, err := f.NewPush(zmq.WithBacklog(0)); return err }, []string{"WithBacklog", "0"}},
		{"WithZAPDomain(300 bytes)", func() error {
			_, err := f.NewPush(zmq.WithZAPDomain(strings.Repeat("z", 300)))
			return err
		}, []string{"WithZAPDomain", "300"}},
		{"Pub WithTopicSeparator(nil)", func() error { _, err := f.NewPub(zmq.WithTopicSeparator(nil)); return err }, []string{"WithTopicSeparator"}},
		{"Sub WithTopicSeparator([]byte{})", func() error { _, err := f.NewSub(zmq.WithTopicSeparator([]byte{})); return err }, []string{"WithTopicSeparator"}},
		{"WithMaxPendingRequests(0)", func() error { _, err := f.NewRep(zmq.WithMaxPendingRequests(0)); return err }, []string{"WithMaxPendingRequests", "0"}},
		{"WithPendingRequestTimeout(-1s)", func() error {
			_, err := f.NewRep(zmq.WithPendingRequestTimeout(-time.Second))
			return err
		}, []string{"WithPendingRequestTimeout", "-1s"}},
		{"WithIOThreads(0)", func() error { return badNewFactory(zmq.WithIOThreads(0)) }, []string{"WithIOThreads", "0"}},
		{"WithIOThreads(-1)", func() error { return badNewFactory(zmq.WithIOThreads(-1)) }, []string{"WithIOThreads", "-1"}},
		{"WithDefaultLinger(1.5ms)", func() error { return badNewFactory(zmq.WithDefaultLinger(1500 * time.Microsecond)) }, []string{"WithDefaultLinger", "1.5ms"}},
		{"nil FactoryOption", func() error { return badNewFactory(nil) }, []string{"nil"}},
		{"nil socket option", func() error { _, err := f.NewPush(nil); return err }, []string{"nil"}},
		{"nil raw socket option", func() error { _, err := f.NewSocket(zmq.PULL, nil); return err }, []string{"nil"}},
		{"nil SetOption", func() error {
			p, err := f.NewPush()
			if err != nil {
				return err
			}
			defer p.Close()
			return p.SetOption(nil)
		}, []string{"nil"}},
		{"SetOption(WithSendHWM(-1))", func() error {
			p, err := f.NewPush()
			if err != nil {
				return err
			}
			defer p.Close()
			return p.SetOption(zmq.WithSendHWM(-1))
		}, []string{"WithSendHWM", "-1"}},
		{"NewSocket(SocketType(99))", func() error { _, err := f.NewSocket(zmq.SocketType(99)); return err }, []string{"99"}},
		{"NewSocket(SocketType(-1))", func() error { _, err := f.NewSocket(zmq.SocketType(-1)); return err }, []string{"-1"}},
	}
	for _, c := range cases {
		err := badCall(t, c.name, c.make)
		badWant(t, c.name, err, inv, c.mention...)
	}

	// libzmq's own refusal comes through too: SUBSCRIBE on a raw PUSH.
	_, err := f.NewSocket(zmq.PUSH, zmq.WithSubscribe("topic-x"))
	badWant(t, "PUSH WithSubscribe", err, []error{zmq.ErrInvalidOption, zmq.EINVAL, syscall.EINVAL}, "topic-x")

	// Refused options leave nothing open: the factory still closes at once.
	done := make(chan error, 1)
	go func() { done <- f.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("factory Close hung after refused options")
	}
}

// An error shows a bad value once, cut to a readable length, however long
// the value and however many layers wrap the error.
func TestBadLongValuesAreShownOnceAndCut(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	long := strings.Repeat("a", 100_000)
	push := must[*zmq.Push](t)(f.NewPush())
	for _, ep := range []string{
		"tcp://" + long + ":1", "tcp://127.0.0.1:" + strings.Repeat("9", 100_000), "ipc://" + long,
		"inproc://", long, long + "://x", "tcp://" + long + ";127.0.0.1:1",
	} {
		for op, call := range map[string]func() error{
			"bind":       func() error { _, err := push.Bind(ep); return err },
			"connect":    func() error { return push.Connect(ep) },
			"unbind":     func() error { return push.Unbind(ep) },
			"disconnect": func() error { return push.Disconnect(ep) },
		} {
			what := fmt.Sprintf("%s(%d-byte endpoint)", op, len(ep))
			// Some are libzmq's to refuse (a 100 kB interface name for
			// bind: ENODEV): how they fail does not matter here.
			err := badCall(t, what, call)
			badWant(t, what, err, nil)
			badShownOnce(t, what, err, brief.Show(ep))
		}
	}

	type newer = func() error
	newPush := func(o zmq.PushOption) newer { return func() error { _, err := f.NewPush(o); return err } }
	for what, c := range map[string]struct {
		make  newer
		shown string
	}{
		"WithSocksProxy":     {newPush(zmq.WithSocksProxy(long)), brief.Quote(long)},
		"WithRoutingID":      {newPush(zmq.WithRoutingID([]byte(long))), brief.Quote(long)},
		"WithZAPDomain":      {newPush(zmq.WithZAPDomain(long)), brief.Quote(long)},
		"WithBindToDevice":   {newPush(zmq.WithBindToDevice(long)), brief.Quote(long)},
		"WithCurveClient":    {newPush(zmq.WithCurveClient(long, zmq.CurveKeyPair{})), brief.Quote(long)},
		"WithPlainClient":    {newPush(zmq.WithPlainClient(long, "pw")), brief.Quote(long)},
		"WithXPubWelcomeMsg": {func() error { _, err := f.NewXPub(zmq.WithXPubWelcomeMsg([]byte(long))); return err }, brief.Quote(long)},
		// libzmq's own refusal: SUBSCRIBE on a raw PUSH.
		"raw PUSH WithSubscribe": {func() error { _, err := f.NewSocket(zmq.PUSH, zmq.WithSubscribe(long)); return err }, brief.Quote(long)},
		"Sub.Unsubscribe(\\x01...)": {func() error {
			s, err := f.NewSub()
			if err != nil {
				return err
			}
			defer s.Close()
			return s.Unsubscribe("\x01" + long)
		}, brief.Quote("\x01" + long)},
	} {
		err := badCall(t, what, c.make)
		badWant(t, what, err, []error{zmq.ErrInvalidOption})
		badShownOnce(t, what, err, c.shown)
	}
}

// badShownOnce checks that err shows a value once, as shown, and is short.
func badShownOnce(t *testing.T, what string, err error, shown string) {
	t.Helper()
	if err == nil {
		return
	}
	text := err.Error()
	if n := strings.Count(text, shown); n != 1 {
		t.Errorf("%s: the value is shown %d times, want once: %.400s", what, n, text)
	}
	if len(text) > 2*brief.Max+200 {
		t.Errorf("%s: a %d-byte error: %.400s", what, len(text), text)
	}
}

// WithSocksProxy takes "host:port" or "" (no proxy), and refuses anything
// else at once instead of leaving libzmq to fail every connection.
func TestBadSocksProxy(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	for _, addr := range []string{"", "127.0.0.1:1080", "[::1]:1080", "proxy.example.net:65535"} {
		p, err := f.NewPush(zmq.WithSocksProxy(addr))
		if err != nil {
			t.Errorf("WithSocksProxy(%q): %v", addr, err)
			continue
		}
		p.Close()
	}
	for _, addr := range []string{"garbage", "127.0.0.1", "127.0.0.1:", ":1080", "host:0", "host:65536",
		"host:+80", "host:080", "host:http", "::1:1080", "a b:1080", "[::1]:1080x"} {
		what := fmt.Sprintf("WithSocksProxy(%q)", addr)
		err := badCall(t, what, func() error { _, err := f.NewPush(zmq.WithSocksProxy(addr)); return err })
		badWant(t, what, err, []error{zmq.ErrInvalidOption}, "WithSocksProxy", strconv.Quote(addr))
		p := must[*zmq.Push](t)(f.NewPush())
		err = badCall(t, "SetOption "+what, func() error { return p.SetOption(zmq.WithSocksProxy(addr)) })
		badWant(t, "SetOption "+what, err, []error{zmq.ErrInvalidOption}, "WithSocksProxy", strconv.Quote(addr))
		p.Close()
	}
}

func TestBadEmptyMessage(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	ctx := testCtx(t, waitLimit)
	push := must[*zmq.Push](t)(f.NewPush())
	router := must[*zmq.Router](t)(f.NewRouter())
	raw := must[*zmq.Socket](t)(f.NewSocket(zmq.DEALER))
	for what, send := range map[string]func() error{
		"Push.Send(Msg{})":           func() error { return push.Send(ctx, zmq.Msg{}) },
		"Push.TrySend(Msg{})":        func() error { return push.TrySend(zmq.Msg{}) },
		"Push.Send(NewMsg())":        func() error { return push.Send(ctx, zmq.NewMsg()) },
		"Router.Send(empty frames)":  func() error { return router.Send(ctx, zmq.Msg{Frames: [][]byte{}}) },
		"Socket.TrySend(NewMsgStr)":  func() error { return raw.TrySend(zmq.NewMsgString()) },
		"Socket.Send(Msg{} no peer)": func() error { return raw.Send(ctx, zmq.Msg{}) },
	} {
		err := badCall(t, what, send)
		badWant(t, what, err, []error{zmq.ErrEmptyMessage})
		var oe *zmq.OpError
		if !errors.As(err, &oe) || oe.Op != "send" {
			t.Errorf("%s: %v is not an *OpError for send", what, err)
		}
	}
	// One empty frame is a message: with no peer it is EAGAIN, not refused.
	if err := push.TrySend(zmq.NewMsg(nil)); !errors.Is(err, zmq.EAGAIN) {
		t.Errorf("TrySend of one empty frame with no peer: got %v, want EAGAIN", err)
	}
}

// Every call on a closed socket fails with ErrClosed (which is also
// net.ErrClosed); callers waiting when it closes get the same.
func TestBadAfterClose(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	ctx := testCtx(t, waitLimit)
	closedErr := []error{zmq.ErrClosed, net.ErrClosed}

	push := must[*zmq.Push](t)(f.NewPush())
	pull := must[*zmq.Pull](t)(f.NewPull())
	sub := must[*zmq.Sub](t)(f.NewSub())
	pub := must[*zmq.Pub](t)(f.NewPub())
	xsub := must[*zmq.XSub](t)(f.NewXSub())
	router := must[*zmq.Router](t)(f.NewRouter())
	req := must[*zmq.Req](t)(f.NewReq())
	rep := must[*zmq.Rep](t)(f.NewRep())
	raw := must[*zmq.Socket](t)(f.NewSocket(zmq.PAIR))
	ep := bind(t, pull, "inproc")
	connectTo(t, push, ep)

	// Waiters are woken by Close.
	waiting := make(chan error, 2)
	go func() { _, err := pull.Recv(ctx); waiting <- err }()
	go func() { _, err := req.Request(ctx, []byte("q")); waiting <- err }()

	for _, c := range []interface{ Close() error }{push, pull, sub, pub, xsub, router, req, rep, raw} {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := c.Close(); err != nil {
			t.Errorf("second Close: %v, want nil (idempotent)", err)
		}
	}
	for range 2 {
		select {
		case err := <-waiting:
			badWant(t, "waiter at Close", err, closedErr)
		case <-time.After(waitLimit):
			t.Fatal("a waiter was not woken by Close")
		}
	}

	ops := map[string]func() error{
		"Push.Send":        func() error { return push.Send(ctx, zmq.NewMsgString("x")) },
		"Push.TrySend":     func() error { return push.TrySend(zmq.NewMsgString("x")) },
		"Push.Bind":        func() error { _, err := push.Bind("inproc://after-close"); return err },
		"Push.Connect":     func() error { return push.Connect(ep) },
		"Push.Unbind":      func() error { return push.Unbind(ep) },
		"Push.Disconnect":  func() error { return push.Disconnect(ep) },
		"Push.SetOption":   func() error { return push.SetOption(zmq.WithLinger(0)) },
		"Pull.Recv":        func() error { _, err := pull.Recv(ctx); return err },
		"Pull.TryRecv":     func() error { _, err := pull.TryRecv(); return err },
		"Pull.Serve":       func() error { return pull.Serve(ctx, func(context.Context, zmq.Msg) error { return nil }) },
		"Sub.Subscribe":    func() error { return sub.Subscribe("a") },
		"Sub.Unsubscribe":  func() error { return sub.Unsubscribe("a") },
		"Sub.RecvTopic":    func() error { _, _, err := sub.RecvTopic(ctx); return err },
		"Pub.Publish":      func() error { return pub.Publish(ctx, "t", []byte("b")) },
		"XSub.Subscribe":   func() error { return xsub.Subscribe("a") },
		"Router.SendTo":    func() error { return router.SendTo(ctx, []byte("id"), []byte("x")) },
		"Router.TrySendTo": func() error { return router.TrySendTo([]byte("id"), []byte("x")) },
		"Router.RecvFrom":  func() error { _, _, err := router.RecvFrom(ctx); return err },
		"Req.Request":      func() error { _, err := req.Request(ctx, []byte("q")); return err },
		"Rep.Recv":         func() error { _, err := rep.Recv(ctx); return err },
		"Socket.Send":      func() error { return raw.Send(ctx, zmq.NewMsgString("x")) },
		"Socket.Recv":      func() error { _, err := raw.Recv(ctx); return err },
		"Socket.Messages": func() error {
			for _, err := range raw.Messages(ctx) {
				return err
			}
			return nil
		},
	}
	for what, op := range ops {
		err := badCall(t, what, op)
		badWant(t, what+" after Close", err, closedErr)
	}
	var oe *zmq.OpError
	if err := push.TrySend(zmq.NewMsgString("x")); !errors.As(err, &oe) || oe.Op != "send" || oe.Socket != "PUSH" {
		t.Errorf("TrySend after Close: %v, want an *OpError (send, PUSH)", err)
	}
}

// A closed factory makes no sockets, and its sockets are closed.
func TestBadFactoryClosed(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	old := must[*zmq.Pull](t)(f.NewPull())
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-f.Done():
	default:
		t.Error("Done not closed after Close")
	}
	closedErr := []error{zmq.ErrClosed, net.ErrClosed}
	if _, err := old.TryRecv(); !errors.Is(err, zmq.ErrClosed) {
		t.Errorf("socket of a closed factory: got %v, want ErrClosed", err)
	}
	for what, mk := range map[string]func() error{
		"NewPub":    func() error { _, err := f.NewPub(); return err },
		"NewSub":    func() error { _, err := f.NewSub(); return err },
		"NewXPub":   func() error { _, err := f.NewXPub(); return err },
		"NewXSub":   func() error { _, err := f.NewXSub(); return err },
		"NewPush":   func() error { _, err := f.NewPush(); return err },
		"NewPull":   func() error { _, err := f.NewPull(); return err },
		"NewPair":   func() error { _, err := f.NewPair(); return err },
		"NewReq":    func() error { _, err := f.NewReq(); return err },
		"NewRep":    func() error { _, err := f.NewRep(); return err },
		"NewDealer": func() error { _, err := f.NewDealer(); return err },
		"NewRouter": func() error { _, err := f.NewRouter(); return err },
		"NewSocket": func() error { _, err := f.NewSocket(zmq.STREAM); return err },
	} {
		err := badCall(t, what, mk)
		badWant(t, what+" after factory Close", err, closedErr)
	}
	if err := f.Close(); err != nil {
		t.Errorf("second factory Close: %v", err)
	}
}

// A raw socket refuses what its type cannot do with ENOTSUP, at once,
// instead of waiting forever for readiness that never comes.
func TestBadUnsupportedDirection(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	ctx := testCtx(t, waitLimit)
	push := must[*zmq.Socket](t)(f.NewSocket(zmq.PUSH))
	pull := must[*zmq.Socket](t)(f.NewSocket(zmq.PULL))
	pub := must[*zmq.Socket](t)(f.NewSocket(zmq.PUB))
	sub := must[*zmq.Socket](t)(f.NewSocket(zmq.SUB))
	bind(t, push, "inproc")
	check := func(what string, op func() error) {
		t.Helper()
		done := make(chan error, 1)
		go func() { done <- badCall(t, what, op) }()
		select {
		case err := <-done:
			badWant(t, what, err, []error{zmq.ENOTSUP, syscall.ENOTSUP})
		case <-time.After(5 * time.Second):
			t.Errorf("%s still waiting after 5s, want ENOTSUP at once", what)
		}
	}
	check("PUSH Recv", func() error { _, err := push.Recv(ctx); return err })
	check("PUSH TryRecv", func() error { _, err := push.TryRecv(); return err })
	check("PUB Recv", func() error { _, err := pub.Recv(ctx); return err })
	check("PULL Send", func() error { return pull.Send(ctx, zmq.NewMsgString("x")) })
	check("PULL TrySend", func() error { return pull.TrySend(zmq.NewMsgString("x")) })
	check("SUB Send", func() error { return sub.Send(ctx, zmq.NewMsgString("x")) })
	var oe *zmq.OpError
	if _, err := push.TryRecv(); !errors.As(err, &oe) || oe.Op != "recv" || oe.Socket != "PUSH" {
		t.Errorf("PUSH TryRecv: %v, want an *OpError (recv, PUSH)", err)
	}
}
