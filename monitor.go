package zmq

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"sync/atomic"

	"github.com/zmqx/zmq/internal/capi"
	"github.com/zmqx/zmq/internal/engine"
)

// EventType is a kind of socket event (libzmq's ZMQ_EVENT_*). Values can be
// or-ed together to choose what a Monitor reports.
type EventType uint32

// Socket events.
const (
	EventConnected               EventType = 0x0001 // a connection was made; Value is its fd
	EventConnectDelayed          EventType = 0x0002 // a connect did not complete at once
	EventConnectRetried          EventType = 0x0004 // a reconnect is scheduled; Value is the interval in ms
	EventListening               EventType = 0x0008 // a bind succeeded; Value is its fd
	EventBindFailed              EventType = 0x0010 // a bind failed; Value is the errno
	EventAccepted                EventType = 0x0020 // a connection was accepted; Value is its fd
	EventAcceptFailed            EventType = 0x0040 // accepting failed; Value is the errno
	EventClosed                  EventType = 0x0080 // a connection was closed; Value is its fd
	EventCloseFailed             EventType = 0x0100 // closing failed; Value is the errno
	EventDisconnected            EventType = 0x0200 // a connection broke; Value is its fd
	EventMonitorStopped          EventType = 0x0400 // the monitor ended: the last event
	EventHandshakeFailedNoDetail EventType = 0x0800 // the handshake failed; Value is the errno
	EventHandshakeSucceeded      EventType = 0x1000 // the ZMTP handshake (and security) succeeded
	EventHandshakeFailedProtocol EventType = 0x2000 // the peer broke the protocol; Value is a ProtocolError
	EventHandshakeFailedAuth     EventType = 0x4000 // authentication failed; Value is the ZAP status code
	// EventAll selects every event.
	EventAll EventType = 0xffff
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
// A goroutine moves events out of libzmq as they come, into a buffer of
// up to 1,024 events, so that a monitor read slowly, or not at all, never
// holds up the socket or its factory. When the buffer is full the oldest
// event is dropped to make room, and counted (see Dropped): the newest
// events say what the socket's connections are now, which is what a
// reader that fell behind needs most.
type Monitor struct {
	target *socket
	pair   *socket   // receives libzmq's events
	ep     string    // where libzmq publishes them
	mask   EventType // the events the caller asked for
	// events holds up to monitorBuffer events, plus the final
	// EventMonitorStopped; it is closed when the monitor has ended.
	events  chan Event
	dropped atomic.Uint64
	drained chan struct{} // closed once the PAIR is closed and events is complete
}

// monitorBuffer is how many events a Monitor holds for its reader.
const monitorBuffer = 1024

var monitorSeq atomic.Uint64

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
	m := &Monitor{
		target:  s,
		ep:      fmt.Sprintf("inproc://zmqx-monitor-%d", monitorSeq.Add(1)),
		mask:    events,
		events:  make(chan Event, monitorBuffer+1),
		drained: make(chan struct{}),
	}
	if !s.monitor.CompareAndSwap(nil, m) {
		return nil, &OpError{Op: "monitor", Socket: s.kind, Err: ErrMonitorActive}
	}
	// The receiving PAIR exists before libzmq's monitor does, and connects
	// to it under the socket's lock: libzmq publishes with blocking sends,
	// which must always find it there (see engine.StartMonitor). Its
	// receive high-water mark of 0 leaves the pipe unlimited; the drain
	// keeps it near empty.
	pair, err := s.f.newMonitorPair()
	if err == nil {
		err = s.e.StartMonitor(m.ep, int(events|EventMonitorStopped), func() error {
			return pair.e.Do(func(zs capi.Socket) error { return zs.Connect(m.ep) })
		})
		if err != nil {
			pair.Close()
		}
	}
	if err != nil {
		close(m.drained)
		s.monitor.CompareAndSwap(m, nil)
		return nil, opErr("monitor", s.kind, m.ep, err)
	}
	m.pair = pair
	go m.drain()
	return m, nil
}

// drain moves events from libzmq into m.events until libzmq's last one,
// MONITOR_STOPPED, then closes the PAIR and ends the event stream.
func (m *Monitor) drain() {
	for {
		msg, err := m.pair.e.Recv(context.Background())
		if err != nil {
			break // the PAIR closed: only the factory's Close does that
		}
		ev, ok := parseEvent(msg.Frames)
		if !ok {
			continue // libzmq never sends other shapes
		}
		if ev.Type == EventMonitorStopped {
			break
		}
		if ev.Type&m.mask != 0 {
			m.put(ev)
		}
	}
	m.pair.Close()
	if m.mask&EventMonitorStopped != 0 {
		m.events <- Event{Type: EventMonitorStopped} // the room kept for it
	}
	close(m.events)
	m.target.monitor.CompareAndSwap(m, nil)
	close(m.drained)
}

// put buffers ev, dropping the oldest buffered event if the buffer is
// full. drain is the only sender, so the send never blocks.
func (m *Monitor) put(ev Event) {
	for len(m.events) >= monitorBuffer {
		select {
		case <-m.events:
			m.dropped.Add(1)
		default: // a reader took one meanwhile
		}
	}
	m.events <- ev
}

// parseEvent decodes one event as libzmq publishes it: a frame of the
// event number (16 bits) and its value (32 bits), then the endpoint.
func parseEvent(frames [][]byte) (Event, bool) {
	if len(frames) != 2 || len(frames[0]) != 6 {
		return Event{}, false
	}
	return Event{
		Type:     EventType(binary.NativeEndian.Uint16(frames[0])),
		Value:    binary.NativeEndian.Uint32(frames[0][2:]),
		Endpoint: string(frames[1]),
	}, true
}

// Recv waits for the next event. Once the monitor has ended and its
// buffered events are delivered, it returns ErrClosed.
func (m *Monitor) Recv(ctx context.Context) (Event, error) {
	if err := ctx.Err(); err != nil {
		return Event{}, err
	}
	select {
	case ev, ok := <-m.events:
		if !ok {
			return Event{}, &OpError{Op: "monitor", Socket: m.target.kind, Err: ErrClosed}
		}
		return ev, nil
	case <-ctx.Done():
		return Event{}, ctx.Err()
	}
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
// buffer held 1,024 events nobody had read yet.
func (m *Monitor) Dropped() uint64 { return m.dropped.Load() }

// Close stops monitoring and returns once everything the monitor held in
// libzmq is released; events already buffered can still be read (see
// Monitor). It is idempotent, and closing the socket does the same.
func (m *Monitor) Close() error {
	if err := m.target.e.StopMonitor(m.ep); err != nil && err != engine.ErrClosed {
		return opErr("monitor", m.target.kind, "", err)
	}
	// Stopped now, or being stopped by the socket's Close: libzmq's last
	// event is on its way to the drain.
	<-m.drained
	return nil
}
