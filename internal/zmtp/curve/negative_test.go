package curve

import (
	"strconv"
	"testing"
)

// lowOrderPoint is a Curve25519 point of order 8 (from the list of
// small-order points in the X25519 literature); X25519 with it gives zeros.
var lowOrderPoint = Key{
	0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a,
	0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00,
}

func TestWrongServerKeyFailsAtTheServersHello(t *testing.T) {
	other := GenerateKeyPair()
	c, err := NewClient(other.Public, docClient(t))
	if err != nil {
		t.Fatal(err)
	}
	hello, _ := c.Hello()
	_, err = NewServer(docServer(t).Secret).Hello(hello)
	wantCode(t, "HELLO sealed to another server", err, CodeCryptographic)
}

func TestLowOrderKeysAreRefused(t *testing.T) {
	for _, k := range []Key{{}, lowOrderPoint} {
		if _, err := NewClient(k, docClient(t)); err == nil {
			t.Errorf("NewClient accepted the low-order server key %x", k[:4])
		}
	}
	// A HELLO that carries a low-order C'.
	c, _ := NewClient(docServer(t).Public, docClient(t))
	hello, _ := c.Hello()
	copy(hello[helloKeyAt:], lowOrderPoint[:])
	_, err := NewServer(docServer(t).Secret).Hello(hello)
	wantCode(t, "HELLO with a low-order C'", err, CodeCryptographic)
}

func TestTamperedHandshakeCommandsFail(t *testing.T) {
	tr := handshake(t, seeded(2))
	// Every octet after the name that a box or key derivation covers:
	// HELLO from C' on (its padding is not authenticated, as in libzmq),
	// WELCOME, INITIATE and READY from the end of their names.
	cases := []struct {
		name  string
		body  []byte
		from  int
		apply func(b []byte) error
	}{
		{"HELLO", tr.hello, helloKeyAt, func(b []byte) error {
			_, err := NewServer(docServer(t).Secret).Hello(b)
			return err
		}},
		{"WELCOME", tr.welcome, len(welcomeName), func(b []byte) error {
			c := replayClient(t, 2, welcomeStep)
			return c.Welcome(b)
		}},
		{"INITIATE", tr.initiate, len(initiateName), func(b []byte) error {
			_, s := replayServer(t, 2)
			_, _, err := s.Initiate(b)
			return err
		}},
		{"READY", tr.ready, len(readyName), func(b []byte) error {
			c := replayClient(t, 2, readyStep)
			_, _, err := c.Ready(b)
			return err
		}},
	}
	for _, c := range cases {
		if err := c.apply(c.body); err != nil {
			t.Fatalf("%s: the untampered body fails: %v", c.name, err)
		}
		for i := c.from; i < len(c.body); i++ {
			wantCode(t, c.name+" with a flipped bit", c.apply(flip(c.body, i)), CodeCryptographic)
		}
	}
}

// Steps a replayed client stops before.
const (
	welcomeStep = iota
	readyStep
)

// replayClient rebuilds, from the same seed, the client of handshake(t,
// seeded(seed)) up to the step before WELCOME or READY, so that the
// original commands of that handshake fit it.
func replayClient(t testing.TB, seed byte, before int) *Client {
	t.Helper()
	random := seeded(seed)
	srv := docServer(t)
	c, err := newClient(srv.Public, docClient(t), random)
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(srv.Secret)
	s.random = random
	hello, _ := c.Hello()
	welcome, err := s.Hello(hello)
	if err != nil || before == welcomeStep {
		return c
	}
	if err := c.Welcome(welcome); err != nil {
		t.Fatal(err)
	}
	initiate, _ := c.Initiate(metadata("Socket-Type", "DEALER", "Identity", ""))
	if _, _, err := s.Initiate(initiate); err != nil {
		t.Fatal(err)
	}
	return c
}

// replayServer rebuilds, from the same seed, the client and the server of
// handshake(t, seeded(seed)) up to the server's INITIATE.
func replayServer(t testing.TB, seed byte) (*Client, *Server) {
	t.Helper()
	random := seeded(seed)
	srv := docServer(t)
	c, err := newClient(srv.Public, docClient(t), random)
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(srv.Secret)
	s.random = random
	hello, _ := c.Hello()
	welcome, err := s.Hello(hello)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Welcome(welcome); err != nil {
		t.Fatal(err)
	}
	return c, s
}

