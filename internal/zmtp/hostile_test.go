package zmtp

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
)

// protoCode matches a *ProtocolError with the code and every fragment.
func protoCode(code ProtocolErrorCode, fragments ...string) func(error) bool {
	return func(err error) bool {
		var pe *ProtocolError
		if !errors.As(err, &pe) || pe.Code != code {
			return false
		}
		for _, f := range fragments {
			if !strings.Contains(pe.Error(), f) {
				return false
			}
		}
		return true
	}
}

func connErr(target error, op string) func(error) bool {
	return func(err error) bool {
		var ce *ConnError
		return errors.As(err, &ce) && errors.Is(err, target) && ce.Op == op
	}
}

// frame31 wraps body in a command frame header.
func cmdFrame(body []byte) []byte { return append(appendHeader(nil, flagCommand, len(body)), body...) }

func metadataFrame(name string, md []byte) []byte { return cmdFrame(CommandBody(name, md)) }

func prop(name, value string) []byte { return appendProperty(nil, name, []byte(value)) }

func TestHostileHandshakeInput(t *testing.T) {
	null := wire(signature(0), nullGreet31)
	plain := wire(signature(0), plainGreet31)
	dealerProps := prop("Socket-Type", "DEALER")
	cases := []struct {
		name string
		cfg  Config
		peer []byte
		hang bool // the peer then waits for us, as a real one would
		want func(error) bool
	}{
		{name: "nothing at all", peer: nil, want: connErr(io.EOF, "reading the greeting")},
		{name: "truncated signature", peer: signature(0)[:5], want: connErr(io.ErrUnexpectedEOF, "reading the greeting")},
		{name: "truncated greeting", peer: null[:40], want: connErr(io.ErrUnexpectedEOF, "reading the greeting")},
		{name: "HTTP request", peer: []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
			want: protoCode(CodeUnspecified, "unversioned ZMTP/1.0", "0x47")},
		{name: "ZMTP/1.0 identity frame, then silence", peer: wire("01 00"), hang: true,
			want: protoCode(CodeUnspecified, "unversioned ZMTP/1.0")},
		{name: "signature without the versioned bit", peer: wire("ff 00 00 00 00 00 00 00 01 7e"), hang: true,
			want: protoCode(CodeUnspecified, "unversioned ZMTP/1.0", "0x7e")},
		{name: "revision 0", peer: wire(signature(0), "00"), hang: true, want: protoCode(CodeUnspecified, "revision 0")},
		{name: "CURVE greeting", peer: wire(signature(0), greetingRest(1, "CURVE")),
			want: protoCode(CodeMechanismMismatch, "mechanism mismatch", `"NULL"`, `"CURVE"`)},
		{name: "mechanism padded with garbage", peer: wire(signature(0), greetingRest(1, "NULL\x00x")),
			want: protoCode(CodeMechanismMismatch, "mechanism mismatch")},
		{name: "garbage after a valid greeting", peer: wire(null, bytes.Repeat([]byte{0xAB}, 40)),
			want: protoCode(CodeUnspecified, "12370169555311111083")},
		{name: "data frame instead of READY", peer: wire(null, "a0 05", lit("hello")),
			want: protoCode(CodeUnexpectedCommand, "data frame of 5 octets")},
		{name: "READY with trailing octets", peer: wire(null, metadataFrame("READY", wire(dealerProps, "05 00"))),
			want: protoCode(CodeMalformedReady, "READY metadata")},
		{name: "metadata value overrun", peer: wire(null, metadataFrame("READY", wire("0b", lit("Socket-Type"), "7f ff ff ff", lit("DEALER")))),
			want: protoCode(CodeMalformedReady, "2147483647")},
		{name: "metadata name overrun", peer: wire(null, metadataFrame("READY", wire(dealerProps, "f0", lit("ab")))),
			want: protoCode(CodeMalformedReady, "overrun")},
		{name: "empty property name", peer: wire(null, metadataFrame("READY", wire(dealerProps, "00 00 00 00 00"))),
			want: protoCode(CodeMalformedReady, "empty name")},
		{name: "READY without Socket-Type", peer: wire(null, metadataFrame("READY", prop("Identity", ""))),
			want: protoCode(CodeInvalidMetadata, "no Socket-Type")},
		{name: "unknown socket type", peer: wire(null, metadataFrame("READY", prop("Socket-Type", "CLIENT"))),
			want: protoCode(CodeInvalidMetadata, "socket type mismatch", "PAIR", `"CLIENT"`)},
		{name: "lower-case property names are accepted", cfg: Config{SocketType: Router},
			peer: wire(null, metadataFrame("READY", wire(prop("socket-type", "DEALER"), prop("IDENTITY", "x")))), want: nil},
		{name: "identity over 255 octets", cfg: Config{SocketType: Router},
			peer: wire(null, metadataFrame("READY", wire(dealerProps, prop("Identity", strings.Repeat("i", 256))))),
			want: protoCode(CodeInvalidMetadata, "256")},
		{name: "PING instead of READY", peer: wire(null, "04 07 04", lit("PING"), "00 00"),
			want: protoCode(CodeUnexpectedCommand, "PING", "want READY")},
		{name: "MORE on READY", peer: wire(null, "05 19 05", lit("READY"), "0b", lit("Socket-Type"), "00 00 00 03", lit("SUB")),
			want: protoCode(CodeMalformedCommand, "MORE")},
		{name: "empty command frame", peer: wire(null, "04 00"), want: protoCode(CodeMalformedCommand, "empty command")},
		{name: "command name overrun", peer: wire(null, "04 02 05 52"), want: protoCode(CodeMalformedCommand, "name of 5")},
		{name: "malformed ERROR", peer: wire(null, "04 08 05", lit("ERROR"), "05 34"), want: protoCode(CodeMalformedError)},
		{name: "ERROR with a free-text reason", peer: wire(null, "04 0a 05", lit("ERROR"), "03", lit("bad")),
			want: protoCode(CodeUnspecified, `"bad"`)},
		{name: "ERROR with a ZAP status", peer: wire(null, "04 0a 05", lit("ERROR"), "03", lit("400")), want: isAuth(400, true)},
		{name: "ERROR as libzmq 4.3.4's PLAIN server spells it", cfg: Config{Mechanism: PlainClient{}},
			peer: wire(plain, "04 09 5e 52 52 4f 52 03 34 30 30"), want: isAuth(400, true)},
		{name: "the libzmq spelling is only read as ERROR when well formed", cfg: Config{Mechanism: PlainClient{}},
			peer: wire(plain, "04 09 5e 52 52 4f 52 02 34 30 30"), want: protoCode(CodeMalformedError)},
		{name: "huge declared READY, capped", cfg: Config{MaxMessageSize: 1 << 20},
			peer: wire(null, "06 00 00 01 00 00 00 00 00"), want: protoCode(CodeUnspecified, "1099511627776", "1048576")},
		{name: "huge declared READY, uncapped, then close", peer: wire(null, "06 00 00 01 00 00 00 00 00", lit("\x05READY")),
			want: connErr(io.ErrUnexpectedEOF, "reading")},
		{name: "size beyond int64", peer: wire(null, "06 80 00 00 00 00 00 00 00"), want: protoCode(CodeUnspecified, "does not fit an int")},
		{name: "PLAIN server: HELLO with trailing octets",
			cfg:  Config{Mechanism: PlainServer{}, ZAP: admitAll},
			peer: wire(plain, cmdFrame(CommandBody("HELLO", wire("01", lit("u"), "01", lit("p"), "00")))),
			want: protoCode(CodeMalformedHello, "trailing")},
		{name: "PLAIN server: HELLO with a password overrun",
			cfg:  Config{Mechanism: PlainServer{}, ZAP: admitAll},
			peer: wire(plain, cmdFrame(CommandBody("HELLO", wire("01", lit("u"), "09", lit("p"))))),
			want: protoCode(CodeMalformedHello, "password")},
		{name: "PLAIN server: INITIATE before HELLO",
			cfg:  Config{Mechanism: PlainServer{}, ZAP: admitAll},
			peer: wire(plain, metadataFrame("INITIATE", prop("Socket-Type", "PAIR"))),
			want: protoCode(CodeUnexpectedCommand, "INITIATE", "want HELLO")},
		{name: "PLAIN server: bad INITIATE metadata",
			cfg:  Config{Mechanism: PlainServer{}, ZAP: admitAll},
			peer: wire(plain, helloAdmin, metadataFrame("INITIATE", wire("0b", lit("Socket-Type")))),
			want: protoCode(CodeMalformedInitiate)},
		{name: "PLAIN client: WELCOME with data",
			cfg:  Config{Mechanism: PlainClient{Username: "a"}},
			peer: wire(plain, cmdFrame(CommandBody("WELCOME", []byte("x")))), want: protoCode(CodeMalformedWelcome)},
		{name: "PLAIN client: READY before WELCOME",
			cfg:  Config{Mechanism: PlainClient{Username: "a"}},
			peer: wire(plain, metadataFrame("READY", prop("Socket-Type", "PAIR"))), want: protoCode(CodeUnexpectedCommand, "want WELCOME")},
		{name: "ZMTP/2.0 unknown socket type octet", peer: wire(signature(0), "01 2a 00 00"),
			want: protoCode(CodeInvalidMetadata, "socket type mismatch", "type octet 42")},
		{name: "ZMTP/2.0 identity frame with MORE", cfg: Config{SocketType: Pull}, peer: wire(signature(0), "01 08 01 01 41"),
			want: protoCode(CodeUnspecified, "MORE")},
		{name: "ZMTP/2.0 identity over 255 octets", cfg: Config{SocketType: Pull},
			peer: wire(signature(0), "01 08 02 00 00 00 00 00 00 01 00", bytes.Repeat([]byte("i"), 256)),
			want: protoCode(CodeUnspecified, "256")},
	}
	for _, tc := range cases {
		for _, ch := range chunkings {
			t.Run(tc.name+"/"+ch.name, func(t *testing.T) {
				cfg := tc.cfg
				c := &scriptConn{peer: tc.peer, chunk: ch.chunk, hang: tc.hang}
				_, err := Handshake(c, &cfg)
				if tc.want == nil {
					if err != nil {
						t.Fatalf("handshake failed: %v", err)
					}
					return
				}
				if errors.Is(err, errWouldBlock) {
					t.Fatalf("handshake waited for the peer instead of failing: %v", err)
				}
				if !tc.want(err) {
					t.Fatalf("got error %v", err)
				}
			})
		}
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"unknown socket type", Config{SocketType: 11}, "unknown socket type 11"},
		{"identity too long", Config{Identity: make([]byte, 256)}, "identity of 256 octets"},
		{"metadata name with a space", Config{Metadata: Metadata{{"X bad", nil}}}, `"X bad"`},
		{"metadata name empty", Config{Metadata: Metadata{{"", nil}}}, "want 1 to 255"},
		{"metadata overriding Socket-Type", Config{Metadata: Metadata{{"socket-type", []byte("PUB")}}}, `"socket-type"`},
		{"PLAIN password too long", Config{Mechanism: PlainClient{Password: strings.Repeat("p", 256)}}, "password (256 octets)"},
		{"negative buffer", Config{ReadBufferSize: -1}, "negative read buffer size -1"},
	}
	for _, tc := range cases {
		c := &scriptConn{}
		_, err := Handshake(c, &tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
		if c.out.Len() != 0 || c.reads != 0 {
			t.Errorf("%s: %d octets written and %d reads before the configuration was refused", tc.name, c.out.Len(), c.reads)
		}
	}
}

