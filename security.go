package zmq

import (
	"fmt"

	"github.com/zmqx/zmq/internal/capi"
)

// CurveKeyPair is a CURVE key pair, each key in Z85 text form (40
// characters). Keep Secret secret: this package never logs it, and errors
// about it never quote it.
type CurveKeyPair struct {
	Public, Secret string
}

// NewCurveKeyPair generates a new CURVE key pair.
func NewCurveKeyPair() (CurveKeyPair, error) {
	pub, sec, err := capi.CurveKeypair()
	if err != nil {
		return CurveKeyPair{}, fmt.Errorf("zmq: generating a CURVE key pair: %w", wrapErr(err))
	}
	return CurveKeyPair{Public: pub, Secret: sec}, nil
}

// CurvePublicKey derives the public key that belongs to a secret key.
func CurvePublicKey(secret string) (string, error) {
	if err := checkCurveKey("secret key", secret, false); err != nil {
		return "", err
	}
	pub, err := capi.CurvePublic(secret)
	if err != nil {
		return "", fmt.Errorf("zmq: deriving a CURVE public key: %w", wrapErr(err))
	}
	return pub, nil
}

// checkCurveKey validates a Z85 CURVE key. Public keys may be quoted in
// errors; secret keys are not.
func checkCurveKey(what, key string, quote bool) error {
	show := ""
	if quote {
		show = fmt.Sprintf(" %q", key)
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

// libzmq security option numbers.
const (
	optPlainServer    = 44
	optPlainUsername  = 45
	optPlainPassword  = 46
	optCurveServer    = 47
	optCurvePublicKey = 48
	optCurveSecretKey = 49
	optCurveServerKey = 50
	optZAPEnforce     = 93
	defaultZAPDomain  = "global"
)

// Security fails closed: a socket that authenticates its peers (a CURVE or
// PLAIN server, or any socket given a ZAP domain) only admits peers that an
// authenticator approved. Without a running authenticator every handshake
// fails; libzmq's default would admit anyone.

// WithCurveServer makes the socket a CURVE server with the given secret
// key: connections are encrypted, and each client must be approved by the
// factory's authenticator (see package auth). The ZAP domain defaults to
// "global" (set another with WithZAPDomain).
func WithCurveServer(secretKey string) CommonOption {
	s := &optSpec{name: "WithCurveServer(<secret key>)"}
	s.apply = func(c *sockConfig) error {
		if err := checkCurveKey("secret key", secretKey, false); err != nil {
			return fmt.Errorf("WithCurveServer: %w", err)
		}
		c.authServer = true
		c.sets = append(c.sets,
			setting{id: optCurveServer, name: "ZMQ_CURVE_SERVER", i: 1, kind: 'i'},
			setting{id: optCurveSecretKey, name: "ZMQ_CURVE_SECRETKEY", bytes: []byte(secretKey), kind: 'b', secret: true})
		return nil
	}
	return common(s)
}

// WithCurveClient makes the socket a CURVE client of the server whose
// public key is serverKey, identifying itself with key pair client.
func WithCurveClient(serverKey string, client CurveKeyPair) CommonOption {
	s := &optSpec{name: fmt.Sprintf("WithCurveClient(%q, <key pair>)", serverKey)}
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
			setting{id: optCurveServerKey, name: "ZMQ_CURVE_SERVERKEY", bytes: []byte(serverKey), kind: 'b'},
			setting{id: optCurvePublicKey, name: "ZMQ_CURVE_PUBLICKEY", bytes: []byte(client.Public), kind: 'b'},
			setting{id: optCurveSecretKey, name: "ZMQ_CURVE_SECRETKEY", bytes: []byte(client.Secret), kind: 'b', secret: true})
		return nil
	}
	return common(s)
}

// WithPlainServer makes the socket a PLAIN server: clients send a user name
// and password, in clear text, checked by the factory's authenticator. Use
// it only on networks you trust; CURVE encrypts.
func WithPlainServer() CommonOption {
	s := &optSpec{name: "WithPlainServer()"}
	s.apply = func(c *sockConfig) error {
		c.authServer = true
		c.sets = append(c.sets, setting{id: optPlainServer, name: "ZMQ_PLAIN_SERVER", i: 1, kind: 'i'})
		return nil
	}
	return common(s)
}

// WithPlainClient makes the socket a PLAIN client with these credentials
// (sent in clear text).
func WithPlainClient(user, password string) CommonOption {
	s := &optSpec{name: fmt.Sprintf("WithPlainClient(%q, <password>)", user)}
	s.apply = func(c *sockConfig) error {
		if len(user) > 255 || len(password) > 255 {
			return optErr(s.name, "user name and password are limited to 255 bytes each")
		}
		c.sets = append(c.sets,
			setting{id: optPlainUsername, name: "ZMQ_PLAIN_USERNAME", bytes: []byte(user), kind: 'b'},
			setting{id: optPlainPassword, name: "ZMQ_PLAIN_PASSWORD", bytes: []byte(password), kind: 'b', secret: true})
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
		c.sets = append(c.sets, setting{id: optZAPDomain, name: "ZMQ_ZAP_DOMAIN", bytes: []byte(defaultZAPDomain), kind: 'b'})
	}
	c.sets = append(c.sets, setting{id: optZAPEnforce, name: "ZMQ_ZAP_ENFORCE_DOMAIN", i: 1, kind: 'i'})
}
