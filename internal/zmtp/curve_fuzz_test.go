package zmtp

import (
	"errors"
	"testing"

	"github.com/zmqx/zmq/internal/zmtp/curve"
)

// fuzzServerKeys is a fixed server key pair, so that a HELLO in the corpus
// stays valid from one run to the next.
var fuzzServerKeys = func() curve.KeyPair {
	var secret curve.Key
	for i := range secret {
		secret[i] = byte(i + 1)
	}
	return curve.KeyPair{Public: curve.PublicFromSecret(secret), Secret: secret}
}()

// curveSeeds returns a valid HELLO for fuzzServerKeys and an INITIATE of
// the right shape that answers another server's WELCOME (its cookie cannot
// open: the cookie key is new for every handshake).
func curveSeeds(t testing.TB) (hello, initiate []byte) {
	c, err := curve.NewClient(fuzzServerKeys.Public, testClientKeys)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := c.Hello()
	welcome, err := curve.NewServer(fuzzServerKeys.Secret).Hello(h)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Welcome(welcome); err != nil {
		t.Fatal(err)
	}
	i, _ := c.Initiate(prop("Socket-Type", "DEALER"))
	return cmdFrame(h), cmdFrame(i)
}

// FuzzCurveServerHandshake feeds a CURVE server anything after a valid
// greeting. Nothing admits a client, since no INITIATE can carry this
// handshake's cookie; the authenticator is never asked; every failure is
// typed; nothing is allocated beyond what arrived.
func FuzzCurveServerHandshake(f *testing.F) {
	hello, initiate := curveSeeds(f)
	f.Add(hello, uint8(0))
	f.Add(wire(hello, initiate), uint8(0))
	f.Add(wire(hello, initiate), uint8(1))
	f.Add(initiate, uint8(3))
	f.Add(wire(hello, hello), uint8(0))
	f.Add(wire(hello[:100]), uint8(0))
	f.Add(wire(hello, "04 09 5e", lit("RROR"), "03", lit("400")), uint8(0))
	f.Add(wire(hello, "00 05", lit("hello")), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		asked := false
		cfg := Config{SocketType: Router, Mechanism: CurveServer{Secret: fuzzServerKeys.Secret}, ReadBufferSize: 128,
			ZAP: func(ZAPRequest) (ZAPReply, error) { asked = true; return ZAPReply{Status: 200}, nil }}
		peer := wire(signature(0), greetingRest(1, "CURVE"), data)
		var err error
		used := allocated(func() { _, err = Handshake(&scriptConn{peer: peer, chunk: int(chunk)}, &cfg) })
		if err == nil || asked {
			t.Fatalf("a client got past INITIATE (error %v, authenticator asked: %v)", err, asked)
		}
		if used > memBudget(peer, cfg.ReadBufferSize) {
			t.Fatalf("allocated %d octets for %d input", used, len(peer))
		}
		var pe *ProtocolError
		var ae *AuthError
		var ce *ConnError
		if !errors.As(err, &pe) && !errors.As(err, &ae) && !errors.As(err, &ce) {
			t.Fatalf("untyped error %v", err)
		}
	})
}
