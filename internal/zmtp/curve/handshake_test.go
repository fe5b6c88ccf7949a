package curve

import (
	"bytes"
	"encoding/binary"
	"testing"

	"golang.org/x/crypto/nacl/box"
)

// TestCommandLayouts checks every command body octet by octet against the
// layout libzmq 4.3.4 uses, opening each box independently with the one-shot
// box.Open and the keys a real peer would hold.
func TestCommandLayouts(t *testing.T) {
	random := seeded(1)
	srv, cli := docServer(t), docClient(t)
	c, err := newClient(srv.Public, cli, random)
	if err != nil {
		t.Fatal(err)
	}
	transient := c.transient // c' is erased after WELCOME; keep a copy to check boxes
	s := NewServer(srv.Secret)
	s.random = random

	// HELLO: name, version 1.0, 72 zeros, C', short nonce 1, box of 64 zeros C'->S.
	hello, err := c.Hello()
	if err != nil {
		t.Fatal(err)
	}
	if len(hello) != 200 || string(hello[:6]) != "\x05HELLO" || hello[6] != 1 || hello[7] != 0 {
		t.Fatalf("HELLO is %d octets starting % x", len(hello), hello[:8])
	}
	if !bytes.Equal(hello[8:80], make([]byte, 72)) {
		t.Error("HELLO padding is not 72 zeros")
	}
	if Key(hello[80:112]) != transient.Public {
		t.Error("HELLO does not carry C' at octet 80")
	}
	if n := binary.BigEndian.Uint64(hello[112:120]); n != 1 {
		t.Errorf("HELLO short nonce = %d, want 1", n)
	}
	nonce := shortNonce("CurveZMQHELLO---", 1)
	zeros, ok := box.Open(nil, hello[120:], &nonce, (*[32]byte)(&transient.Public), (*[32]byte)(&srv.Secret))
	if !ok || !bytes.Equal(zeros, make([]byte, 64)) {
		t.Fatalf("HELLO box does not open to 64 zeros with C' and s (ok=%v)", ok)
	}

	// WELCOME: name, long nonce, box S->C' of S' and the 96-octet cookie.
	welcome, err := s.Hello(hello)
	if err != nil {
		t.Fatal(err)
	}
	if len(welcome) != 168 || string(welcome[:8]) != "\x07WELCOME" {
		t.Fatalf("WELCOME is %d octets starting %q", len(welcome), welcome[:8])
	}
	nonce = longNonce("WELCOME-", welcome[8:24])
	welcomePlain, ok := box.Open(nil, welcome[24:], &nonce, (*[32]byte)(&srv.Public), (*[32]byte)(&transient.Secret))
	if !ok || len(welcomePlain) != 128 {
		t.Fatalf("WELCOME box does not open with S and c' (ok=%v, %d octets)", ok, len(welcomePlain))
	}
	serverTransient := Key(welcomePlain[:32])
	cookie := welcomePlain[32:]

	if err := c.Welcome(welcome); err != nil {
		t.Fatal(err)
	}
	if c.transient.Secret != (Key{}) {
		t.Error("the client keeps c' after WELCOME")
	}

	// INITIATE: name, cookie, short nonce 2, box C'->S' of C, vouch nonce,
	// vouch (box C->S' of C' and S), metadata.
	meta := metadata("Socket-Type", "REQ")
	initiate, err := c.Initiate(meta)
	if err != nil {
		t.Fatal(err)
	}
	if len(initiate) != 257+len(meta) || string(initiate[:9]) != "\x08INITIATE" {
		t.Fatalf("INITIATE is %d octets (want %d) starting %q", len(initiate), 257+len(meta), initiate[:9])
	}
	if !bytes.Equal(initiate[9:105], cookie) {
		t.Error("INITIATE does not echo WELCOME's cookie at octet 9")
	}
	if n := binary.BigEndian.Uint64(initiate[105:113]); n != 2 {
		t.Errorf("INITIATE short nonce = %d, want 2", n)
	}
	nonce = shortNonce("CurveZMQINITIATE", 2)
	initPlain, ok := box.Open(nil, initiate[113:], &nonce, (*[32]byte)(&serverTransient), (*[32]byte)(&transient.Secret))
	if !ok || len(initPlain) != 128+len(meta) {
		t.Fatalf("INITIATE box does not open with S' and c' (ok=%v)", ok)
	}
	if Key(initPlain[:32]) != cli.Public {
		t.Error("INITIATE box does not start with C")
	}
	if !bytes.Equal(initPlain[128:], meta) {
		t.Errorf("INITIATE metadata = %q, want %q", initPlain[128:], meta)
	}
	nonce = longNonce("VOUCH---", initPlain[32:48])
	vouch, ok := box.Open(nil, initPlain[48:128], &nonce, (*[32]byte)(&serverTransient), (*[32]byte)(&cli.Secret))
	if !ok || Key(vouch[:32]) != transient.Public || Key(vouch[32:]) != srv.Public {
		t.Fatalf("vouch does not open to C' and S with S' and c (ok=%v)", ok)
	}

	clientKey, gotMeta, err := s.Initiate(initiate)
	if err != nil {
		t.Fatal(err)
	}
	if clientKey != cli.Public || !bytes.Equal(gotMeta, meta) {
		t.Errorf("server learned key %s and metadata %q", clientKey.Z85(), gotMeta)
	}
	if s.cookieKey != ([32]byte{}) {
		t.Error("the server keeps its cookie key after INITIATE")
	}

	// READY: name, short nonce 1, box S'->C' of the metadata.
	srvMeta := metadata("Socket-Type", "REP")
	ready, serverSession, err := s.Ready(srvMeta)
	if err != nil {
		t.Fatal(err)
	}
	if len(ready) != 30+len(srvMeta) || string(ready[:6]) != "\x05READY" {
		t.Fatalf("READY is %d octets (want %d) starting %q", len(ready), 30+len(srvMeta), ready[:6])
	}
	if n := binary.BigEndian.Uint64(ready[6:14]); n != 1 {
		t.Errorf("READY short nonce = %d, want 1", n)
	}
	nonce = shortNonce("CurveZMQREADY---", 1)
	if got, ok := box.Open(nil, ready[14:], &nonce, (*[32]byte)(&transient.Public), (*[32]byte)(&serverTransient)); ok {
		t.Errorf("READY opened with a wrong key pair: %q", got)
	}
	gotSrvMeta, clientSession, err := c.Ready(ready)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gotSrvMeta, srvMeta) {
		t.Errorf("client got metadata %q, want %q", gotSrvMeta, srvMeta)
	}

	// MESSAGE: name, short nonce, box of flags and data. The client's
	// counter continues after INITIATE (3, 4...), the server's after READY
	// (2, 3...).
	checkMessage := func(m []byte, from string, wantNonce uint64, prefix string, flags byte, data string) {
		t.Helper()
		if len(m) != 33+len(data) || string(m[:8]) != "\x07MESSAGE" {
			t.Fatalf("%s MESSAGE is %d octets (want %d) starting %q", from, len(m), 33+len(data), m[:8])
		}
		if n := binary.BigEndian.Uint64(m[8:16]); n != wantNonce {
			t.Errorf("%s MESSAGE short nonce = %d, want %d", from, n, wantNonce)
		}
		nonce := shortNonce(prefix, wantNonce)
		plain, ok := box.Open(nil, m[16:], &nonce, (*[32]byte)(&serverTransient), (*[32]byte)(&transient.Secret))
		if !ok || plain[0] != flags || string(plain[1:]) != data {
			t.Errorf("%s MESSAGE opens to %q (ok=%v), want flags %#x and %q", from, plain, ok, flags, data)
		}
	}
	checkMessage(clientSession.Seal(nil, FlagMore, nil), "client", 3, "CurveZMQMESSAGEC", FlagMore, "")
	checkMessage(clientSession.Seal(nil, 0, []byte("ping")), "client", 4, "CurveZMQMESSAGEC", 0, "ping")
	checkMessage(serverSession.Seal(nil, FlagCommand, []byte("\x04PING\x00\x00")), "server", 2, "CurveZMQMESSAGES", FlagCommand, "\x04PING\x00\x00")
	checkMessage(serverSession.Seal(nil, 0xff, []byte("x")), "server", 3, "CurveZMQMESSAGES", FlagMore|FlagCommand, "x")
}

