package gozmq

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"time"
)

// Reading a connection. One goroutine at a time holds a connection's read
// role, and with it what reading needs (connReader): the connection's
// reader goroutine, or a receiver.
//
// A receiver that finds nothing queued on a socket with a single
// connection reads that connection itself instead of waiting for the
// reader goroutine to hand it a message. The netpoller then wakes the
// receiver when a message arrives; a hand-off would wake the reader
// goroutine first, and the receiver after it, on another thread. So the
// reader goroutine lends the role whenever it has decoded all it read
// from such a connection, and waits. It takes the role back when a
// receiver's read fails (the connection then ends as always), when the
// connection stops being the socket's only one, when someone polls the
// socket (TryRecv, which cannot wait in a read), and when no receiver
// has held the role for the engine's reclaimAfter (1 ms): while nobody receives, the
// connection is read ahead, its PINGs answered and a lost peer noticed,
// as before.
//
// A receiver's read is cut short by a read deadline in the past
// (interrupt): when its context ends, when the socket closes, and when
// anything happens that would wake it if it were parked (waiter.reading).
// The decoder keeps what the cut read had read, for the next holder.

// defaultReclaimAfter is how long the role may stay lent with no
// receiver holding it before the reader goroutine takes it back.
const defaultReclaimAfter = time.Millisecond

type roleHolder uint8

const (
	heldByReader   roleHolder = iota
	lent                      // held by nobody: a receiver may take it
	heldByReceiver            // by a receiver, reading
)

// readRole says who holds a connection's read role.
type readRole struct {
	mu     sync.Mutex
	holder roleHolder
	// interrupted says the read deadline was moved to cut a receiver's
	// read short; the receiver puts it back.
	interrupted bool
	// ended says the connection's reading is over: the role goes back
	// to the reader goroutine for good.
	ended bool
	// err is why a receiver's read failed, for the reader goroutine.
	err error
	// deadline is the read deadline the connection itself wants (the
	// TTL of a peer's heartbeat), zero for none.
	deadline time.Time
	back     chan struct{} // to the reader goroutine: the role may be back
	reclaim  *time.Timer   // made by the first lend
}

// longAgo is a read deadline that has passed.
var longAgo = time.Unix(1, 0)

// mayLend reports whether receivers may read the connection themselves.
func (c *conn) mayLend() bool {
	return c.s.solo.Load() == c.p && !c.s.polled.Load()
}

// lend lets receivers read the connection, and waits until the role is
// back. It returns why a receiver's read failed, if one did, or
// net.ErrClosed if the connection ended meanwhile.
func (c *conn) lend() error {
	r := &c.role
	if r.reclaim == nil {
		r.reclaim = time.AfterFunc(c.s.eng.reclaimAfter, c.reclaimRole)
	} else {
		r.reclaim.Reset(c.s.eng.reclaimAfter)
	}
	r.mu.Lock()
	r.holder = lent
	r.mu.Unlock()
	c.s.recvD.signal() // a receiver waiting now may read
	for {
		select {
		case <-r.back:
		case <-c.done:
			c.endReading()
			return net.ErrClosed
		}
		r.mu.Lock()
		h, err := r.holder, r.err
		r.err = nil
		r.mu.Unlock()
		if h == heldByReader {
			return err
		}
	}
}

// reclaimRole gives a lent role back to the reader goroutine.
func (c *conn) reclaimRole() {
	r := &c.role
	r.mu.Lock()
	back := r.holder == lent
	if back {
		r.holder = heldByReader
	}
	r.mu.Unlock()
	if back {
		signalChan(r.back)
	}
}

// endReading takes the role back for good once the connection is closed,
// waiting for a receiver that holds it to let go (its read fails now).
func (c *conn) endReading() {
	r := &c.role
	r.mu.Lock()
	r.ended = true
	if r.holder == lent {
		r.holder = heldByReader
	}
	for r.holder != heldByReader {
		r.mu.Unlock()
		<-r.back
		r.mu.Lock()
	}
	r.mu.Unlock()
	if r.reclaim != nil {
		r.reclaim.Stop()
	}
}

// take gives a receiver the role if it is lent.
func (c *conn) take() bool {
	r := &c.role
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.holder != lent {
		return false
	}
	r.holder = heldByReceiver
	return true
}

// release gives back the role a receiver took: lent again, or to the
// reader goroutine when the read failed or receivers may no longer read.
// err is what the read returned.
func (c *conn) release(err error) {
	r := &c.role
	r.mu.Lock()
	if r.interrupted {
		r.interrupted = false
		c.nc.SetReadDeadline(r.deadline)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = nil // cut short on purpose, not failed
		}
	}
	back := err != nil || r.ended || !c.mayLend()
	if back {
		r.holder, r.err = heldByReader, err
	} else {
		r.holder = lent
	}
	r.mu.Unlock()
	if back {
		signalChan(r.back)
	} else {
		r.reclaim.Reset(c.s.eng.reclaimAfter)
	}
}

// interrupt cuts short the read of a receiver holding the role.
func (c *conn) interrupt() {
	r := &c.role
	r.mu.Lock()
	if r.holder == heldByReceiver && !r.interrupted {
		r.interrupted = true
		c.nc.SetReadDeadline(longAgo)
	}
	r.mu.Unlock()
}

