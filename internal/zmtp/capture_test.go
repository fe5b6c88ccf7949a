package zmtp

import (
	"bytes"
	"encoding/hex"
	"testing"
	"time"
)

// Byte-exact tests against traffic captured between libzmq 4.3.4 peers
// (and JeroMQ 0.3.6 for ZMTP/2.0): we play one side's recorded bytes and
// require the other side's recorded bytes from us.

// READY frames as libzmq sent them.
var (
	readyDealer   = wire("04 29 05", lit("READY"), "0b", lit("Socket-Type"), "00 00 00 06", lit("DEALER"), "08", lit("Identity"), "00 00 00 00")
	readyRouter   = wire("04 29 05", lit("READY"), "0b", lit("Socket-Type"), "00 00 00 06", lit("ROUTER"), "08", lit("Identity"), "00 00 00 00")
	readyDealerA  = wire("04 2f 05", lit("READY"), "0b", lit("Socket-Type"), "00 00 00 06", lit("DEALER"), "08", lit("Identity"), "00 00 00 06", lit("peer-A"))
	readySub      = wire("04 19 05", lit("READY"), "0b", lit("Socket-Type"), "00 00 00 03", lit("SUB"))
	readyPub      = wire("04 19 05", lit("READY"), "0b", lit("Socket-Type"), "00 00 00 03", lit("PUB"))
	readyRep      = wire("04 19 05", lit("READY"), "0b", lit("Socket-Type"), "00 00 00 03", lit("REP"))
	initiateReq   = wire("04 29 08", lit("INITIATE"), "0b", lit("Socket-Type"), "00 00 00 03", lit("REQ"), "08", lit("Identity"), "00 00 00 00")
	helloAdmin    = wire("04 13 05", lit("HELLO"), "05", lit("admin"), "06", lit("secret"))
	welcome       = wire("04 08 07", lit("WELCOME"))
	nullGreet31   = greetingRest(1, "NULL")
	plainGreet31  = greetingRest(1, "PLAIN")
	envelopeHello = wire("01 00 00 05", lit("hello"))
	envelopeWorld = wire("01 00 00 05", lit("world"))
)

type captureCase struct {
	name     string
	cfg      Config
	peer     []byte // what the recorded peer sent us
	want     []byte // what the recorded side (us now) sent, handshake only
	peerType SocketType
	peerID   string
	frames   string // frames decoded after the handshake (frameString)
}

