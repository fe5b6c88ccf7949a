package curve

import "fmt"

// libzmq's ZMQ_PROTOCOL_ERROR_* values for the failures this package reports.
const (
	// CodeUnexpectedCommand: a body that is not the command the handshake
	// expects at this point.
	CodeUnexpectedCommand uint32 = 0x10000001
	// CodeInvalidSequence: a short nonce that does not increase.
	CodeInvalidSequence uint32 = 0x10000002
	// CodeKeyExchange: a vouch that does not hold the client's transient key.
	CodeKeyExchange uint32 = 0x10000003
	// CodeMalformedMessage: a MESSAGE too short to hold a box.
	CodeMalformedMessage uint32 = 0x10000012
	// CodeMalformedHello: a HELLO of the wrong size or version.
	CodeMalformedHello uint32 = 0x10000013
	// CodeMalformedInitiate: an INITIATE too short to hold its fields.
	CodeMalformedInitiate uint32 = 0x10000014
	// CodeMalformedError: an ERROR whose reason length overruns the body.
	CodeMalformedError uint32 = 0x10000015
	// CodeMalformedReady: a READY too short to hold a box.
	CodeMalformedReady uint32 = 0x10000016
	// CodeMalformedWelcome: a WELCOME of the wrong size.
	CodeMalformedWelcome uint32 = 0x10000017
	// CodeCryptographic: a box that does not open (wrong key, tampering) or
	// a peer key that is a low-order point.
	CodeCryptographic uint32 = 0x11000001
)

// ProtocolError is a failure caused by the peer's bytes or by a step taken out
// of order. The connection cannot continue after one.
type ProtocolError struct {
	code   uint32
	reason string
}

// Code is libzmq's ZMQ_PROTOCOL_ERROR_* value for the failure, one of the
// Code* constants.
func (e *ProtocolError) Code() uint32 { return e.code }

// Reason says what was wrong, without the package prefix and the code that
// Error adds, so that a caller can report it in its own words.
func (e *ProtocolError) Reason() string { return e.reason }

// Error describes the failure and its code.
func (e *ProtocolError) Error() string {
	return fmt.Sprintf("curve: %s (protocol error 0x%08x)", e.reason, e.code)
}

func protocolError(code uint32, format string, args ...any) *ProtocolError {
	return &ProtocolError{code: code, reason: fmt.Sprintf(format, args...)}
}
