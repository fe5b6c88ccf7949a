package zmtp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/zmqx/zmq/internal/zmtp/curve"
)

// rawCurveServer is a CURVE server written out step by step with the
// curve package alone, so that a test can make it send what CurveServer
// never would. It answers the greeting, HELLO and INITIATE; then it sends
// ending in place of READY when ending is set, or READY, and returns the
// session for the test to seal MESSAGEs of its own.
func rawCurveServer(conn io.ReadWriter, ending []byte) (*curve.Session, error) {
	if _, err := conn.Write(wire(signature(0), greetingRest(1, "CURVE"))); err != nil {
		return nil, err
	}
	var greeting [64]byte
	if _, err := io.ReadFull(conn, greeting[:]); err != nil {
		return nil, err
	}
	dec := NewDecoder(conn, ZMTP31, 0, 0)
	command := func() ([]byte, error) {
		f, err := dec.Next()
		if err == nil && !f.Command {
			err = errors.New("data frame during the handshake")
		}
		return f.Body, err
	}
	srv := curve.NewServer(testServerKeys.Secret)
	hello, err := command()
	if err != nil {
		return nil, err
	}
	welcome, err := srv.Hello(hello)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Write(cmdFrame(welcome)); err != nil {
		return nil, err
	}
	initiate, err := command()
	if err != nil {
		return nil, err
	}
	if _, _, err := srv.Initiate(initiate); err != nil {
		return nil, err
	}
	if ending != nil {
		_, err := conn.Write(ending)
		return nil, err
	}
	ready, s, err := srv.Ready(prop("Socket-Type", "ROUTER"))
	if err != nil {
		return nil, err
	}
	_, err = conn.Write(cmdFrame(ready))
	return s, err
}

// rawCurveHandshake connects our CURVE client to a rawCurveServer over a
// buffered pipe and returns the client's session, the server's session,
// the server's end of the pipe and the client's handshake error.
func rawCurveHandshake(t *testing.T, ending []byte) (*Session, *curve.Session, io.Writer, error) {
	t.Helper()
	a, b := newBufPipe(t, 0)
	type result struct {
		s   *curve.Session
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := rawCurveServer(b, ending)
		done <- result{s, err}
	}()
	s, err := Handshake(a, &Config{SocketType: Dealer, Mechanism: curveClient()})
	if err != nil {
		a.Close() // as an engine would; the raw server then stops reading
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("raw server: %v", r.err)
	}
	return s, r.s, b, err
}

func TestCurveClientReadsRefusals(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ending []byte
		status int
	}{
		// libzmq 4.3.4's PLAIN refusal; a CURVE peer built on the same
		// code may send it too.
		{"misspelt ERROR", wire("04 09 5e", lit("RROR"), "03", lit("400")), 400},
		{"ERROR", cmdFrame(CommandBody(CmdError, []byte("\x03500"))), 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := rawCurveHandshake(t, tc.ending)
			if !isAuth(tc.status, true)(err) {
				t.Fatalf("got %v, want the peer's refusal with status %d", err, tc.status)
			}
		})
	}
}

// What a peer seals after the handshake: the decoder takes libzmq's
// framing in either outer form and refuses, with libzmq's code, every
// MESSAGE that is replayed, tampered with, truncated, out of place or in
// clear.
func TestCurveHostileMessages(t *testing.T) {
	type sealer func(outer, flags byte, body string) []byte
	cases := []struct {
		name   string
		frames func(seal sealer) []byte
		want   []sentFrame      // frames read before the error, if any
		err    func(error) bool // nil: no error after want
	}{
		{name: "outer COMMAND and MORE bits are ignored, inner flags count",
			frames: func(seal sealer) []byte {
				return wire(seal(flagCommand, 0, "a"), seal(flagMore, 0, "b"), seal(flagCommand|flagMore, curve.FlagCommand, "\x04PING\x00\x00"))
			},
			want: []sentFrame{{"a", false, false}, {"b", false, false}, {"\x04PING\x00\x00", false, true}}},
		{name: "replayed MESSAGE",
			frames: func(seal sealer) []byte { m := seal(0, 0, "once"); return wire(m, m) },
			want:   []sentFrame{{"once", false, false}}, err: protoCode(CodeInvalidSequence, "CURVE: ", "nonce")},
		{name: "tampered MESSAGE",
			frames: func(seal sealer) []byte { m := seal(0, 0, "data"); m[len(m)-1] ^= 1; return m },
			err:    protoCode(CodeCryptographic, "CURVE: ", "does not open")},
		{name: "truncated MESSAGE",
			frames: func(seal sealer) []byte { return wire("00 10", lit("\x07MESSAGE"), "00 00 00 00 00 00 00 09") },
			err:    protoCode(CodeMalformedMessage, "CURVE: ")},
		{name: "clear command after the handshake",
			frames: func(seal sealer) []byte { return cmdFrame(CommandBody(CmdPing, []byte{0, 0})) },
			err:    protoCode(CodeUnexpectedCommand, "CURVE: ", "MESSAGE")},
		{name: "sealed command with MORE",
			frames: func(seal sealer) []byte { return seal(0, curve.FlagCommand|curve.FlagMore, "\x04PING\x00\x00") },
			err:    protoCode(CodeMalformedCommand, "MORE")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, raw, w, err := rawCurveHandshake(t, nil)
			if err != nil {
				t.Fatal(err)
			}
			seal := func(outer, flags byte, body string) []byte {
				m := raw.Seal(nil, flags, []byte(body))
				return append(appendHeader(nil, outer, len(m)), m...)
			}
			if _, err := w.Write(tc.frames(seal)); err != nil {
				t.Fatal(err)
			}
			for i, want := range tc.want {
				f, err := s.Decoder.Next()
				if err != nil || string(f.Body) != want.body || f.More != want.more || f.Command != want.command {
					t.Fatalf("frame %d: %q more %v command %v, %v; want %+v", i, f.Body, f.More, f.Command, err, want)
				}
			}
			if tc.err == nil {
				return
			}
			_, err = s.Decoder.Next()
			if !tc.err(err) {
				t.Fatalf("got %v", err)
			}
			if _, again := s.Decoder.Next(); again != err {
				t.Fatalf("error not sticky: %v, then %v", err, again)
			}
		})
	}
}

