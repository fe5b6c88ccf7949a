package gozmq

import (
	"context"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/zmqx/zmq/internal/engine"
)

// waiter is one goroutine waiting for its turn in one direction. ch has
// capacity 1: a wake is never lost and never blocks the waker.
type waiter struct {
	ch         chan struct{}
	prev, next *waiter
	woken      bool   // guarded by the direction's lock
	key        []byte // what it waits for, where that matters (a ROUTER peer's id)
	keyBuf     []byte // key's memory, kept across reuses of the waiter
	// reading is the connection it reads instead of parking, if any
	// (readrole.go): waking it cuts that read short. Guarded by the
	// direction's lock.
	reading *conn
}

// direction is the waiting side of one direction (send or receive) of a
// socket: a FIFO of waiters and a generation counter.
//
// No wake-up is lost: the generation is read before an attempt and
// compared, under the direction's lock, before parking. Anything that may
// let an attempt succeed (a message arriving, room appearing, a pipe
// attached or gone) changes the state first and then calls signal, which
// bumps the generation and wakes the head. So an attempt that missed the
// change sees a new generation and tries again instead of parking.
//
// A socket may signal another socket's direction while holding its own
// socket lock. Nothing is locked under the direction's lock but, to wake
// a receiver that reads a connection itself, that connection's read role
// (readrole.go), a leaf.
type direction struct {
	mu         sync.Mutex
	gen        atomic.Uint64
	head, tail *waiter
	// n counts the waiters; written under mu, read without it by a
	// caller that never waited, to skip the lock when nobody waits.
	n     atomic.Int32
	free  *waiter // spare waiters, linked through next
	nfree int
}

const maxSpareWaiters = 16

// signal records a change that may let the head proceed, and wakes it.
func (d *direction) signal() {
	d.mu.Lock()
	d.gen.Add(1)
	d.wakeHeadLocked()
	d.mu.Unlock()
}

func (d *direction) wakeHeadLocked() {
	if d.head != nil {
		d.wakeLocked(d.head)
	}
}

func (d *direction) join(key []byte) *waiter {
	d.mu.Lock()
	defer d.mu.Unlock()
	w := d.pushLocked()
	if key != nil {
		// A copy: the caller's key lives in the message, whose memory its
		// reader may recycle once it is sent.
		w.keyBuf = append(w.keyBuf[:0], key...)
		w.key = w.keyBuf
	}
	return w
}

// waitsAhead reports whether a waiter queued before w (before the end,
// for w nil) waits for key: a send to the same ROUTER peer must not
// overtake it.
func (d *direction) waitsAhead(key []byte, w *waiter) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for x := d.head; x != nil && x != w; x = x.next {
		if string(x.key) == string(key) {
			return true
		}
	}
	return false
}

func (d *direction) pushLocked() *waiter {
	w := d.free
	if w != nil {
		d.free = w.next
		d.nfree--
		*w = waiter{ch: w.ch, keyBuf: w.keyBuf}
		select { // a stale wake from its previous use
		case <-w.ch:
		default:
		}
	} else {
		w = &waiter{ch: make(chan struct{}, 1)}
	}
	if d.tail == nil {
		d.head, d.tail = w, w
	} else {
		w.prev = d.tail
		d.tail.next = w
		d.tail = w
	}
	d.n.Add(1)
	return w
}

// leave removes w and wakes the head, which may be able to proceed now
// that w is gone or has taken what it wanted; if w was woken and leaves
// without using its turn, the waiter behind it gets one too.
func (d *direction) leave(w *waiter) {
	if w == nil && d.n.Load() == 0 {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if w == nil {
		if d.n.Load() > 0 {
			d.wakeHeadLocked()
		}
		return
	}
	if w.woken && w.next != nil {
		d.wakeLocked(w.next)
	}
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		d.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		d.tail = w.prev
	}
	d.n.Add(-1)
	w.prev = nil
	if d.nfree < maxSpareWaiters {
		w.next = d.free
		d.free = w
		d.nfree++
	} else {
		w.next = nil
	}
	d.wakeHeadLocked()
}