func TestRoundTripsBothWays(t *testing.T) {
	tr := handshake(t, nil)
	if tr.clientKey != docClient(t).Public {
		t.Fatalf("server learned client key %s", tr.clientKey.Z85())
	}
	for _, size := range []int{0, 1, 15, 16, 17, 31, 32, 33, 255, 256, 4096, 65536} {
		data := bytes.Repeat([]byte{byte(size)}, size)
		for _, flags := range []byte{0, FlagMore, FlagCommand, FlagMore | FlagCommand} {
			for _, dir := range []struct {
				name     string
				from, to *Session
			}{{"client to server", tr.clientSession, tr.serverSession}, {"server to client", tr.serverSession, tr.clientSession}} {
				sealed := dir.from.Seal([]byte("prefix"), flags, data)
				if string(sealed[:6]) != "prefix" || len(sealed) != 6+MessageOverhead+size {
					t.Fatalf("%s: Seal did not append to dst", dir.name)
				}
				got, gotFlags, err := dir.to.Open([]byte("dst"), sealed[6:])
				if err != nil {
					t.Fatalf("%s, %d octets, flags %#x: %v", dir.name, size, flags, err)
				}
				if gotFlags != flags || string(got[:3]) != "dst" || !bytes.Equal(got[3:], data) {
					t.Fatalf("%s, %d octets: got flags %#x and %d octets", dir.name, size, gotFlags, len(got)-3)
				}
			}
		}
	}
}