func TestDecoderParsesManyFramesPerRead(t *testing.T) {
	var in []byte
	for range 1000 {
		in = wire(in, "01 03", lit("abc"), "00 00")
	}
	c := &scriptConn{peer: in}
	d := NewDecoder(c, ZMTP31, 0, 0)
	frames := readAll(t, d)
	if len(frames) != 2000 {
		t.Fatalf("%d frames", len(frames))
	}
	if c.reads != 1 {
		t.Errorf("%d reads for %d octets, want 1", c.reads, len(in))
	}
}

// FrameBuffered says whether Next can return without reading: only once
// the whole frame, header and body, is in the buffer.
func TestDecoderFrameBuffered(t *testing.T) {
	long := appendHeader(nil, 0, 300)
	long = append(long, make([]byte, 300)...)
	in := wire("01 03", lit("abc"), "00 00", long)
	// One octet per read: the decoder sees every prefix of the input.
	c := &scriptConn{peer: in, chunk: 1}
	d := NewDecoder(c, ZMTP31, 0, 0)
	if d.FrameBuffered() {
		t.Fatal("an empty decoder says a frame is buffered")
	}
	for i, want := range []int{3, 0, 300} {
		f, err := d.Next()
		if err != nil || len(f.Body) != want {
			t.Fatalf("frame %d: %d octets, %v; want %d", i, len(f.Body), err, want)
		}
		if d.FrameBuffered() {
			t.Fatalf("after frame %d, with one octet read at a time: a frame is said to be buffered", i)
		}
	}
	// All at once: each frame is buffered before Next returns it.
	d = NewDecoder(&scriptConn{peer: in}, ZMTP31, 0, 0)
	d.Next()
	for i := range 2 {
		if !d.FrameBuffered() {
			t.Fatalf("frame %d of one read: not said to be buffered", i+1)
		}
		d.Next()
	}
	if d.FrameBuffered() {
		t.Fatal("after the last frame: a frame is said to be buffered")
	}
	// A sticky error is returned without reading, so it counts.
	d = NewDecoder(&scriptConn{peer: wire("00")}, ZMTP31, 0, 0)
	if _, err := d.Next(); err == nil {
		t.Fatal("a cut frame decoded")
	}
	if !d.FrameBuffered() {
		t.Fatal("a decoder with an error says Next would read")
	}
}

