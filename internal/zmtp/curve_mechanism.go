package zmtp

import (
	"crypto/subtle"
	"errors"
	"fmt"

	"github.com/zmqx/zmq/internal/zmtp/curve"
)

// CurveClient is the client side of the CURVE mechanism (CurveZMQ, as
// libzmq 4.3.4 speaks it): it proves that it knows the server's public key
// (HELLO), receives the server's transient key and cookie (WELCOME), sends
// its long-term public key, a vouch and its metadata, all encrypted
// (INITIATE), and reads the server's encrypted metadata (READY). Every frame
// after the handshake is encrypted. A server that refuses us after ZAP
// answers ERROR, which the handshake returns as an *AuthError; a server
// that has another key hangs up after HELLO (a *ConnError).
//
// No field has a usable default: a zero key is a configuration error,
// reported before any byte is written. Formatting a CurveClient with the
// fmt package never prints the secret key.
type CurveClient struct {
	ServerKey curve.Key // the server's long-term public key (ZMQ_CURVE_SERVERKEY)
	Public    curve.Key // our long-term public key (ZMQ_CURVE_PUBLICKEY); must belong to Secret
	Secret    curve.Key // our long-term secret key (ZMQ_CURVE_SECRETKEY)
}

// Name returns "CURVE".
func (CurveClient) Name() string { return curveName }

// curveName is the mechanism's name in the greeting and in ZAP requests.
const curveName = "CURVE"

// validate refuses unset keys. It does not check that Public belongs to
// Secret: that costs a scalar multiplication per connection, and is better
// done once where the keys are configured (curve.PublicFromSecret). A
// server refuses a client whose keys do not match: the vouch does not open.
func (m CurveClient) validate() error {
	switch {
	case isZeroKey(&m.ServerKey):
		return errors.New("zmtp: CURVE client has no server key (ServerKey is all zeros)")
	case isZeroKey(&m.Public):
		return errors.New("zmtp: CURVE client has no public key (Public is all zeros)")
	case isZeroKey(&m.Secret):
		return errors.New("zmtp: CURVE client has no secret key (Secret is all zeros)")
	}
	return nil
}

// Format prints the public keys in Z85 and hides the secret key, whatever
// the verb, so that a configuration in a log line or an error leaks nothing.
func (m CurveClient) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, "{ServerKey:%s Public:%s Secret:<hidden>}", m.ServerKey.Z85(), m.Public.Z85())
}

// Handshake runs HELLO, WELCOME, INITIATE, READY as the client.
func (m CurveClient) Handshake(h *HandshakeConn) (Cipher, error) {
	c, err := curve.NewClient(m.ServerKey, curve.KeyPair{Public: m.Public, Secret: m.Secret})
	if err != nil {
		// Only a low-order server key fails here: our configuration is at
		// fault, not the peer.
		return nil, fmt.Errorf("zmtp: CURVE server key %s is a low-order point, not a usable public key", m.ServerKey.Z85())
	}
	hello, err := c.Hello()
	if err != nil {
		return nil, curveError(err)
	}
	if err := h.WriteCommand(hello); err != nil {
		return nil, err
	}
	cmd, err := h.ReadCommand()
	if err != nil {
		return nil, err
	}
	if cmd.Name != CmdWelcome {
		return nil, protoErr(CodeUnexpectedCommand, "CURVE client: got %s, want WELCOME", cmd.Name)
	}
	if err := c.Welcome(cmd.Body); err != nil {
		return nil, curveError(err)
	}
	initiate, err := c.Initiate(h.LocalMetadata())
	if err != nil {
		return nil, curveError(err)
	}
	if err := h.WriteCommand(initiate); err != nil {
		return nil, err
	}
	if cmd, err = h.ReadCommand(); err != nil {
		return nil, err
	}
	if cmd.Name != CmdReady {
		return nil, protoErr(CodeUnexpectedCommand, "CURVE client: got %s, want READY", cmd.Name)
	}
	metadata, session, err := c.Ready(cmd.Body)
	if err != nil {
		return nil, curveError(err)
	}
	if err := h.AcceptPeerMetadata(CmdReady, metadata); err != nil {
		return nil, err
	}
	return &curveCipher{session: session}, nil
}

// CurveServer is the server side of the CURVE mechanism. Every client that
// completes INITIATE goes to Config.ZAP with mechanism "CURVE" and the
// client's 32-octet long-term public key as its one credential; a refusal
// (400 or 500) is answered with ERROR. Unlike libzmq, which admits every
// client that knows the server's key when no ZAP handler is installed,
// a CurveServer without a ZAP callback admits nobody (ErrNoAuthenticator).
//
// Secret has no usable default: a zero key is a configuration error,
// reported before any byte is written. Formatting a CurveServer with the
// fmt package prints its public key and never its secret key.
type CurveServer struct {
	Secret curve.Key // the server's long-term secret key (ZMQ_CURVE_SECRETKEY)
}

// Name returns "CURVE".
func (CurveServer) Name() string { return curveName }

