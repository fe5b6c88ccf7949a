package zmtp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/zmqx/zmq/internal/zmtp/curve"
)

// The key pairs of the CURVE tests, fresh for each run of the test binary.
var (
	testServerKeys = curve.GenerateKeyPair()
	testClientKeys = curve.GenerateKeyPair()
)

func curveClient() CurveClient {
	return CurveClient{ServerKey: testServerKeys.Public, Public: testClientKeys.Public, Secret: testClientKeys.Secret}
}

func curveServer() CurveServer { return CurveServer{Secret: testServerKeys.Secret} }

// zapLog records what a server's authenticator was asked and admits only
// the test client's key, as user "curve-client".
type zapLog struct{ requests []ZAPRequest }

func (z *zapLog) admitTestClient(r ZAPRequest) (ZAPReply, error) {
	z.requests = append(z.requests, r)
	if r.Mechanism == "CURVE" && len(r.Credentials) == 1 && bytes.Equal(r.Credentials[0], testClientKeys.Public[:]) {
		return ZAPReply{Status: 200, UserID: "curve-client"}, nil
	}
	return ZAPReply{Status: 400, Text: "unknown key"}, nil
}

// curvePair runs a CURVE handshake between a DEALER client on a and a
// ROUTER server on b, both speaking v, and fails the test unless both
// sides succeed.
func curvePair(t *testing.T, a, b io.ReadWriteCloser, v Version) (sa, sb *Session) {
	t.Helper()
	var zap zapLog
	ca := &Config{SocketType: Dealer, Identity: []byte("dealer-1"), Mechanism: curveClient(), announce: v,
		Metadata: Metadata{{"X-App", []byte("test")}}}
	cb := &Config{SocketType: Router, Mechanism: curveServer(), ZAP: zap.admitTestClient, ZAPDomain: "d", announce: v}
	sa, sb, ea, eb := handshakeBoth(a, b, ca, cb)
	if ea != nil || eb != nil {
		t.Fatalf("handshake: %v / %v", ea, eb)
	}
	if len(zap.requests) != 1 {
		t.Fatalf("ZAP asked %d times, want once", len(zap.requests))
	}
	if r := zap.requests[0]; r.Domain != "d" || r.Mechanism != "CURVE" {
		t.Errorf("ZAP request %+v", r)
	}
	if sb.UserID != "curve-client" || sa.PeerType != Router || sb.PeerType != Dealer || string(sb.PeerIdentity) != "dealer-1" {
		t.Errorf("sessions: user %q, peers %v %v, identity %q", sb.UserID, sa.PeerType, sb.PeerType, sb.PeerIdentity)
	}
	if app, ok := sb.Property("x-app"); !ok || string(app) != "test" {
		t.Errorf("X-App %q %v", app, ok)
	}
	if sa.Version != v || sb.Version != v {
		t.Errorf("versions %v / %v, want %v", sa.Version, sb.Version, v)
	}
	return sa, sb
}

func TestCurveHandshakeAndTraffic(t *testing.T) {
	for _, tr := range transports {
		for _, v := range []Version{ZMTP31, ZMTP30} {
			t.Run(fmt.Sprintf("%s/%v", tr.name, v), func(t *testing.T) {
				a, b := tr.pair(t)
				sa, sb := curvePair(t, a, b, v)
				exchange(t, a, b, sa, sb)
				curveTraffic(t, a, sa, sb)
				curveTraffic(t, b, sb, sa)
			})
		}
	}
}

// sentFrame is a frame as a test expects it at the receiving end.
type sentFrame struct {
	body          string
	more, command bool
}