func TestSealClearsItsScratch(t *testing.T) {
	tr := handshake(t, nil)
	secret := bytes.Repeat([]byte("secret"), 10)
	dst := make([]byte, 0, 1024)
	out := tr.clientSession.Seal(dst, 0, secret)
	if bytes.Contains(out[:cap(out)], []byte("secret")) {
		t.Error("the plaintext is left in dst's spare capacity")
	}
}

func TestSealAndOpenAllocateNothingWithRoom(t *testing.T) {
	tr := handshake(t, nil)
	data := make([]byte, 1000)
	sealBuf := make([]byte, 0, MessageOverhead+len(data)+1+len(data)) // result, then scratch
	openBuf := make([]byte, 0, len(data)+MessageOverhead)
	allocs := testing.AllocsPerRun(100, func() {
		m := tr.clientSession.Seal(sealBuf, 0, data)
		if _, _, err := tr.serverSession.Open(openBuf, m); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Seal+Open allocated %.1f times per message", allocs)
	}
}

func TestErrorCommand(t *testing.T) {
	body, err := ErrorCommand("400")
	if err != nil || string(body) != "\x05ERROR\x03400" {
		t.Fatalf("ErrorCommand(400) = %q, %v", body, err)
	}
	if reason, err := ParseError(body); err != nil || reason != "400" {
		t.Fatalf("ParseError = %q, %v", reason, err)
	}
	if reason, err := ParseError([]byte("\x05ERROR\x00trailing")); err != nil || reason != "" {
		t.Fatalf("ParseError with trailing octets = %q, %v", reason, err)
	}
	if _, err := ErrorCommand(string(make([]byte, 256))); err == nil {
		t.Error("ErrorCommand accepted a 256-octet reason")
	}
	_, err = ParseError([]byte("\x05ERROR"))
	wantCode(t, "ERROR without a length", err, CodeMalformedError)
	_, err = ParseError([]byte("\x05ERROR\x04400"))
	wantCode(t, "ERROR whose reason overruns", err, CodeMalformedError)
	_, err = ParseError([]byte("\x05READY"))
	wantCode(t, "READY given to ParseError", err, CodeUnexpectedCommand)
}
