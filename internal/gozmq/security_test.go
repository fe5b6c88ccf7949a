package gozmq

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zmqx/zmq/internal/engine"
	"github.com/zmqx/zmq/internal/zmtp"
	"github.com/zmqx/zmq/internal/zmtp/curve"
)

const handshakeEvents = engine.EventHandshakeSucceeded | engine.EventHandshakeFailedNoDetail |
	engine.EventHandshakeFailedProtocol | engine.EventHandshakeFailedAuth

// ipcAddressOfThisProcess is what libzmq reports as the address of an ipc
// peer in this process: on Linux, its user, group and process ids.
func ipcAddressOfThisProcess() string {
	if runtime.GOOS != "linux" {
		return ""
	}
	return fmt.Sprintf("localhost:%d:%d:%d", os.Getuid(), os.Getgid(), os.Getpid())
}

func z85(k curve.Key) engine.Value { return engine.Bytes([]byte(k.Z85())) }

func watch(t *testing.T, s *Socket, mask engine.EventType) engine.Monitor {
	t.Helper()
	m, err := s.Monitor(mask)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func nextEvent(t *testing.T, m engine.Monitor) engine.Event {
	t.Helper()
	ev, err := m.Recv(ctxT(t))
	if err != nil {
		t.Fatalf("waiting for an event: %v", err)
	}
	return ev
}

// zapHandler binds a ROUTER where the engine's sockets send ZAP requests.
func zapHandler(t *testing.T, e *Engine) *Socket {
	t.Helper()
	h := newSock(t, e, engine.ROUTER)
	if _, err := h.Bind(zapEndpoint); err != nil {
		t.Fatal(err)
	}
	return h
}

// answer receives one ZAP request at h and answers it with reply(request),
// which gets the request's frames after the routing id; it returns them.
func answer(t *testing.T, h *Socket, reply func(req []string) []string) []string {
	t.Helper()
	req := recv(t, h)
	if reply != nil {
		send(t, h, append([]string{req[0]}, reply(req[1:])...)...)
	}
	return req[1:]
}

func zapOK(user string) func([]string) []string {
	return func(req []string) []string { return []string{"", "1.0", req[2], "200", "OK", user, ""} }
}

func curveServerOpts(kp curve.KeyPair) []func(*Socket) {
	return []func(*Socket){
		opt(engine.OptCurveServer, engine.Int(1)), opt(engine.OptCurveSecretKey, z85(kp.Secret)),
		opt(engine.OptZAPDomain, engine.Bytes([]byte("global"))), opt(engine.OptMessageMetadata, engine.Int(1)),
	}
}

func curveClientOpts(server curve.Key, kp curve.KeyPair) []func(*Socket) {
	return []func(*Socket){
		opt(engine.OptCurveServerKey, z85(server)), opt(engine.OptCurvePublicKey, z85(kp.Public)),
		opt(engine.OptCurveSecretKey, z85(kp.Secret)),
	}
}

// The security options follow libzmq's rules: the last one set picks the
// mechanism and the side, keys are taken raw or in Z85 and read back in
// Z85, and a bad value is EINVAL without quoting it.
func TestSecurityOptionsFollowLibzmq(t *testing.T) {
	e := newEngine(t)
	kp := curve.GenerateKeyPair()
	type set struct {
		o engine.Option
		v engine.Value
	}
	cases := []struct {
		name      string
		sets      []set
		mechanism string
		server    bool
		auth      bool
	}{
		{"none", nil, "NULL", false, false},
		{"ZAP domain", []set{{engine.OptZAPDomain, engine.Bytes([]byte("d"))}}, "NULL", false, true},
		{"CURVE server", []set{{engine.OptCurveServer, engine.Int(1)}, {engine.OptCurveSecretKey, z85(kp.Secret)}}, "CURVE", true, true},
		{"CURVE client, raw keys", []set{{engine.OptCurveServerKey, engine.Bytes(kp.Public[:])},
			{engine.OptCurvePublicKey, engine.Bytes(kp.Public[:])}, {engine.OptCurveSecretKey, engine.Bytes(kp.Secret[:])}}, "CURVE", false, false},
		{"CURVE client, Z85 and NUL", []set{{engine.OptCurveServerKey, engine.Bytes(append([]byte(kp.Public.Z85()), 0))}}, "CURVE", false, false},
		{"server key after CURVE_SERVER makes a client", []set{{engine.OptCurveServer, engine.Int(1)},
			{engine.OptCurveServerKey, z85(kp.Public)}}, "CURVE", false, false},
		{"CURVE_SERVER off", []set{{engine.OptCurveServer, engine.Int(1)}, {engine.OptCurveServer, engine.Int(0)}}, "NULL", false, false},
		{"PLAIN server", []set{{engine.OptPlainServer, engine.Int(1)}}, "PLAIN", true, true},
		{"PLAIN client", []set{{engine.OptPlainUsername, engine.Bytes([]byte("u"))}}, "PLAIN", false, false},
		{"user name after PLAIN_SERVER makes a client", []set{{engine.OptPlainServer, engine.Int(1)},
			{engine.OptPlainPassword, engine.Bytes([]byte("p"))}}, "PLAIN", false, false},
		{"empty user name goes back to NULL", []set{{engine.OptPlainUsername, engine.Bytes([]byte("u"))},
			{engine.OptPlainUsername, engine.Value{}}}, "NULL", false, false},
		{"CURVE after PLAIN", []set{{engine.OptPlainServer, engine.Int(1)}, {engine.OptCurveServer, engine.Int(1)}}, "CURVE", true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSock(t, e, engine.PULL)
			for _, st := range tc.sets {
				if err := s.SetOption(st.o, st.v); err != nil {
					t.Fatalf("%v: %v", st.o, err)
				}
			}
			s.mu.Lock()
			name, auth := s.mechanismLocked().Name(), s.authenticatesLocked()
			s.mu.Unlock()
			if name != tc.mechanism || auth != tc.auth {
				t.Errorf("mechanism %s, authenticates %v; want %s, %v", name, auth, tc.mechanism, tc.auth)
			}
			opt := engine.OptPlainServer
			if tc.mechanism == "CURVE" {
				opt = engine.OptCurveServer
			}
			if v, err := s.Option(opt); err != nil || (v.Int == 1) != tc.server {
				t.Errorf("%v reads %d, %v; want server %v", opt, v.Int, err, tc.server)
			}
		})
	}

	s := newSock(t, e, engine.PUSH)
	for _, o := range []engine.Option{engine.OptCurvePublicKey, engine.OptCurveSecretKey, engine.OptCurveServerKey} {
		if v, err := s.Option(o); err != nil || len(v.Bytes) != 0 {
			t.Errorf("unset %v reads %q, %v; want nothing, as the libzmq engine reports it", o, v.Bytes, err)
		}
		if err := s.SetOption(o, engine.Bytes(kp.Secret[:])); err != nil {
			t.Fatal(err)
		}
		if v, _ := s.Option(o); string(v.Bytes) != kp.Secret.Z85() {
			t.Errorf("%v set raw reads %q, want its Z85", o, v.Bytes)
		}
		bad := "~~~~~" + kp.Secret.Z85()[5:]
		for _, b := range []string{bad, kp.Secret.Z85()[:39], kp.Secret.Z85() + "x"} {
			err := s.SetOption(o, engine.Bytes([]byte(b)))
			if !errors.Is(err, syscall.EINVAL) {
				t.Errorf("%v = a bad key of %d characters: %v, want EINVAL", o, len(b), err)
			}
			if err != nil && strings.Contains(err.Error(), b[5:15]) {
				t.Errorf("the error quotes the key: %v", err)
			}
		}
	}
	if err := s.SetOption(engine.OptZAPDomain, engine.Bytes(bytes.Repeat([]byte("d"), 256))); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("a ZAP domain of 256 octets: %v, want EINVAL", err)
	}
}

