//go:build cgo && unix

package libzmq

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync/atomic"

	"github.com/zmqx/zmq/internal/engine"
)

// monitor reads the events libzmq publishes on an inproc PAIR.
//
// A goroutine moves events out of libzmq as they come, into a buffer of up
// to monitorBuffer events, so that a monitor read slowly, or not at all,
// never holds up the socket or the engine: libzmq publishes with blocking
// sends, from its I/O thread too. When the buffer is full the oldest event
// is dropped and counted: the newest say what the socket's connections are
// now, which is what a reader that fell behind needs most.
type monitor struct {
	target *Socket
	pair   *Socket           // receives libzmq's events
	ep     string            // where libzmq publishes them
	mask   engine.EventType  // the events the caller asked for
	events chan engine.Event // monitorBuffer events, plus the final EventMonitorStopped; closed at the end
	drops  atomic.Uint64     // events dropped from a full buffer
	ended  chan struct{}     // closed once the PAIR is closed and events is complete
}

// monitorBuffer is how many events a monitor holds for its reader.
const monitorBuffer = 1024

var monitorSeq atomic.Uint64

// Monitor makes libzmq publish the socket's events of the kinds in mask.
func (s *Socket) Monitor(mask engine.EventType) (engine.Monitor, error) {
	m := &monitor{
		target: s,
		ep:     fmt.Sprintf("inproc://zmqx-monitor-%d", monitorSeq.Add(1)),
		mask:   mask,
		events: make(chan engine.Event, monitorBuffer+1),
		ended:  make(chan struct{}),
	}
	if !s.activeMonitor.CompareAndSwap(nil, m) {
		return nil, engine.ErrMonitorActive
	}
	// The receiving PAIR exists before libzmq's monitor does, and connects
	// to it under the socket's lock (StartMonitor): libzmq's blocking sends
	// must always find it there. Its receive high-water mark of 0 leaves
	// the inproc pipe unlimited; the drain keeps it near empty.
	pair, err := s.eng.newInternal(engine.PAIR)
	if err == nil {
		err = pair.SetOption(engine.OptRecvHWM, engine.Int(0))
		if err == nil {
			err = pair.SetOption(engine.OptLinger, engine.Int(0))
		}
		if err == nil {
			err = s.StartMonitor(m.ep, int(mask|engine.EventMonitorStopped), func() error { return pair.Connect(m.ep) })
		}
		if err != nil {
			s.eng.closeInternal(pair)
		}
	}
	if err != nil {
		close(m.ended)
		s.activeMonitor.CompareAndSwap(m, nil)
		return nil, err
	}
	m.pair = pair
	go m.drain()
	return m, nil
}

// drain moves events from libzmq into m.events until libzmq's last one,
// MONITOR_STOPPED, then closes the PAIR and ends the event stream.
func (m *monitor) drain() {
	for {
		msg, err := m.pair.Recv(context.Background())
		if err != nil {
			break // the PAIR closed: only the engine's Close does that
		}
		ev, ok := parseEvent(msg.Frames)
		if !ok {
			continue // libzmq never sends other shapes
		}
		if ev.Type == engine.EventMonitorStopped {
			break
		}
		if ev.Type&m.mask != 0 {
			m.put(ev)
		}
	}
	m.target.eng.closeInternal(m.pair)
	if m.mask&engine.EventMonitorStopped != 0 {
		m.events <- engine.Event{Type: engine.EventMonitorStopped} // the room kept for it
	}
	close(m.events)
	m.target.activeMonitor.CompareAndSwap(m, nil)
	close(m.ended)
}

// put buffers ev, dropping the oldest buffered event if the buffer is
// full. drain is the only sender, so the send never blocks.
func (m *monitor) put(ev engine.Event) {
	for len(m.events) >= monitorBuffer {
		select {
		case <-m.events:
			m.drops.Add(1)
		default: // a reader took one meanwhile
		}
	}
	m.events <- ev
}

// parseEvent decodes one event as libzmq publishes it: a frame of the
// event number (16 bits) and its value (32 bits), then the endpoint.
func parseEvent(frames [][]byte) (engine.Event, bool) {
	if len(frames) != 2 || len(frames[0]) != 6 {
		return engine.Event{}, false
	}
	return engine.Event{
		Type:     engine.EventType(binary.NativeEndian.Uint16(frames[0])),
		Value:    binary.NativeEndian.Uint32(frames[0][2:]),
		Endpoint: string(frames[1]),
	}, true
}

// Recv returns the next event; once the monitor has ended and its buffered
// events are delivered, ErrClosed.
func (m *monitor) Recv(ctx context.Context) (engine.Event, error) {
	if err := ctx.Err(); err != nil {
		return engine.Event{}, err
	}
	select {
	case ev, ok := <-m.events:
		if !ok {
			return engine.Event{}, ErrClosed
		}
		return ev, nil
	case <-ctx.Done():
		return engine.Event{}, ctx.Err()
	}
}

// Dropped returns how many events were dropped from a full buffer.
func (m *monitor) Dropped() uint64 { return m.drops.Load() }

// Close stops the monitor and returns once everything it held in libzmq is
// released; buffered events can still be read. Closing the socket does the
// same.
func (m *monitor) Close() error {
	if err := m.target.StopMonitor(m.ep); err != nil && err != ErrClosed {
		return err
	}
	// Stopped now, or being stopped by the socket's Close: libzmq's last
	// event is on its way to the drain.
	<-m.ended
	return nil
}

// awaitMonitorEnd waits for the socket's monitor, if any, to end; Close
// calls it once it has stopped the monitor.
func (s *Socket) awaitMonitorEnd() {
	if m := s.activeMonitor.Load(); m != nil {
		<-m.ended
	}
}

// StartMonitor makes libzmq publish the socket's events of the kinds in
// mask on a PAIR socket it binds at inproc endpoint ep, then runs connect,
// which must connect the PAIR that receives them, before anything else
// can reach the socket: libzmq publishes with blocking sends, which never
// return while that PAIR has no peer. The receiving PAIR must have a
// receive high-water mark of 0, which makes the inproc pipe unlimited, and
// must stay open until MONITOR_STOPPED, which mask must include: only then
// can no publishing block, neither an event nor the MONITOR_STOPPED that
// StopMonitor and Close send.
func (s *Socket) StartMonitor(ep string, mask int, connect func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.monitor != "" {
		return engine.ErrMonitorActive
	}
	err := s.zs.Monitor(ep, mask)
	if err == nil {
		// An inproc connect to a bound endpoint fails only once the context
		// terminates, which first waits for this socket to close.
		if err = connect(); err == nil {
			s.monitor = ep
		}
	}
	s.recheckIfWaitedLocked()
	return err
}

// StopMonitor stops the monitor that StartMonitor started at ep, if it
// still runs; libzmq sends MONITOR_STOPPED as its last event.
func (s *Socket) StopMonitor(ep string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	var err error
	if s.monitor == ep {
		err = s.stopMonitorLocked()
	}
	s.recheckIfWaitedLocked()
	return err
}

func (s *Socket) stopMonitorLocked() error {
	if s.monitor == "" {
		return nil
	}
	s.monitor = ""
	return s.zs.Monitor("", 0)
}
