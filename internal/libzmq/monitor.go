//go:build cgo && unix

package libzmq

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/zmqx/zmq/internal/engine"
	"github.com/zmqx/zmq/internal/libzmq/capi"
)

var monitorSeq atomic.Uint64

// monitor reads the events libzmq publishes on an inproc PAIR.
type monitor struct {
	target *Socket
	pair   *Socket
	done   atomic.Bool
	once   sync.Once
}

// Monitor makes libzmq publish the socket's events of the kinds in mask on
// an inproc PAIR that the returned monitor reads.
func (s *Socket) Monitor(mask engine.EventType) (engine.Monitor, error) {
	if !s.monitored.CompareAndSwap(false, true) {
		return nil, engine.ErrMonitorActive
	}
	ep := fmt.Sprintf("inproc://zmqx-monitor-%d", monitorSeq.Add(1))
	if err := s.Do(func(zs capi.Socket) error { return zs.Monitor(ep, int(mask)) }); err != nil {
		s.monitored.Store(false)
		return nil, err
	}
	pair, err := s.eng.newInternal(engine.PAIR)
	if err == nil {
		if err = pair.Connect(ep); err != nil {
			s.eng.closeInternal(pair)
		}
	}
	if err != nil {
		s.Do(func(zs capi.Socket) error { return zs.Monitor("", 0) })
		s.monitored.Store(false)
		return nil, err
	}
	return &monitor{target: s, pair: pair}, nil
}

// Recv returns the next event.
func (m *monitor) Recv(ctx context.Context) (engine.Event, error) {
	if m.done.Load() {
		return engine.Event{}, ErrClosed
	}
	msg, err := m.pair.Recv(ctx)
	if err != nil {
		return engine.Event{}, err
	}
	if len(msg.Frames) != 2 || len(msg.Frames[0]) != 6 {
		return engine.Event{}, fmt.Errorf("malformed monitor event %q", msg.Frames)
	}
	ev := engine.Event{
		Type:     engine.EventType(binary.NativeEndian.Uint16(msg.Frames[0])),
		Value:    binary.NativeEndian.Uint32(msg.Frames[0][2:]),
		Endpoint: string(msg.Frames[1]),
	}
	if ev.Type == engine.EventMonitorStopped {
		m.release()
	}
	return ev, nil
}

// Dropped returns 0: libzmq's monitor queue does not drop.
func (m *monitor) Dropped() uint64 { return 0 }

// Close stops monitoring and releases the monitor.
func (m *monitor) Close() error {
	m.target.Do(func(zs capi.Socket) error { return zs.Monitor("", 0) })
	m.release()
	return nil
}

func (m *monitor) release() {
	m.once.Do(func() {
		m.done.Store(true)
		m.target.eng.closeInternal(m.pair)
		m.target.monitored.Store(false)
	})
}