// The ZAP request carries what libzmq's carries, frame for frame, and the
// admitted peer's user id reaches its messages.
func TestZAPRequestIsLibzmqs(t *testing.T) {
	kp, client := curve.GenerateKeyPair(), curve.GenerateKeyPair()
	cases := []struct {
		mechanism string
		server    []func(*Socket)
		client    []func(*Socket)
		creds     []string
	}{
		{"NULL", []func(*Socket){opt(engine.OptZAPDomain, engine.Bytes([]byte("dom"))), opt(engine.OptMessageMetadata, engine.Int(1))},
			nil, nil},
		{"PLAIN", []func(*Socket){opt(engine.OptPlainServer, engine.Int(1)), opt(engine.OptZAPDomain, engine.Bytes([]byte("dom"))),
			opt(engine.OptMessageMetadata, engine.Int(1))},
			[]func(*Socket){opt(engine.OptPlainUsername, engine.Bytes([]byte("admin"))), opt(engine.OptPlainPassword, engine.Bytes([]byte("secret")))},
			[]string{"admin", "secret"}},
		{"CURVE", append(curveServerOpts(kp), opt(engine.OptZAPDomain, engine.Bytes([]byte("dom")))),
			curveClientOpts(kp.Public, client), []string{string(client.Public[:])}},
	}
	for _, tc := range cases {
		for _, transport := range []string{"tcp", "ipc"} {
			t.Run(tc.mechanism+"/"+transport, func(t *testing.T) {
				e := newEngine(t)
				h := zapHandler(t, e)
				srv := newSock(t, e, engine.PULL, append(tc.server, opt(engine.OptRoutingID, engine.Bytes([]byte("srv-id"))))...)
				ep := bindAny(t, srv, transport)
				push := newSock(t, e, engine.PUSH, tc.client...)
				connect(t, push, ep)
				send(t, push, "hello")
				addr := "127.0.0.1"
				if transport == "ipc" {
					addr = ipcAddressOfThisProcess()
				}
				req := answer(t, h, func(req []string) []string {
					return []string{"", "1.0", req[2], "200", "OK", "alice", "\x05X-Foo\x00\x00\x00\x03bar"}
				})
				want := append([]string{"", "1.0", "1", "dom", addr, "srv-id", tc.mechanism}, tc.creds...)
				if fmt.Sprintf("%q", req) != fmt.Sprintf("%q", want) {
					t.Fatalf("ZAP request %q, want %q", req, want)
				}
				m, err := srv.Recv(ctxT(t))
				if err != nil {
					t.Fatal(err)
				}
				if string(m.Frames[0]) != "hello" || m.UserID != "alice" || m.PeerAddress != addr {
					t.Fatalf("got %q from user %q at %q, want hello from alice at %q", m.Frames, m.UserID, m.PeerAddress, addr)
				}
				if v, ok := m.Props.Get("x-foo"); !ok || v != "bar" {
					t.Errorf("the ZAP reply's metadata X-Foo reads %q, %v on the message; want bar", v, ok)
				}
			})
		}
	}
}