func TestDecoderLargeBody(t *testing.T) {
	body := make([]byte, 5*DefaultReadBufferSize+123)
	for i := range body {
		body[i] = byte(i * 7)
	}
	in := wire("00 03", lit("abc"))
	in = append(appendHeader(in, flagMore, len(body)), body...)
	in = wire(in, "00 03", lit("xyz"))
	for _, chunk := range []int{0, 1000, 100_000} {
		d := NewDecoder(&scriptConn{peer: in, chunk: chunk}, ZMTP31, 0, 0)
		fs := readAll(t, d)
		if len(fs) != 3 || string(fs[0].Body) != "abc" || !bytes.Equal(fs[1].Body, body) || !fs[1].More || string(fs[2].Body) != "xyz" {
			t.Fatalf("chunk %d: frames %d", chunk, len(fs))
		}
	}
	// The large body is its own slice of exactly its size.
	d := NewDecoder(&scriptConn{peer: in, chunk: 4096}, ZMTP31, 0, 0)
	d.Next()
	f, err := d.Next()
	if err != nil || len(f.Body) != len(body) || cap(f.Body) != len(body) {
		t.Fatalf("large body len %d cap %d err %v", len(f.Body), cap(f.Body), err)
	}
	g, _ := d.Next()
	f.Body[0] ^= 0xFF // the caller owns it: the next frame is unaffected
	if string(g.Body) != "xyz" {
		t.Errorf("next frame %q", g.Body)
	}
}

