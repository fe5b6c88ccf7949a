package zmtp

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Interoperability with libzmq 4.3.4 through pyzmq, both directions.

func TestPyzmqDealerRouter(t *testing.T) {
	t.Run("we connect a DEALER to a ROUTER", func(t *testing.T) {
		py, port := pythonPeer(t, "ROUTER", "bind", "0")
		c := dialPeer(t, port)
		s := mustHandshake(t, c, &Config{SocketType: Dealer, Identity: []byte("go-dealer")})
		if s.Version != ZMTP31 || s.PeerType != Router {
			t.Fatalf("session %v %v", s.Version, s.PeerType)
		}
		if id, ok := s.Property("Identity"); !ok || len(id) != 0 {
			t.Errorf("ROUTER's Identity property %q %v, want present and empty", id, ok)
		}
		sendMsg(t, c, s, "", "hello")
		if got, want := py.recv(), hexParts([]string{"go-dealer", "", "hello"}); got != want {
			t.Fatalf("ROUTER got %s, want %s", got, want)
		}
		py.send("go-dealer", "", "world")
		if got, want := recvMsg(t, c, s), hexParts([]string{"", "world"}); got != want {
			t.Fatalf("we got %s, want %s", got, want)
		}
	})
	t.Run("a DEALER connects to our ROUTER", func(t *testing.T) {
		ln, port := listen(t)
		py, _ := pythonPeer(t, "DEALER", "connect", itoa(port), "identity=peer-A")
		c := accept(t, ln)
		s := mustHandshake(t, c, &Config{SocketType: Router})
		if s.PeerType != Dealer || string(s.PeerIdentity) != "peer-A" {
			t.Fatalf("peer %v %q", s.PeerType, s.PeerIdentity)
		}
		py.send("", "hello")
		if got, want := recvMsg(t, c, s), hexParts([]string{"", "hello"}); got != want {
			t.Fatalf("we got %s, want %s", got, want)
		}
		big := strings.Repeat("b", 100_000) // a LONG frame, and larger than the read buffer
		sendMsg(t, c, s, "", big)
		if got, want := py.recv(), hexParts([]string{"", big}); got != want {
			t.Fatalf("DEALER got %d hex digits, want %d", len(got), len(want))
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestPyzmqPushPull(t *testing.T) {
	t.Run("we connect a PUSH to a PULL", func(t *testing.T) {
		py, port := pythonPeer(t, "PULL", "bind", "0")
		c := dialPeer(t, port)
		s := mustHandshake(t, c, &Config{SocketType: Push})
		for _, m := range [][]string{{"one"}, {"two", "parts"}, {""}} {
			sendMsg(t, c, s, m...)
			if got, want := py.recv(), hexParts(m); got != want {
				t.Fatalf("PULL got %s, want %s", got, want)
			}
		}
	})
	t.Run("a PUSH connects to our PULL", func(t *testing.T) {
		ln, port := listen(t)
		py, _ := pythonPeer(t, "PUSH", "connect", itoa(port))
		c := accept(t, ln)
		s := mustHandshake(t, c, &Config{SocketType: Pull})
		for _, m := range [][]string{{"one"}, {"two", "parts"}} {
			py.send(m...)
			if got, want := recvMsg(t, c, s), hexParts(m); got != want {
				t.Fatalf("we got %s, want %s", got, want)
			}
		}
	})
	t.Run("a PUSH and our PUB refuse each other", func(t *testing.T) {
		ln, port := listen(t)
		pythonPeer(t, "PUSH", "connect", itoa(port))
		c := accept(t, ln)
		// libzmq may read our READY and hang up before it sends its own, so
		// we see either its READY (and refuse it) or the hang-up.
		_, err := Handshake(c, &Config{SocketType: Pub})
		mismatch := isTypeMismatch(err) && strings.Contains(err.Error(), "PUB") && strings.Contains(err.Error(), "PUSH")
		if !mismatch && !isConnErr(err) {
			t.Fatalf("got %v, want a mismatch naming PUB and PUSH, or the peer hanging up", err)
		}
	})
}

func TestPyzmqSubscriptions(t *testing.T) {
	t.Run("our SUB subscribes at an XPUB", func(t *testing.T) {
		py, port := pythonPeer(t, "XPUB", "bind", "0")
		c := dialPeer(t, port)
		s := mustHandshake(t, c, &Config{SocketType: Sub})
		long := strings.Repeat("L", 250) // libzmq 4.3.4 itself frames this size wrongly
		for _, sub := range []struct {
			topic string
			on    bool
		}{{"A", true}, {long, true}, {"A", false}} {
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
		py.send(long+"-news", "body")
		if got, want := recvMsg(t, c, s), hexParts([]string{long + "-news", "body"}); got != want {
			t.Fatalf("we got %s, want %s", got, want)
		}
	})
	t.Run("a SUB subscribes at our PUB", func(t *testing.T) {
		ln, port := listen(t)
		py, _ := pythonPeer(t, "SUB", "connect", itoa(port), "subscribe=A")
		c := accept(t, ln)
		s := mustHandshake(t, c, &Config{SocketType: Pub})
		_, f := nextCommand(t, s)
		topic, on, ok := ParseSubscription(f)
		if !ok || !on || string(topic) != "A" {
			t.Fatalf("subscription %q %v %v", topic, on, ok)
		}
		sendMsg(t, c, s, "Atopic", "body")
		if got, want := py.recv(), hexParts([]string{"Atopic", "body"}); got != want {
			t.Fatalf("SUB got %s, want %s", got, want)
		}
	})
}

func TestPyzmqHeartbeat(t *testing.T) {
	ln, port := listen(t)
	py, _ := pythonPeer(t, "DEALER", "connect", itoa(port), "heartbeat=100:1500")
	c := accept(t, ln)
	s := mustHandshake(t, c, &Config{SocketType: Router})
	for i := range 3 {
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
	// The link is still up: a message goes through after the PONGs.
	py.send("", "alive")
	if got, want := recvMsg(t, c, s), hexParts([]string{"", "alive"}); got != want {
		t.Fatalf("we got %s, want %s", got, want)
	}
}

func TestPyzmqPlain(t *testing.T) {
	t.Run("pyzmq authenticator admits us", func(t *testing.T) {
		py, port := pythonPeer(t, "ROUTER", "bind", "0", "plain_server=admin:secret")
		c := dialPeer(t, port)
		s := mustHandshake(t, c, &Config{SocketType: Dealer, Identity: []byte("me"),
			Mechanism: PlainClient{Username: "admin", Password: "secret"}})
		sendMsg(t, c, s, "", "hello")
		if got, want := py.recv(), hexParts([]string{"me", "", "hello"}); got != want {
			t.Fatalf("ROUTER got %s, want %s", got, want)
		}
		py.send("me", "", "world")
		if got, want := recvMsg(t, c, s), hexParts([]string{"", "world"}); got != want {
			t.Fatalf("we got %s, want %s", got, want)
		}
	})
	t.Run("pyzmq authenticator refuses us", func(t *testing.T) {
		_, port := pythonPeer(t, "ROUTER", "bind", "0", "plain_server=admin:secret")
		c := dialPeer(t, port)
		_, err := Handshake(c, &Config{SocketType: Dealer, Mechanism: PlainClient{Username: "admin", Password: "wrong"}})
		var ae *AuthError
		if !errors.As(err, &ae) || ae.Status != 400 || !ae.Remote {
			t.Fatalf("got %v, want the peer's refusal with status 400", err)
		}
	})
	t.Run("our authenticator admits a pyzmq client", func(t *testing.T) {
		ln, port := listen(t)
		py, _ := pythonPeer(t, "DEALER", "connect", itoa(port), "plain_client=admin:secret")
		c := accept(t, ln)
		var req ZAPRequest
		s := mustHandshake(t, c, &Config{SocketType: Router, Mechanism: PlainServer{}, ZAPDomain: "test",
			ZAP: func(r ZAPRequest) (ZAPReply, error) {
				req = r
				if string(r.Credentials[0]) == "admin" && string(r.Credentials[1]) == "secret" {
					return ZAPReply{Status: 200, UserID: "admin"}, nil
				}
				return ZAPReply{Status: 400}, nil
			}})
		if req.Address != "127.0.0.1" || req.Mechanism != "PLAIN" || s.UserID != "admin" {
			t.Errorf("ZAP request %+v, user id %q", req, s.UserID)
		}
		py.send("", "hello")
		if got, want := recvMsg(t, c, s), hexParts([]string{"", "hello"}); got != want {
			t.Fatalf("we got %s, want %s", got, want)
		}
		sendMsg(t, c, s, "", "world")
		if got, want := py.recv(), hexParts([]string{"", "world"}); got != want {
			t.Fatalf("DEALER got %s, want %s", got, want)
		}
	})
	t.Run("our authenticator refuses a pyzmq client", func(t *testing.T) {
		ln, port := listen(t)
		pythonPeer(t, "DEALER", "connect", itoa(port), "plain_client=admin:wrong")
		c := accept(t, ln)
		_, err := Handshake(c, &Config{SocketType: Router, Mechanism: PlainServer{}, ZAP: refuseWith(400)})
		var ae *AuthError
		if !errors.As(err, &ae) || ae.Status != 400 || ae.Remote {
			t.Fatalf("got %v, want our refusal with status 400", err)
		}
	})
}

// Interoperability with JeroMQ 0.3.6, which speaks ZMTP/2.0.

func TestJeroMQ(t *testing.T) {
	t.Run("a PUSH connects to our PULL", func(t *testing.T) {
		ln, port := listen(t)
		jp, _ := javaPeer(t, "PUSH", "connect", itoa(port))
		c := accept(t, ln)
		s := mustHandshake(t, c, &Config{SocketType: Pull})
		if s.Version != ZMTP20 || s.PeerType != Push {
			t.Fatalf("session %v %v", s.Version, s.PeerType)
		}
		jp.send("part1", "part2")
		if got, want := recvMsg(t, c, s), hexParts([]string{"part1", "part2"}); got != want {
			t.Fatalf("we got %s, want %s", got, want)
		}
	})
	t.Run("we connect a DEALER to a ROUTER", func(t *testing.T) {
		jp, port := javaPeer(t, "ROUTER", "bind", "0")
		c := dialPeer(t, port)
		s := mustHandshake(t, c, &Config{SocketType: Dealer, Identity: []byte("go-dealer")})
		if s.Version != ZMTP20 || s.PeerType != Router {
			t.Fatalf("session %v %v", s.Version, s.PeerType)
		}
		sendMsg(t, c, s, "", "hello")
		if got, want := jp.recv(), hexParts([]string{"go-dealer", "", "hello"}); got != want {
			t.Fatalf("ROUTER got %s, want %s", got, want)
		}
		big := strings.Repeat("j", 70_000)
		jp.send("go-dealer", "", big)
		if got, want := recvMsg(t, c, s), hexParts([]string{"", big}); got != want {
			t.Fatalf("we got %d hex digits, want %d", len(got), len(want))
		}
	})
	t.Run("a SUB subscribes at our PUB with a subscription message", func(t *testing.T) {
		ln, port := listen(t)
		jp, _ := javaPeer(t, "SUB", "connect", itoa(port))
		c := accept(t, ln)
		s := mustHandshake(t, c, &Config{SocketType: Pub})
		f, err := s.Decoder.Next()
		if err != nil {
			t.Fatal(err)
		}
		topic, on, ok := ParseSubscription(f)
		if !ok || !on || len(topic) != 0 || f.Command {
			t.Fatalf("frame %q command %v: subscription %q %v %v", f.Body, f.Command, topic, on, ok)
		}
		sendMsg(t, c, s, "news", "body")
		if got, want := jp.recv(), hexParts([]string{"news", "body"}); got != want {
			t.Fatalf("SUB got %s, want %s", got, want)
		}
	})
	t.Run("a JeroMQ client is refused by PLAIN", func(t *testing.T) {
		ln, port := listen(t)
		javaPeer(t, "DEALER", "connect", itoa(port))
		c := accept(t, ln)
		_, err := Handshake(c, &Config{SocketType: Router, Mechanism: PlainServer{}, ZAP: admitAll})
		if !protoCode(CodeMechanismMismatch, "ZMTP/2.0")(err) {
			t.Fatalf("got %v", err)
		}
	})
}
