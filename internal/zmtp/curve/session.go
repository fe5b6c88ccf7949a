package curve

import (
	"encoding/binary"
	"slices"
)

// Session seals and opens the MESSAGE commands of one connection after its
// handshake, under the box key of the two transient keys.
//
// Seal and Open keep separate state, so one goroutine may seal while another
// opens; two concurrent Seals (or two concurrent Opens) are not allowed.
type Session struct {
	seal      stream // our MESSAGEs
	sealNonce uint64 // the next short nonce we send

	open      stream // the peer's MESSAGEs
	openNonce uint64 // the last short nonce the peer sent
}

// A MESSAGE body is its name, its short nonce and its box. The 32 octets
// before the box's ciphertext are exactly the Poly1305 key octets that
// stream.sealInPlace needs in front of the plaintext, so a MESSAGE is
// sealed where it lies.
const _ = uint(messageBoxAt+boxOverhead-polyKeyLen) + uint(polyKeyLen-messageBoxAt-boxOverhead) // both are 0

func newSession(key *[32]byte, fromClient bool, sealNonce, openNonce uint64) *Session {
	sealPrefix, openPrefix := serverPrefix, clientPrefix
	if fromClient {
		sealPrefix, openPrefix = clientPrefix, serverPrefix
	}
	return &Session{
		seal: newStream(key, sealPrefix), sealNonce: sealNonce,
		open: newStream(key, openPrefix), openNonce: openNonce,
	}
}

// Seal appends to dst the body of a MESSAGE command that carries one frame:
// body, with flags (FlagMore, FlagCommand; other bits are dropped) in the
// encrypted flags octet. The result is MessageOverhead+len(body) octets
// longer than dst; send it in a ZMTP frame with flags 0 (libzmq drops a
// MESSAGE framed as a command).
//
// Seal writes the MESSAGE where it lies in dst (growing dst if needed), so
// body must not lie in dst's spare capacity. With a dst of enough capacity
// Seal allocates nothing.
func (s *Session) Seal(dst []byte, flags byte, body []byte) []byte {
	start := len(dst)
	size := MessageOverhead + len(body)
	dst = slices.Grow(dst, size)[:start+size]
	msg := dst[start:]
	clear(msg[:polyKeyLen])
	msg[polyKeyLen] = flags & innerFlags
	copy(msg[polyKeyLen+flagsLen:], body)

	n := s.sealNonce
	// A 64-bit counter cannot wrap within the life of a connection (at ten
	// million messages a second it would take 58,000 years).
	s.sealNonce++
	s.seal.sealInPlace(msg, n)
	copy(msg, messageName)
	binary.BigEndian.PutUint64(msg[len(messageName):], n)
	return dst
}

// Open authenticates and decrypts the body of a MESSAGE command, appends the
// frame it carries to dst and returns the extended slice with the frame's
// inner flags (FlagMore, FlagCommand; other bits are ignored, as libzmq
// ignores them). dst must not overlap body. Open works in dst's spare
// capacity, growing dst if it has fewer than len(body) spare octets; with
// that many it allocates nothing.
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
	start := len(dst)
	// Scratch for the Poly1305 key, then the plaintext: as long as body.
	grown := slices.Grow(dst, len(body))
	work := grown[start : start+len(body)]
	plain, ok := s.open.open(work, body[messageBoxAt:], n)
	if !ok {
		return dst, 0, protocolError(CodeCryptographic, "MESSAGE box with nonce %d does not open", n)
	}
	s.openNonce = n
	flags = plain[0] & innerFlags
	m := copy(work, plain[flagsLen:])
	clear(work[m:]) // what the copy left behind
	return grown[:start+m], flags, nil
}
