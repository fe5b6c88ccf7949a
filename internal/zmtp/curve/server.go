package curve

import (
	"encoding/binary"
	"io"

	"golang.org/x/crypto/nacl/box"
	"golang.org/x/crypto/nacl/secretbox"
)

// serverStep is the next thing a Server expects to do.
type serverStep int

const (
	serverExpectHello serverStep = iota
	serverExpectInitiate
	serverSendReady
	serverDone
	serverFailed
)

var serverStepNames = [...]string{"HELLO", "INITIATE", "READY", "nothing (done)", "nothing (failed)"}

// Server is the server side of one connection's CURVE handshake. Call Hello,
// Initiate and Ready in that order (or, after Initiate, send an ERROR command
// instead of Ready when ZAP refuses the client); Ready yields the Session.
// Any error ends the handshake: later calls fail too. A Server is not safe
// for concurrent use.
//
// Between HELLO and INITIATE the server keeps only a cookie key: its
// transient key pair and the client's transient key travel to the client
// and back inside the cookie, sealed under that key, as CurveZMQ requires.
// The cookie key is random per Server and is erased once INITIATE is
// processed, so a cookie opens once.
type Server struct {
	secret    Key      // s, the server's long-term secret key
	cookieKey [32]byte // between HELLO and INITIATE only
	key       [32]byte // box key of C' and S': INITIATE, READY, MESSAGE

	clientNonce uint64 // INITIATE's short nonce
	step        serverStep
	random      io.Reader // nil: crypto/rand
}

// NewServer starts a handshake as the server whose long-term secret key is
// secret (libzmq's ZMQ_CURVE_SECRETKEY on a ZMQ_CURVE_SERVER socket).
func NewServer(secret Key) *Server {
	return &Server{secret: secret}
}

// Hello takes the body of the client's HELLO command and returns the body
// of the WELCOME command that answers it (168 octets): a box from S to C'
// holding a fresh transient key S' and the cookie.
func (s *Server) Hello(body []byte) (welcome []byte, err error) {
	if err := s.expectCommand(serverExpectHello, body, helloName, "HELLO"); err != nil {
		return nil, err
	}
	if len(body) != helloSize {
		return nil, s.fail(protocolError(CodeMalformedHello, "HELLO is %d octets, not %d", len(body), helloSize))
	}
	if major, minor := body[len(helloName)], body[len(helloName)+1]; major != 1 || minor != 0 {
		return nil, s.fail(protocolError(CodeMalformedHello, "HELLO has CurveZMQ version %d.%d, not 1.0", major, minor))
	}
	var clientTransient Key
	copy(clientTransient[:], body[helloKeyAt:])
	var helloKey [32]byte
	defer clear(helloKey[:])
	if !precompute(&helloKey, &clientTransient, &s.secret) {
		return nil, s.fail(protocolError(CodeCryptographic, "the client's transient key is a low-order point"))
	}
	// Only the box's authenticity matters (libzmq does not look at the
	// zeros inside), and HELLO's nonce is not remembered: libzmq does not
	// hold INITIATE's nonce to it, and the cookie carries all our state.
	nonce := shortNonce(helloPrefix, binary.BigEndian.Uint64(body[helloNonceAt:]))
	var zeros [64]byte
	if _, ok := box.OpenAfterPrecomputation(zeros[:0], body[helloBoxAt:], &nonce, &helloKey); !ok {
		return nil, s.fail(protocolError(CodeCryptographic, "HELLO box does not open: the client has the wrong server key?"))
	}

	transient := generateKeyPair(s.random)
	defer clear(transient.Secret[:])
	fill(s.random, s.cookieKey[:])

	// WELCOME's plaintext: S', then the cookie (its long nonce, then a
	// box of C' and s' under the cookie key).
	var plain [KeySize + cookieLen]byte
	defer clear(plain[:])
	copy(plain[:], transient.Public[:])
	cookie := plain[KeySize:]
	fill(s.random, cookie[:longNonceLen])
	cookieNonce := longNonce(cookiePrefix, cookie)
	var cookiePlain [2 * KeySize]byte
	defer clear(cookiePlain[:])
	copy(cookiePlain[:], clientTransient[:])
	copy(cookiePlain[KeySize:], transient.Secret[:])
	secretbox.Seal(cookie[longNonceLen:longNonceLen], cookiePlain[:], &cookieNonce, &s.cookieKey)

	welcome = make([]byte, welcomeBoxAt, welcomeSize)
	copy(welcome, welcomeName)
	fill(s.random, welcome[len(welcomeName):welcomeBoxAt])
	welcomeNonce := longNonce(welcomePrefix, welcome[len(welcomeName):])
	welcome = box.SealAfterPrecomputation(welcome, plain[:], &welcomeNonce, &helloKey)
	s.step = serverExpectInitiate
	return welcome, nil
}