// curveTraffic sends, from the side whose session is from (writing to w),
// multipart messages with empty and 64 KiB frames, PING, PONG and a
// subscription, and requires the other side to read them back exactly.
func curveTraffic(t *testing.T, w io.Writer, from, to *Session) {
	t.Helper()
	big := strings.Repeat("64 KiB frame ", 64<<10/13+1)[:64<<10]
	var out []byte
	var err error
	var want []sentFrame
	add := func(b []byte, e error, frames ...sentFrame) {
		t.Helper()
		if e != nil {
			t.Fatal(e)
		}
		out, want = b, append(want, frames...)
	}
	out, err = from.Encoder.AppendMessage(out, []byte(big), nil, []byte(big))
	add(out, err, sentFrame{big, true, false}, sentFrame{"", true, false}, sentFrame{big, false, false})
	out, err = from.Encoder.AppendMessage(out, nil)
	add(out, err, sentFrame{"", false, false})
	out, err = from.Encoder.AppendPing(out, 2*time.Second, []byte("ctx"))
	add(out, err, sentFrame{"\x04PING\x00\x14ctx", false, true})
	out, err = from.Encoder.AppendPong(out, []byte("ctx"))
	add(out, err, sentFrame{"\x04PONG" + "ctx", false, true})
	out, err = from.Encoder.AppendSubscription(out, []byte("topic"), true)
	if from.Version >= ZMTP31 {
		add(out, err, sentFrame{"\x09SUBSCRIBE" + "topic", false, true})
	} else {
		add(out, err, sentFrame{"\x01topic", false, false})
	}
	out, err = from.Encoder.AppendMessage(out, []byte("last"))
	add(out, err, sentFrame{"last", false, false})

	written := make(chan error, 1)
	go func() { _, err := w.Write(out); written <- err }() // the reader must run for tcp to take it all
	for i, wf := range want {
		f, err := to.Decoder.Next()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if string(f.Body) != wf.body || f.More != wf.more || f.Command != wf.command {
			t.Fatalf("frame %d: got %d octets %.20q more %v command %v, want %d octets %.20q more %v command %v",
				i, len(f.Body), f.Body, f.More, f.Command, len(wf.body), wf.body, wf.more, wf.command)
		}
	}
	if err := <-written; err != nil {
		t.Fatal(err)
	}
}

// Sealed frames look on the wire as libzmq 4.3.4 sends them: a MESSAGE in
// an outer frame with flags 0 (LONG when needed), 33 octets more than the
// frame, short nonces running on from the handshake's.
func TestCurveWireForm(t *testing.T) {
	a, b := newBufPipe(t, 0)
	sa, sb := curvePair(t, a, b, ZMTP31)
	type sealed struct {
		outer byte
		size  int
		nonce uint64
	}
	parse := func(frame []byte) sealed {
		t.Helper()
		outer, body := frame[0], frame[2:]
		if outer&flagLong != 0 {
			body = frame[9:]
		}
		if !bytes.HasPrefix(body, []byte("\x07MESSAGE")) {
			t.Fatalf("sealed frame %x is not a MESSAGE", frame[:min(len(frame), 24)])
		}
		var n uint64
		for _, o := range body[8:16] {
			n = n<<8 | uint64(o)
		}
		return sealed{outer, len(body), n}
	}
	// The client's HELLO and INITIATE took nonces 1 and 2; the server's
	// READY took 1.
	empty, _ := sa.Encoder.AppendFrame(nil, nil, false)
	ping, _ := sa.Encoder.AppendFrame(nil, []byte("ping"), true)
	cmd, _ := sa.Encoder.AppendPing(nil, 0, nil)
	long, _ := sb.Encoder.AppendFrame(nil, make([]byte, 300), false)
	for _, tc := range []struct {
		frame []byte
		want  sealed
	}{
		{empty, sealed{0x00, 33, 3}},
		{ping, sealed{0x00, 37, 4}},
		{cmd, sealed{0x00, 33 + 7, 5}},
		{long, sealed{flagLong, 333, 2}},
	} {
		if got := parse(tc.frame); got != tc.want {
			t.Errorf("sealed frame %+v, want %+v", got, tc.want)
		}
	}
	// The peer reads them, and takes the outer COMMAND bit as libzmq's
	// older framing of the same thing.
	withCommandBit := append([]byte{}, cmd...)
	withCommandBit[0] |= flagCommand
	if _, err := a.Write(wire(empty, ping, withCommandBit)); err != nil {
		t.Fatal(err)
	}
	for i, want := range []sentFrame{{"", false, false}, {"ping", true, false}, {"\x04PING\x00\x00", false, true}} {
		f, err := sb.Decoder.Next()
		if err != nil || string(f.Body) != want.body || f.More != want.more || f.Command != want.command {
			t.Fatalf("frame %d: %q more %v command %v, %v; want %+v", i, f.Body, f.More, f.Command, err, want)
		}
	}
}

