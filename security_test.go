package zmq_test

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/auth"
)

func TestZ85RoundTrip(t *testing.T) {
	// The test vector of ZeroMQ RFC 32.
	raw := []byte{0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B}
	enc, err := zmq.Z85Encode(raw)
	if err != nil || enc != "HelloWorld" {
		t.Fatalf("Z85Encode = %q, %v; want HelloWorld", enc, err)
	}
	dec, err := zmq.Z85Decode(enc)
	if err != nil || !bytes.Equal(dec, raw) {
		t.Fatalf("Z85Decode = %x, %v", dec, err)
	}
	for _, bad := range []string{"Hell", "Hell~World", "abcd", "%%%%%"} {
		if _, err := zmq.Z85Decode(bad); err == nil {
			t.Errorf("Z85Decode(%q) succeeded", bad)
		}
	}
}

func FuzzZ85Decode(f *testing.F) {
	f.Add("HelloWorld")
	f.Add("#####")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := zmq.Z85Decode(s)
		if err != nil {
			return
		}
		enc, err := zmq.Z85Encode(b)
		if err != nil || enc != s {
			t.Fatalf("round trip of %q gave %q, %v", s, enc, err)
		}
	})
}

func TestCurveKeys(t *testing.T) {
	kp, err := zmq.NewCurveKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := zmq.CurvePublicKey(kp.Secret)
	if err != nil || pub != kp.Public {
		t.Fatalf("CurvePublicKey = %q, %v; want %q", pub, err, kp.Public)
	}
	f := newFactory(t)
	_, err = f.NewPub(zmq.WithCurveServer(kp.Secret[:39]))
	if !errors.Is(err, zmq.ErrInvalidOption) || strings.Contains(err.Error(), kp.Secret[:39]) {
		t.Fatalf("short secret key: got %v; want ErrInvalidOption that does not quote the key", err)
	}
}

// A CURVE server with no authenticator must admit nobody (libzmq alone
// would admit any client that knows the server key).
func TestCurveServerFailsClosedWithoutAuthenticator(t *testing.T) {
	f := newFactory(t)
	server := must[zmq.CurveKeyPair](t)(zmq.NewCurveKeyPair())
	client := must[zmq.CurveKeyPair](t)(zmq.NewCurveKeyPair())
	pull := must[*zmq.Pull](t)(f.NewPull(zmq.WithCurveServer(server.Secret)))
	push := must[*zmq.Push](t)(f.NewPush(zmq.WithCurveClient(server.Public, client)))
	mon := must[*zmq.Monitor](t)(pull.Monitor(zmq.EventHandshakeSucceeded | zmq.EventHandshakeFailedNoDetail | zmq.EventHandshakeFailedProtocol | zmq.EventHandshakeFailedAuth))
	defer mon.Close()
	if err := push.Connect(bind(t, pull, "tcp")); err != nil {
		t.Fatal(err)
	}
	ev, err := mon.Recv(testCtx(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Type == zmq.EventHandshakeSucceeded {
		t.Fatalf("handshake succeeded with no authenticator: %v", ev)
	}
	if err := push.TrySend(zmq.NewMsgString("secret")); err == nil {
		if m, err := pull.Recv(testCtx(t, 200*time.Millisecond)); err == nil {
			t.Fatalf("message delivered without authentication: %v", m)
		}
	}
}

func TestSecretKeyNeverInErrors(t *testing.T) {
	kp := must[zmq.CurveKeyPair](t)(zmq.NewCurveKeyPair())
	bad := "~~~~~" + kp.Secret[5:] // right length, invalid Z85
	_, err1 := zmq.CurvePublicKey(bad)
	f := newFactory(t)
	_, err2 := f.NewPull(zmq.WithCurveServer(bad))
	for _, err := range []error{err1, err2} {
		if err == nil {
			t.Fatal("a bad secret key was accepted")
		}
		for i := 0; i+5 <= len(bad); i++ {
			if strings.Contains(err.Error(), bad[i:i+5]) {
				t.Fatalf("error %q quotes part of the secret key", err)
			}
		}
	}
}

// TestCurveUserIDOnRouterAndRep: a CURVE Router and a CURVE Rep see the
// client's key as the user id of every message, and its address, though
// libzmq gives a ROUTER's routing-id frame no properties (they come from the
// frames behind it).
func TestCurveUserIDOnRouterAndRep(t *testing.T) {
	f := newFactory(t)
	server := must[zmq.CurveKeyPair](t)(zmq.NewCurveKeyPair())
	client := must[zmq.CurveKeyPair](t)(zmq.NewCurveKeyPair())
	a := must[*auth.Authenticator](t)(auth.Start(f))
	t.Cleanup(func() { a.Close() })
	if err := a.AllowCurveKeys(client.Public); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t, 20*time.Second)
	check := func(what string, m zmq.Msg) {
		t.Helper()
		if m.UserID() != client.Public || m.PeerAddress() != "127.0.0.1" {
			t.Errorf("%s: user id %q, peer %q; want %q and 127.0.0.1", what, m.UserID(), m.PeerAddress(), client.Public)
		}
	}

	router := must[*zmq.Router](t)(f.NewRouter(zmq.WithCurveServer(server.Secret)))
	dealer := must[*zmq.Dealer](t)(f.NewDealer(zmq.WithCurveClient(server.Public, client)))
	if err := dealer.Connect(bind(t, router, "tcp")); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := dealer.Send(ctx, zmq.NewMsgString("one", strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
		_, m, err := router.RecvFrom(ctx)
		if err != nil {
			t.Fatal(err)
		}
		check("Router message "+strconv.Itoa(i), m)
	}

	rep := must[*zmq.Rep](t)(f.NewRep(zmq.WithCurveServer(server.Secret)))
	req := must[*zmq.Req](t)(f.NewReq(zmq.WithCurveClient(server.Public, client)))
	if err := req.Connect(bind(t, rep, "tcp")); err != nil {
		t.Fatal(err)
	}
	go req.Request(ctx, []byte("question"))
	q, err := rep.Recv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	check("Rep request", q.Msg)
}