// A handler that answers anything but a valid reply refuses the peer, with
// the event libzmq reports for the same reply, and nothing is delivered.
func TestZAPFaultsRefuse(t *testing.T) {
	reply := func(frames ...string) func([]string) []string {
		return func(req []string) []string {
			out := append([]string(nil), frames...)
			for i, f := range out {
				if f == "<id>" {
					out[i] = req[2]
				}
			}
			return out
		}
	}
	cases := []struct {
		name    string
		handler bool
		reply   func([]string) []string // nil: the handler closes without replying
		ivl     int
		want    engine.Event
	}{
		{"six frames", true, reply("", "1.0", "<id>", "200", "OK", "u"), 0,
			engine.Event{Type: engine.EventHandshakeFailedProtocol, Value: uint32(zmtp.CodeZAPMalformedReply)}},
		{"eight frames", true, reply("", "1.0", "<id>", "200", "OK", "u", "", "x"), 0,
			engine.Event{Type: engine.EventHandshakeFailedProtocol, Value: uint32(zmtp.CodeZAPMalformedReply)}},
		{"delimiter not empty", true, reply("x", "1.0", "<id>", "200", "OK", "u", ""), 0,
			engine.Event{Type: engine.EventHandshakeFailedProtocol, Value: uint32(zmtp.CodeZAPUnspecified)}},
		{"bad version", true, reply("", "2.0", "<id>", "200", "OK", "u", ""), 0,
			engine.Event{Type: engine.EventHandshakeFailedProtocol, Value: uint32(zmtp.CodeZAPBadVersion)}},
		{"bad request id", true, reply("", "1.0", "2", "200", "OK", "u", ""), 0,
			engine.Event{Type: engine.EventHandshakeFailedProtocol, Value: uint32(zmtp.CodeZAPBadRequestID)}},
		{"invalid status", true, reply("", "1.0", "<id>", "201", "OK", "u", ""), 0,
			engine.Event{Type: engine.EventHandshakeFailedProtocol, Value: uint32(zmtp.CodeZAPInvalidStatus)}},
		{"invalid metadata", true, reply("", "1.0", "<id>", "200", "OK", "u", "\x05X-Foo\x00\x00"), 0,
			engine.Event{Type: engine.EventHandshakeFailedProtocol, Value: uint32(zmtp.CodeZAPInvalidMetadata)}},
		{"denied", true, reply("", "1.0", "<id>", "400", "no", "", ""), 0,
			engine.Event{Type: engine.EventHandshakeFailedAuth, Value: 400}},
		{"temporary failure", true, reply("", "1.0", "<id>", "300", "later", "", ""), 0,
			engine.Event{Type: engine.EventHandshakeFailedAuth, Value: 300}},
		{"handler closes without replying", true, nil, 0,
			engine.Event{Type: engine.EventHandshakeFailedNoDetail, Value: uint32(syscall.EFAULT)}},
		{"handler never replies", true, func([]string) []string { return nil }, 300,
			engine.Event{Type: engine.EventHandshakeFailedNoDetail, Value: uint32(syscall.ETIMEDOUT)}},
		{"no handler", false, nil, 0,
			engine.Event{Type: engine.EventHandshakeFailedNoDetail, Value: uint32(syscall.EFAULT)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEngine(t)
			var h *Socket
			if tc.handler {
				h = zapHandler(t, e)
			}
			opts := []func(*Socket){opt(engine.OptPlainServer, engine.Int(1))}
			if tc.ivl > 0 {
				opts = append(opts, opt(engine.OptHandshakeIvl, engine.Int(tc.ivl)))
			}
			srv := newSock(t, e, engine.PULL, opts...)
			smon := watch(t, srv, handshakeEvents)
			ep := bindAny(t, srv, "tcp")
			push := newSock(t, e, engine.PUSH, opt(engine.OptPlainUsername, engine.Bytes([]byte("u"))))
			cmon := watch(t, push, handshakeEvents)
			connect(t, push, ep)
			if err := push.TrySend([][]byte{[]byte("intruder")}); err != nil {
				t.Fatal(err)
			}
			if h != nil {
				req := recv(t, h)
				switch {
				case tc.reply == nil:
					h.Close()
				case tc.reply(req[1:]) != nil:
					send(t, h, append([]string{req[0]}, tc.reply(req[1:])...)...)
				}
			}
			ev := nextEvent(t, smon)
			ev.Endpoint = ""
			if ev != tc.want {
				t.Fatalf("server event %+v, want %+v", ev, tc.want)
			}
			if tc.want.Type == engine.EventHandshakeFailedAuth && tc.want.Value != 300 {
				if cev := nextEvent(t, cmon); cev.Type != engine.EventHandshakeFailedAuth || cev.Value != tc.want.Value {
					t.Fatalf("client event %+v, want the same refusal", cev)
				}
			}
			if m, err := srv.TryRecv(); err == nil {
				t.Fatalf("delivered %q after %s", m.Frames, tc.name)
			}
		})
	}
}