func (m CurveServer) validate() error {
	if isZeroKey(&m.Secret) {
		return errors.New("zmtp: CURVE server has no secret key (Secret is all zeros)")
	}
	return nil
}

// Format prints the public key that belongs to the secret key, in Z85, and
// hides the secret key, whatever the verb.
func (m CurveServer) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, "{Public:%s Secret:<hidden>}", curve.PublicFromSecret(m.Secret).Z85())
}

// Handshake runs HELLO, WELCOME, INITIATE, ZAP, READY as the server.
//
// ZAP is asked before the client's metadata is checked, as libzmq does, so
// a client that is not admitted learns nothing from us but the refusal.
func (m CurveServer) Handshake(h *HandshakeConn) (Cipher, error) {
	s := curve.NewServer(m.Secret)
	cmd, err := h.ReadCommand()
	if err != nil {
		return nil, err
	}
	if cmd.Name != CmdHello {
		return nil, protoErr(CodeUnexpectedCommand, "CURVE server: got %s, want HELLO", cmd.Name)
	}
	welcome, err := s.Hello(cmd.Body)
	if err != nil {
		return nil, curveError(err)
	}
	if err := h.WriteCommand(welcome); err != nil {
		return nil, err
	}
	if cmd, err = h.ReadCommand(); err != nil {
		return nil, err
	}
	if cmd.Name != CmdInitiate {
		return nil, protoErr(CodeUnexpectedCommand, "CURVE server: got %s, want INITIATE", cmd.Name)
	}
	clientKey, metadata, err := s.Initiate(cmd.Body)
	if err != nil {
		return nil, curveError(err)
	}
	if err := h.Authenticate(curveName, clientKey[:]); err != nil {
		return nil, err
	}
	if err := h.AcceptPeerMetadata(CmdInitiate, metadata); err != nil {
		return nil, err
	}
	ready, session, err := s.Ready(h.LocalMetadata())
	if err != nil {
		return nil, curveError(err)
	}
	if err := h.WriteCommand(ready); err != nil {
		return nil, err
	}
	return &curveCipher{session: session}, nil
}

// maxReusedFrame is the largest frame that curveCipher seals or opens in a
// buffer it keeps. Traffic of frames up to this size allocates nothing once
// the buffers have grown; a larger frame gets buffers of its own, so that
// one big frame does not pin its size in memory for the connection's life.
const maxReusedFrame = 16 << 10

// curveCipher carries every frame after a CURVE handshake in a MESSAGE
// command, with MORE and COMMAND in the encrypted flags octet. Seal and Open
// have separate state and buffers, so the encoder and the decoder may run on
// two goroutines; each of them is for one goroutine at a time.
type curveCipher struct {
	session *curve.Session
	sealBuf []byte // Seal's last result, reused by the next Seal
	openBuf []byte // where a small frame is opened before it is copied over its body
}

// Seal returns the MESSAGE body for one frame. For a frame of up to
// maxReusedFrame octets it lives in a buffer the next Seal reuses.
func (c *curveCipher) Seal(more, command bool, body []byte) ([]byte, error) {
	var flags byte
	if more {
		flags |= curve.FlagMore
	}
	if command {
		flags |= curve.FlagCommand
	}
	if len(body) > maxReusedFrame {
		return c.session.Seal(nil, flags, body), nil
	}
	c.sealBuf = c.session.Seal(c.sealBuf[:0], flags, body)
	return c.sealBuf, nil
}

// Open returns the frame a MESSAGE body carries. A small frame is opened
// into a kept buffer and copied over the front of body (the box cannot be
// opened in place), so the frame lives exactly as long as body: until the
// decoder's next read when body is in its buffer, for good when body is a
// slice of its own. A large frame is opened into a slice of its own.
func (c *curveCipher) Open(body []byte) (more, command bool, data []byte, err error) {
	var flags byte
	if len(body) > curve.MessageOverhead+maxReusedFrame {
		data, flags, err = c.session.Open(nil, body)
	} else {
		var opened []byte
		if opened, flags, err = c.session.Open(c.openBuf[:0], body); err == nil {
			c.openBuf = opened[:0]
			data = body[:copy(body, opened):len(opened)]
		}
	}
	if err != nil {
		return false, false, nil, curveError(err)
	}
	return flags&curve.FlagMore != 0, flags&curve.FlagCommand != 0, data, nil
}

// Overhead returns what a MESSAGE adds to a frame: 33 octets.
func (c *curveCipher) Overhead() int { return curve.MessageOverhead }

// curveError turns an error of the curve package into this package's kind:
// a *curve.ProtocolError becomes a *ProtocolError with the same libzmq code.
func curveError(err error) error {
	var pe *curve.ProtocolError
	if errors.As(err, &pe) {
		return &ProtocolError{Code: ProtocolErrorCode(pe.Code()), Reason: "CURVE: " + pe.Reason()}
	}
	return err
}

// isZeroKey reports whether k is all zeros, in time that does not depend
// on where its first non-zero octet is.
func isZeroKey(k *curve.Key) bool {
	var zero curve.Key
	return subtle.ConstantTimeCompare(k[:], zero[:]) == 1
}
