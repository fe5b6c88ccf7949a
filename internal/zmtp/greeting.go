package zmtp

import (
	"bytes"
	"encoding/binary"
)

// Greeting layout (64 octets for ZMTP 3.x): signature (0xFF, 8 padding
// octets, 0x7F), major version, minor version, mechanism (20 octets,
// NUL-padded), as-server, 31 octets of filler.
const (
	signatureSize = 10
	mechanismSize = 20
	// greetingRestSize is what follows the major version.
	greetingRestSize = 1 + mechanismSize + 1 + 31
)

// greet runs the staged greeting as libzmq does: send the signature, read
// the peer's; send the major version, read the peer's; then finish in the
// form the peer's version needs. Staging lets a ZMTP/2.0 peer, which
// never sends a full 3.x greeting, be recognised without a deadlock. The
// version returned is the one both sides now speak.
func (h *HandshakeConn) greet() (Version, error) {
	// libzmq pads with the identity length plus one, big-endian: a ZMTP/1.0
	// peer reads the signature as the start of an identity frame.
	var sig [signatureSize]byte
	sig[0] = 0xFF
	binary.BigEndian.PutUint64(sig[1:9], uint64(len(h.cfg.Identity))+1)
	sig[9] = 0x7F
	h.write(sig[:])

	// The first octet alone can tell an unversioned peer, which may never
	// send ten.
	b, err := h.readGreeting(1)
	if err != nil {
		return 0, err
	}
	if b[0] != 0xFF {
		return 0, protoErr(CodeUnspecified, "peer speaks unversioned ZMTP/1.0 (first octet %#02x), which is not supported", b[0])
	}
	if b, err = h.readGreeting(signatureSize - 1); err != nil {
		return 0, err
	}
	if b[8]&0x01 == 0 {
		return 0, protoErr(CodeUnspecified, "peer speaks unversioned ZMTP/1.0 (signature end %#02x), which is not supported", b[8])
	}

	if h.cfg.announce == ZMTP20 {
		return h.greetAsV2()
	}
	h.write([]byte{3})
	if b, err = h.readGreeting(1); err != nil {
		return 0, err
	}
	major := b[0]
	switch major {
	case 0:
		return 0, protoErr(CodeUnspecified, "peer speaks ZMTP/1.0 (revision 0), which is not supported")
	case 1:
		return ZMTP20, nil
	}

	var rest [greetingRestSize]byte
	rest[0] = 1 // minor version; as-server and filler stay 0, as libzmq sends them
	if h.cfg.announce == ZMTP30 {
		rest[0] = 0
	}
	copy(rest[1:1+mechanismSize], h.mechanism.Name())
	h.write(rest[:])

	if b, err = h.readGreeting(greetingRestSize); err != nil {
		return 0, err
	}
	minor, peerMech := b[0], b[1:1+mechanismSize]
	if !bytes.Equal(peerMech, rest[1:1+mechanismSize]) {
		return 0, protoErr(CodeMechanismMismatch, "mechanism mismatch: we use %q, peer uses %q",
			h.mechanism.Name(), bytes.TrimRight(peerMech, "\x00"))
	}
	if major == 3 && minor == 0 || h.cfg.announce == ZMTP30 {
		return ZMTP30, nil
	}
	return ZMTP31, nil
}

// greetAsV2 finishes the greeting as a ZMTP/2.0 peer would, which only
// tests do: revision 1 and the socket type at once, whatever the peer says.
func (h *HandshakeConn) greetAsV2() (Version, error) {
	h.write([]byte{1})
	if _, err := h.readGreeting(1); err != nil {
		return 0, err
	}
	return ZMTP20, nil
}

// readGreeting returns the next n greeting octets, which alias the
// decoder's buffer until the next read.
func (h *HandshakeConn) readGreeting(n int) ([]byte, error) {
	d := h.dec
	if err := d.fill(n); err != nil {
		if ce, ok := err.(*ConnError); ok {
			ce.Op = "reading the greeting"
		}
		return nil, err
	}
	b := d.buf[d.start : d.start+n]
	d.start += n
	return b, nil
}

// finishV2 ends the greeting with a ZMTP/2.0 peer: each side sends its
// socket-type octet, then its identity as a frame.
func (h *HandshakeConn) finishV2() error {
	if h.mechanism.Name() != (Null{}).Name() || h.cfg.ZAPDomain != "" {
		return protoErr(CodeMechanismMismatch, "mechanism mismatch: we use %q, peer speaks ZMTP/2.0, which has no security mechanisms",
			h.mechanism.Name())
	}
	h.write([]byte{byte(h.cfg.SocketType)})
	h.out = appendHeader(h.out, 0, len(h.cfg.Identity))
	h.write(h.cfg.Identity)

	b, err := h.readGreeting(1)
	if err != nil {
		return err
	}
	if err := h.checkPeerType(SocketType(b[0]), false); err != nil {
		return err
	}
	h.dec.version = ZMTP20
	f, err := h.dec.Next()
	if err != nil {
		return err
	}
	if f.More {
		return protoErr(CodeUnspecified, "ZMTP/2.0 identity frame of %d octets has the MORE flag", len(f.Body))
	}
	if len(f.Body) > 255 {
		return protoErr(CodeUnspecified, "ZMTP/2.0 identity of %d octets, at most 255 allowed", len(f.Body))
	}
	h.session.PeerIdentity = append([]byte{}, f.Body...)
	return nil
}
