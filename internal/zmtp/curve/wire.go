package curve

import "encoding/binary"

// Command names as they open each command body: a length octet, then the name.
const (
	helloName    = "\x05HELLO"
	welcomeName  = "\x07WELCOME"
	initiateName = "\x08INITIATE"
	readyName    = "\x05READY"
	messageName  = "\x07MESSAGE"
	errorName    = "\x05ERROR"
)

// Nonce prefixes. A short nonce is a 16-octet prefix and an 8-octet
// big-endian counter; a long nonce is an 8-octet prefix and 16 random octets.
const (
	helloPrefix    = "CurveZMQHELLO---"
	initiatePrefix = "CurveZMQINITIATE"
	readyPrefix    = "CurveZMQREADY---"
	clientPrefix   = "CurveZMQMESSAGEC" // MESSAGE from the client
	serverPrefix   = "CurveZMQMESSAGES" // MESSAGE from the server
	welcomePrefix  = "WELCOME-"
	cookiePrefix   = "COOKIE--"
	vouchPrefix    = "VOUCH---"
)

// Field sizes.
const (
	boxOverhead   = 16 // Poly1305 tag of every box
	shortNonceLen = 8
	longNonceLen  = 16
	flagsLen      = 1
	// helloPadding is 72 octets as libzmq sends it (RFC 26's prose says 70,
	// its grammar 72).
	helloPadding = 72
	// cookieLen: long nonce, then a box of C' and s'.
	cookieLen = longNonceLen + boxOverhead + 2*KeySize
	// vouchBoxLen: a box of C' and S.
	vouchBoxLen = boxOverhead + 2*KeySize
	// initiateFixed is the INITIATE box's plaintext before the metadata: C,
	// the vouch's long nonce and the vouch box.
	initiateFixed = KeySize + longNonceLen + vouchBoxLen
)

// Command body sizes, and the offsets the parsers read.
const (
	helloSize       = len(helloName) + 2 + helloPadding + KeySize + shortNonceLen + boxOverhead + 64 // 200
	helloKeyAt      = len(helloName) + 2 + helloPadding                                              // C'
	helloNonceAt    = helloKeyAt + KeySize                                                           // short nonce
	helloBoxAt      = helloNonceAt + shortNonceLen                                                   // box of 64 zeros
	welcomeSize     = len(welcomeName) + longNonceLen + boxOverhead + KeySize + cookieLen            // 168
	welcomeBoxAt    = len(welcomeName) + longNonceLen
	initiateMin     = len(initiateName) + cookieLen + shortNonceLen + boxOverhead + initiateFixed // 257
	initiateNonceAt = len(initiateName) + cookieLen
	initiateBoxAt   = initiateNonceAt + shortNonceLen
	readyMin        = len(readyName) + shortNonceLen + boxOverhead // 30
	readyBoxAt      = len(readyName) + shortNonceLen
	messageBoxAt    = len(messageName) + shortNonceLen
	errorReasonAt   = len(errorName) + 1
	maxErrorReason  = 255
)

// MessageOverhead is what a MESSAGE body adds to the frame it carries: 33
// octets (name, short nonce, box tag, flags octet).
const MessageOverhead = messageBoxAt + boxOverhead + flagsLen

// Inner flags of a MESSAGE, the first octet inside its box. libzmq carries
// exactly these two; the outer ZMTP frame of a MESSAGE has flags 0.
const (
	// FlagMore: more frames of the same message follow.
	FlagMore byte = 0x01
	// FlagCommand: the frame is a ZMTP command (PING, PONG, SUBSCRIBE,
	// CANCEL...) rather than message data.
	FlagCommand byte = 0x02
	// innerFlags is what Seal sends and Open reports; libzmq ignores the
	// other bits.
	innerFlags = FlagMore | FlagCommand
)

// shortNonce is prefix (16 octets) followed by n, big-endian.
func shortNonce(prefix string, n uint64) (nonce [24]byte) {
	copy(nonce[:16], prefix)
	binary.BigEndian.PutUint64(nonce[16:], n)
	return nonce
}

// longNonce is prefix (8 octets) followed by the 16 octets of tail.
func longNonce(prefix string, tail []byte) (nonce [24]byte) {
	copy(nonce[:8], prefix)
	copy(nonce[8:], tail[:longNonceLen])
	return nonce
}

// hasName reports whether body opens with the command name.
func hasName(body []byte, name string) bool {
	return len(body) >= len(name) && string(body[:len(name)]) == name
}
