//go:build cgo && unix

// Package libzmq is the libzmq engine: libzmq sockets, through cgo, served
// from Go's netpoller.
//
// Each Socket owns one libzmq socket and a dup of its notification fd
// (ZMQ_FD). The rules, which together rule out lost wake-ups:
//
//   - Every libzmq call on a socket, Close included, runs under the socket's
//     mutex, and none of them blocks (ZMQ_DONTWAIT).
//   - A caller first tries its operation. Only when it gets EAGAIN does it
//     read ZMQ_EVENTS (which processes libzmq's pending commands, so any later
//     command re-arms the fd) and, if the socket is still not ready, queue up
//     and park.
//   - At most one waiter, the poller, parks in the netpoller on the fd
//     itself; the others park on channels. The poller is the head of its
//     queue and takes the role when nobody holds it. On each edge it reads
//     ZMQ_EVENTS, wakes the head waiter of the other direction if that one
//     can proceed, and leaves to retry when its own direction can. So the
//     usual case, one goroutine waiting per socket, is woken by the
//     netpoller directly, with no goroutine in between.
//   - After every libzmq call, whichever goroutine made it, if anybody waits,
//     ZMQ_EVENTS is read again and ready waiters are woken: the call may have
//     consumed the fd's edge (txZMQ's "serious bug"). If nobody holds the
//     poller role then, the heads are woken to take it.
//
// Waiters are served first-in first-out per direction: only a queue's head
// is woken when the socket becomes ready. Where readiness is only a hint
// (a ROUTER with the mandatory option is ready when any peer has room),
// a head that still cannot proceed passes the turn down its queue, so that
// a send waiting for one peer never holds back one waiting for another
// (passTurnLocked). There the rules above leave one gap, as readiness no
// longer names who can proceed: a command that reaches libzmq in the
// instant between a waiter's check of the fd and its own call, and that
// the call consumes without proceeding, may have made room for a waiter
// ahead of it, which then waits for the socket's next command.
//
// A cancelled waiter consumes nothing: messages are only taken out of
// libzmq by a caller that is still going to return them.
package libzmq

