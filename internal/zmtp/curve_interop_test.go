package zmtp

import (
	"bytes"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zmqx/zmq/internal/zmtp/curve"
)

// CURVE interoperability with libzmq 4.3.4 through pyzmq, both directions.

// curveServerOpts are peer.py's options for a CURVE server with keys
// server that admits the client keys allowed, with handshake events.
func curveServerOpts(server curve.KeyPair, allowed ...curve.Key) []string {
	keys := make([]string, len(allowed))
	for i, k := range allowed {
		keys[i] = k.Z85()
	}
	return []string{"curve_server=" + server.Secret.Z85(), "curve_allow=" + strings.Join(keys, ","), "monitor=1"}
}

// curveClientOpts are peer.py's options for a CURVE client with keys
// client of the server whose public key is server, with handshake events.
func curveClientOpts(server curve.Key, client curve.KeyPair) []string {
	return []string{"curve_client=" + server.Z85() + "," + client.Public.Z85() + "," + client.Secret.Z85(), "monitor=1"}
}

func asClient(server curve.Key, client curve.KeyPair) CurveClient {
	return CurveClient{ServerKey: server, Public: client.Public, Secret: client.Secret}
}

// recordingConn keeps every octet read from the connection.
type recordingConn struct {
	net.Conn
	read bytes.Buffer
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Write(p[:n])
	return n, err
}

