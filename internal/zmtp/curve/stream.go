package curve

import (
	"encoding/binary"

	"golang.org/x/crypto/poly1305"
	"golang.org/x/crypto/salsa20/salsa"
)

// stream boxes the MESSAGEs of one direction of a session. A MESSAGE box
// is NaCl's crypto_box after precomputation (XSalsa20 and Poly1305) under
// a 24-octet nonce whose first 16 octets are the same for every MESSAGE
// of a direction. XSalsa20 turns those 16 octets and the box key into a
// Salsa20 key (HSalsa20) before anything else, so a stream does that once
// instead of once a message, which is what nacl/box would do. The boxes
// are the same bytes nacl/box makes (the tests compare them).
//
// A box is the 16-octet Poly1305 tag of the ciphertext, then the
// ciphertext; the ciphertext is the plaintext xored with the Salsa20 key
// stream from octet 32 on; octets 0 to 31 of that stream are the
// Poly1305 key.
type stream struct {
	key [32]byte // the Salsa20 key: HSalsa20 of the box key and the prefix
}

// polyKeyLen is how many key stream octets go to the Poly1305 key.
const polyKeyLen = 32

func newStream(boxKey *[32]byte, prefix string) stream {
	var in [16]byte
	copy(in[:], prefix)
	var st stream
	salsa.HSalsa20(&st.key, &in, boxKey, &salsa.Sigma)
	return st
}

// counter returns Salsa20's nonce and block counter for short nonce n,
// from block 0.
func counter(n uint64) (c [16]byte) {
	binary.BigEndian.PutUint64(c[:8], n)
	return c
}

// sealInPlace boxes, under short nonce n, the plaintext in
// b[polyKeyLen:], whose first polyKeyLen octets must be zero: afterwards
// b[polyKeyLen-boxOverhead:polyKeyLen] holds the tag and b[polyKeyLen:]
// the ciphertext, so b[polyKeyLen-boxOverhead:] is the box. The octets of
// b before the tag are left cleared.
func (st *stream) sealInPlace(b []byte, n uint64) {
	c := counter(n)
	salsa.XORKeyStream(b, b, &c, &st.key)
	var polyKey [32]byte
	copy(polyKey[:], b[:polyKeyLen])
	var tag [poly1305.TagSize]byte
	poly1305.Sum(&tag, b[polyKeyLen:], &polyKey)
	clear(polyKey[:])
	clear(b[:polyKeyLen])
	copy(b[polyKeyLen-boxOverhead:], tag[:])
}

// open checks and opens box (tag, then ciphertext) under short nonce n,
// writing polyKeyLen octets of scratch and then the plaintext into out,
// which must have room for polyKeyLen+len(box)-boxOverhead octets and not
// overlap box. It returns the plaintext (a slice of out) and whether the
// box was genuine; if not, out is left cleared.
func (st *stream) open(out, box []byte, n uint64) ([]byte, bool) {
	if len(box) < boxOverhead {
		return nil, false
	}
	ciphertext := box[boxOverhead:]
	out = out[:polyKeyLen+len(ciphertext)]
	clear(out[:polyKeyLen])
	copy(out[polyKeyLen:], ciphertext)
	c := counter(n)
	salsa.XORKeyStream(out, out, &c, &st.key)
	var polyKey [32]byte
	copy(polyKey[:], out[:polyKeyLen])
	clear(out[:polyKeyLen])
	ok := poly1305.Verify((*[poly1305.TagSize]byte)(box[:boxOverhead]), ciphertext, &polyKey)
	clear(polyKey[:])
	if !ok {
		clear(out)
		return nil, false
	}
	return out[polyKeyLen:], true
}