func TestCurveHandshakeRefusals(t *testing.T) {
	stranger := curve.GenerateKeyPair()
	otherServer := curve.GenerateKeyPair()
	cases := []struct {
		name              string
		client, srv       Config
		zapAsked          bool // whether the server's authenticator is asked (once)
		clientErr, srvErr func(error) bool
		clientWhy, srvWhy string
	}{
		{name: "ZAP refuses the key with 400", zapAsked: true,
			client:    Config{SocketType: Dealer, Mechanism: CurveClient{ServerKey: testServerKeys.Public, Public: stranger.Public, Secret: stranger.Secret}},
			srv:       Config{SocketType: Router, Mechanism: curveServer()},
			clientErr: isAuth(400, true), clientWhy: "peer's ERROR 400",
			srvErr: isAuth(400, false), srvWhy: "local refusal 400"},
		{name: "ZAP refuses with 500", zapAsked: true,
			client:    Config{SocketType: Dealer, Mechanism: curveClient()},
			srv:       Config{SocketType: Router, Mechanism: curveServer(), ZAP: refuseWith(500)},
			clientErr: isAuth(500, true), clientWhy: "peer's ERROR 500",
			srvErr: isAuth(500, false), srvWhy: "local refusal 500"},
		{name: "ZAP refuses with 300, which sends no ERROR", zapAsked: true,
			client:    Config{SocketType: Dealer, Mechanism: curveClient()},
			srv:       Config{SocketType: Router, Mechanism: curveServer(), ZAP: refuseWith(300)},
			clientErr: isConnErr, clientWhy: "connection closed",
			srvErr: isAuth(300, false), srvWhy: "local refusal 300"},
		{name: "server without authenticator admits nobody",
			client:    Config{SocketType: Dealer, Mechanism: curveClient()},
			srv:       Config{SocketType: Router, Mechanism: curveServer(), ZAP: nil},
			clientErr: isConnErr, clientWhy: "connection closed",
			srvErr: isErr(ErrNoAuthenticator), srvWhy: "ErrNoAuthenticator"},
		{name: "ZAP callback fails", zapAsked: true,
			client: Config{SocketType: Dealer, Mechanism: curveClient()},
			srv: Config{SocketType: Router, Mechanism: curveServer(), ZAP: func(ZAPRequest) (ZAPReply, error) {
				return ZAPReply{}, errors.New("handler down")
			}},
			clientErr: isConnErr, clientWhy: "connection closed",
			srvErr: func(err error) bool { return err != nil && strings.Contains(err.Error(), "handler down") }, srvWhy: "the callback's error"},
		{name: "client has another server's key",
			client:    Config{SocketType: Dealer, Mechanism: CurveClient{ServerKey: otherServer.Public, Public: testClientKeys.Public, Secret: testClientKeys.Secret}},
			srv:       Config{SocketType: Router, Mechanism: curveServer()},
			clientErr: isConnErr, clientWhy: "connection closed",
			srvErr: protoCode(CodeCryptographic, "CURVE: HELLO box does not open"), srvWhy: "HELLO that does not open"},
		{name: "client public key does not belong to its secret key",
			client:    Config{SocketType: Dealer, Mechanism: CurveClient{ServerKey: testServerKeys.Public, Public: testClientKeys.Public, Secret: stranger.Secret}},
			srv:       Config{SocketType: Router, Mechanism: curveServer()},
			clientErr: isConnErr, clientWhy: "connection closed",
			srvErr: protoCode(CodeCryptographic, "vouch does not open"), srvWhy: "vouch that does not open"},
		{name: "socket types that do not match are refused after ZAP", zapAsked: true,
			client:    Config{SocketType: Push, Mechanism: curveClient()},
			srv:       Config{SocketType: Push, Mechanism: curveServer()},
			clientErr: isConnErr, clientWhy: "connection closed",
			srvErr: isTypeMismatch, srvWhy: "type mismatch"},
		{name: "mechanism mismatch",
			client:    Config{SocketType: Dealer, Mechanism: curveClient()},
			srv:       Config{SocketType: Router, Mechanism: PlainServer{}},
			clientErr: isMismatch(`"CURVE"`, `"PLAIN"`), clientWhy: "mechanism mismatch naming both",
			srvErr: isMismatch(`"PLAIN"`, `"CURVE"`), srvWhy: "mechanism mismatch naming both"},
		{name: "server refuses a ZMTP/2.0 peer",
			client:    Config{SocketType: Dealer, announce: ZMTP20},
			srv:       Config{SocketType: Router, Mechanism: curveServer()},
			clientErr: isConnErr, clientWhy: "connection closed",
			srvErr: isMismatch(`"CURVE"`, "ZMTP/2.0"), srvWhy: "refusal naming ZMTP/2.0"},
		{name: "client refuses a ZMTP/2.0 peer",
			client:    Config{SocketType: Dealer, Mechanism: curveClient()},
			srv:       Config{SocketType: Router, announce: ZMTP20},
			clientErr: isMismatch(`"CURVE"`, "ZMTP/2.0"), clientWhy: "refusal naming ZMTP/2.0",
			srvErr: isConnErr, srvWhy: "connection closed"},
	}
	for _, tr := range transports {
		for _, tc := range cases {
			t.Run(tr.name+"/"+tc.name, func(t *testing.T) {
				a, b := tr.pair(t)
				srv := tc.srv
				if srv.ZAP == nil && tc.zapAsked {
					srv.ZAP = (&zapLog{}).admitTestClient
				}
				asked := 0
				if inner := srv.ZAP; inner != nil {
					srv.ZAP = func(r ZAPRequest) (ZAPReply, error) { asked++; return inner(r) }
				}
				_, _, ea, eb := handshakeBoth(a, b, &tc.client, &srv)
				if !tc.clientErr(ea) {
					t.Errorf("client: got %v, want %s", ea, tc.clientWhy)
				}
				if !tc.srvErr(eb) {
					t.Errorf("server: got %v, want %s", eb, tc.srvWhy)
				}
				want := 0
				if tc.zapAsked {
					want = 1
				}
				if asked != want {
					t.Errorf("ZAP asked %d times, want %d", asked, want)
				}
			})
		}
	}
}