// setReadDeadline sets the read deadline the connection wants, leaving
// an interrupt's in place until its receiver puts this one back.
func (c *conn) setReadDeadline(t time.Time) {
	r := &c.role
	r.mu.Lock()
	r.deadline = t
	if !r.interrupted {
		c.nc.SetReadDeadline(t)
	}
	r.mu.Unlock()
}

// soloConn returns the connection a receiver may read itself: the
// socket's only one, if it has a single pipe and that is a connection's.
func (s *Socket) soloConn() *conn {
	if p := s.solo.Load(); p != nil {
		return p.conn.Load()
	}
	return nil
}

// updateSoloLocked notes whether the socket has a single pipe, after a
// pipe came or went; a connection that stops being the only one gets its
// role back at once.
func (s *Socket) updateSoloLocked() {
	var only *pipe
	if len(s.pipes) == 1 {
		for p := range s.pipes {
			only = p
		}
	}
	if old := s.solo.Swap(only); old != nil && old != only {
		if c := old.conn.Load(); c != nil {
			c.reclaimRole()
		}
	}
}

// markPolled records that the socket is polled with TryRecv: from now on
// its connection is read ahead by its reader goroutine only.
func (s *Socket) markPolled() {
	if s.polled.Load() {
		return
	}
	s.polled.Store(true)
	if c := s.soloConn(); c != nil {
		c.reclaimRole()
	}
}

// parkRecv waits like direction.park for a receiver. Where the socket's
// only connection is lent to receivers, it reads the connection itself
// meanwhile.
func (s *Socket) parkRecv(ctx context.Context, w *waiter, gen uint64) (bool, error) {
	if c := s.soloConn(); c != nil && c.take() {
		return c.receive(ctx, w, gen)
	}
	return s.recvD.park(ctx, w, gen, s.closing)
}

// receive reads the connection for w, whose receiver took the role,
// until it has queued messages or is cut short, and gives the role back.
// Like direction.park, it reports whether w was woken, or why the
// receive ends: the context's error, or ErrClosed.
func (c *conn) receive(ctx context.Context, w *waiter, gen uint64) (bool, error) {
	s := c.s
	woken, reading := s.recvD.startReading(w, gen, c)
	var err error
	if reading {
		if s.watchCtx(ctx, c) {
			select {
			case <-s.closing: // Close may have looked for readers before this one
			default:
				err = c.rd.next()
			}
		}
		s.watchCtx(nil, nil)
		s.recvD.stopReading(w)
	}
	c.queueRead()
	c.release(err)
	select {
	case <-s.closing:
		return false, errClosed
	default:
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	return woken, nil
}

// ctxWatch cuts short the read of a receiver whose context ends. One
// registration with the context is kept across receives: callers usually
// pass the same context call after call, and registering each time would
// cost allocations on every receive.
type ctxWatch struct {
	mu        sync.Mutex
	watched   <-chan struct{} // the Done channel registered with
	stop      func() bool
	reading   *conn           // the connection a receiver reads, if any
	readingBy <-chan struct{} // and the Done channel of its context
}

// watchCtx records that a receiver with context ctx is about to read c,
// or that it stopped reading (nil, nil). It reports whether the receiver
// may read: false if ctx has ended already. The registration kept from
// an earlier receive may have fired while nobody read, so only a check
// made after the receiver is recorded tells that no interrupt will come.
func (s *Socket) watchCtx(ctx context.Context, c *conn) bool {
	cw := &s.ctxWatch
	cw.mu.Lock()
	defer cw.mu.Unlock()
	cw.reading, cw.readingBy = nil, nil
	if ctx == nil {
		return false
	}
	done := ctx.Done()
	if done == nil {
		return true // it never ends
	}
	cw.reading, cw.readingBy = c, done
	if done != cw.watched {
		if cw.stop != nil {
			cw.stop()
		}
		cw.watched = done
		cw.stop = context.AfterFunc(ctx, func() {
			cw.mu.Lock()
			if cw.readingBy == done {
				cw.reading.interrupt()
			}
			cw.mu.Unlock()
		})
	}
	// The context closes done before it runs what is registered with it,
	// and that waits for cw.mu: either done is closed now, or the
	// registration interrupts the read this receiver is about to begin.
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// stopWatchingCtx drops the registration with a receiver's context.
func (s *Socket) stopWatchingCtx() {
	cw := &s.ctxWatch
	cw.mu.Lock()
	if cw.stop != nil {
		cw.stop()
		cw.stop, cw.watched = nil, nil
	}
	cw.mu.Unlock()
}

// queueRead moves the messages a receiver read into the inbound queue, as
// many as it takes: the rest wait for the next holder of the role, as a
// receiver cannot wait for room.
func (c *conn) queueRead() {
	r := c.rd
	if len(r.ready) == 0 {
		return
	}
	n, res := c.p.in.pushMany(r.ready)
	if res == pushClosed {
		for _, m := range r.ready {
			m.release()
		}
		n = len(r.ready)
	}
	rest := copy(r.ready, r.ready[n:])
	clear(r.ready[rest:])
	r.ready = r.ready[:rest]
}
