package gozmq

import (
	"context"
	"sync"

	"github.com/zmqx/zmq/internal/engine"
)

// monitorCapacity is how many events a monitor holds for its reader; when
// it is full, the oldest is dropped (and counted) for each new one.
const monitorCapacity = 1024

// monitorSockets is how many sockets' room in the engine's limit
// (MaxSockets) a monitor takes: libzmq's monitor is two sockets, and a
// program's socket budget should not depend on the engine.
const monitorSockets = 2

// monitor holds a socket's events for its reader. The socket never waits
// for it: emit makes room by dropping the oldest event.
type monitor struct {
	s    *Socket
	mask engine.EventType

	mu      sync.Mutex
	events  []engine.Event // ring
	head, n int
	dropped uint64
	stopped bool          // no more events; the last one may be queued
	ready   chan struct{} // capacity 1: something to read
	once    sync.Once
}

// Monitor starts reporting the socket's events of the kinds in mask.
func (s *Socket) Monitor(mask engine.EventType) (engine.Monitor, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errClosed
	}
	if s.mon.Load() != nil {
		return nil, engine.ErrMonitorActive
	}
	if !s.eng.reserve(monitorSockets) {
		return nil, errTooManySockets
	}
	m := &monitor{s: s, mask: mask, events: make([]engine.Event, monitorCapacity), ready: make(chan struct{}, 1)}
	s.mon.Store(m)
	return m, nil
}

// emit reports an event to the socket's monitor, if any.
func (s *Socket) emit(t engine.EventType, endpoint string, value uint32) {
	if m := s.mon.Load(); m != nil {
		m.put(engine.Event{Type: t, Endpoint: endpoint, Value: value}, false)
	}
}

func (m *monitor) put(ev engine.Event, last bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped {
		return
	}
	if last {
		m.stopped = true
	}
	if m.mask&ev.Type == 0 {
		if last {
			m.signal()
		}
		return
	}
	if m.n == len(m.events) { // the newest events matter most: drop the oldest
		m.head = (m.head + 1) % len(m.events)
		m.n--
		m.dropped++
	}
	m.events[(m.head+m.n)%len(m.events)] = ev
	m.n++
	m.signal()
}

func (m *monitor) signal() {
	select {
	case m.ready <- struct{}{}:
	default:
	}
}

// Recv returns the next event; after the monitor stopped and its events
// were read, ErrClosed.
func (m *monitor) Recv(ctx context.Context) (engine.Event, error) {
	for {
		m.mu.Lock()
		if m.n > 0 {
			ev := m.events[m.head]
			m.head = (m.head + 1) % len(m.events)
			m.n--
			if m.n > 0 || m.stopped {
				m.signal()
			}
			m.mu.Unlock()
			return ev, nil
		}
		stopped := m.stopped
		m.mu.Unlock()
		if stopped {
			m.signal() // other readers learn it too
			return engine.Event{}, errClosed
		}
		select {
		case <-m.ready:
		case <-ctx.Done():
			return engine.Event{}, ctx.Err()
		}
	}
}

// Dropped counts events lost because the buffer was full.
func (m *monitor) Dropped() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.dropped
}

// Close stops the monitor; its last event is EventMonitorStopped if the
// mask asked for it.
func (m *monitor) Close() error {
	m.stop()
	return nil
}

func (m *monitor) stop() {
	m.once.Do(func() {
		m.s.mon.CompareAndSwap(m, nil)
		m.s.eng.release(monitorSockets)
		m.put(engine.Event{Type: engine.EventMonitorStopped}, true)
	})
}
