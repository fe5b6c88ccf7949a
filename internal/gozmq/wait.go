package gozmq

import (
	"context"
	"sync"
	"sync/atomic"
	"syscall"
)

// waiter is one goroutine waiting for its turn in one direction. ch has
// capacity 1: a wake is never lost and never blocks the waker.
type waiter struct {
	ch         chan struct{}
	prev, next *waiter
	woken      bool // guarded by the direction's lock
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
// The lock is a leaf: a socket may signal another socket's direction while
// holding its own socket lock, and nothing is locked under it.
type direction struct {
	mu         sync.Mutex
	gen        atomic.Uint64
	head, tail *waiter
	n          int
	free       *waiter // spare waiters, linked through next
	nfree      int
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
	if h := d.head; h != nil && !h.woken {
		h.woken = true
		select {
		case h.ch <- struct{}{}:
		default:
		}
	}
}

// join queues a new waiter behind the others if there are any, else
// returns nil: the caller may try at once.
func (d *direction) joinIfBusy() *waiter {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.n == 0 {
		return nil
	}
	return d.pushLocked()
}

func (d *direction) join() *waiter {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.pushLocked()
}

func (d *direction) pushLocked() *waiter {
	w := d.free
	if w != nil {
		d.free = w.next
		d.nfree--
		*w = waiter{ch: w.ch}
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
	d.n++
	return w
}

// leave removes w and passes the turn on to the next waiter, which may
// be able to proceed now that w is gone (or has taken what it wanted).
func (d *direction) leave(w *waiter) {
	if w == nil {
		d.mu.Lock()
		if d.n > 0 {
			d.wakeHeadLocked()
		}
		d.mu.Unlock()
		return
	}
	d.mu.Lock()
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
	d.n--
	w.prev = nil
	if d.nfree < maxSpareWaiters {
		w.next = d.free
		d.free = w
		d.nfree++
	} else {
		w.next = nil
	}
	d.wakeHeadLocked()
	d.mu.Unlock()
}

// park blocks w until it is woken, unless the generation moved past gen
// (or w was woken) since the caller read it. It returns the context's
// error if ctx ended, ErrClosed if closing was closed.
func (d *direction) park(ctx context.Context, w *waiter, gen uint64, tried bool, closing <-chan struct{}) error {
	d.mu.Lock()
	if w.woken || (tried && d.gen.Load() != gen) {
		w.woken = false
		d.mu.Unlock()
		return nil
	}
	d.mu.Unlock()
	select {
	case <-w.ch:
	case <-closing:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	d.mu.Lock()
	w.woken = false
	d.mu.Unlock()
	return nil
}

// wait runs try under the socket lock until it succeeds or fails with
// something other than EAGAIN, ctx ends, or the socket closes. Waiters are
// served in arrival order: a newcomer lines up behind earlier waiters
// without trying.
func (s *Socket) wait(ctx context.Context, d *direction, try func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w := d.joinIfBusy()
	queued := w != nil // behind earlier waiters: wait for the turn first
	var gen uint64
	for {
		if !queued {
			gen = d.gen.Load()
			s.mu.Lock()
			if s.closed {
				s.mu.Unlock()
				d.leave(w)
				return errClosed
			}
			s.reapLocked()
			err := try()
			s.mu.Unlock()
			if err != syscall.EAGAIN {
				d.leave(w)
				return err
			}
			if w == nil {
				w = d.join()
				if d == &s.sendD {
					s.sendWaits.Add(1)
				}
			}
		}
		if err := d.park(ctx, w, gen, !queued, s.closing); err != nil {
			d.leave(w)
			return err
		}
		queued = false
	}
}