func TestCurveConfigErrors(t *testing.T) {
	var zero curve.Key
	good := curveClient()
	cases := []struct {
		name string
		m    Mechanism
		want string
	}{
		{"client without server key", CurveClient{Public: good.Public, Secret: good.Secret}, "no server key"},
		{"client without public key", CurveClient{ServerKey: good.ServerKey, Secret: good.Secret}, "no public key"},
		{"client without secret key", CurveClient{ServerKey: good.ServerKey, Public: good.Public}, "no secret key"},
		{"server without secret key", CurveServer{Secret: zero}, "no secret key"},
	}
	for _, tc := range cases {
		c := &scriptConn{}
		_, err := Handshake(c, &Config{Mechanism: tc.m, ZAP: admitAll})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
		if c.out.Len() != 0 || c.reads != 0 {
			t.Errorf("%s: %d octets written and %d reads before the configuration was refused", tc.name, c.out.Len(), c.reads)
		}
	}

	// A low-order point other than zero passes that check and is refused
	// as our own mistake, naming the key, before HELLO.
	lowOrder := curve.Key{1} // the point u = 1, of order 4
	if _, err := curve.NewClient(lowOrder, testClientKeys); err == nil {
		t.Fatal("the curve package takes u = 1 as a server key; the case below tests nothing")
	}
	c := &scriptConn{peer: wire(signature(0), greetingRest(1, "CURVE"))}
	_, err := Handshake(c, &Config{Mechanism: CurveClient{ServerKey: lowOrder, Public: good.Public, Secret: good.Secret}})
	var pe *ProtocolError
	if err == nil || errors.As(err, &pe) || !strings.Contains(err.Error(), lowOrder.Z85()) || !strings.Contains(err.Error(), "low-order") {
		t.Errorf("low-order server key: got %v, want a configuration error naming the key", err)
	}
	if bytes.Contains(c.out.Bytes(), []byte("HELLO")) {
		t.Error("HELLO sent for a low-order server key")
	}
}

// Neither fmt nor any error of a failed handshake shows a secret key.
func TestCurveSecretsNeverShown(t *testing.T) {
	client, server := curveClient(), curveServer()
	secrets := []curve.Key{client.Secret, server.Secret}
	leaks := func(s string) bool {
		for _, k := range secrets {
			for _, form := range []string{k.Z85(), hex.EncodeToString(k[:]), fmt.Sprintf("%X", k[:]), fmt.Sprint(k[:]), fmt.Sprint(k), string(k[:16])} {
				if strings.Contains(s, form) {
					return true
				}
			}
		}
		return false
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q", "%d"} {
		for _, v := range []any{client, &client, server, &server, Config{Mechanism: client}, &Config{Mechanism: server}} {
			if s := fmt.Sprintf(verb, v); leaks(s) {
				t.Errorf("%s of %T shows a secret key: %s", verb, v, s)
			}
		}
	}
	if s := fmt.Sprint(client); !strings.Contains(s, client.Public.Z85()) || !strings.Contains(s, client.ServerKey.Z85()) {
		t.Errorf("client printed as %s, want its public keys", s)
	}
	if s := fmt.Sprint(server); !strings.Contains(s, testServerKeys.Public.Z85()) {
		t.Errorf("server printed as %s, want its public key", s)
	}

	// The errors of failing handshakes, ours and the peer's.
	for _, srv := range []Config{
		{Mechanism: server},
		{Mechanism: server, ZAP: refuseWith(400)},
		{Mechanism: CurveServer{Secret: client.Secret}, ZAP: admitAll},
	} {
		a, b := newBufPipe(t, 0)
		_, _, ea, eb := handshakeBoth(a, b, &Config{Mechanism: client}, &srv)
		for _, err := range []error{ea, eb} {
			if err != nil && leaks(err.Error()) {
				t.Errorf("error shows a secret key: %v", err)
			}
		}
	}
}

