//go:build cgo && unix

package libzmq

import (
	"bytes"
	"context"
	"time"

	"github.com/zmqx/zmq/internal/libzmq/capi"
)

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
				probe = w.audit.takeProbe()
			}
			leave()
			s.recheckIfWaitedLocked()
			s.mu.Unlock()
			reportProbe(probe)
			return err
		}
		w.woken = false
		w.audit.park()
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
