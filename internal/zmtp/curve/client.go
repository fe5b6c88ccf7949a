package curve

import (
	"encoding/binary"
	"io"

	"golang.org/x/crypto/nacl/box"
)

// clientStep is the next thing a Client expects to do.
type clientStep int

const (
	clientSendHello clientStep = iota
	clientExpectWelcome
	clientSendInitiate
	clientExpectReady
	clientDone
	clientFailed
)

var clientStepNames = [...]string{"HELLO", "WELCOME", "INITIATE", "READY", "nothing (done)", "nothing (failed)"}

// Client is the client side of one connection's CURVE handshake. Call Hello,
// Welcome, Initiate and Ready in that order; Ready yields the Session. Any
// error ends the handshake: later calls fail too. A Client is not safe for
// concurrent use.
type Client struct {
	server    Key     // S, the server's long-term public key
	perm      KeyPair // C and c
	transient KeyPair // C' and c', fresh for this connection

	helloKey [32]byte // box key of C' and S: HELLO and WELCOME
	key      [32]byte // box key of C' and S': INITIATE, READY, MESSAGE

	serverTransient Key             // S'
	cookie          [cookieLen]byte // from WELCOME, returned in INITIATE

	nonce  uint64 // the next short nonce we send
	step   clientStep
	random io.Reader // nil: crypto/rand
}

// NewClient starts a handshake with the server whose long-term public key is
// serverKey, as the client whose long-term key pair is client (libzmq's
// ZMQ_CURVE_SERVERKEY, ZMQ_CURVE_PUBLICKEY and ZMQ_CURVE_SECRETKEY). It
// draws the connection's transient key pair from crypto/rand, and fails only
// if serverKey is a low-order point, which no real server has.
func NewClient(serverKey Key, client KeyPair) (*Client, error) {
	return newClient(serverKey, client, nil)
}

func newClient(serverKey Key, client KeyPair, random io.Reader) (*Client, error) {
	c := &Client{server: serverKey, perm: client, nonce: 1, random: random}
	c.transient = generateKeyPair(random)
	if !precompute(&c.helloKey, &c.server, &c.transient.Secret) {
		return nil, protocolError(CodeCryptographic, "the server key %s is a low-order point", serverKey.Z85())
	}
	return c, nil
}

// Hello returns the body of the HELLO command (200 octets): version 1.0, the
// 72 octets of anti-amplification padding, the transient key C' and a box of
// 64 zeros from C' to S under short nonce 1. It fails only when called out
// of order.
func (c *Client) Hello() ([]byte, error) {
	if err := c.expect(clientSendHello); err != nil {
		return nil, err
	}
	body := make([]byte, helloBoxAt, helloSize)
	copy(body, helloName)
	body[len(helloName)] = 1 // version 1.0
	copy(body[helloKeyAt:], c.transient.Public[:])
	binary.BigEndian.PutUint64(body[helloNonceAt:], c.nonce)
	nonce := shortNonce(helloPrefix, c.nonce)
	c.nonce++
	var zeros [64]byte
	body = box.SealAfterPrecomputation(body, zeros[:], &nonce, &c.helloKey)
	c.step = clientExpectWelcome
	return body, nil
}

// Welcome takes the body of the server's WELCOME command: it opens the box
// from S to C' and keeps the server's transient key S' and its cookie.
func (c *Client) Welcome(body []byte) error {
	if err := c.expectCommand(clientExpectWelcome, body, welcomeName, "WELCOME"); err != nil {
		return err
	}
	if len(body) != welcomeSize {
		return c.fail(protocolError(CodeMalformedWelcome, "WELCOME is %d octets, not %d", len(body), welcomeSize))
	}
	nonce := longNonce(welcomePrefix, body[len(welcomeName):])
	var plain [KeySize + cookieLen]byte
	if _, ok := box.OpenAfterPrecomputation(plain[:0], body[welcomeBoxAt:], &nonce, &c.helloKey); !ok {
		return c.fail(protocolError(CodeCryptographic, "WELCOME box does not open: wrong server key?"))
	}
	copy(c.serverTransient[:], plain[:KeySize])
	copy(c.cookie[:], plain[KeySize:])
	clear(plain[:])
	if !precompute(&c.key, &c.serverTransient, &c.transient.Secret) {
		return c.fail(protocolError(CodeCryptographic, "the server's transient key is a low-order point"))
	}
	// c' has done its work: every later box uses the precomputed key.
	clear(c.transient.Secret[:])
	clear(c.helloKey[:])
	c.step = clientSendInitiate
	return nil
}