// validHello returns a HELLO frame for the test server from a fresh client.
func validHello(t testing.TB, serverKey curve.Key) []byte {
	t.Helper()
	c, err := curve.NewClient(serverKey, testClientKeys)
	if err != nil {
		t.Fatal(err)
	}
	hello, err := c.Hello()
	if err != nil {
		t.Fatal(err)
	}
	return cmdFrame(hello)
}

// What a client may send our server after a valid greeting, and the
// error it gets; the authenticator is never asked.
func TestCurveServerHostileInput(t *testing.T) {
	curveGreeting := wire(signature(0), greetingRest(1, "CURVE"))
	hello := validHello(t, testServerKeys.Public)
	otherHello := validHello(t, curve.GenerateKeyPair().Public)
	initiateShape := cmdFrame(append([]byte("\x08INITIATE"), make([]byte, 248+len(prop("Socket-Type", "DEALER")))...))
	cases := []struct {
		name string
		peer []byte
		want func(error) bool
	}{
		{"INITIATE first", wire(curveGreeting, initiateShape),
			protoCode(CodeUnexpectedCommand, "CURVE server: got INITIATE, want HELLO")},
		{"data frame first", wire(curveGreeting, "00 05", lit("hello")),
			protoCode(CodeUnexpectedCommand, "data frame")},
		{"short HELLO", wire(curveGreeting, cmdFrame(hello[2:len(hello)-1])),
			protoCode(CodeMalformedHello, "CURVE: HELLO is 199 octets")},
		{"HELLO of version 2.0", wire(curveGreeting, cmdFrame(append(append([]byte{}, hello[2:8]...), append([]byte{2}, hello[9:]...)...))),
			protoCode(CodeMalformedHello, "version 2.0")},
		{"HELLO for another server", wire(curveGreeting, otherHello),
			protoCode(CodeCryptographic, "CURVE: HELLO box does not open")},
		{"HELLO twice", wire(curveGreeting, hello, hello),
			protoCode(CodeUnexpectedCommand, "CURVE server: got HELLO, want INITIATE")},
		{"INITIATE with a cookie we did not seal", wire(curveGreeting, hello, initiateShape),
			protoCode(CodeCryptographic, "CURVE: INITIATE cookie does not open")},
		{"short INITIATE", wire(curveGreeting, hello, cmdFrame([]byte("\x08INITIATE"))),
			protoCode(CodeMalformedInitiate, "CURVE: ")},
		{"ERROR instead of INITIATE", wire(curveGreeting, hello, cmdFrame(CommandBody(CmdError, []byte("\x03400")))),
			isAuth(400, true)},
		{"nothing after HELLO", wire(curveGreeting, hello), connErr(io.EOF, "reading")},
	}
	for _, tc := range cases {
		for _, ch := range chunkings {
			t.Run(fmt.Sprintf("%s/%s", tc.name, ch.name), func(t *testing.T) {
				asked := false
				c := &scriptConn{peer: tc.peer, chunk: ch.chunk}
				_, err := Handshake(c, &Config{SocketType: Router, Mechanism: curveServer(),
					ZAP: func(ZAPRequest) (ZAPReply, error) { asked = true; return ZAPReply{Status: 200}, nil }})
				if !tc.want(err) {
					t.Fatalf("got %v", err)
				}
				if asked {
					t.Error("the authenticator was asked")
				}
				if welcomes := bytes.Count(c.out.Bytes(), []byte("\x07WELCOME")); welcomes > 1 {
					t.Errorf("%d WELCOMEs sent", welcomes)
				}
			})
		}
	}
}
