package engine

import (
	"context"
	"strconv"
)

// SocketType is a ZeroMQ socket type. The values are the socket-type
// octets of ZMTP 2.0 (and libzmq's numbers, which match them).
type SocketType int

// Socket types.
const (
	PAIR   SocketType = 0
	PUB    SocketType = 1
	SUB    SocketType = 2
	REQ    SocketType = 3
	REP    SocketType = 4
	DEALER SocketType = 5
	ROUTER SocketType = 6
	PULL   SocketType = 7
	PUSH   SocketType = 8
	XPUB   SocketType = 9
	XSUB   SocketType = 10
	STREAM SocketType = 11
)

var socketTypeNames = [...]string{
	PAIR: "PAIR", PUB: "PUB", SUB: "SUB", REQ: "REQ", REP: "REP",
	DEALER: "DEALER", ROUTER: "ROUTER", PULL: "PULL", PUSH: "PUSH",
	XPUB: "XPUB", XSUB: "XSUB", STREAM: "STREAM",
}

// Valid reports whether t is one of the socket types above.
func (t SocketType) Valid() bool { return t >= 0 && int(t) < len(socketTypeNames) }

// String returns the type's name as ZMTP spells it ("PUSH").
func (t SocketType) String() string {
	if t.Valid() {
		return socketTypeNames[t]
	}
	return "SocketType(" + strconv.Itoa(int(t)) + ")"
}

// EventType is a kind of socket event. The values are libzmq's
// ZMQ_EVENT_* bits, which both engines report.
type EventType uint32

// Event types.
const (
	EventConnected               EventType = 0x0001
	EventConnectDelayed          EventType = 0x0002
	EventConnectRetried          EventType = 0x0004
	EventListening               EventType = 0x0008
	EventBindFailed              EventType = 0x0010
	EventAccepted                EventType = 0x0020
	EventAcceptFailed            EventType = 0x0040
	EventClosed                  EventType = 0x0080
	EventCloseFailed             EventType = 0x0100
	EventDisconnected            EventType = 0x0200
	EventMonitorStopped          EventType = 0x0400
	EventHandshakeFailedNoDetail EventType = 0x0800
	EventHandshakeSucceeded      EventType = 0x1000
	EventHandshakeFailedProtocol EventType = 0x2000
	EventHandshakeFailedAuth     EventType = 0x4000
	EventAll                     EventType = 0xffff
)

// Event is one socket event.
type Event struct {
	Type     EventType
	Endpoint string // the endpoint concerned
	// Value depends on Type: an fd, an errno, a reconnect interval in ms,
	// a ZMTP protocol error code or a ZAP status code.
	Value uint32
}

// Monitor delivers a socket's events. It is safe for concurrent use.
type Monitor interface {
	// Recv returns the next event. After the monitor ended (Close, or the
	// socket closed) and its buffered events were delivered, it returns
	// EventMonitorStopped once if the mask asked for it, then ErrClosed.
	Recv(ctx context.Context) (Event, error)
	// Dropped counts events lost because nobody read them in time: a
	// monitor holds a bounded number of events.
	Dropped() uint64
	// Close stops the monitor. It is idempotent and never blocks for long.
	Close() error
}