// With no handler, the connection stays open and silent until the
// handshake interval, then closes: the client learns then, as with libzmq.
func TestNoHandlerHoldsUntilHandshakeInterval(t *testing.T) {
	e := newEngine(t)
	srv := newSock(t, e, engine.PULL, opt(engine.OptPlainServer, engine.Int(1)), opt(engine.OptHandshakeIvl, engine.Int(2000)))
	mon := watch(t, srv, handshakeEvents)
	ep := bindAny(t, srv, "tcp")
	nc, err := net.Dial("tcp", strings.TrimPrefix(ep, "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	hs := make(chan error, 1)
	go func() {
		_, err := zmtp.Handshake(nc, &zmtp.Config{SocketType: zmtp.Push, Mechanism: zmtp.PlainClient{Username: "u"}})
		hs <- err
	}()
	if ev := nextEvent(t, mon); ev.Type != engine.EventHandshakeFailedNoDetail || ev.Value != uint32(syscall.EFAULT) {
		t.Fatalf("server event %+v, want no detail EFAULT", ev)
	}
	select {
	case err := <-hs:
		t.Fatalf("the client's handshake ended at once (%v); libzmq keeps it until the handshake interval", err)
	case <-time.After(200 * time.Millisecond): // an observation window, not a wait for an event
	}
	select {
	case err := <-hs:
		var ce *zmtp.ConnError
		if !errors.As(err, &ce) {
			t.Fatalf("client handshake: %v, want the connection closed", err)
		}
	case <-ctxT(t).Done():
		t.Fatal("the server never closed the refused connection")
	}
}

// A handshake that stalls is dropped at the handshake interval.
func TestStalledHandshakeIsDropped(t *testing.T) {
	e := newEngine(t)
	kp := curve.GenerateKeyPair()
	srv := newSock(t, e, engine.PULL, append(curveServerOpts(kp), opt(engine.OptHandshakeIvl, engine.Int(200)))...)
	mon := watch(t, srv, handshakeEvents)
	ep := bindAny(t, srv, "tcp")
	nc, err := net.Dial("tcp", strings.TrimPrefix(ep, "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	greeting := make([]byte, 64)
	greeting[0], greeting[9], greeting[10], greeting[11] = 0xff, 0x7f, 3, 1
	copy(greeting[12:], "CURVE")
	if _, err := nc.Write(greeting); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, mon); ev.Type != engine.EventHandshakeFailedNoDetail || ev.Value != uint32(syscall.ETIMEDOUT) {
		t.Fatalf("server event %+v, want no detail ETIMEDOUT", ev)
	}
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 512)
	for {
		if _, err := nc.Read(buf); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatal("the stalled connection was not closed")
			}
			return
		}
	}
}