func TestCurveErrorCodesAreLibzmqs(t *testing.T) {
	for _, c := range []struct {
		curve uint32
		zmtp  ProtocolErrorCode
	}{
		{curve.CodeUnexpectedCommand, CodeUnexpectedCommand},
		{curve.CodeInvalidSequence, CodeInvalidSequence},
		{curve.CodeKeyExchange, CodeKeyExchange},
		{curve.CodeMalformedMessage, CodeMalformedMessage},
		{curve.CodeMalformedHello, CodeMalformedHello},
		{curve.CodeMalformedInitiate, CodeMalformedInitiate},
		{curve.CodeMalformedError, CodeMalformedError},
		{curve.CodeMalformedReady, CodeMalformedReady},
		{curve.CodeMalformedWelcome, CodeMalformedWelcome},
		{curve.CodeCryptographic, CodeCryptographic},
	} {
		if c.curve != uint32(c.zmtp) {
			t.Errorf("curve code %#x, zmtp code %#x", c.curve, uint32(c.zmtp))
		}
	}
}

// Steady traffic of small frames allocates nothing, sealing or opening.
func TestCurveTrafficAllocatesNothing(t *testing.T) {
	a, b := newBufPipe(t, 0)
	sa, sb := curvePair(t, a, b, ZMTP31)
	msg := [][]byte{[]byte("topic"), bytes.Repeat([]byte("x"), 1000)}
	out := make([]byte, 0, 4096)
	var err error
	if n := testing.AllocsPerRun(100, func() { out, err = sa.Encoder.AppendMessage(out[:0], msg...) }); n != 0 || err != nil {
		t.Errorf("sealing a message: %v allocations, %v", n, err)
	}

	const runs = 200
	var stream []byte
	for range runs + 1 { // AllocsPerRun runs once more to warm up
		if stream, err = sa.Encoder.AppendMessage(stream, msg...); err != nil {
			t.Fatal(err)
		}
	}
	d := NewDecoder(bytes.NewReader(stream), ZMTP31, 0, 0)
	d.cipher = sb.Decoder.cipher
	var f1, f2 Frame
	var e1, e2 error
	n := testing.AllocsPerRun(runs, func() {
		f1, e1 = d.Next()
		f2, e2 = d.Next()
		if e1 == nil && e2 == nil && (string(f1.Body) != "topic" || !bytes.Equal(f2.Body, msg[1])) {
			e1 = fmt.Errorf("opened %q and %d octets", f1.Body, len(f2.Body))
		}
	})
	if n != 0 || e1 != nil || e2 != nil {
		t.Errorf("opening a message: %v allocations, %v, %v", n, e1, e2)
	}
}

// A frame larger than the decoder's buffer comes back in a slice of its
// own that the caller may keep, sealed as in clear; one that fits the
// buffer is valid until the next read.
func TestCurveLargeFramesMayBeKept(t *testing.T) {
	a, b := newBufPipe(t, 0)
	sa, sb := curvePair(t, a, b, ZMTP31)      // with 512-octet read buffers
	small := bytes.Repeat([]byte("A"), 1000)  // past the buffer; opened through the kept buffer
	large := bytes.Repeat([]byte("B"), 40000) // past the kept buffer too
	other := bytes.Repeat([]byte("C"), 1000)  // opened through the kept buffer after small
	out, err := sa.Encoder.AppendMessage(nil, small, large, other, []byte("end"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Write(out); err != nil {
		t.Fatal(err)
	}
	var kept [][]byte
	for range 4 {
		f, err := sb.Decoder.Next()
		if err != nil {
			t.Fatal(err)
		}
		kept = append(kept, f.Body)
	}
	for i, want := range [][]byte{small, large, other, []byte("end")} {
		if !bytes.Equal(kept[i], want) {
			t.Errorf("frame %d kept as %.16q... (%d octets), want %.16q... (%d octets)", i, kept[i], len(kept[i]), want, len(want))
		}
	}
}
