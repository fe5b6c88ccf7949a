package zmq

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"

	"github.com/zmqx/zmq/internal/engine"
)

// EventType is a kind of socket event (libzmq's ZMQ_EVENT_*). Values can be
// or-ed together to choose what a Monitor reports.
type EventType uint32

// Socket events.
const (
	EventConnected               EventType = EventType(engine.EventConnected)               // a connection was made; Value is its fd
	EventConnectDelayed          EventType = EventType(engine.EventConnectDelayed)          // a connect did not complete at once
	EventConnectRetried          EventType = EventType(engine.EventConnectRetried)          // a reconnect is scheduled; Value is the interval in ms
	EventListening               EventType = EventType(engine.EventListening)               // a bind succeeded; Value is its fd
	EventBindFailed              EventType = EventType(engine.EventBindFailed)              // a bind failed; Value is the errno
	EventAccepted                EventType = EventType(engine.EventAccepted)                // a connection was accepted; Value is its fd
	EventAcceptFailed            EventType = EventType(engine.EventAcceptFailed)            // accepting failed; Value is the errno
	EventClosed                  EventType = EventType(engine.EventClosed)                  // a connection was closed; Value is its fd
	EventCloseFailed             EventType = EventType(engine.EventCloseFailed)             // closing failed; Value is the errno
	EventDisconnected            EventType = EventType(engine.EventDisconnected)            // a connection broke; Value is its fd
	EventMonitorStopped          EventType = EventType(engine.EventMonitorStopped)          // the monitor ended: the last event
	EventHandshakeFailedNoDetail EventType = EventType(engine.EventHandshakeFailedNoDetail) // the handshake failed; Value is the errno
	EventHandshakeSucceeded      EventType = EventType(engine.EventHandshakeSucceeded)      // the ZMTP handshake (and security) succeeded
	EventHandshakeFailedProtocol EventType = EventType(engine.EventHandshakeFailedProtocol) // the peer broke the protocol; Value is a ProtocolError
	EventHandshakeFailedAuth     EventType = EventType(engine.EventHandshakeFailedAuth)     // authentication failed; Value is the ZAP status code
	// EventAll selects every event.
	EventAll EventType = EventType(engine.EventAll)
)

var eventNames = map[EventType]string{
	EventConnected: "connected", EventConnectDelayed: "connect-delayed",
	EventConnectRetried: "connect-retried", EventListening: "listening",
	EventBindFailed: "bind-failed", EventAccepted: "accepted",
	EventAcceptFailed: "accept-failed", EventClosed: "closed",
	EventCloseFailed: "close-failed", EventDisconnected: "disconnected",
	EventMonitorStopped: "monitor-stopped", EventHandshakeFailedNoDetail: "handshake-failed",
	EventHandshakeSucceeded: "handshake-succeeded", EventHandshakeFailedProtocol: "handshake-failed-protocol",
	EventHandshakeFailedAuth: "handshake-failed-auth",
}

func (t EventType) String() string {
	if n, ok := eventNames[t]; ok {
		return n
	}
	return fmt.Sprintf("EventType(%#x)", uint32(t))
}

// Event is one socket event reported by a Monitor.
type Event struct {
	Type     EventType
	Endpoint string // the endpoint concerned, as libzmq reports it
	Value    uint32 // meaning depends on Type (see the EventType constants)
}

// Err returns why a failure event happened: an Errno, a ProtocolError or
// an *AuthError. It returns nil for other events.
func (e Event) Err() error {
	switch e.Type {
	case EventBindFailed, EventAcceptFailed, EventCloseFailed, EventHandshakeFailedNoDetail:
		return Errno(e.Value)
	case EventHandshakeFailedProtocol:
		return ProtocolError(e.Value)
	case EventHandshakeFailedAuth:
		return &AuthError{Status: int(e.Value)}
	}
	return nil
}

func (e Event) String() string {
	s := e.Type.String() + " " + e.Endpoint
	if err := e.Err(); err != nil {
		s += ": " + err.Error()
	}
	return s
}

// ProtocolError is a ZMTP or ZAP protocol violation found during a
// handshake (libzmq's ZMQ_PROTOCOL_ERROR_*).
type ProtocolError uint32

// Protocol errors worth testing for.
const (
	ProtocolErrorCryptographic     ProtocolError = 0x11000001 // CURVE: bad key or box (e.g. wrong server key)
	ProtocolErrorMechanismMismatch ProtocolError = 0x11000002 // peers use different security mechanisms
	ProtocolErrorZAPMalformedReply ProtocolError = 0x20000001
	ProtocolErrorZAPBadRequestID   ProtocolError = 0x20000002
	ProtocolErrorZAPBadVersion     ProtocolError = 0x20000003
	ProtocolErrorZAPInvalidStatus  ProtocolError = 0x20000004
)