// curveRaw completes a CURVE handshake as a PUSH on a raw connection to
// ep, so a test can write what it likes afterwards.
func curveRaw(t *testing.T, ep string, server curve.Key, kp curve.KeyPair) (net.Conn, *zmtp.Session) {
	t.Helper()
	nc, err := net.Dial("tcp", strings.TrimPrefix(ep, "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	sess, err := zmtp.Handshake(nc, &zmtp.Config{SocketType: zmtp.Push,
		Mechanism: zmtp.CurveClient{ServerKey: server, Public: kp.Public, Secret: kp.Secret}})
	if err != nil {
		t.Fatal(err)
	}
	return nc, sess
}

// recorder keeps what is written through it.
type recorder struct {
	net.Conn
	out bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) {
	r.out.Write(b)
	return r.Conn.Write(b)
}

// admitAll answers every ZAP request at h with 200, until h closes.
func admitAll(h *Socket) {
	for {
		m, err := h.Recv(context.Background())
		if err != nil {
			return
		}
		h.Send(context.Background(), [][]byte{m.Frames[0], {}, zapVersion, m.Frames[3], []byte("200"), {}, []byte("user"), {}})
	}
}

// A CURVE server drops a client that replays, alters or cuts a MESSAGE,
// or replays a whole handshake, reports it as libzmq does, and keeps
// serving others.
func TestCurveServerDropsReplays(t *testing.T) {
	kp, client := curve.GenerateKeyPair(), curve.GenerateKeyPair()
	// server makes a CURVE PULL that admits everyone, with a monitor.
	server := func(t *testing.T) (*Socket, engine.Monitor, string) {
		e := newEngine(t)
		go admitAll(zapHandler(t, e))
		srv := newSock(t, e, engine.PULL, curveServerOpts(kp)...)
		mon := watch(t, srv, engine.EventHandshakeFailedProtocol|engine.EventDisconnected)
		ep := bindAny(t, srv, "tcp")
		t.Cleanup(func() {
			// Others are still served.
			push := newSock(t, srv.eng, engine.PUSH, curveClientOpts(kp.Public, client)...)
			connect(t, push, ep)
			send(t, push, "still served")
			if got := recv(t, srv); got[0] != "still served" {
				t.Errorf("got %q", got)
			}
		})
		return srv, mon, ep
	}
	for _, tc := range []struct {
		name   string
		second func(enc *zmtp.Encoder, first []byte) []byte
		code   zmtp.ProtocolErrorCode
	}{
		{"replayed MESSAGE", func(_ *zmtp.Encoder, first []byte) []byte { return first }, zmtp.CodeInvalidSequence},
		{"altered MESSAGE", func(enc *zmtp.Encoder, _ []byte) []byte {
			f, _ := enc.AppendFrame(nil, []byte("altered"), false)
			f[len(f)-1] ^= 1
			return f
		}, zmtp.CodeCryptographic},
		{"truncated MESSAGE", func(*zmtp.Encoder, []byte) []byte {
			return append([]byte{0x00, 12}, "\x07MESSAGE\x00\x00\x00\x09"...)
		}, zmtp.CodeMalformedMessage},
		{"another command", func(*zmtp.Encoder, []byte) []byte {
			return append([]byte{0x00, 6}, "\x05READY"...)
		}, zmtp.CodeUnexpectedCommand},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, mon, ep := server(t)
			nc, sess := curveRaw(t, ep, kp.Public, client)
			frame, err := sess.Encoder.AppendFrame(nil, []byte(tc.name), false)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := nc.Write(append(frame, tc.second(sess.Encoder, frame)...)); err != nil {
				t.Fatal(err)
			}
			if got := recv(t, srv); got[0] != tc.name {
				t.Fatalf("got %q", got)
			}
			if ev := nextEvent(t, mon); ev.Type != engine.EventHandshakeFailedProtocol || ev.Value != uint32(tc.code) {
				t.Fatalf("event %+v, want handshake-failed-protocol %#x", ev, tc.code)
			}
			if ev := nextEvent(t, mon); ev.Type != engine.EventDisconnected {
				t.Fatalf("event %+v, want the disconnection", ev)
			}
			if m, err := srv.TryRecv(); err == nil {
				t.Fatalf("delivered %q", m.Frames)
			}
		})
	}

	t.Run("replayed handshake", func(t *testing.T) {
		_, mon, ep := server(t)
		nc, err := net.Dial("tcp", strings.TrimPrefix(ep, "tcp://"))
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		rec := &recorder{Conn: nc}
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := zmtp.Handshake(rec, &zmtp.Config{SocketType: zmtp.Push,
			Mechanism: zmtp.CurveClient{ServerKey: kp.Public, Public: client.Public, Secret: client.Secret}}); err != nil {
			t.Fatal(err)
		}
		// The same greeting, HELLO and INITIATE again: the new WELCOME
		// brings a new cookie key, so the old INITIATE's cookie fails.
		again, err := net.Dial("tcp", strings.TrimPrefix(ep, "tcp://"))
		if err != nil {
			t.Fatal(err)
		}
		defer again.Close()
		if _, err := again.Write(rec.out.Bytes()); err != nil {
			t.Fatal(err)
		}
		if ev := nextEvent(t, mon); ev.Type != engine.EventHandshakeFailedProtocol || ev.Value != uint32(zmtp.CodeCryptographic) {
			t.Fatalf("event %+v, want handshake-failed-protocol cryptographic", ev)
		}
	})
}

