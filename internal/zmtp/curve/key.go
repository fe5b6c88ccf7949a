package curve

import (
	"crypto/ecdh"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"io"

	"golang.org/x/crypto/nacl/box"

	"github.com/zmqx/zmq/internal/z85"
)

// KeySize is the size of a CURVE key in bytes.
const KeySize = 32

// keyTextSize is the size of a CURVE key in Z85 text.
const keyTextSize = 40

// Key is a CURVE key, public or secret: 32 bytes of an X25519 key, the same
// bytes libzmq takes in ZMQ_CURVE_PUBLICKEY, ZMQ_CURVE_SECRETKEY and
// ZMQ_CURVE_SERVERKEY. The zero Key is not a usable public key.
type Key [KeySize]byte

// ParseKey decodes a key from its 40-character Z85 text, the form of
// certificate files and of libzmq's string key options. Its errors never
// quote the text, so a bad secret key is safe to report.
func ParseKey(text string) (Key, error) {
	var k Key
	if len(text) != keyTextSize {
		return k, fmt.Errorf("curve: a key in Z85 text is %d characters, not %d", keyTextSize, len(text))
	}
	if err := z85.DecodeInto(k[:], text); err != nil {
		return k, fmt.Errorf("curve: the key is not valid Z85: %w", err)
	}
	return k, nil
}

// KeyFromBytes copies a key from its 32 raw bytes.
func KeyFromBytes(b []byte) (Key, error) {
	var k Key
	if len(b) != KeySize {
		return k, fmt.Errorf("curve: a raw key is %d bytes, not %d", KeySize, len(b))
	}
	copy(k[:], b)
	return k, nil
}

// Z85 returns the key's 40-character Z85 text.
func (k Key) Z85() string {
	s, _ := z85.Encode(k[:]) // 32 is a multiple of 4: cannot fail
	return s
}

// PublicFromSecret derives the public key that belongs to a secret key, as
// zmq_curve_public does.
func PublicFromSecret(secret Key) Key {
	priv, err := ecdh.X25519().NewPrivateKey(secret[:])
	if err != nil {
		panic("curve: X25519 refused a 32-byte secret key: " + err.Error()) // it only checks the length
	}
	return Key(priv.PublicKey().Bytes())
}

// KeyPair is a long-term CURVE key pair. Formatting a KeyPair with the fmt
// package prints the public key only.
type KeyPair struct {
	Public Key
	Secret Key
}

// GenerateKeyPair returns a new key pair from crypto/rand, as
// zmq_curve_keypair does.
func GenerateKeyPair() KeyPair {
	return generateKeyPair(nil)
}

// Format prints the public key in Z85 and hides the secret key, whatever the
// verb, so that a key pair in a log line or an error leaks nothing.
func (kp KeyPair) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, "{Public:%s Secret:<hidden>}", kp.Public.Z85())
}

// generateKeyPair draws the secret key from random, or from crypto/rand when
// random is nil.
func generateKeyPair(random io.Reader) KeyPair {
	var kp KeyPair
	fill(random, kp.Secret[:])
	kp.Public = PublicFromSecret(kp.Secret)
	return kp
}

// fill fills b from random, or from crypto/rand when random is nil. Only
// tests pass a random of their own, to fix keys and nonces.
func fill(random io.Reader, b []byte) {
	if random == nil {
		rand.Read(b) // never fails: it would crash the program first
		return
	}
	if _, err := io.ReadFull(random, b); err != nil {
		panic("curve: the test's random source ran dry: " + err.Error())
	}
}

// lowOrderShared is the box key that every low-order public key yields: X25519
// gives all zeros for such a point, whatever the secret key, so the key is the
// same constant. A peer that sends one would know our shared key.
var lowOrderShared = func() (k [32]byte) {
	var zeroPoint, anyScalar [32]byte
	anyScalar[0] = 1
	box.Precompute(&k, &zeroPoint, &anyScalar)
	return k
}()

// precompute sets shared to the box key of peer and secret, and reports
// whether peer was usable; a low-order peer key is refused, as libsodium
// (and so libzmq) refuses it.
func precompute(shared *[32]byte, peer, secret *Key) bool {
	box.Precompute(shared, (*[32]byte)(peer), (*[32]byte)(secret))
	return subtle.ConstantTimeCompare(shared[:], lowOrderShared[:]) == 0
}
