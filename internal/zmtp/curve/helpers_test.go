package curve

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
)

// The key pairs of libzmq's doc/zmq_curve.txt, in Z85 and in hex.
const (
	docClientPublic    = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"
	docClientPublicHex = "BB88471D65E2659B30C55A5321CEBB5AAB2B70A398645C26DCA2B2FCB43FC518"
	docClientSecret    = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs"
	docClientSecretHex = "7BB864B489AFA3671FBE69101F94B38972F24816DFB01B51656B3FEC8DFD0888"
	docServerPublic    = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
	docServerPublicHex = "54FCBA24E93249969316FB617C872BB0C1D1FF14800427C594CBFACF1BC2D652"
	docServerSecret    = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"
	docServerSecretHex = "8E0BDD697628B91D8F245587EE95C5B04D48963F79259877B49CD9063AEAD3B7"
)

func mustKey(t testing.TB, text string) Key {
	t.Helper()
	k, err := ParseKey(text)
	if err != nil {
		t.Fatalf("ParseKey: %v", err)
	}
	return k
}

func mustHex(t testing.TB, s string) Key {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	k, err := KeyFromBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func docClient(t testing.TB) KeyPair {
	return KeyPair{Public: mustKey(t, docClientPublic), Secret: mustKey(t, docClientSecret)}
}

func docServer(t testing.TB) KeyPair {
	return KeyPair{Public: mustKey(t, docServerPublic), Secret: mustKey(t, docServerSecret)}
}

// seeded is a deterministic random source, so that a test can build the
// same handshake twice (fuzz targets) or fix every nonce.
func seeded(seed byte) io.Reader {
	var s [32]byte
	s[0] = seed
	return rand.NewChaCha8(s)
}

// metadata encodes a ZMTP property list from name, value pairs.
func metadata(pairs ...string) []byte {
	var b []byte
	for i := 0; i+1 < len(pairs); i += 2 {
		b = append(b, byte(len(pairs[i])))
		b = append(b, pairs[i]...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(pairs[i+1])))
		b = append(b, pairs[i+1]...)
	}
	return b
}

// parseMetadata decodes a ZMTP property list.
func parseMetadata(b []byte) (map[string]string, error) {
	props := map[string]string{}
	for len(b) > 0 {
		n := int(b[0])
		if len(b) < 1+n+4 {
			return nil, fmt.Errorf("property name overruns %d octets", len(b))
		}
		name := string(b[1 : 1+n])
		b = b[1+n:]
		v := binary.BigEndian.Uint32(b)
		b = b[4:]
		if uint64(v) > uint64(len(b)) {
			return nil, fmt.Errorf("property %q value of %d octets overruns %d", name, v, len(b))
		}
		props[name] = string(b[:v])
		b = b[v:]
	}
	return props, nil
}

// transcript is one handshake's command bodies and the resulting sessions.
type transcript struct {
	client                          *Client
	server                          *Server
	hello, welcome, initiate, ready []byte
	clientMeta, serverMeta          []byte
	clientKey                       Key // what the server learned
	clientSession, serverSession    *Session
}

// handshake runs a whole handshake between a Client and a Server of this
// package, with the doc key pairs, drawing randomness from random (nil:
// crypto/rand), and fails the test on any error.
func handshake(t testing.TB, random io.Reader) *transcript {
	t.Helper()
	tr := &transcript{
		clientMeta: metadata("Socket-Type", "DEALER", "Identity", ""),
		serverMeta: metadata("Socket-Type", "ROUTER"),
	}
	var err error
	srv := docServer(t)
	if tr.client, err = newClient(srv.Public, docClient(t), random); err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	tr.server = NewServer(srv.Secret)
	tr.server.random = random
	if tr.hello, err = tr.client.Hello(); err != nil {
		t.Fatalf("Client.Hello: %v", err)
	}
	if tr.welcome, err = tr.server.Hello(tr.hello); err != nil {
		t.Fatalf("Server.Hello: %v", err)
	}
	if err = tr.client.Welcome(tr.welcome); err != nil {
		t.Fatalf("Client.Welcome: %v", err)
	}
	if tr.initiate, err = tr.client.Initiate(tr.clientMeta); err != nil {
		t.Fatalf("Client.Initiate: %v", err)
	}
	var gotMeta []byte
	if tr.clientKey, gotMeta, err = tr.server.Initiate(tr.initiate); err != nil {
		t.Fatalf("Server.Initiate: %v", err)
	}
	if string(gotMeta) != string(tr.clientMeta) {
		t.Fatalf("server got client metadata %q, want %q", gotMeta, tr.clientMeta)
	}
	if tr.ready, tr.serverSession, err = tr.server.Ready(tr.serverMeta); err != nil {
		t.Fatalf("Server.Ready: %v", err)
	}
	if gotMeta, tr.clientSession, err = tr.client.Ready(tr.ready); err != nil {
		t.Fatalf("Client.Ready: %v", err)
	}
	if string(gotMeta) != string(tr.serverMeta) {
		t.Fatalf("client got server metadata %q, want %q", gotMeta, tr.serverMeta)
	}
	return tr
}

// wantCode fails the test unless err is a *ProtocolError with code.
func wantCode(t testing.TB, what string, err error, code uint32) {
	t.Helper()
	var pe *ProtocolError
	if !errors.As(err, &pe) {
		t.Fatalf("%s: error %v, want a *ProtocolError with code 0x%08x", what, err, code)
	}
	if pe.Code() != code {
		t.Fatalf("%s: %v has code 0x%08x, want 0x%08x", what, err, pe.Code(), code)
	}
}

// flip returns a copy of b with bit 0 of octet i inverted.
func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 1
	return c
}