// Before a valid INITIATE, a CURVE server has asked no handler and made no
// pipe, whatever the number of clients that sent HELLO, and each such
// client costs it little memory.
func TestCurveServerKeepsNothingBeforeInitiate(t *testing.T) {
	e := newEngine(t)
	h := zapHandler(t, e)
	kp := curve.GenerateKeyPair()
	srv := newSock(t, e, engine.PULL, curveServerOpts(kp)...)
	ep := bindAny(t, srv, "tcp")
	const clients = 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range clients {
		nc, err := net.Dial("tcp", strings.TrimPrefix(ep, "tcp://"))
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		c, err := curve.NewClient(kp.Public, curve.GenerateKeyPair())
		if err != nil {
			t.Fatal(err)
		}
		hello, err := c.Hello()
		if err != nil {
			t.Fatal(err)
		}
		greeting := make([]byte, 64)
		greeting[0], greeting[9], greeting[10], greeting[11] = 0xff, 0x7f, 3, 1
		copy(greeting[12:], "CURVE")
		frame := append([]byte{0x04, byte(len(hello))}, hello...)
		if _, err := nc.Write(append(greeting, frame...)); err != nil {
			t.Fatal(err)
		}
		// Read the greeting and the WELCOME (2 + 168 octets).
		nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 64+2+168)
		if _, err := ioReadFull(nc, buf); err != nil {
			t.Fatalf("no WELCOME: %v", err)
		}
	}
	runtime.ReadMemStats(&after)
	// Both sides of every connection are in this process; the server's
	// read buffer alone would be 64 KiB a connection if it took its full
	// size before the handshake is done.
	per := (after.TotalAlloc - before.TotalAlloc) / clients
	if per > 32<<10 {
		t.Errorf("%d octets allocated per connection that sent HELLO, want under 32 KiB", per)
	}
	t.Logf("%d octets allocated per connection that sent HELLO, both sides", per)
	srv.mu.Lock()
	pipes := len(srv.pipes)
	srv.mu.Unlock()
	h.mu.Lock()
	zapPipes := len(h.pipes)
	h.mu.Unlock()
	if pipes != 0 || zapPipes != 0 {
		t.Fatalf("after %d HELLOs: %d pipes on the server, %d ZAP pipes; want none", clients, pipes, zapPipes)
	}
	if m, err := h.TryRecv(); err == nil {
		t.Fatalf("the handler got a request before any INITIATE: %q", m.Frames)
	}
}