func TestPyzmqCurve(t *testing.T) {
	server, client, stranger := curve.GenerateKeyPair(), curve.GenerateKeyPair(), curve.GenerateKeyPair()
	big := strings.Repeat("b", 64<<10)

	t.Run("pyzmq admits our client", func(t *testing.T) {
		py, port := pythonPeer(t, append([]string{"ROUTER", "bind", "0"}, curveServerOpts(server, client.Public)...)...)
		c := dialPeer(t, port)
		s := mustHandshake(t, c, &Config{SocketType: Dealer, Identity: []byte("go-dealer"), Mechanism: asClient(server.Public, client)})
		if s.Version != ZMTP31 || s.PeerType != Router {
			t.Fatalf("session %v %v", s.Version, s.PeerType)
		}
		if ev := py.event(); ev != "HANDSHAKE_SUCCEEDED 0" {
			t.Errorf("pyzmq's handshake event %q", ev)
		}
		sendMsg(t, c, s, "", "hello", "", big)
		if got, want := py.recv(), hexParts([]string{"go-dealer", "", "hello", "", big}); got != want {
			t.Fatalf("ROUTER got %.60s..., want %.60s...", got, want)
		}
		py.send("go-dealer", "", "world", "", big)
		if got, want := recvMsg(t, c, s), hexParts([]string{"", "world", "", big}); got != want {
			t.Fatalf("we got %.60s..., want %.60s...", got, want)
		}
	})
	t.Run("pyzmq refuses a key it does not know", func(t *testing.T) {
		py, port := pythonPeer(t, append([]string{"ROUTER", "bind", "0"}, curveServerOpts(server, client.Public)...)...)
		c := &recordingConn{Conn: dialPeer(t, port)}
		_, err := Handshake(c, &Config{SocketType: Dealer, Mechanism: asClient(server.Public, stranger)})
		if !isAuth(400, true)(err) {
			t.Fatalf("got %v, want the peer's refusal with status 400", err)
		}
		// libzmq's CURVE server spells its ERROR right, unlike its PLAIN
		// server (both forms are read).
		if !bytes.HasSuffix(c.read.Bytes(), []byte("\x04\x0a\x05ERROR\x03400")) {
			t.Errorf("the refusal ended with %q, want a well-formed ERROR 400", c.read.Bytes()[max(0, c.read.Len()-16):])
		}
		if ev := py.event(); ev != "HANDSHAKE_FAILED_AUTH 400" {
			t.Errorf("pyzmq's handshake event %q", ev)
		}
	})
	t.Run("pyzmq hangs up on a client with another server key", func(t *testing.T) {
		py, port := pythonPeer(t, append([]string{"ROUTER", "bind", "0"}, curveServerOpts(server, client.Public)...)...)
		c := dialPeer(t, port)
		_, err := Handshake(c, &Config{SocketType: Dealer, Mechanism: asClient(stranger.Public, client)})
		if !isConnErr(err) {
			t.Fatalf("got %v, want the connection closed", err)
		}
		if ev, want := py.event(), "HANDSHAKE_FAILED_PROTOCOL "+strconv.Itoa(int(CodeCryptographic)); ev != want {
			t.Errorf("pyzmq's handshake event %q, want %q", ev, want)
		}
	})
	t.Run("our authenticator admits a pyzmq client", func(t *testing.T) {
		ln, port := listen(t)
		py, _ := pythonPeer(t, append([]string{"DEALER", "connect", itoa(port), "identity=py-dealer"}, curveClientOpts(server.Public, client)...)...)
		c := accept(t, ln)
		var req ZAPRequest
		s := mustHandshake(t, c, &Config{SocketType: Router, Mechanism: CurveServer{Secret: server.Secret}, ZAPDomain: "test",
			ZAP: func(r ZAPRequest) (ZAPReply, error) {
				req = r
				if len(r.Credentials) == 1 && bytes.Equal(r.Credentials[0], client.Public[:]) {
					return ZAPReply{Status: 200, UserID: "py-user"}, nil
				}
				return ZAPReply{Status: 400}, nil
			}})
		if req.Address != "127.0.0.1" || req.Mechanism != "CURVE" || req.Domain != "test" {
			t.Errorf("ZAP request %+v", req)
		}
		if s.UserID != "py-user" || s.PeerType != Dealer || string(s.PeerIdentity) != "py-dealer" {
			t.Errorf("session user %q, peer %v %q", s.UserID, s.PeerType, s.PeerIdentity)
		}
		if ev := py.event(); ev != "HANDSHAKE_SUCCEEDED 0" {
			t.Errorf("pyzmq's handshake event %q", ev)
		}
		py.send("", "hello", "", big)
		if got, want := recvMsg(t, c, s), hexParts([]string{"", "hello", "", big}); got != want {
			t.Fatalf("we got %.60s..., want %.60s...", got, want)
		}
		sendMsg(t, c, s, "", "world")
		if got, want := py.recv(), hexParts([]string{"", "world"}); got != want {
			t.Fatalf("DEALER got %s, want %s", got, want)
		}
	})
	t.Run("our authenticator refuses a pyzmq client", func(t *testing.T) {
		ln, port := listen(t)
		py, _ := pythonPeer(t, append([]string{"DEALER", "connect", itoa(port)}, curveClientOpts(server.Public, stranger)...)...)
		c := accept(t, ln)
		_, err := Handshake(c, &Config{SocketType: Router, Mechanism: CurveServer{Secret: server.Secret}, ZAP: refuseWith(400)})
		if !isAuth(400, false)(err) {
			t.Fatalf("got %v, want our refusal with status 400", err)
		}
		if ev := py.event(); ev != "HANDSHAKE_FAILED_AUTH 400" {
			t.Errorf("pyzmq's handshake event %q, want our refusal seen", ev)
		}
	})
}