func TestCapturedHandshakes(t *testing.T) {
	cases := []captureCase{
		{
			name:     "DEALER connects to ROUTER",
			cfg:      Config{SocketType: Dealer},
			peer:     wire(signature(0), nullGreet31, readyRouter, envelopeWorld),
			want:     wire(signature(0), nullGreet31, readyDealer),
			peerType: Router,
			frames:   "more: " + hex.EncodeToString([]byte("world")) + " ",
		},
		{
			name:     "ROUTER accepts DEALER",
			cfg:      Config{SocketType: Router},
			peer:     wire(signature(0), nullGreet31, readyDealer, envelopeHello),
			want:     wire(signature(0), nullGreet31, readyRouter),
			peerType: Dealer,
			frames:   "more: " + hex.EncodeToString([]byte("hello")) + " ",
		},
		{
			name:     "DEALER with identity peer-A",
			cfg:      Config{SocketType: Dealer, Identity: []byte("peer-A")},
			peer:     wire(signature(0), nullGreet31, readyRouter),
			want:     wire(signature(6), nullGreet31, readyDealerA),
			peerType: Router,
		},
		{
			name:     "ROUTER learns identity peer-A",
			cfg:      Config{SocketType: Router},
			peer:     wire(signature(6), nullGreet31, readyDealerA),
			want:     wire(signature(0), nullGreet31, readyRouter),
			peerType: Dealer,
			peerID:   "peer-A",
		},
		{
			name:     "SUB connects to PUB",
			cfg:      Config{SocketType: Sub},
			peer:     wire(signature(0), nullGreet31, readyPub, "01 06", lit("Atopic"), "00 04", lit("body")),
			want:     wire(signature(0), nullGreet31, readySub),
			peerType: Pub,
			frames:   "more:" + hex.EncodeToString([]byte("Atopic")) + " " + hex.EncodeToString([]byte("body")) + " ",
		},
		{
			name: "PUB accepts SUB and its subscriptions",
			cfg:  Config{SocketType: Pub},
			peer: wire(signature(0), nullGreet31, readySub,
				"04 0b 09", lit("SUBSCRIBE"), lit("A"), "04 0a 09", lit("SUBSCRIBE"), "04 08 06", lit("CANCEL"), lit("A")),
			want:     wire(signature(0), nullGreet31, readyPub),
			peerType: Sub,
			frames: "cmd:" + hex.EncodeToString([]byte("\x09SUBSCRIBEA")) + " cmd:" + hex.EncodeToString([]byte("\x09SUBSCRIBE")) +
				" cmd:" + hex.EncodeToString([]byte("\x06CANCELA")) + " ",
		},
		{
			name:     "PULL accepts a ZMTP/2.0 PUSH (JeroMQ)",
			cfg:      Config{SocketType: Pull},
			peer:     wire(signature(0), "01 08", "00 00", "01 05", lit("part1"), "00 05", lit("part2")),
			want:     wire(signature(0), "03 07 00 00"),
			peerType: Push,
			frames:   "more:" + hex.EncodeToString([]byte("part1")) + " " + hex.EncodeToString([]byte("part2")) + " ",
		},
		{
			name:     "PUB accepts a ZMTP/2.0 SUB (JeroMQ) and its subscription message",
			cfg:      Config{SocketType: Pub},
			peer:     wire(signature(0), "01 02", "00 00", "00 02 01 41"),
			want:     wire(signature(0), "03 01 00 00"),
			peerType: Sub,
			frames:   "0141 ",
		},
		{
			name:     "PLAIN REQ client",
			cfg:      Config{SocketType: Req, Mechanism: PlainClient{Username: "admin", Password: "secret"}},
			peer:     wire(signature(0), plainGreet31, welcome, readyRep),
			want:     wire(signature(0), plainGreet31, helloAdmin, initiateReq),
			peerType: Rep,
		},
		{
			name: "PLAIN REP server",
			cfg: Config{SocketType: Rep, Mechanism: PlainServer{}, ZAP: func(r ZAPRequest) (ZAPReply, error) {
				return ZAPReply{Status: 200, UserID: string(r.Credentials[0])}, nil
			}},
			peer:     wire(signature(0), plainGreet31, helloAdmin, initiateReq),
			want:     wire(signature(0), plainGreet31, welcome, readyRep),
			peerType: Req,
		},
	}
	for _, tc := range cases {
		for _, ch := range chunkings {
			for _, staged := range []bool{false, true} {
				name := tc.name + "/" + ch.name
				if staged {
					name += "/staged"
				}
				t.Run(name, func(t *testing.T) {
					cfg := tc.cfg
					c := &scriptConn{peer: tc.peer, chunk: ch.chunk, staged: staged}
					s, err := Handshake(c, &cfg)
					if err != nil {
						t.Fatalf("handshake: %v", err)
					}
					if got := c.out.Bytes(); !bytes.Equal(got, tc.want) {
						t.Errorf("we sent\n%x\nlibzmq sent\n%x", got, tc.want)
					}
					if s.PeerType != tc.peerType || string(s.PeerIdentity) != tc.peerID {
						t.Errorf("peer %v %q, want %v %q", s.PeerType, s.PeerIdentity, tc.peerType, tc.peerID)
					}
					if got := frameString(readAll(t, s.Decoder)); got != tc.frames {
						t.Errorf("frames after the handshake:\n%s\nwant\n%s", got, tc.frames)
					}
				})
			}
		}
	}
}