func ioReadFull(nc net.Conn, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := nc.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Heartbeats and subscriptions travel inside CURVE MESSAGEs: a SUB's
// subscription reaches the PUB, and PINGs are answered (the heartbeat
// timeout never drops the idle connection).
func TestCurveHeartbeatsAndSubscriptions(t *testing.T) {
	e := newEngine(t)
	go admitAll(zapHandler(t, e))
	kp, client := curve.GenerateKeyPair(), curve.GenerateKeyPair()
	hb := []func(*Socket){opt(engine.OptHeartbeatIvl, engine.Int(20)), opt(engine.OptHeartbeatTimeout, engine.Int(100))}
	pub := newSock(t, e, engine.PUB, append(curveServerOpts(kp), hb...)...)
	pmon := watch(t, pub, engine.EventDisconnected|engine.EventHandshakeFailedProtocol)
	ep := bindAny(t, pub, "tcp")
	sub := newSock(t, e, engine.SUB, append(curveClientOpts(kp.Public, client), hb...)...)
	smon := watch(t, sub, engine.EventDisconnected|engine.EventHandshakeFailedProtocol)
	if err := sub.SetOption(engine.OptSubscribe, engine.Bytes([]byte("news"))); err != nil {
		t.Fatal(err)
	}
	connect(t, sub, ep)
	ctx := ctxT(t)
	for {
		send(t, pub, "sport")
		send(t, pub, "news 1")
		if m, err := sub.TryRecv(); err == nil {
			if string(m.Frames[0]) != "news 1" {
				t.Fatalf("SUB got %q", m.Frames)
			}
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the subscription never took effect")
		case <-time.After(5 * time.Millisecond):
		}
	}
	// Idle for many heartbeat timeouts: nobody is dropped.
	for _, m := range []engine.Monitor{pmon, smon} {
		wctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		ev, err := m.Recv(wctx)
		cancel()
		if err == nil {
			t.Fatalf("event %+v while idle with heartbeats under CURVE", ev)
		}
	}
	send(t, pub, "news 2")
	for {
		got := recv(t, sub)
		if got[0] == "news 2" {
			break
		}
		if got[0] != "news 1" { // sent before the first one arrived
			t.Fatalf("got %q", got)
		}
	}
}

// A REP bound as the ZAP handler works too: the request's envelope is its
// empty delimiter frame, as libzmq sends it to a REP.
func TestZAPHandlerMayBeARep(t *testing.T) {
	e := newEngine(t)
	h := newSock(t, e, engine.REP)
	if _, err := h.Bind(zapEndpoint); err != nil {
		t.Fatal(err)
	}
	srv := newSock(t, e, engine.PULL, opt(engine.OptPlainServer, engine.Int(1)), opt(engine.OptMessageMetadata, engine.Int(1)))
	ep := bindAny(t, srv, "tcp")
	push := newSock(t, e, engine.PUSH, opt(engine.OptPlainUsername, engine.Bytes([]byte("admin"))))
	connect(t, push, ep)
	send(t, push, "hello")
	req := recv(t, h)
	if want := []string{"1.0", "1", "", "127.0.0.1", "", "PLAIN", "admin", ""}; fmt.Sprintf("%q", req) != fmt.Sprintf("%q", want) {
		t.Fatalf("REP handler got %q, want %q", req, want)
	}
	send(t, h, "1.0", "1", "200", "OK", "admin-user", "")
	m, err := srv.Recv(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if string(m.Frames[0]) != "hello" || m.UserID != "admin-user" {
		t.Fatalf("got %q from %q", m.Frames, m.UserID)
	}
}