func TestCookieOpensOnlyAtItsServerAndOnlyOnce(t *testing.T) {
	tr := handshake(t, nil)
	// The same INITIATE at another server (another cookie key).
	other := NewServer(docServer(t).Secret)
	c2, _ := NewClient(docServer(t).Public, docClient(t))
	hello, _ := c2.Hello()
	if _, err := other.Hello(hello); err != nil {
		t.Fatal(err)
	}
	_, _, err := other.Initiate(tr.initiate)
	wantCode(t, "INITIATE replayed to another connection", err, CodeCryptographic)
	// The same INITIATE again at its own server.
	_, _, err = tr.server.Initiate(tr.initiate)
	wantCode(t, "INITIATE repeated", err, CodeUnexpectedCommand)
}

func TestVouchMustHoldTheTransientKeyOfTheCookie(t *testing.T) {
	c, s := replayServer(t, 3)
	c.transient.Public = GenerateKeyPair().Public // the vouch will name another C'
	initiate, _ := c.Initiate(nil)
	_, _, err := s.Initiate(initiate)
	wantCode(t, "vouch for another C'", err, CodeKeyExchange)
}

func TestVouchMustComeFromTheClaimedLongTermKey(t *testing.T) {
	c, s := replayServer(t, 4)
	c.perm.Public = GenerateKeyPair().Public // claim a key whose secret we lack
	initiate, _ := c.Initiate(nil)
	_, _, err := s.Initiate(initiate)
	wantCode(t, "vouch under another long-term key", err, CodeCryptographic)
}

func TestWrongSizesAndVersions(t *testing.T) {
	tr := handshake(t, seeded(5))
	newServer := func() *Server { return NewServer(docServer(t).Secret) }

	_, err := newServer().Hello(append(append([]byte(nil), tr.hello...), 0))
	wantCode(t, "HELLO of 201 octets", err, CodeMalformedHello)
	bad := append([]byte(nil), tr.hello...)
	bad[6] = 2
	_, err = newServer().Hello(bad)
	wantCode(t, "HELLO version 2.0", err, CodeMalformedHello)
	bad[6], bad[7] = 1, 1
	_, err = newServer().Hello(bad)
	wantCode(t, "HELLO version 1.1", err, CodeMalformedHello)
	_, err = newServer().Hello(tr.welcome)
	wantCode(t, "WELCOME given to the server's Hello", err, CodeUnexpectedCommand)

	err = replayClient(t, 5, welcomeStep).Welcome(append(append([]byte(nil), tr.welcome...), 0))
	wantCode(t, "WELCOME of 169 octets", err, CodeMalformedWelcome)
	err = replayClient(t, 5, welcomeStep).Welcome(tr.ready)
	wantCode(t, "READY given to the client's Welcome", err, CodeUnexpectedCommand)

	// A READY or INITIATE with octets appended fails its box.
	_, _, err = replayClient(t, 5, readyStep).Ready(append(append([]byte(nil), tr.ready...), 0))
	wantCode(t, "READY with an extra octet", err, CodeCryptographic)
	_, s := replayServer(t, 5)
	_, _, err = s.Initiate(append(append([]byte(nil), tr.initiate...), 0))
	wantCode(t, "INITIATE with an extra octet", err, CodeCryptographic)
}

// TestTruncatedBodiesAtEveryLength cuts each command at every length below
// its own and checks the error code: an unrecognisable name, then a body too
// short for its fixed fields, then a box that does not open.
func TestTruncatedBodiesAtEveryLength(t *testing.T) {
	tr := handshake(t, seeded(6))
	message := tr.clientSession.Seal(nil, 0, []byte("some data"))
	type step func(b []byte) error
	cases := []struct {
		name           string
		body           []byte
		nameLen, fixed int
		malformed      uint32
		apply          step
	}{
		{"HELLO", tr.hello, len(helloName), helloSize, CodeMalformedHello, func(b []byte) error {
			_, err := NewServer(docServer(t).Secret).Hello(b)
			return err
		}},
		{"WELCOME", tr.welcome, len(welcomeName), welcomeSize, CodeMalformedWelcome, func(b []byte) error {
			return replayClient(t, 6, welcomeStep).Welcome(b)
		}},
		{"INITIATE", tr.initiate, len(initiateName), initiateMin, CodeMalformedInitiate, func(b []byte) error {
			_, s := replayServer(t, 6)
			_, _, err := s.Initiate(b)
			return err
		}},
		{"READY", tr.ready, len(readyName), readyMin, CodeMalformedReady, func(b []byte) error {
			_, _, err := replayClient(t, 6, readyStep).Ready(b)
			return err
		}},
		{"MESSAGE", message, len(messageName), MessageOverhead, CodeMalformedMessage, func(b []byte) error {
			// A fresh copy of the receiving session for every cut.
			s := *tr.serverSession
			_, _, err := s.Open(nil, b)
			return err
		}},
	}
	for _, c := range cases {
		for n := 0; n < len(c.body); n++ {
			err := c.apply(c.body[:n:n])
			want := CodeCryptographic
			switch {
			case n < c.nameLen:
				want = CodeUnexpectedCommand
			case n < c.fixed:
				want = c.malformed
			}
			wantCode(t, c.name+" cut to "+strconv.Itoa(n)+" octets", err, want)
		}
	}
}

