package zmtp

import "fmt"

// SocketType is a ZeroMQ socket type. Its value is the octet that ZMTP/2.0
// greetings carry (libzmq's ZMQ_* number); its String is the name READY
// carries in Socket-Type.
type SocketType uint8

// The socket types ZMTP 3.1 defines for libzmq's stable API.
const (
	Pair   SocketType = 0
	Pub    SocketType = 1
	Sub    SocketType = 2
	Req    SocketType = 3
	Rep    SocketType = 4
	Dealer SocketType = 5
	Router SocketType = 6
	Pull   SocketType = 7
	Push   SocketType = 8
	XPub   SocketType = 9
	XSub   SocketType = 10
)

var socketTypeNames = [...]string{
	Pair: "PAIR", Pub: "PUB", Sub: "SUB", Req: "REQ", Rep: "REP", Dealer: "DEALER",
	Router: "ROUTER", Pull: "PULL", Push: "PUSH", XPub: "XPUB", XSub: "XSUB",
}

// String returns the type's name as READY spells it ("DEALER"), or
// "SocketType(n)" for a number outside the table.
func (t SocketType) String() string {
	if t.Valid() {
		return socketTypeNames[t]
	}
	return fmt.Sprintf("SocketType(%d)", uint8(t))
}

// Valid reports whether t is one of the types above.
func (t SocketType) Valid() bool { return int(t) < len(socketTypeNames) }

// ParseSocketType returns the type whose READY name is name. Names are
// matched exactly, as libzmq matches them.
func ParseSocketType(name string) (SocketType, bool) {
	for t, n := range socketTypeNames {
		if n == name {
			return SocketType(t), true
		}
	}
	return 0, false
}

// sendsIdentity reports whether a socket of type t puts an Identity property
// in its metadata (libzmq does so for REQ, DEALER and ROUTER, empty if unset).
func (t SocketType) sendsIdentity() bool { return t == Req || t == Dealer || t == Router }

// Compatible reports whether sockets of types a and b may talk to each
// other: REQ with REP or ROUTER; REP with REQ or DEALER; DEALER with REP,
// DEALER or ROUTER; ROUTER with REQ, DEALER or ROUTER; PUB and XPUB with SUB
// and XSUB; PUSH with PULL; PAIR with PAIR. The relation is symmetric.
func Compatible(a, b SocketType) bool {
	switch a {
	case Req:
		return b == Rep || b == Router
	case Rep:
		return b == Req || b == Dealer
	case Dealer:
		return b == Rep || b == Dealer || b == Router
	case Router:
		return b == Req || b == Dealer || b == Router
	case Pub, XPub:
		return b == Sub || b == XSub
	case Sub, XSub:
		return b == Pub || b == XPub
	case Push:
		return b == Pull
	case Pull:
		return b == Push
	case Pair:
		return b == Pair
	}
	return false
}

// Version is the protocol a peer speaks, as negotiated by the greeting.
type Version uint8

// The versions this package speaks. A peer announcing a version above 3.1
// is spoken to as 3.1.
const (
	// ZMTP20 (revision 1): no mechanisms, no commands; the greeting ends with
	// a socket-type octet and an identity frame.
	ZMTP20 Version = 20
	// ZMTP30: mechanisms and commands; subscriptions travel as messages
	// whose first octet is 1 (subscribe) or 0 (cancel).
	ZMTP30 Version = 30
	// ZMTP31: as 3.0, with SUBSCRIBE and CANCEL commands.
	ZMTP31 Version = 31
)

func (v Version) String() string {
	switch v {
	case ZMTP20:
		return "ZMTP/2.0"
	case ZMTP30:
		return "ZMTP/3.0"
	case ZMTP31:
		return "ZMTP/3.1"
	}
	return fmt.Sprintf("Version(%d)", uint8(v))
}

// hasCommands reports whether frames of this version carry a COMMAND bit.
func (v Version) hasCommands() bool { return v >= ZMTP30 }
