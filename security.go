package zmq

import (
	"crypto/rand"
	"fmt"

	"golang.org/x/crypto/curve25519"

	"github.com/zmqx/zmq/internal/brief"
	"github.com/zmqx/zmq/internal/engine"
)

// CurveKeyPair is a CURVE key pair, each key in Z85 text form (40
// characters). Keep Secret secret: this package never logs it, and errors
// about it never quote it.
type CurveKeyPair struct {
	Public, Secret string
}

// NewCurveKeyPair generates a new CURVE key pair from crypto/rand.
func NewCurveKeyPair() (CurveKeyPair, error) {
	var secret [32]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return CurveKeyPair{}, fmt.Errorf("zmq: generating a CURVE key pair: %w", err)
	}
	pub, err := curve25519.X25519(secret[:], curve25519.Basepoint)
	if err != nil {
		return CurveKeyPair{}, fmt.Errorf("zmq: generating a CURVE key pair: %w", err)
	}
	return CurveKeyPair{Public: mustZ85(pub), Secret: mustZ85(secret[:])}, nil
}

// CurvePublicKey derives the public key that belongs to a secret key.
func CurvePublicKey(secret string) (string, error) {
	if err := checkCurveKey("secret key", secret, false); err != nil {
		return "", err
	}
	sec, _ := Z85Decode(secret) // checked above
	pub, err := curve25519.X25519(sec, curve25519.Basepoint)
	if err != nil {
		return "", fmt.Errorf("zmq: deriving a CURVE public key: %w", err)
	}
	return mustZ85(pub), nil
}

// mustZ85 encodes a 32-byte key, whose length is a multiple of 4.
func mustZ85(key []byte) string {
	s, err := Z85Encode(key)
	if err != nil {
		panic(err)
	}
	return s
}

// checkCurveKey validates a Z85 CURVE key. Public keys may be quoted in
// errors; secret keys are not.
func checkCurveKey(what, key string, quote bool) error {
	show := ""
	if quote {
		show = " " + brief.Quote(key)
	}
	if len(key) != 40 {
		return fmt.Errorf("%w: CURVE %s%s is %d characters, want 40 (Z85)", ErrInvalidOption, what, show, len(key))
	}
	if _, err := Z85Decode(key); err != nil {
		if !quote {
			// The decoder's message quotes the offending characters.
			return fmt.Errorf("%w: CURVE %s is not valid Z85", ErrInvalidOption, what)
		}
		return fmt.Errorf("%w: CURVE %s%s is not valid Z85: %v", ErrInvalidOption, what, show, err)
	}
	return nil
}

// defaultZAPDomain is the ZAP domain of sockets that authenticate peers
// and were given none.
const defaultZAPDomain = "global"

// Security fails closed: a socket that authenticates its peers (a CURVE or
// PLAIN server, or any socket given a ZAP domain) only admits peers that an
// authenticator approved. Without a running authenticator every handshake
// fails; libzmq's default would admit anyone.

// WithCurveServer makes the socket a CURVE server with the given secret
// key: connections are encrypted, and each client must be approved by the
// factory's authenticator (see package auth). The ZAP domain defaults to
// "global" (set another with WithZAPDomain).
func WithCurveServer(secretKey string) CommonOption {
	s := &optSpec{name: "WithCurveServer(<secret key>)", createOnly: true}
	s.apply = func(c *sockConfig) error {
		if err := checkCurveKey("secret key", secretKey, false); err != nil {
			return fmt.Errorf("WithCurveServer: %w", err)
		}
		c.authServer = true
		c.sets = append(c.sets,
			setting{opt: engine.OptCurveServer, val: engine.Int(1)},
			setting{opt: engine.OptCurveSecretKey, val: engine.Bytes([]byte(secretKey))})
		return nil
	}
	return common(s)
}

// WithCurveClient makes the socket a CURVE client of the server whose
// public key is serverKey, identifying itself with key pair client.
func WithCurveClient(serverKey string, client CurveKeyPair) CommonOption {
	s := &optSpec{name: "WithCurveClient(" + brief.Quote(serverKey) + ", <key pair>)"}
	s.apply = func(c *sockConfig) error {
		if err := checkCurveKey("server key", serverKey, true); err != nil {
			return fmt.Errorf("WithCurveClient: %w", err)
		}
		if err := checkCurveKey("public key", client.Public, true); err != nil {
			return fmt.Errorf("WithCurveClient: %w", err)
		}
		if err := checkCurveKey("secret key", client.Secret, false); err != nil {
			return fmt.Errorf("WithCurveClient: %w", err)
		}
		c.sets = append(c.sets,
			setting{opt: engine.OptCurveServerKey, val: engine.Bytes([]byte(serverKey))},
			setting{opt: engine.OptCurvePublicKey, val: engine.Bytes([]byte(client.Public))},
			setting{opt: engine.OptCurveSecretKey, val: engine.Bytes([]byte(client.Secret))})
		return nil
	}
	return common(s)
}

// WithPlainServer makes the socket a PLAIN server: clients send a user name
// and password, in clear text, checked by the factory's authenticator. Use
// it only on networks you trust; CURVE encrypts.
func WithPlainServer() CommonOption {
	s := &optSpec{name: "WithPlainServer()", createOnly: true}
	s.apply = func(c *sockConfig) error {
		c.authServer = true
		c.sets = append(c.sets, setting{opt: engine.OptPlainServer, val: engine.Int(1)})
		return nil
	}
	return common(s)
}

// WithPlainClient makes the socket a PLAIN client with these credentials
// (sent in clear text).
func WithPlainClient(user, password string) CommonOption {
	s := &optSpec{name: "WithPlainClient(" + brief.Quote(user) + ", <password>)"}
	s.apply = func(c *sockConfig) error {
		if len(user) > 255 || len(password) > 255 {
			return optErr(s.name, "user name and password are limited to 255 bytes each")
		}
		c.sets = append(c.sets,
			setting{opt: engine.OptPlainUsername, val: engine.Bytes([]byte(user))},
			setting{opt: engine.OptPlainPassword, val: engine.Bytes([]byte(password))})
		return nil
	}
	return common(s)
}

// failClosed makes a socket that authenticates its peers refuse them all
// unless an authenticator approves: libzmq's default would admit anyone
// when no authenticator runs.
func (c *sockConfig) failClosed() {
	if !c.authServer && !c.zapDomain {
		return
	}
	if !c.zapDomain {
		c.sets = append(c.sets, setting{opt: engine.OptZAPDomain, val: engine.Bytes([]byte(defaultZAPDomain))})
	}
	c.sets = append(c.sets, setting{opt: engine.OptZAPEnforceDomain, val: engine.Int(1)})
}