func TestMessageNonceMustIncrease(t *testing.T) {
	tr := handshake(t, nil)
	m1 := tr.clientSession.Seal(nil, 0, []byte("one"))
	m2 := tr.clientSession.Seal(nil, 0, []byte("two"))
	m3 := tr.clientSession.Seal(nil, 0, []byte("three"))

	if _, _, err := tr.serverSession.Open(nil, m1); err != nil {
		t.Fatal(err)
	}
	_, _, err := tr.serverSession.Open(nil, m1)
	wantCode(t, "replayed MESSAGE", err, CodeInvalidSequence)

	// Skipping a nonce is allowed (libzmq only asks for an increase), but
	// the skipped MESSAGE cannot come later.
	if got, _, err := tr.serverSession.Open(nil, m3); err != nil || string(got) != "three" {
		t.Fatalf("MESSAGE after a gap: %q, %v", got, err)
	}
	_, _, err = tr.serverSession.Open(nil, m2)
	wantCode(t, "reordered MESSAGE", err, CodeInvalidSequence)
}

func TestMessageFailuresLeaveTheSessionUsable(t *testing.T) {
	tr := handshake(t, nil)
	m := tr.serverSession.Seal(nil, FlagMore, []byte("payload"))
	for i := len(messageName); i < len(m); i++ {
		dst := []byte("keep")
		out, _, err := tr.clientSession.Open(dst, flip(m, i))
		if i < messageBoxAt {
			// A changed nonce is either lower (a sequence error) or higher
			// (its box fails); either way nothing changes.
			if err == nil {
				t.Fatalf("MESSAGE with nonce octet %d flipped was accepted", i)
			}
		} else {
			wantCode(t, "MESSAGE with octet "+strconv.Itoa(i)+" flipped", err, CodeCryptographic)
		}
		if string(out) != "keep" {
			t.Fatalf("failed Open returned %q, want dst unchanged", out)
		}
	}
	got, flags, err := tr.clientSession.Open(nil, m)
	if err != nil || flags != FlagMore || string(got) != "payload" {
		t.Fatalf("the intact MESSAGE after failures: %q, %#x, %v", got, flags, err)
	}
}

func TestMessageIsBoundToItsDirection(t *testing.T) {
	tr := handshake(t, nil)
	// A client's MESSAGE reflected back to the client: same key, other
	// nonce prefix.
	m := tr.clientSession.Seal(nil, 0, []byte("reflected"))
	_, _, err := tr.clientSession.Open(nil, m)
	wantCode(t, "reflected MESSAGE", err, CodeCryptographic)
	// A MESSAGE of another connection between the same long-term keys.
	other := handshake(t, nil)
	_, _, err = tr.serverSession.Open(nil, other.clientSession.Seal(nil, 0, []byte("elsewhere")))
	wantCode(t, "MESSAGE of another connection", err, CodeCryptographic)
}

func TestStepsOutOfOrder(t *testing.T) {
	c, _ := NewClient(docServer(t).Public, docClient(t))
	_, err := c.Initiate(nil)
	wantCode(t, "Initiate before Hello", err, CodeUnexpectedCommand)
	_, err = c.Hello()
	wantCode(t, "Hello after a failure", err, CodeUnexpectedCommand)

	tr := handshake(t, nil)
	_, err = tr.client.Hello()
	wantCode(t, "Hello after the handshake", err, CodeUnexpectedCommand)
	_, _, err = tr.server.Ready(nil)
	wantCode(t, "Ready twice", err, CodeUnexpectedCommand)

	s := NewServer(docServer(t).Secret)
	_, _, err = s.Ready(nil)
	wantCode(t, "Ready before Initiate", err, CodeUnexpectedCommand)
	_, _, err = s.Initiate(tr.initiate)
	wantCode(t, "Initiate after a failure", err, CodeUnexpectedCommand)
}
