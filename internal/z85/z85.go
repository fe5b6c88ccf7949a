// Package z85 is the Z85 text encoding of ZeroMQ RFC 32, the form CURVE keys
// take in configuration files and on command lines: every 4 bytes become 5
// printable characters, big-endian base 85.
//
// Errors never quote the input, so decoding a secret key and reporting the
// failure cannot leak any part of the key; they name a position and a length.
package z85

import (
	"encoding/binary"
	"fmt"
)

const alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"

// noDigit marks a byte that is not in the alphabet.
const noDigit = 0xff

var digit = func() (t [256]byte) {
	for i := range t {
		t[i] = noDigit
	}
	for i := range len(alphabet) {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// EncodedLen is the length of the text for n bytes (n a multiple of 4).
func EncodedLen(n int) int { return n / 4 * 5 }

// DecodedLen is the length of the bytes for n characters (n a multiple of 5).
func DecodedLen(n int) int { return n / 5 * 4 }

// Encode returns the Z85 text of b. The length of b must be a multiple of 4.
func Encode(b []byte) (string, error) {
	if len(b)%4 != 0 {
		return "", fmt.Errorf("z85: cannot encode %d bytes: the length must be a multiple of 4", len(b))
	}
	out := make([]byte, EncodedLen(len(b)))
	for i, o := 0, 0; i < len(b); i, o = i+4, o+5 {
		v := binary.BigEndian.Uint32(b[i:])
		for j := 4; j >= 0; j-- {
			out[o+j] = alphabet[v%85]
			v /= 85
		}
	}
	return string(out), nil
}

// Decode returns the bytes of the Z85 text s. The length of s must be a
// multiple of 5; every character must be in the Z85 alphabet, and every group
// of 5 must stand for a value below 2^32.
func Decode(s string) ([]byte, error) {
	out := make([]byte, DecodedLen(len(s)))
	if err := DecodeInto(out, s); err != nil {
		return nil, err
	}
	return out, nil
}

// DecodeInto decodes s into dst, which must be exactly DecodedLen(len(s))
// bytes long. On error dst holds partial output.
func DecodeInto(dst []byte, s string) error {
	if len(s)%5 != 0 {
		return fmt.Errorf("z85: cannot decode %d characters: the length must be a multiple of 5", len(s))
	}
	if len(dst) != DecodedLen(len(s)) {
		return fmt.Errorf("z85: %d characters decode to %d bytes, not %d", len(s), DecodedLen(len(s)), len(dst))
	}
	for i, o := 0, 0; i < len(s); i, o = i+5, o+4 {
		var v uint64
		for j := range 5 {
			d := digit[s[i+j]]
			if d == noDigit {
				return fmt.Errorf("z85: the character at position %d is not in the Z85 alphabet", i+j)
			}
			v = v*85 + uint64(d)
		}
		if v > 0xffffffff {
			return fmt.Errorf("z85: the group at positions %d-%d exceeds 32 bits", i, i+4)
		}
		binary.BigEndian.PutUint32(dst[o:], uint32(v))
	}
	return nil
}