func TestPyzmqCurveHeartbeat(t *testing.T) {
	server, client := curve.GenerateKeyPair(), curve.GenerateKeyPair()
	start := func(t *testing.T) (*livePeer, net.Conn, *Session) {
		ln, port := listen(t)
		// libzmq PINGs every 100 ms and hangs up 500 ms after a PING
		// unless something arrives.
		py, _ := pythonPeer(t, append([]string{"DEALER", "connect", itoa(port), "heartbeat=100:1500:500"},
			curveClientOpts(server.Public, client)...)...)
		c := accept(t, ln)
		s := mustHandshake(t, c, &Config{SocketType: Router, Mechanism: CurveServer{Secret: server.Secret}, ZAP: admitAll})
		return py, c, s
	}
	t.Run("PINGs arrive and our PONGs keep the link", func(t *testing.T) {
		py, c, s := start(t)
		for i := range 8 { // 800 ms of PINGs: past the timeout
			cmd, f := nextCommand(t, s)
			if cmd.Name != CmdPing {
				t.Fatalf("command %q, want PING", cmd.Name)
			}
			ttl, ctx, err := ParsePing(cmd.Data)
			if err != nil || ttl != 1500*time.Millisecond || len(ctx) != 0 {
				t.Fatalf("PING %d: ttl %v context %q err %v", i, ttl, ctx, err)
			}
			answerPing(t, c, s, f)
		}
		// Our own PING comes back as PONG, through the cipher.
		out, err := s.Encoder.AppendPing(nil, time.Second, []byte("go-ctx"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write(out); err != nil {
			t.Fatal(err)
		}
		for {
			cmd, f := nextCommand(t, s)
			if cmd.Name == CmdPong {
				if string(cmd.Data) != "go-ctx" {
					t.Fatalf("PONG context %q, want go-ctx", cmd.Data)
				}
				break
			}
			answerPing(t, c, s, f)
		}
		py.send("", "alive")
		if got, want := recvMsg(t, c, s), hexParts([]string{"", "alive"}); got != want {
			t.Fatalf("we got %s, want %s", got, want)
		}
		// The PONGs were taken as commands: none reached the application.
		sendMsg(t, c, s, "", "back")
		if got, want := py.recv(), hexParts([]string{"", "back"}); got != want {
			t.Fatalf("DEALER got %s, want %s", got, want)
		}
	})
	t.Run("unanswered PINGs end the link", func(t *testing.T) {
		_, _, s := start(t)
		pings := 0
		var err error
		for err == nil {
			var f Frame
			if f, err = s.Decoder.Next(); err == nil {
				if cmd, _ := ParseCommand(f.Body); !f.Command || cmd.Name != CmdPing {
					t.Fatalf("frame %q command %v, want only PINGs", f.Body, f.Command)
				}
				pings++
			}
		}
		var ne net.Error
		if pings == 0 || !isConnErr(err) || errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("after %d PINGs: %v, want libzmq to hang up", pings, err)
		}
	})
}

func TestPyzmqCurveSubscriptions(t *testing.T) {
	server, client := curve.GenerateKeyPair(), curve.GenerateKeyPair()
	t.Run("our SUB subscribes at an XPUB", func(t *testing.T) {
		py, port := pythonPeer(t, append([]string{"XPUB", "bind", "0"}, curveServerOpts(server, client.Public)...)...)
		c := dialPeer(t, port)
		s := mustHandshake(t, c, &Config{SocketType: Sub, Mechanism: asClient(server.Public, client)})
		for _, sub := range []struct {
			topic string
			on    bool
		}{{"A", true}, {"B", true}, {"A", false}} {
			out, err := s.Encoder.AppendSubscription(nil, []byte(sub.topic), sub.on)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Write(out); err != nil {
				t.Fatal(err)
			}
			lead := "\x00"
			if sub.on {
				lead = "\x01"
			}
			if got, want := py.recv(), hexParts([]string{lead + sub.topic}); got != want {
				t.Fatalf("XPUB got %s, want %s", got, want)
			}
		}
		py.send("Bnews", "body")
		if got, want := recvMsg(t, c, s), hexParts([]string{"Bnews", "body"}); got != want {
			t.Fatalf("we got %s, want %s", got, want)
		}
	})
	t.Run("a SUB subscribes at our PUB", func(t *testing.T) {
		ln, port := listen(t)
		py, _ := pythonPeer(t, append([]string{"SUB", "connect", itoa(port), "subscribe=A"}, curveClientOpts(server.Public, client)...)...)
		c := accept(t, ln)
		s := mustHandshake(t, c, &Config{SocketType: Pub, Mechanism: CurveServer{Secret: server.Secret}, ZAP: admitAll})
		_, f := nextCommand(t, s)
		topic, on, ok := ParseSubscription(f)
		if !ok || !on || string(topic) != "A" || !f.Command {
			t.Fatalf("subscription %q %v %v (command %v)", topic, on, ok, f.Command)
		}
		sendMsg(t, c, s, "Atopic", "body")
		if got, want := py.recv(), hexParts([]string{"Atopic", "body"}); got != want {
			t.Fatalf("SUB got %s, want %s", got, want)
		}
	})
}
