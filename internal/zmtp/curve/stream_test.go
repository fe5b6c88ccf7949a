package curve

import (
	"bytes"
	"crypto/rand"
	"testing"

	"golang.org/x/crypto/nacl/box"
)

// A MESSAGE box is exactly what nacl/box makes under the same key and
// nonce, at every length around the Salsa20 block edges, and opens only
// unaltered.
func TestStreamBoxesAreNaClBoxes(t *testing.T) {
	var key [32]byte
	rand.Read(key[:])
	st := newStream(&key, clientPrefix)
	for size := 0; size <= 300; size++ {
		plain := make([]byte, size)
		rand.Read(plain)
		n := uint64(size)*7919 + 1
		nonce := shortNonce(clientPrefix, n)
		want := box.SealAfterPrecomputation(nil, plain, &nonce, &key)

		b := append(make([]byte, polyKeyLen), plain...)
		st.sealInPlace(b, n)
		if got := b[polyKeyLen-boxOverhead:]; !bytes.Equal(got, want) {
			t.Fatalf("%d octets: box\n%x\nnacl/box\n%x", size, got, want)
		}
		if !bytes.Equal(b[:polyKeyLen-boxOverhead], make([]byte, polyKeyLen-boxOverhead)) {
			t.Fatalf("%d octets: key stream left before the tag", size)
		}

		out := make([]byte, polyKeyLen+size)
		opened, ok := st.open(out, want, n)
		if !ok || !bytes.Equal(opened, plain) {
			t.Fatalf("%d octets: opened %x, %v; want %x", size, opened, ok, plain)
		}
		for _, bad := range []struct {
			box []byte
			n   uint64
		}{
			{flip(want, 0), n},           // the tag
			{flip(want, len(want)-1), n}, // the ciphertext
			{want, n + 1},                // another nonce
			{want[:boxOverhead-1], n},    // too short for a tag
		} {
			if opened, ok := st.open(make([]byte, polyKeyLen+len(bad.box)), bad.box, bad.n); ok {
				t.Fatalf("%d octets: an altered box opened to %x", size, opened)
			}
		}
	}
}
