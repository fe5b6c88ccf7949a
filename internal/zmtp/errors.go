package zmtp

import (
	"errors"
	"fmt"
)

// ProtocolErrorCode is one of libzmq's ZMQ_PROTOCOL_ERROR_* numbers, as
// reported in ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL monitor events.
type ProtocolErrorCode uint32

// The protocol error codes this package reports, numbered as libzmq numbers
// them.
const (
	CodeUnspecified       ProtocolErrorCode = 0x10000000 // ZMTP error with no finer code
	CodeUnexpectedCommand ProtocolErrorCode = 0x10000001 // a command (or frame) that is not allowed here
	CodeInvalidSequence   ProtocolErrorCode = 0x10000002 // a command out of order, a CURVE nonce that does not increase
	CodeKeyExchange       ProtocolErrorCode = 0x10000003 // a CURVE vouch that does not hold the client's transient key
	CodeMalformedCommand  ProtocolErrorCode = 0x10000011 // a command frame that cannot be parsed
	CodeMalformedMessage  ProtocolErrorCode = 0x10000012 // a CURVE MESSAGE too short to hold a box
	CodeMalformedHello    ProtocolErrorCode = 0x10000013 // HELLO with a bad body
	CodeMalformedInitiate ProtocolErrorCode = 0x10000014 // INITIATE with a bad body
	CodeMalformedError    ProtocolErrorCode = 0x10000015 // ERROR with a bad body
	CodeMalformedReady    ProtocolErrorCode = 0x10000016 // READY with a bad body
	CodeMalformedWelcome  ProtocolErrorCode = 0x10000017 // WELCOME with a bad body
	CodeInvalidMetadata   ProtocolErrorCode = 0x10000018 // metadata that parses but is not acceptable
	CodeCryptographic     ProtocolErrorCode = 0x11000001 // a box that does not open, a bad nonce
	CodeMechanismMismatch ProtocolErrorCode = 0x11000002 // the peers' greetings name different mechanisms

	// A ZAP handler's reply that is not a valid RFC 27 reply. A ZAPFunc
	// that talks to a handler returns these (as a *ProtocolError), the
	// codes libzmq reports for the same faults.
	CodeZAPUnspecified     ProtocolErrorCode = 0x20000000 // a reply whose first frame (the delimiter) is not empty
	CodeZAPMalformedReply  ProtocolErrorCode = 0x20000001 // a reply of other than seven frames
	CodeZAPBadRequestID    ProtocolErrorCode = 0x20000002 // a reply to another request
	CodeZAPBadVersion      ProtocolErrorCode = 0x20000003 // a version other than "1.0"
	CodeZAPInvalidStatus   ProtocolErrorCode = 0x20000004 // a status other than 200, 300, 400 or 500
	CodeZAPInvalidMetadata ProtocolErrorCode = 0x20000005 // a metadata frame that does not parse
)

// ProtocolError reports a peer that broke the protocol. libzmq does not
// reconnect after one, and neither should its caller.
type ProtocolError struct {
	Code   ProtocolErrorCode // the libzmq code for monitor events
	Reason string            // what was wrong, naming the offending value
}

func (e *ProtocolError) Error() string {
	return fmt.Sprintf("zmtp: %s (protocol error %#x)", e.Reason, uint32(e.Code))
}

func protoErr(code ProtocolErrorCode, format string, args ...any) *ProtocolError {
	return &ProtocolError{Code: code, Reason: fmt.Sprintf(format, args...)}
}

// AuthError reports a handshake that authentication refused: either our ZAP
// callback refused the peer (Remote false; the peer was sent ERROR unless
// the status was 300), or the peer refused us with an ERROR whose reason is
// a ZAP status code (Remote true).
type AuthError struct {
	Status int    // ZAP status code: 300 (temporary), 400 (denied) or 500 (internal)
	Text   string // the authenticator's status text; empty when Remote
	Remote bool   // whether the peer, not this side, refused
}

func (e *AuthError) Error() string {
	who := "peer refused us"
	if !e.Remote {
		who = "authenticator refused the peer"
	}
	if e.Text != "" {
		return fmt.Sprintf("zmtp: %s with ZAP status %d: %s", who, e.Status, e.Text)
	}
	return fmt.Sprintf("zmtp: %s with ZAP status %d", who, e.Status)
}

// ConnError reports a failure of the underlying byte stream: an I/O error,
// a deadline, or the peer closing. It unwraps to the stream's error, so
// errors.Is(err, io.EOF) and net.Error's Timeout still work.
type ConnError struct {
	Op  string // what was being done: "reading the greeting", "writing", ...
	Err error  // the stream's error
}

func (e *ConnError) Error() string { return "zmtp: " + e.Op + ": " + e.Err.Error() }

// Unwrap returns the stream's error.
func (e *ConnError) Unwrap() error { return e.Err }

// ErrNoAuthenticator is returned when a handshake needs ZAP (a PLAIN or
// CURVE server, or NULL with a ZAP domain) but Config.ZAP is nil. Nobody is
// admitted without an authenticator.
var ErrNoAuthenticator = errors.New("zmtp: authentication required but no ZAP callback configured")

// ErrCommandsUnsupported is returned when asked to encode a command for a
// ZMTP/2.0 peer, whose framing has no commands.
var ErrCommandsUnsupported = errors.New("zmtp: ZMTP/2.0 peers do not accept commands")