// Initiate returns the body of the INITIATE command (257 octets plus the
// metadata): the server's cookie, then a box from C' to S' holding the
// long-term key C, the vouch (a box of C' and S from C to S') and metadata,
// the already-encoded ZMTP property list (Socket-Type and so on). It fails
// only when called out of order.
func (c *Client) Initiate(metadata []byte) ([]byte, error) {
	if err := c.expect(clientSendInitiate); err != nil {
		return nil, err
	}
	var vouchPlain [2 * KeySize]byte
	copy(vouchPlain[:], c.transient.Public[:])
	copy(vouchPlain[KeySize:], c.server[:])
	var vouchTail [longNonceLen]byte
	fill(c.random, vouchTail[:])
	vouchNonce := longNonce(vouchPrefix, vouchTail[:])

	plain := make([]byte, initiateFixed, initiateFixed+len(metadata))
	copy(plain, c.perm.Public[:])
	copy(plain[KeySize:], vouchTail[:])
	box.Seal(plain[KeySize+longNonceLen:KeySize+longNonceLen], vouchPlain[:], &vouchNonce,
		(*[32]byte)(&c.serverTransient), (*[32]byte)(&c.perm.Secret))
	plain = append(plain, metadata...)

	body := make([]byte, initiateBoxAt, initiateMin+len(metadata))
	copy(body, initiateName)
	copy(body[len(initiateName):], c.cookie[:])
	binary.BigEndian.PutUint64(body[initiateNonceAt:], c.nonce)
	nonce := shortNonce(initiatePrefix, c.nonce)
	c.nonce++
	body = box.SealAfterPrecomputation(body, plain, &nonce, &c.key)
	clear(plain) // it held the metadata, which is the application's
	c.step = clientExpectReady
	return body, nil
}

// Ready takes the body of the server's READY command and returns the
// server's metadata (its ZMTP property list, still encoded) and the Session
// for the connection's MESSAGEs.
func (c *Client) Ready(body []byte) (metadata []byte, s *Session, err error) {
	if err := c.expectCommand(clientExpectReady, body, readyName, "READY"); err != nil {
		return nil, nil, err
	}
	if len(body) < readyMin {
		return nil, nil, c.fail(protocolError(CodeMalformedReady,
			"READY of %d octets is shorter than the %d of an empty box", len(body), readyMin))
	}
	n := binary.BigEndian.Uint64(body[len(readyName):])
	nonce := shortNonce(readyPrefix, n)
	metadata, ok := box.OpenAfterPrecomputation(nil, body[readyBoxAt:], &nonce, &c.key)
	if !ok {
		return nil, nil, c.fail(protocolError(CodeCryptographic, "READY box does not open"))
	}
	c.step = clientDone
	s = newSession(&c.key, true, c.nonce, n)
	clear(c.key[:])
	return metadata, s, nil
}

// expect checks that the handshake is at step want.
func (c *Client) expect(want clientStep) error {
	if c.step == want {
		return nil
	}
	if c.step == clientFailed {
		return protocolError(CodeUnexpectedCommand, "the client handshake has already failed")
	}
	return c.fail(protocolError(CodeUnexpectedCommand,
		"the client handshake expects %s, not %s", clientStepNames[c.step], clientStepNames[want]))
}

// expectCommand checks the step and that body is the command called name.
func (c *Client) expectCommand(want clientStep, body []byte, name, what string) error {
	if err := c.expect(want); err != nil {
		return err
	}
	if !hasName(body, name) {
		return c.fail(protocolError(CodeUnexpectedCommand, "expected a %s command", what))
	}
	return nil
}

// fail ends the handshake with err.
func (c *Client) fail(err *ProtocolError) error {
	c.step = clientFailed
	clear(c.transient.Secret[:])
	clear(c.helloKey[:])
	clear(c.key[:])
	return err
}
