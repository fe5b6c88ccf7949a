//go:build cgo && unix

package libzmq

import (
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/zmqx/zmq/internal/engine"
	"github.com/zmqx/zmq/internal/libzmq/capi"
)

// ErrClosed is returned by every operation on a closed socket, and to every
// caller that was waiting when Close ran.
var ErrClosed = engine.ErrClosed

// ErrTorn is the boundary's: libzmq took a message's first frames, then the
// connection they went to closed, so the rest could not follow.
var ErrTorn = engine.ErrTorn

const (
	// maxBatchMsgs bounds the messages taken out of libzmq per receive
	// crossing: a busy socket releases its lock at least this often.
	maxBatchMsgs = 256
	scratchSize  = 64 << 10
	maxWords     = 1024
	// stageLimit is the largest message (all frames) that is copied into one
	// staging buffer and sent in one crossing; larger ones go frame by frame
	// straight from the caller's memory.
	stageLimit = 64 << 10
)

// Stats and Message are the engine boundary's.
type (
	Stats   = engine.Stats
	Message = engine.Message
)

// Socket is a libzmq socket served by the netpoller. It is safe for
// concurrent use.
type Socket struct {
	typ engine.SocketType
	eng *Engine

	mu     sync.Mutex
	zs     capi.Socket
	closed bool
	fd     int // ZMQ_FD, owned by libzmq
	file   *os.File
	rc     syscall.RawConn

	closing       chan struct{} // closed when Close starts
	closedDone    chan struct{} // closed when Close has finished
	closeErr      error
	watched       bool   // registered with the watchdog
	monitor       string // endpoint of the monitor started and not stopped yet
	activeMonitor atomic.Pointer[monitor]

	// poller is the waiter parked in the netpoller on the fd, if any.
	// interrupted says a read deadline in the past was set to wake it; the
	// next poller clears it first. pollerDone is the Done channel of the
	// poller's ctx.
	poller      *waiter
	interrupted bool
	pollerDone  <-chan struct{}
	// The ctx registration kept across parks (watchCtxLocked).
	watchedDone <-chan struct{}
	stopWatch   func() bool
	// The poller's own state while it polls, and its callback (pollFor).
	pollBit   int
	pollFirst bool
	pollEdgeF func(uintptr) bool

	recvQ, sendQ waitq
	waiters      waiterPool

	// Messages already taken out of libzmq (at most one receive batch),
	// handed out in order; partial holds the frames of a message whose rest
	// is still inside libzmq.
	ready    []Message
	readyBuf []Message
	partial  Message
	// held is the scratch buffer that ready messages point into, when they
	// were taken out for RecvInto; such messages are copied before they
	// leave the socket.
	held *scratch
	// meta captures each message's User-Id and Peer-Address; extraProps
	// names the other connection properties it captures (Props).
	meta       bool
	extraProps []string
	// oneByOne takes messages out of libzmq one at a time: on an XPUB in
	// manual mode, a subscription set by the application applies to the
	// subscriber of the last message libzmq handed out, which must be the
	// last one the application received.
	oneByOne bool
	// The last user id, peer address and properties received, reused
	// while they repeat (a connection's are the same on every message).
	lastUserID, lastPeerAddress string
	lastProps                   *engine.Properties
	propValues                  []string // of the message being taken in
	propSet                     []bool

	stage      []byte
	stageWords []uint64

	// Counters, guarded by mu: atomics would cost more per message than
	// the lock that every message already takes.
	stats Stats
}

// New creates a socket of libzmq type typ in ctx and applies setup (options)
// before the socket is used. On error nothing is left open.
func New(ctx capi.Context, typ int, setup func(*Socket) error) (*Socket, error) {
	zs, err := ctx.NewSocket(typ)
	if err != nil {
		return nil, err
	}
	s := &Socket{
		zs:         zs,
		typ:        engine.SocketType(typ),
		closing:    make(chan struct{}),
		closedDone: make(chan struct{}),
	}
	s.pollEdgeF = s.pollEdge
	fail := func(err error) (*Socket, error) {
		if s.file != nil {
			s.file.Close()
		}
		zs.SetInt(capi.OptLinger, 0)
		zs.Close()
		return nil, err
	}
	fd, err := zs.FD()
	if err != nil {
		return fail(err)
	}
	s.fd = fd
	// libzmq owns ZMQ_FD and forbids closing it; Go closes what it polls,
	// so the netpoller gets a dup. The dup shares O_NONBLOCK with the
	// original, which makes os.NewFile register it with the netpoller.
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return fail(err)
	}
	s.file = os.NewFile(uintptr(dup), "zmq-notify")
	if s.rc, err = s.file.SyscallConn(); err != nil {
		return fail(err)
	}
	if setup != nil {
		if err := setup(s); err != nil {
			return fail(err)
		}
	}
	watchSocket(s)
	return s, nil
}

// SetMetadata makes received messages carry their connection's User-Id and
// Peer-Address. Call it before the socket is used (in New's setup).
func (s *Socket) SetMetadata(on bool) {
	s.meta = on
	s.applyPropertiesLocked()
}

// applyPropertiesLocked tells libzmq which properties to copy per message:
// User-Id and Peer-Address (indices 0 and 1), then extraProps.
func (s *Socket) applyPropertiesLocked() {
	if !s.meta {
		s.zs.SetProperties(nil)
		return
	}
	s.zs.SetProperties(append([]string{"User-Id", "Peer-Address"}, s.extraProps...))
	s.propValues = make([]string, len(s.extraProps))
	s.propSet = make([]bool, len(s.extraProps))
}

// Do runs f with exclusive access to the libzmq socket, then applies the
// re-check rule. It is for calls that never wait: options, bind, connect.
func (s *Socket) Do(f func(zs capi.Socket) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	err := f(s.zs)
	s.recheckIfWaitedLocked()
	return err
}

// Stats returns a snapshot of the socket's counters.
func (s *Socket) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Close wakes every waiter with ErrClosed, stops the poller, and closes the
// libzmq socket (its linger option applies). It is idempotent; every call
// returns after the socket is gone.
func (s *Socket) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.closedDone
		return s.closeErr
	}
	s.closed = true
	close(s.closing)
	if s.stopWatch != nil {
		s.stopWatch() // let go of the ctx last waited with
	}
	s.mu.Unlock()
	unwatchSocket(s)

	// The fd goes first, without the lock: closing it evicts the poller,
	// which may be waiting for the lock inside its callback, and returns
	// once it has left. Closing it after zmq_close would leave a silent
	// eventfd behind.
	s.file.Close()
	s.mu.Lock()
	// zmq_close would leave stopping the monitor to libzmq's reaper thread,
	// whose send of MONITOR_STOPPED could then find the monitor's PAIR
	// closed and block for good: stop it here, while that PAIR is known to
	// be open.
	s.stopMonitorLocked()
	s.closeErr = s.zs.Close()
	s.ready, s.partial = nil, Message{}
	if s.held != nil {
		s.dropHeldLocked()
	}
	s.mu.Unlock()
	// The monitor's last event is on its way to its drain, which closes
	// the monitor's PAIR.
	s.awaitMonitorEnd()
	close(s.closedDone)
	return s.closeErr
}