// The user id of an admitted PLAIN client is in the session.
func TestPlainServerRecordsUserID(t *testing.T) {
	c := &scriptConn{peer: wire(signature(0), plainGreet31, helloAdmin, initiateReq)}
	var got ZAPRequest
	s, err := Handshake(c, &Config{SocketType: Rep, Mechanism: PlainServer{}, ZAPDomain: "test", Identity: []byte("me"),
		ZAP: func(r ZAPRequest) (ZAPReply, error) {
			got = r
			return ZAPReply{Status: 200, UserID: "admin-user", Metadata: Metadata{{"X-Role", []byte("ops")}}}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Mechanism != "PLAIN" || got.Domain != "test" || string(got.Identity) != "me" || len(got.Credentials) != 2 ||
		string(got.Credentials[0]) != "admin" || string(got.Credentials[1]) != "secret" {
		t.Errorf("ZAP request %+v", got)
	}
	role, _ := s.ZAPProperties.Get("x-role")
	if s.UserID != "admin-user" || string(role) != "ops" {
		t.Errorf("session user %q role %q", s.UserID, role)
	}
	if v, ok := s.Property("socket-type"); !ok || string(v) != "REQ" {
		t.Errorf("Socket-Type property %q %v", v, ok)
	}
}

// Frames and commands from our encoder match libzmq's bytes, and our
// decoder reads them back.
func TestCapturedFrames(t *testing.T) {
	v31, v30, v20 := NewEncoder(ZMTP31), NewEncoder(ZMTP30), NewEncoder(ZMTP20)
	must := func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := []struct {
		name string
		got  []byte
		want []byte
	}{
		{"REQ envelope", must(v31.AppendMessage(nil, nil, []byte("hello"))), envelopeHello},
		{"subscribe A", must(v31.AppendSubscription(nil, []byte("A"), true)), wire("04 0b 09", lit("SUBSCRIBE"), lit("A"))},
		{"subscribe all", must(v31.AppendSubscription(nil, nil, true)), wire("04 0a 09", lit("SUBSCRIBE"))},
		{"cancel A", must(v31.AppendSubscription(nil, []byte("A"), false)), wire("04 08 06", lit("CANCEL"), lit("A"))},
		{"subscribe A to ZMTP/3.0", must(v30.AppendSubscription(nil, []byte("A"), true)), wire("00 02 01 41")},
		{"subscribe A to ZMTP/2.0", must(v20.AppendSubscription(nil, []byte("A"), true)), wire("00 02 01 41")},
		{"cancel A to ZMTP/2.0", must(v20.AppendSubscription(nil, []byte("A"), false)), wire("00 02 00 41")},
		{"PING TTL 1.5 s", must(v31.AppendPing(nil, 1500*time.Millisecond, nil)), wire("04 07 04", lit("PING"), "00 0f")},
		{"PONG", must(v31.AppendPong(nil, nil)), wire("04 05 04", lit("PONG"))},
		{"PUB message", must(v31.AppendMessage(nil, []byte("Atopic"), []byte("body"))), wire("01 06", lit("Atopic"), "00 04", lit("body"))},
		{"300-octet frame", must(v31.AppendFrame(nil, bytes.Repeat([]byte("x"), 300), false)), wire("02 00 00 00 00 00 00 01 2c", bytes.Repeat([]byte("x"), 300))},
		{"255-octet frame stays short", must(v31.AppendFrame(nil, bytes.Repeat([]byte("y"), 255), false)), wire("00 ff", bytes.Repeat([]byte("y"), 255))},
	}
	for _, tc := range cases {
		if !bytes.Equal(tc.got, tc.want) {
			t.Errorf("%s: encoded\n%x\nwant\n%x", tc.name, tc.got, tc.want)
		}
	}

	// A ping decodes to its TTL; the pong to nothing.
	d := NewDecoder(bytes.NewReader(wire("04 07 04", lit("PING"), "00 0f", "04 05 04", lit("PONG"))), ZMTP31, 0, 0)
	f, err := d.Next()
	if err != nil || !f.Command {
		t.Fatalf("PING frame %+v %v", f, err)
	}
	c, err := ParseCommand(f.Body)
	if err != nil || c.Name != CmdPing {
		t.Fatalf("PING command %+v %v", c, err)
	}
	if ttl, ctx, err := ParsePing(c.Data); err != nil || ttl != 1500*time.Millisecond || len(ctx) != 0 {
		t.Errorf("PING: ttl %v context %q err %v", ttl, ctx, err)
	}
	if f, err = d.Next(); err != nil || !f.Command {
		t.Fatalf("PONG frame %+v %v", f, err)
	}
	if c, err = ParseCommand(f.Body); err != nil || c.Name != CmdPong || len(c.Data) != 0 {
		t.Errorf("PONG command %+v %v", c, err)
	}
}

// Subscriptions read the same in both forms.
func TestParseSubscriptionBothForms(t *testing.T) {
	cases := []struct {
		f     Frame
		topic string
		sub   bool
		ok    bool
	}{
		{Frame{Command: true, Body: []byte("\x09SUBSCRIBEA")}, "A", true, true},
		{Frame{Command: true, Body: []byte("\x06CANCELA")}, "A", false, true},
		{Frame{Body: []byte("\x01A")}, "A", true, true},
		{Frame{Body: []byte("\x00A")}, "A", false, true},
		{Frame{Body: []byte("\x01")}, "", true, true},
		{Frame{Body: []byte("\x02A")}, "", false, false},
		{Frame{Body: nil}, "", false, false},
		{Frame{Command: true, Body: []byte("\x04PING\x00\x00")}, "", false, false},
	}
	for _, tc := range cases {
		topic, sub, ok := ParseSubscription(tc.f)
		if string(topic) != tc.topic || sub != tc.sub || ok != tc.ok {
			t.Errorf("%q (command %v): got %q %v %v", tc.f.Body, tc.f.Command, topic, sub, ok)
		}
	}
}

// A peer announcing a later version is spoken to as 3.1, one announcing
// 3.0 as 3.0; the as-server octet and the filler are ignored.
func TestPeerVersionsAndIgnoredOctets(t *testing.T) {
	mech := make([]byte, 20)
	copy(mech, "NULL")
	filler := bytes.Repeat([]byte{0xEE}, 31)
	cases := []struct {
		major, minor, asServer byte
		want                   Version
	}{
		{3, 0, 0, ZMTP30},
		{3, 1, 1, ZMTP31},
		{3, 2, 0, ZMTP31},
		{4, 0, 1, ZMTP31},
		{2, 0, 0, ZMTP31}, // libzmq reads every revision from 2 up as 3.x
	}
	for _, tc := range cases {
		peer := wire(signature(0), []byte{tc.major, tc.minor}, mech, []byte{tc.asServer}, filler, readyRouter)
		s, err := Handshake(&scriptConn{peer: peer, staged: true}, &Config{SocketType: Dealer})
		if err != nil {
			t.Errorf("%d.%d as-server %d: %v", tc.major, tc.minor, tc.asServer, err)
			continue
		}
		if s.Version != tc.want {
			t.Errorf("%d.%d: spoken as %v, want %v", tc.major, tc.minor, s.Version, tc.want)
		}
	}
}

// A PLAIN server refuses a client with ERROR spelt as libzmq's PLAIN spells
// it: the only form a libzmq PLAIN client reads as a refusal.
func TestPlainRefusalIsSpeltAsLibzmqs(t *testing.T) {
	c := &scriptConn{peer: wire(signature(0), plainGreet31, helloAdmin)}
	_, err := Handshake(c, &Config{SocketType: Rep, Mechanism: PlainServer{}, ZAP: refuseWith(400)})
	if !isAuth(400, false)(err) {
		t.Fatalf("got %v, want our refusal with 400", err)
	}
	if want := wire(signature(0), plainGreet31, "04 09 5e", lit("RROR"), "03", lit("400")); !bytes.Equal(c.out.Bytes(), want) {
		t.Errorf("we sent\n%x\nlibzmq sends\n%x", c.out.Bytes(), want)
	}
}

// During the handshake the decoder reads into a small buffer, so a peer
// that connects and stalls costs little; afterwards it has its configured
// size, and what the peer sent right behind its handshake, in the same
// reads, is kept whole.
func TestHandshakeBufferIsSmallUntilDone(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 3*handshakeBufferSize)
	peer := wire(signature(0), nullGreet31, readyRouter, appendHeader(nil, flagMore, 0), appendHeader(nil, 0, len(big)), big,
		envelopeWorld)
	for _, size := range []int{0, 4096} {
		c := &readSizes{scriptConn: &scriptConn{peer: peer}}
		s, err := Handshake(c, &Config{SocketType: Dealer, ReadBufferSize: size})
		if err != nil {
			t.Fatal(err)
		}
		if c.largest > handshakeBufferSize {
			t.Errorf("a read of %d octets during the handshake, want at most %d", c.largest, handshakeBufferSize)
		}
		want := size
		if size == 0 {
			want = DefaultReadBufferSize
		}
		if len(s.Decoder.buf) != want {
			t.Errorf("buffer of %d octets after the handshake, want %d", len(s.Decoder.buf), want)
		}
		got := frameString(readAll(t, s.Decoder))
		if wantFrames := "more: " + hex.EncodeToString(big) + " more: " + hex.EncodeToString([]byte("world")) + " "; got != wantFrames {
			t.Errorf("frames after the handshake: %.80s..., want the big message then world", got)
		}
	}
}

// readSizes records the largest read asked of a scriptConn.
type readSizes struct {
	*scriptConn
	largest int
}

func (r *readSizes) Read(p []byte) (int, error) {
	r.largest = max(r.largest, len(p))
	return r.scriptConn.Read(p)
}