// passOn gives the waiter behind w a turn: w was woken but still cannot
// proceed, and what woke it may serve another (a ROUTER's full peer has
// waiters that an other peer's room does not help).
func (d *direction) passOn(w *waiter) {
	d.mu.Lock()
	if w.next != nil {
		d.wakeLocked(w.next)
	}
	d.mu.Unlock()
}

func (d *direction) wakeLocked(w *waiter) {
	if !w.woken {
		w.woken = true
		select {
		case w.ch <- struct{}{}:
		default:
		}
		if w.reading != nil {
			w.reading.interrupt()
		}
	}
}

// startReading lets w read connection c instead of parking, unless w was
// woken (which it takes, as park does) or the generation moved past gen
// since the caller read it: then it reports whether w was woken, and
// false.
func (d *direction) startReading(w *waiter, gen uint64, c *conn) (woken, reading bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if w.woken {
		w.woken = false
		return true, false
	}
	if d.gen.Load() != gen {
		return false, false
	}
	w.reading = c
	return false, true
}

// stopReading ends what startReading began. A wake meanwhile stays
// recorded in w.woken.
func (d *direction) stopReading(w *waiter) {
	d.mu.Lock()
	w.reading = nil
	d.mu.Unlock()
}

// park blocks w until it is woken, unless the generation moved past gen
// (or w was woken) since the caller read it. It reports whether w was
// woken (rather than seeing a change itself), or returns the context's
// error if ctx ended, ErrClosed if closing was closed.
func (d *direction) park(ctx context.Context, w *waiter, gen uint64, closing <-chan struct{}) (bool, error) {
	d.mu.Lock()
	if w.woken {
		w.woken = false
		d.mu.Unlock()
		return true, nil
	}
	if d.gen.Load() != gen {
		d.mu.Unlock()
		return false, nil
	}
	d.mu.Unlock()
	select {
	case <-w.ch:
	case <-closing:
		return false, errClosed
	case <-ctx.Done():
		return false, ctx.Err()
	}
	d.mu.Lock()
	w.woken = false
	d.mu.Unlock()
	return true, nil
}

// wait runs try under the socket lock until it succeeds or fails with
// something other than EAGAIN, ctx ends, or the socket closes.
//
// Everybody tries first, newcomers too: those already waiting may wait
// for something this caller does not need (a full ROUTER peer, while this
// send goes to another). Waiters queue in arrival order and only the head
// is woken by a change. Where whether a send can proceed depends on the
// message (sendDependsOnMessage), a waiter woken in vain passes the turn
// to the one behind it, so that a change that serves only a later waiter
// reaches it. Elsewhere a failed attempt means nobody behind could
// proceed either, and the head keeps its turn: receivers and
// load-balanced senders are served in arrival order. Sends with the same
// key (a ROUTER peer's id) never overtake one another.
func (s *Socket) wait(ctx context.Context, d *direction, key []byte, try func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var w *waiter
	woken := false
	for {
		gen := d.gen.Load()
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			d.leave(w)
			return errClosed
		}
		s.reapLocked()
		var err error = errAgain
		if key == nil || !d.waitsAhead(key, w) {
			s.beginKicks()
			err = try()
			kicks := s.endKicks()
			s.mu.Unlock()
			kicks.speculate()
		} else {
			s.mu.Unlock()
		}
		if err != syscall.EAGAIN {
			d.leave(w)
			return err
		}
		if w == nil {
			w = d.join(key)
			if d == &s.sendD {
				s.sendWaits.Add(1)
			}
		} else if woken && d == &s.sendD && sendDependsOnMessage(s.typ) {
			d.passOn(w)
		}
		if d == &s.recvD {
			woken, err = s.parkRecv(ctx, w, gen)
		} else {
			woken, err = d.park(ctx, w, gen, s.closing)
		}
		if err != nil {
			d.leave(w)
			return err
		}
	}
}

// sendDependsOnMessage reports whether a send on a socket of type t may
// fail for one message and succeed for another at the same moment: the
// peers of a ROUTER or a STREAM fill up separately, and so do the
// subscribers an XPUB with XPUB_NODROP waits for.
func sendDependsOnMessage(t engine.SocketType) bool {
	return t == engine.ROUTER || t == engine.STREAM || t == engine.XPUB || t == engine.PUB
}
