package curve

import (
	"encoding/binary"
	"slices"

	"golang.org/x/crypto/nacl/box"
)

// Session seals and opens the MESSAGE commands of one connection after its
// handshake, under the box key of the two transient keys.
//
// Seal and Open keep separate state, so one goroutine may seal while another
// opens; two concurrent Seals (or two concurrent Opens) are not allowed.
type Session struct {
	key [32]byte

	sealPrefix string // our MESSAGE nonce prefix
	sealNonce  uint64 // the next short nonce we send

	openPrefix string // the peer's MESSAGE nonce prefix
	openNonce  uint64 // the last short nonce the peer sent
}

func newSession(key *[32]byte, fromClient bool, sealNonce, openNonce uint64) *Session {
	s := &Session{key: *key, sealNonce: sealNonce, openNonce: openNonce}
	s.sealPrefix, s.openPrefix = serverPrefix, clientPrefix
	if fromClient {
		s.sealPrefix, s.openPrefix = clientPrefix, serverPrefix
	}
	return s
}

// Seal appends to dst the body of a MESSAGE command that carries one frame:
// body, with flags (FlagMore, FlagCommand; other bits are dropped) in the
// encrypted flags octet. The result is MessageOverhead+len(body) octets
// longer than dst; send it in a ZMTP frame with flags 0 (libzmq drops a
// MESSAGE framed as a command).
//
// Seal needs 1+len(body) octets of dst's spare capacity beyond the result as
// scratch (it grows dst to make room, and clears them afterwards), so body
// must not lie in that spare capacity. With a dst of enough capacity Seal
// allocates nothing.
func (s *Session) Seal(dst []byte, flags byte, body []byte) []byte {
	start := len(dst)
	size := MessageOverhead + len(body)
	// The box cannot be sealed in place, so the plaintext (flags, then
	// body) waits just past where the sealed body will end.
	dst = slices.Grow(dst, size+flagsLen+len(body))
	plain := dst[start+size : start+size+flagsLen+len(body)]
	plain[0] = flags & innerFlags
	copy(plain[flagsLen:], body)

	n := s.sealNonce
	// A 64-bit counter cannot wrap within the life of a connection (at ten
	// million messages a second it would take 58,000 years).
	s.sealNonce++
	nonce := shortNonce(s.sealPrefix, n)
	dst = append(dst, messageName...)
	dst = binary.BigEndian.AppendUint64(dst, n)
	dst = box.SealAfterPrecomputation(dst, plain, &nonce, &s.key)
	clear(plain)
	return dst
}

// Open authenticates and decrypts the body of a MESSAGE command, appends the
// frame it carries to dst and returns the extended slice with the frame's
// inner flags (FlagMore, FlagCommand; other bits are ignored, as libzmq
// ignores them). dst must not overlap body. With a dst of enough capacity
// Open allocates nothing.
//
// The MESSAGE's short nonce must be greater than the last one accepted, so
// a replayed or reordered MESSAGE fails with CodeInvalidSequence; a box that
// does not open fails with CodeCryptographic. On error dst is returned
// unchanged and the session's state is as before the call.
func (s *Session) Open(dst, body []byte) (out []byte, flags byte, err error) {
	if !hasName(body, messageName) {
		return dst, 0, protocolError(CodeUnexpectedCommand, "expected a MESSAGE command")
	}
	if len(body) < MessageOverhead {
		return dst, 0, protocolError(CodeMalformedMessage,
			"MESSAGE of %d octets is shorter than the %d of an empty frame", len(body), MessageOverhead)
	}
	n := binary.BigEndian.Uint64(body[len(messageName):])
	if n <= s.openNonce {
		return dst, 0, protocolError(CodeInvalidSequence,
			"MESSAGE short nonce %d does not follow the last accepted nonce %d", n, s.openNonce)
	}
	nonce := shortNonce(s.openPrefix, n)
	start := len(dst)
	out, ok := box.OpenAfterPrecomputation(dst, body[messageBoxAt:], &nonce, &s.key)
	if !ok {
		return dst, 0, protocolError(CodeCryptographic, "MESSAGE box with nonce %d does not open", n)
	}
	s.openNonce = n
	flags = out[start] & innerFlags
	copy(out[start:], out[start+flagsLen:])
	return out[:len(out)-flagsLen], flags, nil
}