import (
	"bytes"
	"context"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

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

// scratch is where a receive crossing lands before its bytes are copied
// into one allocation of the right size.
type scratch struct {
	arena []byte
	words []uint64
	table [][]byte // frame table of messages kept in arena (RecvInto)
}

var scratchPool = sync.Pool{New: func() any {
	return &scratch{arena: make([]byte, scratchSize), words: make([]uint64, maxWords)}
}}

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
	meta bool // capture each message's User-Id and Peer-Address
	// oneByOne takes messages out of libzmq one at a time: on an XPUB in
	// manual mode, a subscription set by the application applies to the
	// subscriber of the last message libzmq handed out, which must be the
	// last one the application received.
	oneByOne bool
	// The last user id and peer address received, reused while they repeat.
	lastUserID, lastPeerAddress string

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

// SetMetadata makes received messages carry their connection's properties.
// Call it before the socket is used (in New's setup).
func (s *Socket) SetMetadata(on bool) { s.meta = on }

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

// recheckIfWaitedLocked reads ZMQ_EVENTS and wakes ready waiters, if any
// goroutine waits. It must follow every libzmq call.
func (s *Socket) recheckIfWaitedLocked() {
	if s.recvQ.n > 0 || s.sendQ.n > 0 {
		s.recheckLocked()
	}
}

// wakeLocked wakes the head waiter of q, if any.
func (s *Socket) wakeLocked(q *waitq) {
	if q.head != nil {
		s.wakeWaiterLocked(q.head)
	}
}

// wakeWaiterLocked wakes w: the poller by a read deadline in the past,
// which ends its wait in the netpoller, any other through its channel.
func (s *Socket) wakeWaiterLocked(w *waiter) {
	w.woken = true
	if w == s.poller {
		s.interruptPollerLocked()
		return
	}
	select {
	case w.ch <- struct{}{}:
	default: // already signalled
	}
}

// interruptPollerLocked ends the poller's wait in the netpoller with a
// read deadline in the past; the next poller clears it.
func (s *Socket) interruptPollerLocked() {
	if s.poller != nil && !s.interrupted {
		s.interrupted = true
		s.file.SetReadDeadline(aLongTimeAgo)
	}
}

var aLongTimeAgo = time.Unix(1, 0)

// wakeOtherLocked wakes the head waiter of the direction other than bit if
// ev says it can proceed.
func (s *Socket) wakeOtherLocked(bit, ev int) {
	if bit == capi.PollOut && (ev&capi.PollIn != 0 || len(s.ready) > 0) {
		s.wakeLocked(&s.recvQ)
	}
	if bit == capi.PollIn && ev&capi.PollOut != 0 {
		s.wakeLocked(&s.sendQ)
	}
}

func (s *Socket) recheckLocked() {
	if s.closed {
		return
	}
	if s.poller != nil {
		ev, err := s.zs.Events()
		if err == nil {
			if ev&capi.PollIn != 0 || len(s.ready) > 0 {
				s.wakeLocked(&s.recvQ)
			}
			if ev&capi.PollOut != 0 {
				s.wakeLocked(&s.sendQ)
			}
			return
		}
	}
	// No poller: nobody would see the next edge, so the heads retry and
	// one of them takes the role. On error, everybody's own call surfaces
	// it.
	s.wakeLocked(&s.recvQ)
	s.wakeLocked(&s.sendQ)
}

// wait runs try until it succeeds, fails with something other than EAGAIN,
// ctx ends or the socket closes. bit is the ZMQ_EVENTS bit that means try
// may succeed now. key says what try waits for when the socket's readiness
// cannot say it (a ROUTER's send waits for its peer), nil otherwise (see
// passTurnLocked). try runs under the lock.
func (s *Socket) wait(ctx context.Context, q *waitq, bit int, key []byte, try func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	var w *waiter
	leave := func() {
		if w != nil {
			q.remove(w)
			s.waiters.put(w)
		}
	}
	for {
		if s.closed {
			leave()
			s.mu.Unlock()
			return ErrClosed
		}
		var err error
		if w != nil && q.head != w {
			err = s.tryBehindLocked(q, w, bit, try) // its turn was passed to it
		} else {
			// Everybody tries first, newcomers too: those already waiting
			// may wait for something this caller does not need (a full
			// ROUTER peer, while this send goes to another).
			var hint bool
			hint, err = s.tryUntilParkable(bit, try)
			if err == capi.EAGAIN {
				if w == nil {
					w = s.waiters.get()
					w.key = key
					q.push(w)
					if q == &s.sendQ {
						s.stats.SendWaits++
					}
				}
				if hint && q.head == w {
					s.passTurnLocked(q, w)
				} else if hint {
					// A newcomer cannot tell whether the commands its calls
					// acted on serve a waiter ahead: let them try again.
					s.wakeLocked(q)
				}
			}
		}
		if err != capi.EAGAIN {
			var probe *Violation
			if w != nil {
				probe = w.audit.probe
			}
			leave()
			s.recheckIfWaitedLocked()
			s.mu.Unlock()
			reportProbe(probe)
			return err
		}
		w.woken, w.audit = false, audit{parkedAt: time.Now()}
		if s.poller == nil && q.head == w {
			s.poller = w
			if s.interrupted {
				s.file.SetReadDeadline(time.Time{})
				s.interrupted = false
			}
			s.pollerDone = ctx.Done()
			s.watchCtxLocked(ctx)
			// Checked after watchCtxLocked: a ctx that ended before it
			// found no poller to interrupt.
			if ctx.Err() == nil {
				s.mu.Unlock()
				s.pollFor(bit)
				s.mu.Lock()
			}
			s.poller, s.pollerDone = nil, nil
			if err := ctx.Err(); err != nil && !s.closed {
				leave()
				s.recheckIfWaitedLocked() // pass the turn and the poller role on
				s.mu.Unlock()
				return err
			}
			continue
		}
		s.mu.Unlock()
		select {
		case <-w.ch:
		case <-s.closing:
		case <-ctx.Done():
			s.mu.Lock()
			// We may have been signalled just now: pass the turn on.
			if w.woken && q.head != w {
				s.passTurnLocked(q, w)
			}
			leave()
			s.recheckIfWaitedLocked()
			s.mu.Unlock()
			return ctx.Err()
		}
		s.mu.Lock()
	}
}

// passTurnLocked runs when waiter w could not proceed although the socket
// reads ready in its direction: readiness was only a hint that some calls
// may succeed, as on a ROUTER with the mandatory option, which can send
// when any one peer has room. Then waiters behind w may wait for other
// things (their keys: other peers) that are ready, and w must not hold
// them back: the first waiter behind w whose key no waiter ahead of it
// has gets a try (tryBehindLocked), and passes the turn on in its turn.
// Waiters with the same key keep their order: only the first of them
// tries. Unkeyed waiters all wait for the same thing: none is woken.
func (s *Socket) passTurnLocked(q *waitq, w *waiter) {
	for c := w.next; c != nil; c = c.next {
		if c.key != nil && !keyAhead(q, c) {
			s.wakeWaiterLocked(c)
			return
		}
	}
}

// keyAhead reports whether a waiter ahead of c in q has c's key.
func keyAhead(q *waitq, c *waiter) bool {
	for a := q.head; a != c; a = a.next {
		if a.key != nil && bytes.Equal(a.key, c.key) {
			return true
		}
	}
	return false
}

// tryBehindLocked gives waiter w, behind others in q, the turn passed to
// it: one try. libzmq commands that came since the head's try may serve a
// waiter ahead of w, and only that waiter's try can tell: if some are
// pending, w leaves them to the head, which acts on them and passes the
// turn down again, w keeping its place. Otherwise w tries; on EAGAIN it
// passes the turn on, and if commands came meanwhile (which its calls may
// act on) the head gets a new turn as well. So a new turn starts only when
// something happened: waiters that all wait in vain do not spin.
func (s *Socket) tryBehindLocked(q *waitq, w *waiter, bit int, try func() error) error {
	if capi.FDReadable(s.fd) {
		s.wakeLocked(q)
		return capi.EAGAIN
	}
	err := try()
	if err != capi.EAGAIN {
		return err
	}
	s.passTurnLocked(q, w)
	came := capi.FDReadable(s.fd)
	// The try may have consumed the edge that waiters of the other
	// direction wait for: pass on what the socket says now.
	if ev, eerr := s.zs.Events(); eerr == nil {
		s.wakeOtherLocked(bit, ev)
	}
	if came {
		s.wakeLocked(q)
	}
	return err
}

// watchCtxLocked makes sure that the end of ctx interrupts the poller while
// it polls for ctx. The registration is kept across parks: callers usually
// pass the same ctx call after call, and registering anew each time would
// cost allocations on every wait.
func (s *Socket) watchCtxLocked(ctx context.Context) {
	done := ctx.Done()
	if done == nil || done == s.watchedDone {
		return
	}
	if s.stopWatch != nil {
		s.stopWatch()
	}
	s.watchedDone = done
	s.stopWatch = context.AfterFunc(ctx, func() {
		s.mu.Lock()
		if s.poller != nil && s.pollerDone == done {
			s.interruptPollerLocked()
		}
		s.mu.Unlock()
	})
}

// tryUntilParkable runs try until it succeeds, fails with something other
// than EAGAIN, or the caller may safely park: a later change of readiness
// is then sure to arrive as an edge on the fd.
//
// After an EAGAIN, reading ZMQ_EVENTS processes libzmq's pending commands;
// from then on any new command signals the fd. If ZMQ_EVENTS says "not
// ready", parking is safe. If it says "ready", the call may have just
// processed the command that made room, so try again. Some sockets say
// "ready" while the operation still fails (an XPUB with the no-drop option,
// a ROUTER with one free peer among full ones): then parking is safe
// exactly when no command arrived since, i.e. the fd is not readable.
//
// With EAGAIN it reports whether the caller parks on such a hint.
func (s *Socket) tryUntilParkable(bit int, try func() error) (hint bool, err error) {
	for {
		if err = try(); err != capi.EAGAIN {
			return false, err
		}
		ev, eerr := s.zs.Events()
		if eerr == nil {
			// The call may have consumed the edge that waiters of the other
			// direction wait for: pass on what it saw.
			s.wakeOtherLocked(bit, ev)
		}
		if eerr != nil || ev&bit == 0 {
			return false, err
		}
		if err = try(); err != capi.EAGAIN {
			return false, err
		}
		if !capi.FDReadable(s.fd) {
			return true, err
		}
	}
}

// pollFor parks the calling waiter, the poller, in the netpoller until its
// direction (bit) may be ready, it is woken by a read deadline (another
// goroutine, or the end of its ctx: watchCtxLocked), or the socket closes.
// On each edge it passes on readiness of the other direction.
func (s *Socket) pollFor(bit int) {
	s.pollBit, s.pollFirst = bit, true
	s.rc.Read(s.pollEdgeF)
}

// pollEdge is the poller's netpoller callback (bound once, in New, so that
// parking allocates nothing); it reports whether the poller may proceed.
// pollBit and pollFirst belong to the poller goroutine, which runs it.
func (s *Socket) pollEdge(uintptr) bool {
	if s.pollFirst {
		s.pollFirst = false
		// Read discarded any edge that came before it. The caller made sure
		// that every command since its last ZMQ_EVENTS read leaves the fd
		// readable: if it is not, just wait.
		if !capi.FDReadable(s.fd) {
			return false
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return true
	}
	ev, err := s.zs.Events()
	if err != nil {
		return true // the retry surfaces it
	}
	s.wakeOtherLocked(s.pollBit, ev)
	if ev&s.pollBit != 0 || s.pollBit == capi.PollIn && len(s.ready) > 0 {
		s.poller.woken = true // on its way to retry (the watchdog must know)
		return true
	}
	return false
}

// Send sends one whole message, waiting while the socket cannot take it.
func (s *Socket) Send(ctx context.Context, frames [][]byte) error {
	return s.wait(ctx, &s.sendQ, capi.PollOut, s.sendKey(frames), func() error { return s.sendLocked(frames) })
}

// sendKey returns what a send of frames waits for when it cannot go: on a
// ROUTER or STREAM socket, which route by the first frame, room at that
// peer; nil (room, whatever the message) on others.
func (s *Socket) sendKey(frames [][]byte) []byte {
	if (s.typ == engine.ROUTER || s.typ == engine.STREAM) && len(frames) > 0 {
		return frames[0]
	}
	return nil
}

// SendMany sends n messages (msg(i) gives the frames of message i) in
// order, packing as many whole messages as fit the staging buffer into each
// crossing into libzmq, and waiting whenever the socket is full. It returns
// how many it sent; messages from that index on were not sent.
func (s *Socket) SendMany(ctx context.Context, n int, msg func(int) [][]byte) (int, error) {
	sent := 0
	for sent < n {
		err := s.wait(ctx, &s.sendQ, capi.PollOut, s.sendKey(msg(sent)), func() error {
			k, err := s.sendManyLocked(msg, sent, n)
			sent += k
			if k > 0 && err == capi.EAGAIN {
				return nil // progress; the next round waits if still full
			}
			return err
		})
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// sendManyLocked sends messages from..n-1, as many per crossing as fit the
// staging buffer. It returns how many whole messages it sent and the error
// that stopped it (EAGAIN: the socket is full).
func (s *Socket) sendManyLocked(msg func(int) [][]byte, from, n int) (int, error) {
	if cap(s.stage) < stageLimit {
		s.stage = make([]byte, 0, stageLimit)
	}
	sent := 0
	for from+sent < n {
		first := msg(from + sent)
		if len(first) == 0 {
			return sent, syscall.EINVAL
		}
		if size(first) > stageLimit || len(first) > maxWords {
			if err := s.sendLocked(first); err != nil {
				return sent, err
			}
			sent++
			continue
		}
		buf, words := s.stage[:0], s.stageWords[:0]
		for j := from + sent; j < n; j++ {
			fr := msg(j)
			if len(fr) == 0 || len(buf)+size(fr) > stageLimit || len(words)+len(fr) > maxWords {
				break
			}
			buf, words = stage(buf, words, fr)
		}
		s.stageWords = words
		nf, err := s.zs.Send(buf, words)
		whole, bytes, wholeBytes := 0, 0, 0
		for _, w := range words[:nf] {
			bytes += int(w & capi.SizeMask)
			if w&capi.More == 0 {
				whole++
				wholeBytes = bytes
			}
		}
		s.stats.MsgsOut += uint64(whole)
		s.stats.BytesOut += uint64(wholeBytes)
		sent += whole
		if nf > 0 && words[nf-1]&capi.More != 0 { // stopped inside a message
			return sent, s.midMessageLocked(err, words[nf])
		}
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

func size(frames [][]byte) int {
	n := 0
	for _, f := range frames {
		n += len(f)
	}
	return n
}

// TrySend sends one whole message or returns EAGAIN at once.
func (s *Socket) TrySend(frames [][]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	_, err := s.tryUntilParkable(capi.PollOut, func() error { return s.sendLocked(frames) })
	s.recheckIfWaitedLocked()
	return err
}

// sendLocked hands one message to libzmq: all frames, or none when the
// first frame is refused.
func (s *Socket) sendLocked(frames [][]byte) error {
	if len(frames) == 0 {
		return syscall.EINVAL
	}
	total := 0
	for _, f := range frames {
		total += len(f)
	}
	var err error
	if total <= stageLimit && len(frames) <= maxWords {
		err = s.sendStaged(frames, total)
	} else {
		err = s.sendDirect(frames)
	}
	if err == nil {
		s.stats.MsgsOut++
		s.stats.BytesOut += uint64(total)
	}
	return err
}

// stage appends one message's frames to buf and their words (see batch.h)
// to words.
func stage(buf []byte, words []uint64, frames [][]byte) ([]byte, []uint64) {
	for i, f := range frames {
		buf = append(buf, f...)
		w := uint64(len(f))
		if i < len(frames)-1 {
			w |= capi.More
		}
		words = append(words, w)
	}
	return buf, words
}

func (s *Socket) sendStaged(frames [][]byte, total int) error {
	if cap(s.stage) < total {
		// Grow at least twice over: messages that grow a little at a time
		// should not cost an allocation each.
		s.stage = make([]byte, 0, min(max(total, 2*cap(s.stage), 256), stageLimit))
	}
	buf, words := stage(s.stage[:0], s.stageWords[:0], frames)
	s.stageWords = words
	n, err := s.zs.Send(buf, words)
	if n == 0 || err == nil {
		return err
	}
	return s.midMessageLocked(err, words[n])
}

func (s *Socket) sendDirect(frames [][]byte) error {
	for i, f := range frames {
		w := []uint64{uint64(len(f))}
		if i < len(frames)-1 {
			w[0] |= capi.More
		}
		if i == 0 {
			if _, err := s.zs.Send(f, w); err != nil {
				return err
			}
			continue
		}
		if err := s.finish(f, w); err != nil {
			return err
		}
	}
	return nil
}

// finish sends the remaining frames of a message whose first frames libzmq
// accepted.
func (s *Socket) finish(data []byte, words []uint64) error {
	n, err := s.zs.Send(data, words)
	if err != nil {
		return s.midMessageLocked(err, words[n])
	}
	return nil
}

// midMessageLocked handles err, which stopped a message after its first
// frames went out; refused is the word of the frame libzmq refused.
//
// libzmq counts its high-water mark in whole messages, so it refuses a
// later frame (EAGAIN) only when the connection the message goes to has
// closed: the message is torn. It is never retried: nothing is left to
// take the rest but the next peer, which would get a tail it never saw
// begin (a PAIR keeps refusing until a new peer comes, then accepts).
//
// A load-balancing socket (PUSH, DEALER, REQ) that refused a frame with
// more to follow then drops frames until the end of the message, which
// would swallow the caller's next message: one empty final frame ends the
// torn one, and libzmq drops it with the rest.
func (s *Socket) midMessageLocked(err error, refused uint64) error {
	if err != capi.EAGAIN {
		return err
	}
	if refused&capi.More != 0 && loadBalanced(s.typ) {
		s.zs.Send(nil, []uint64{0})
	}
	return ErrTorn
}

// loadBalanced reports whether socket type typ sends through libzmq's
// load balancer: REQ, DEALER, PUSH.
func loadBalanced(typ engine.SocketType) bool {
	return typ == engine.REQ || typ == engine.DEALER || typ == engine.PUSH
}

// Recv receives one whole message, waiting until one arrives.
func (s *Socket) Recv(ctx context.Context) (Message, error) {
	var m Message
	err := s.wait(ctx, &s.recvQ, capi.PollIn, nil, func() error {
		var err error
		m, err = s.recvLocked()
		return err
	})
	return m, err
}

// RecvMany waits like Recv for a first message, then, under the same lock,
// also takes the messages already out of libzmq behind it, up to max in
// all. put receives each with its index. It returns how many it took.
func (s *Socket) RecvMany(ctx context.Context, max int, put func(int, Message)) (int, error) {
	n := 0
	err := s.wait(ctx, &s.recvQ, capi.PollIn, nil, func() error {
		m, err := s.recvLocked()
		if err != nil {
			return err
		}
		put(0, m)
		for n = 1; n < max && len(s.ready) > 0; n++ {
			m, _ = s.recvLocked() // cannot fail: the message is already here
			put(n, m)
		}
		return nil
	})
	return n, err
}

// TryRecv receives one whole message or returns EAGAIN at once.
func (s *Socket) TryRecv() (Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Message{}, ErrClosed
	}
	var m Message
	_, err := s.tryUntilParkable(capi.PollIn, func() (err error) {
		m, err = s.recvLocked()
		return err
	})
	s.recheckIfWaitedLocked()
	return m, err
}

// RecvInto receives like Recv and copies the message into dst, reusing
// dst.Frames and each frame's backing array wherever they are large
// enough. Messages taken out of libzmq for RecvInto stay in a pooled
// scratch buffer until copied, so a caller that reuses dst allocates
// nothing.
func (s *Socket) RecvInto(ctx context.Context, frames *[][]byte, meta *engine.Metadata) error {
	return s.wait(ctx, &s.recvQ, capi.PollIn, nil, func() error {
		m, err := s.nextLocked(true)
		if err != nil {
			return err
		}
		engine.CopyFrames(frames, m.Frames)
		*meta = m.Metadata
		s.consumeNextLocked()
		return nil
	})
}

// recvLocked takes the next message, with memory of its own.
func (s *Socket) recvLocked() (Message, error) {
	m, err := s.nextLocked(false)
	if err != nil {
		return Message{}, err
	}
	if s.held != nil {
		// It lives in the scratch buffer, which goes back to the pool.
		var own Message
		copyMessage(&own, m)
		m = own
	}
	s.consumeNextLocked()
	return m, nil
}

// nextLocked returns the next message, taking a batch out of libzmq first
// if none is ready (borrow: see fillLocked). It stays first in s.ready
// until consumeNextLocked.
func (s *Socket) nextLocked(borrow bool) (Message, error) {
	if len(s.ready) == 0 {
		if err := s.fillLocked(borrow); err != nil && len(s.ready) == 0 {
			return Message{}, err
		}
	}
	return s.ready[0], nil
}

// consumeNextLocked counts the first ready message as received and removes
// it. Once none is left, the scratch buffer they were held in goes back to
// the pool.
func (s *Socket) consumeNextLocked() {
	for _, f := range s.ready[0].Frames {
		s.stats.BytesIn += uint64(len(f))
	}
	s.stats.MsgsIn++
	s.ready[0] = Message{}
	s.ready = s.ready[1:]
	if len(s.ready) > 0 {
		return
	}
	s.ready = s.readyBuf[:0] // reuse the backing array
	if s.held != nil {
		s.dropHeldLocked()
	}
}

// copyMessage copies m into dst, reusing dst's frame table and each frame's
// backing array (up to the table's capacity) when large enough. Frames of
// dst are capped slices, so writing within them never reaches memory that
// another message shares.
func copyMessage(dst *Message, m Message) {
	engine.CopyFrames(&dst.Frames, m.Frames)
	dst.Metadata = m.Metadata
}

// fillLocked takes up to maxBatchMsgs whole messages out of libzmq in as few
// crossings as possible, but no more than fit the scratch buffer plus one
// larger message: whatever is taken out no longer counts against the
// receive high-water mark, so it must stay small in bytes too. With borrow,
// the first crossing's messages stay in a scratch buffer (s.held) until
// they are copied out; otherwise all bytes of one crossing share one
// allocation.
func (s *Socket) fillLocked(borrow bool) error {
	if s.readyBuf == nil {
		// Small at first: it grows (and stays grown) only on busy sockets.
		s.readyBuf = make([]Message, 0, 8)
		s.ready = s.readyBuf
	}
	for {
		// Only the first crossing borrows: a message continued by a later
		// one (more than 1,024 frames, or a frame that did not fit) must
		// not overwrite the frames already in the buffer. Otherwise the
		// scratch space is used during this crossing only, so sockets share
		// it through a pool: an idle socket holds none.
		held := borrow && s.held == nil
		sc := scratchPool.Get().(*scratch)
		if held {
			s.held = sc
		}
		limit := maxBatchMsgs - len(s.ready)
		if s.oneByOne {
			limit = 1
		}
		frames, _, big, err := s.zs.Recv(sc.arena, sc.words, limit, s.meta)
		s.takeFrames(sc, frames, big, held)
		if !held {
			scratchPool.Put(sc)
		}
		// A message is received whole under one lock: continue a message
		// that a full table or a large frame interrupted.
		if s.partial.Frames != nil && (err == nil || err == capi.EINTR) {
			continue
		}
		s.settleHeldLocked()
		return err
	}
}

// settleHeldLocked makes sure the borrowed scratch buffer is kept only
// while ready messages point into it.
func (s *Socket) settleHeldLocked() {
	if s.held == nil {
		return
	}
	if s.partial.Frames != nil {
		// Stopped inside a message (the socket failed): what is kept of it
		// must not point into the buffer.
		var own Message
		copyMessage(&own, s.partial)
		s.partial = own
	}
	if len(s.ready) == 0 {
		s.dropHeldLocked()
	}
}

// dropHeldLocked returns the borrowed scratch buffer to the pool.
func (s *Socket) dropHeldLocked() {
	clear(s.held.table)
	s.held.table = s.held.table[:0]
	scratchPool.Put(s.held)
	s.held = nil
}

// takeFrames turns the frames of one crossing into ready messages (and the
// start of a partial one). With held, frames point into sc, and a large
// frame that ends its message points into libzmq's own message: that stays
// until the next crossing, which fillLocked makes only to finish a partial
// message or once the ready messages are gone. Otherwise frames are copied
// into one allocation.
func (s *Socket) takeFrames(sc *scratch, frames int, big []byte, held bool) {
	if frames == 0 {
		return // nothing came (EAGAIN): nothing to allocate
	}
	used := 0
	nframes := 0
	for _, w := range sc.words[:frames] {
		used += int(w & capi.SizeMask)
		if w&(capi.MetaUser|capi.MetaPeer) == 0 {
			nframes++
		}
	}
	var data, bigData []byte
	var table [][]byte
	if held {
		data = sc.arena[:used]
		bigData = big
		if big != nil && sc.words[frames-1]&capi.More != 0 {
			// The message goes on in the next crossing, which releases
			// libzmq's message: copy the frame out now.
			bigData = bytes.Clone(big)
		}
		if sc.table == nil {
			sc.table = make([][]byte, 0, maxWords)
		}
		table = sc.table[:0]
	} else {
		table, data = engine.AllocFrames(nframes, used+len(big))
		copy(data, sc.arena[:used])
		bigData = data[used:]
		copy(bigData, big)
	}
	start, off := 0, 0
	for i, w := range sc.words[:frames] {
		var b []byte
		if big != nil && i == frames-1 {
			b = bigData[:len(bigData):len(bigData)]
		} else {
			size := int(w & capi.SizeMask)
			b = data[off : off+size : off+size]
			off += size
		}
		switch {
		case w&capi.MetaUser != 0:
			s.partial.UserID = intern(&s.lastUserID, b)
		case w&capi.MetaPeer != 0:
			s.partial.PeerAddress = intern(&s.lastPeerAddress, b)
		default:
			table = append(table, b)
			if w&capi.More != 0 {
				continue
			}
			m := s.partial
			if m.Frames == nil {
				m.Frames = table[start:len(table):len(table)]
			} else { // begun in an earlier crossing
				m.Frames = append(m.Frames, table[start:]...)
			}
			s.ready = append(s.ready, m)
			if cap(s.ready) > cap(s.readyBuf) {
				s.readyBuf = s.ready[:0]
			}
			s.partial = Message{}
			start = len(table)
		}
	}
	if start < len(table) {
		s.partial.Frames = append(s.partial.Frames, table[start:]...)
	}
	if held {
		sc.table = table
	}
}

// intern returns b as a string, reusing *last when equal: a connection's
// user id and address repeat message after message.
func intern(last *string, b []byte) string {
	if string(b) != *last {
		*last = string(b)
	}
	return *last
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