var protocolNames = map[ProtocolError]string{
	0x10000000: "ZMTP unspecified", 0x10000001: "ZMTP unexpected command",
	0x10000002: "ZMTP invalid sequence", 0x10000003: "ZMTP key exchange",
	0x10000011: "ZMTP malformed command", 0x10000012: "ZMTP malformed MESSAGE",
	0x10000013: "ZMTP malformed HELLO", 0x10000014: "ZMTP malformed INITIATE",
	0x10000015: "ZMTP malformed ERROR", 0x10000016: "ZMTP malformed READY",
	0x10000017: "ZMTP malformed WELCOME", 0x10000018: "ZMTP invalid metadata",
	ProtocolErrorCryptographic: "cryptographic error", ProtocolErrorMechanismMismatch: "security mechanism mismatch",
	0x20000000: "ZAP unspecified", ProtocolErrorZAPMalformedReply: "ZAP malformed reply",
	ProtocolErrorZAPBadRequestID: "ZAP bad request id", ProtocolErrorZAPBadVersion: "ZAP bad version",
	ProtocolErrorZAPInvalidStatus: "ZAP invalid status code", 0x20000005: "ZAP invalid metadata",
}

func (e ProtocolError) Error() string {
	if n, ok := protocolNames[e]; ok {
		return "zmq: protocol error: " + n
	}
	return fmt.Sprintf("zmq: protocol error %#x", uint32(e))
}

// AuthError reports a peer that the authenticator (ZAP handler) refused.
type AuthError struct {
	Status int // ZAP status: 300 temporary failure, 400 denied, 500 internal error
}

func (e *AuthError) Error() string {
	return "zmq: authentication failed with ZAP status " + strconv.Itoa(e.Status)
}

// Monitor reports a socket's connection events. Make one with a socket's
// Monitor method. It is safe for concurrent use.
//
// Events move out of the engine as they come (on the libzmq engine, a
// goroutine per Monitor does that) into a buffer of up to 1,024 events, so
// that a monitor read slowly, or not at all, never holds up the socket or
// its factory. When the buffer is full the oldest
// event is dropped to make room, and counted (see Dropped): the newest
// events say what the socket's connections are now, which is what a
// reader that fell behind needs most.
type Monitor struct {
	target *socket
	m      engine.Monitor
}

// ErrMonitorActive is returned when a socket already has a Monitor.
var ErrMonitorActive = errors.New("zmq: socket already has a monitor")

// Monitor starts reporting the socket's events of the kinds in events
// (EventAll for all). A socket has at most one Monitor at a time; Close it
// to stop. The monitor ends when it or its socket closes: Recv then
// returns the events still buffered, then EventMonitorStopped if events
// includes it, then ErrClosed.
func (s *socket) Monitor(events EventType) (*Monitor, error) {
	if events == 0 || events&^EventAll != 0 {
		return nil, fmt.Errorf("%w: Monitor(%#x): want a non-empty set of Event* values", ErrInvalidOption, uint32(events))
	}
	m, err := s.e.Monitor(engine.EventType(events))
	if err != nil {
		if errors.Is(err, engine.ErrMonitorActive) {
			err = ErrMonitorActive
		}
		return nil, opErr("monitor", s.kind, "", err)
	}
	return &Monitor{target: s, m: m}, nil
}

// Recv waits for the next event.
func (m *Monitor) Recv(ctx context.Context) (Event, error) {
	ev, err := m.m.Recv(ctx)
	if err != nil {
		return Event{}, opErr("monitor", m.target.kind, "", err)
	}
	return Event{Type: EventType(ev.Type), Endpoint: ev.Endpoint, Value: ev.Value}, nil
}

// Events returns an iterator over events; it stops after yielding the
// first error (ErrClosed once the monitor has ended).
func (m *Monitor) Events(ctx context.Context) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for {
			ev, err := m.Recv(ctx)
			if !yield(ev, err) || err != nil {
				return
			}
		}
	}
}

// Dropped returns how many events were dropped, oldest first, because the
// monitor's buffer held 1,024 events nobody had read yet.
func (m *Monitor) Dropped() uint64 { return m.m.Dropped() }

// Close stops monitoring and returns once everything the monitor held in
// the engine is released; events already buffered can still be read. It
// is idempotent, and closing the socket does the same.
func (m *Monitor) Close() error {
	return opErr("monitor", m.target.kind, "", m.m.Close())
}
