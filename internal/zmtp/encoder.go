package zmtp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Frame flag bits on the wire. Bits 7 to 3 are reserved.
const (
	flagMore    = 0x01
	flagLong    = 0x02
	flagCommand = 0x04 // ZMTP 3.x only; a reserved bit for ZMTP/2.0
)

// maxShort is the largest body a short frame (one size octet) can carry.
const maxShort = 255

// appendHeader appends a frame header: flags, then the size in one octet,
// or in eight with LONG set when the size exceeds 255. LONG is chosen from
// the final size, so no size is ever written in the wrong width.
func appendHeader(dst []byte, flags byte, size int) []byte {
	if size > maxShort {
		dst = append(dst, flags|flagLong)
		return binary.BigEndian.AppendUint64(dst, uint64(size))
	}
	return append(dst, flags, byte(size))
}

// Encoder writes frames for one connection, in the form its peer's version
// and security mechanism need. Every method appends to a caller's buffer,
// so many messages can go out in one write. It keeps no buffer of its own;
// under an encrypting mechanism it holds the mechanism's send state, so one
// Encoder must not be used by two goroutines at once.
type Encoder struct {
	version Version
	cipher  Cipher // nil when frames go out in clear
}

// NewEncoder returns an encoder that writes clear frames for a peer of
// version v. Handshake returns the encoder to use after a handshake, with
// the mechanism's encryption in place.
func NewEncoder(v Version) *Encoder { return &Encoder{version: v} }

// Version returns the peer version the encoder writes for.
func (e *Encoder) Version() Version { return e.version }

// AppendFrame appends one data frame carrying body, with MORE set if more
// frames of the same message follow.
func (e *Encoder) AppendFrame(dst, body []byte, more bool) ([]byte, error) {
	if e.cipher != nil {
		return e.appendSealed(dst, more, false, body)
	}
	var flags byte
	if more {
		flags = flagMore
	}
	dst = appendHeader(dst, flags, len(body))
	return append(dst, body...), nil
}

// AppendMessage appends a whole message: one frame per part, MORE on all
// but the last. A message has at least one part.
func (e *Encoder) AppendMessage(dst []byte, parts ...[]byte) ([]byte, error) {
	if len(parts) == 0 {
		return dst, errors.New("zmtp: a message needs at least one frame")
	}
	var err error
	for i, p := range parts {
		if dst, err = e.AppendFrame(dst, p, i < len(parts)-1); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// AppendHeader appends only the header of a data frame whose body of size
// octets the caller writes next, by reference (for instance with
// net.Buffers), so a large body is never copied. It fails under an
// encrypting mechanism, where a body cannot be sent as it is.
func (e *Encoder) AppendHeader(dst []byte, size int, more bool) ([]byte, error) {
	if e.cipher != nil {
		return dst, errors.New("zmtp: frame bodies cannot be written by reference under an encrypting mechanism")
	}
	if size < 0 {
		return dst, fmt.Errorf("zmtp: negative frame size %d", size)
	}
	var flags byte
	if more {
		flags = flagMore
	}
	return appendHeader(dst, flags, size), nil
}

// AppendCommand appends a command frame: name (1 to 255 octets) and data.
// ZMTP/2.0 peers have no commands: that is ErrCommandsUnsupported.
func (e *Encoder) AppendCommand(dst []byte, name string, data []byte) ([]byte, error) {
	if !e.version.hasCommands() {
		return dst, ErrCommandsUnsupported
	}
	if len(name) == 0 || len(name) > 255 {
		return dst, fmt.Errorf("zmtp: command name %q has %d octets, want 1 to 255", name, len(name))
	}
	if e.cipher != nil {
		return e.appendSealed(dst, false, true, appendCommandBody(nil, name, data))
	}
	dst = appendHeader(dst, flagCommand, 1+len(name)+len(data))
	return appendCommandBody(dst, name, data), nil
}

// AppendPing appends a PING with the given TTL (sent in deciseconds, at
// most 6553.5 s; 0 means none) and context (at most 16 octets).
func (e *Encoder) AppendPing(dst []byte, ttl time.Duration, context []byte) ([]byte, error) {
	if err := checkTTL(ttl); err != nil {
		return dst, err
	}
	if len(context) > maxPingContext {
		return dst, fmt.Errorf("zmtp: PING context of %d octets, at most %d allowed", len(context), maxPingContext)
	}
	var data [2 + maxPingContext]byte
	binary.BigEndian.PutUint16(data[:], uint16(ttl/(100*time.Millisecond)))
	n := copy(data[2:], context)
	return e.AppendCommand(dst, CmdPing, data[:2+n])
}

// AppendPong appends a PONG echoing the first 16 octets of a PING's context.
func (e *Encoder) AppendPong(dst []byte, context []byte) ([]byte, error) {
	if len(context) > maxPingContext {
		context = context[:maxPingContext]
	}
	return e.AppendCommand(dst, CmdPong, context)
}

// AppendSubscription appends a subscription change in the form the peer
// understands: a SUBSCRIBE or CANCEL command for ZMTP 3.1, a one-frame
// message of 1 or 0 followed by the topic for 3.0 and 2.0.
func (e *Encoder) AppendSubscription(dst, topic []byte, subscribe bool) ([]byte, error) {
	if e.version >= ZMTP31 {
		name := CmdCancel
		if subscribe {
			name = CmdSubscribe
		}
		return e.AppendCommand(dst, name, topic)
	}
	var lead byte
	if subscribe {
		lead = 1
	}
	if e.cipher != nil {
		return e.appendSealed(dst, false, false, append([]byte{lead}, topic...))
	}
	dst = appendHeader(dst, 0, 1+len(topic))
	dst = append(dst, lead)
	return append(dst, topic...), nil
}

// appendSealed appends one encrypted frame. The mechanism carries MORE and
// COMMAND inside the box; the outer frame has flags 0, because libzmq 4.3.4
// silently drops an encrypted message whose outer frame has the COMMAND bit.
func (e *Encoder) appendSealed(dst []byte, more, command bool, body []byte) ([]byte, error) {
	sealed, err := e.cipher.Seal(more, command, body)
	if err != nil {
		return dst, err
	}
	dst = appendHeader(dst, 0, len(sealed))
	return append(dst, sealed...), nil
}