// Initiate takes the body of the client's INITIATE command. It opens the
// cookie, the box from C' to S' and the vouch inside it, checks that the
// vouch holds the same C' as the cookie, and returns the client's long-term
// public key C (for ZAP) and the client's metadata (its ZMTP property list,
// still encoded). Like libzmq it does not check the S half of the vouch:
// the vouch is sealed to S', which only this handshake knows.
func (s *Server) Initiate(body []byte) (clientKey Key, metadata []byte, err error) {
	if err := s.expectCommand(serverExpectInitiate, body, initiateName, "INITIATE"); err != nil {
		return Key{}, nil, err
	}
	// One cookie, one chance: whatever happens next, the key is gone.
	defer clear(s.cookieKey[:])
	if len(body) < initiateMin {
		return Key{}, nil, s.fail(protocolError(CodeMalformedInitiate,
			"INITIATE of %d octets is shorter than the %d of one without metadata", len(body), initiateMin))
	}
	cookie := body[len(initiateName):initiateNonceAt]
	cookieNonce := longNonce(cookiePrefix, cookie)
	var cookiePlain [2 * KeySize]byte
	defer clear(cookiePlain[:])
	if _, ok := secretbox.Open(cookiePlain[:0], cookie[longNonceLen:], &cookieNonce, &s.cookieKey); !ok {
		return Key{}, nil, s.fail(protocolError(CodeCryptographic, "INITIATE cookie does not open"))
	}
	var clientTransient, serverTransientSecret Key
	defer clear(serverTransientSecret[:])
	copy(clientTransient[:], cookiePlain[:KeySize])
	copy(serverTransientSecret[:], cookiePlain[KeySize:])
	if !precompute(&s.key, &clientTransient, &serverTransientSecret) {
		// Only a cookie we sealed opens, and we sealed the C' of a HELLO
		// that passed this check; kept for safety all the same.
		return Key{}, nil, s.fail(protocolError(CodeCryptographic, "the client's transient key is a low-order point"))
	}

	n := binary.BigEndian.Uint64(body[initiateNonceAt:])
	nonce := shortNonce(initiatePrefix, n)
	plain, ok := box.OpenAfterPrecomputation(nil, body[initiateBoxAt:], &nonce, &s.key)
	if !ok {
		return Key{}, nil, s.fail(protocolError(CodeCryptographic, "INITIATE box does not open"))
	}
	copy(clientKey[:], plain[:KeySize])
	vouchNonce := longNonce(vouchPrefix, plain[KeySize:])
	var vouch [2 * KeySize]byte
	var vouchKey [32]byte
	defer clear(vouchKey[:])
	if !precompute(&vouchKey, &clientKey, &serverTransientSecret) {
		return Key{}, nil, s.fail(protocolError(CodeCryptographic, "the client's long-term key is a low-order point"))
	}
	if _, ok := box.OpenAfterPrecomputation(vouch[:0], plain[KeySize+longNonceLen:initiateFixed], &vouchNonce, &vouchKey); !ok {
		return Key{}, nil, s.fail(protocolError(CodeCryptographic, "INITIATE vouch does not open"))
	}
	if Key(vouch[:KeySize]) != clientTransient {
		return Key{}, nil, s.fail(protocolError(CodeKeyExchange, "INITIATE vouch is for another transient key"))
	}
	s.clientNonce = n
	s.step = serverSendReady
	return clientKey, plain[initiateFixed:], nil
}

// Ready returns the body of the READY command (30 octets plus the metadata):
// a box from S' to C' of metadata, the server's already-encoded ZMTP
// property list, under short nonce 1. It also returns the Session for the
// connection's MESSAGEs. It fails only when called out of order.
func (s *Server) Ready(metadata []byte) (ready []byte, sess *Session, err error) {
	if err := s.expect(serverSendReady); err != nil {
		return nil, nil, err
	}
	const readyNonce = 1 // the server's first box under the short-nonce counter
	ready = make([]byte, readyBoxAt, readyMin+len(metadata))
	copy(ready, readyName)
	binary.BigEndian.PutUint64(ready[len(readyName):], readyNonce)
	nonce := shortNonce(readyPrefix, readyNonce)
	ready = box.SealAfterPrecomputation(ready, metadata, &nonce, &s.key)
	sess = newSession(&s.key, false, readyNonce+1, s.clientNonce)
	clear(s.key[:])
	s.step = serverDone
	return ready, sess, nil
}

// expect checks that the handshake is at step want.
func (s *Server) expect(want serverStep) error {
	if s.step == want {
		return nil
	}
	if s.step == serverFailed {
		return protocolError(CodeUnexpectedCommand, "the server handshake has already failed")
	}
	return s.fail(protocolError(CodeUnexpectedCommand,
		"the server handshake expects %s, not %s", serverStepNames[s.step], serverStepNames[want]))
}

// expectCommand checks the step and that body is the command called name.
func (s *Server) expectCommand(want serverStep, body []byte, name, what string) error {
	if err := s.expect(want); err != nil {
		return err
	}
	if !hasName(body, name) {
		return s.fail(protocolError(CodeUnexpectedCommand, "expected a %s command", what))
	}
	return nil
}

// fail ends the handshake with err.
func (s *Server) fail(err *ProtocolError) error {
	s.step = serverFailed
	clear(s.cookieKey[:])
	clear(s.key[:])
	return err
}