// roomyAllocator gives more room than asked, whole bodies when whole is
// set, and records what it gave and got back.
type roomyAllocator struct {
	whole bool
	given int
	freed int
	needs []int
}

func (a *roomyAllocator) Alloc(size, need int) []byte {
	a.given++
	a.needs = append(a.needs, need)
	if a.whole {
		return make([]byte, 0, 2*size+100)
	}
	return make([]byte, 0, 2*need)
}

func (a *roomyAllocator) Free([]byte) { a.freed++ }

// A decoder with a body allocator reads large bodies into its memory,
// never past the body's end however much room it is given, and frees
// every slice it outgrows; small bodies still come from its buffer.
func TestDecoderBodyAllocator(t *testing.T) {
	body := make([]byte, 5*DefaultReadBufferSize+123)
	for i := range body {
		body[i] = byte(i * 7)
	}
	in := wire("00 03", lit("abc"))
	in = append(appendHeader(in, flagMore, len(body)), body...)
	in = append(appendHeader(in, 0, len(body)), body...)
	in = wire(in, "00 03", lit("xyz"))
	for _, whole := range []bool{true, false} {
		for _, chunk := range []int{0, 1000, 100_000} {
			a := &roomyAllocator{whole: whole}
			d := NewDecoder(&scriptConn{peer: in, chunk: chunk}, ZMTP31, 0, 0)
			d.SetBodyAllocator(a)
			fs := readAll(t, d)
			if len(fs) != 4 || string(fs[0].Body) != "abc" || !bytes.Equal(fs[1].Body, body) || !bytes.Equal(fs[2].Body, body) || string(fs[3].Body) != "xyz" {
				t.Fatalf("whole %v, chunk %d: %d frames", whole, chunk, len(fs))
			}
			if a.given-a.freed != 2 {
				t.Errorf("whole %v, chunk %d: %d slices given, %d freed; want all but the two bodies freed", whole, chunk, a.given, a.freed)
			}
			if whole && a.given != 2 {
				t.Errorf("chunk %d: an allocator with room for whole bodies was asked %d times for 2 bodies", chunk, a.given)
			}
			for _, need := range a.needs {
				if need > len(body) {
					t.Errorf("whole %v, chunk %d: asked for %d octets, more than the body's %d", whole, chunk, need, len(body))
				}
			}
		}
	}
	// A body that never ends gives its memory back.
	a := &roomyAllocator{}
	d := NewDecoder(&scriptConn{peer: append(appendHeader(nil, 0, len(body)), body[:3*DefaultReadBufferSize]...), chunk: 4096}, ZMTP31, 0, 0)
	d.SetBodyAllocator(a)
	if _, err := d.Next(); !errors.Is(err, io.ErrUnexpectedEOF) || a.given != a.freed || a.given == 0 {
		t.Fatalf("cut body: error %v, %d slices given, %d freed", err, a.given, a.freed)
	}
}

// allocated returns the octets allocated while f runs.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A declared size is never allocated on the peer's word: what is allocated
// follows what arrives.
func TestDecoderDoesNotTrustDeclaredSize(t *testing.T) {
	for _, tc := range []struct {
		name    string
		arrives int
		limit   uint64
	}{
		{"1 TiB declared, 100 octets arrive", 100, 3 * DefaultReadBufferSize},
		{"1 TiB declared, 1 MiB arrives", 1 << 20, 3<<20 + 3*DefaultReadBufferSize},
	} {
		in := append(wire("02 00 00 01 00 00 00 00 00"), make([]byte, tc.arrives)...)
		var err error
		n := allocated(func() {
			d := NewDecoder(&scriptConn{peer: in, chunk: 8192}, ZMTP31, 0, 0)
			_, err = d.Next()
		})
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%s: error %v", tc.name, err)
		}
		if n > tc.limit {
			t.Errorf("%s: allocated %d octets, limit %d", tc.name, n, tc.limit)
		}
	}
}

func TestDecoderMaxMessageSize(t *testing.T) {
	in := wire("01 ff", make([]byte, 255), "01 ff", make([]byte, 255), "02 00 00 00 00 00 00 02 00")
	d := NewDecoder(&scriptConn{peer: in, hang: true}, ZMTP31, 0, 1000)
	for i := range 2 {
		if _, err := d.Next(); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
	// Refused from the header, before the body (which never comes) is read.
	_, err := d.Next()
	if !protoCode(CodeUnspecified, "512", "1000", "already 510")(err) {
		t.Fatalf("third frame: %v", err)
	}
	if _, again := d.Next(); again != err {
		t.Errorf("error not sticky: %v then %v", err, again)
	}

	// A command between the frames of a message is measured alone.
	in = wire("01 ff", make([]byte, 255), "04 ff", make([]byte, 255), "00 01 41")
	if fs := readAll(t, NewDecoder(&scriptConn{peer: in}, ZMTP31, 0, 300)); len(fs) != 3 {
		t.Errorf("%d frames, want 3", len(fs))
	}

	// The count starts again with each message.
	in = wire("00 ff", make([]byte, 255), "00 ff", make([]byte, 255), "00 ff", make([]byte, 255), "00 ff", make([]byte, 255))
	d = NewDecoder(&scriptConn{peer: in}, ZMTP31, 0, 300)
	if fs := readAll(t, d); len(fs) != 4 {
		t.Errorf("%d single-frame messages of 255 under a 300 limit, want 4", len(fs))
	}
}

func TestDecoderFlags(t *testing.T) {
	cases := []struct {
		name string
		v    Version
		in   []byte
		want string // frameString, or "error"
	}{
		{"reserved bits ignored", ZMTP31, wire("f9 01 41 f8 01 42"), "more:41 42 "},
		{"reserved bits on a command ignored", ZMTP31, wire("fc 02 01 41"), "cmd:0141 "},
		{"COMMAND bit is reserved for ZMTP/2.0", ZMTP20, wire("04 02 01 41"), "0141 "},
		{"MORE on a command", ZMTP31, wire("05 02 01 41"), "error"},
		{"MORE on a command under ZMTP/3.0", ZMTP30, wire("05 02 01 41"), "error"},
		{"LONG with a small size is accepted", ZMTP31, wire("02 00 00 00 00 00 00 00 01 41"), "41 "},
	}
	for _, tc := range cases {
		d := NewDecoder(&scriptConn{peer: tc.in}, tc.v, 0, 0)
		var got string
		var fs []Frame
		for {
			f, err := d.Next()
			if errors.Is(err, io.EOF) {
				got = frameString(fs)
				break
			}
			if err != nil {
				got = "error"
				break
			}
			fs = append(fs, f)
		}
		if got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

// Unknown commands come out as commands with their names, for the engine to
// ignore.
func TestUnknownCommandSurfaces(t *testing.T) {
	d := NewDecoder(&scriptConn{peer: wire("04 09 07", lit("UNKNOWN"), "01")}, ZMTP31, 0, 0)
	f, err := d.Next()
	if err != nil || !f.Command {
		t.Fatalf("%+v %v", f, err)
	}
	c, err := ParseCommand(f.Body)
	if err != nil || c.Name != "UNKNOWN" || string(c.Data) != "\x01" {
		t.Fatalf("%+v %v", c, err)
	}
}

func TestEncoderRefusals(t *testing.T) {
	if _, err := NewEncoder(ZMTP20).AppendPing(nil, 0, nil); !errors.Is(err, ErrCommandsUnsupported) {
		t.Errorf("PING to ZMTP/2.0: %v", err)
	}
	if _, err := NewEncoder(ZMTP31).AppendPing(nil, 0, make([]byte, 17)); err == nil || !strings.Contains(err.Error(), "17") {
		t.Errorf("17-octet PING context: %v", err)
	}
	if _, err := NewEncoder(ZMTP31).AppendPing(nil, maxTTL+1, nil); err == nil {
		t.Error("TTL past 6553.5 s accepted")
	}
	if _, err := NewEncoder(ZMTP31).AppendMessage(nil); err == nil {
		t.Error("message with no frames accepted")
	}
	pong, _ := NewEncoder(ZMTP31).AppendPong(nil, []byte("0123456789abcdefXYZ"))
	if want := wire("04 15 04", lit("PONG"), lit("0123456789abcdef")); !bytes.Equal(pong, want) {
		t.Errorf("PONG context not cut to 16: %x", pong)
	}
}

// A 250-octet topic is a LONG SUBSCRIBE frame: the size comes from the
// whole body, not from the topic (libzmq 4.3.4 gets this wrong).
func TestLongSubscriptionFraming(t *testing.T) {
	topic := bytes.Repeat([]byte("t"), 250)
	out, err := NewEncoder(ZMTP31).AppendSubscription(nil, topic, true)
	if err != nil {
		t.Fatal(err)
	}
	if want := wire("06 00 00 00 00 00 00 01 04 09", lit("SUBSCRIBE"), topic); !bytes.Equal(out, want) {
		t.Fatalf("got %x", out[:12])
	}
	f, err := NewDecoder(bytes.NewReader(out), ZMTP31, 0, 0).Next()
	if got, sub, ok := ParseSubscription(f); err != nil || !ok || !sub || !bytes.Equal(got, topic) {
		t.Errorf("decoded %v %v %v", ok, sub, err)
	}
}

// A frame that declares the largest size an int64 holds, with no limit
// set, must not overflow the decoder's arithmetic: it reads what arrives
// and reports the stream's end.
func TestDecoderLargestDeclaredSize(t *testing.T) {
	in := append([]byte{flagLong, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "a few octets"...)
	d := NewDecoder(bytes.NewReader(in), ZMTP31, 0, 0)
	_, err := d.Next()
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("got %v, want the stream's unexpected end", err)
	}
}
