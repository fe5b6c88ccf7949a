package gozmq

import (
	"net"
	"time"

	"github.com/zmqx/zmq/internal/engine"
	"github.com/zmqx/zmq/internal/zmtp"
)

// Writing to a connection. One goroutine at a time holds the connection's
// write role (conn.writing) and with it the batch and the encoder: the
// writer goroutine, or a sender writing speculatively.
//
// A sender whose message finds the outbound queue empty and the
// connection idle writes it itself, without blocking (speculate): a
// request then leaves without waiting for the writer goroutine to be
// scheduled. Only an idle connection is written to this way; a sender
// that keeps a connection busy hands every message to the writer
// goroutine, which sends whatever has queued meanwhile in one write, so a
// stream of sends never costs a system call per message.

// idleBeforeSpeculating is how long a connection's outbound queue must
// have gone without a send finding it empty before a sender writes to it
// itself. Sends that close together are a stream, which the writer
// goroutine batches. The time between sends tells a stream from a
// request and its reply better than the time since a write: on loopback
// a write can take tens of microseconds, long enough for the reply to
// come back before it returns.
const idleBeforeSpeculating = 20 * time.Microsecond

// clock is the monotonic time of the process, for the idle test.
var clockBase = time.Now()

func monotonic() int64 { return int64(time.Since(clockBase)) }

// kick runs when the outbound queue goes from empty to not empty, in the
// goroutine that queued, which holds the socket lock. A sender
// (Socket.speculating) takes the connection along, to write to it once
// the lock is released; anyone else wakes the writer goroutine.
func (c *conn) kick() {
	s := c.s
	if s.speculating && len(s.kicked) < cap(s.kicked) {
		s.kicked = append(s.kicked, c)
		return
	}
	signalChan(c.wake)
}

// speculate writes what the outbound queue holds, now, from the calling
// sender, if the connection is idle and a write can be made without
// blocking; whatever it cannot write, the writer goroutine does.
func (c *conn) speculate() {
	now := monotonic()
	if c.raw == nil || now-c.lastKick.Swap(now) < int64(idleBeforeSpeculating) ||
		!c.writing.CompareAndSwap(false, true) {
		signalChan(c.wake)
		return
	}
	b := &c.b
	if b.pending {
		c.writing.Store(false)
		signalChan(c.wake)
		return
	}
	first, n := c.p.out.peek(maxBatch, b.add)
	if n == 0 && b.empty() {
		c.releaseSpeculation() // another writer took it
		return
	}
	written := 0
	var err error
	if b.err == nil && len(b.refs) == 0 {
		written, err = c.raw.writeNow(b.buf)
	}
	if b.err == nil && err == nil && len(b.refs) == 0 && written == len(b.buf) {
		c.p.out.discard(first, n)
		b.written()
		c.releaseSpeculation()
		return
	}
	// The writer goroutine sends the rest and fails on any error.
	b.first, b.n, b.off, b.pending = first, n, written, true
	c.writing.Store(false)
	signalChan(c.wake)
}

// releaseSpeculation gives the write role back after a speculative write
// and wakes the writer goroutine if it has work: messages queued
// meanwhile, or control frames it could not send while the role was
// taken (it sets ctl before it tries to take the role, so one of the two
// sees the other).
func (c *conn) releaseSpeculation() {
	c.writing.Store(false)
	if c.ctl.Load() || c.p.out.len() > 0 {
		signalChan(c.wake)
	}
}

// lookAgain is always ready: the writer waits on it instead of its wake
// channel when it may have more to write.
var lookAgain = func() chan struct{} { ch := make(chan struct{}); close(ch); return ch }()

// write drains the outbound queue in batches, one write each, and sends
// heartbeats; once the socket closes it stops when the queue is empty or
// the linger period ends.
func (c *conn) write() {
	defer c.close()
	s := c.s
	s.mu.Lock()
	hb := newHeartbeat(s.opts.int(engine.OptHeartbeatIvl), s.opts.int(engine.OptHeartbeatTTL), s.opts.int(engine.OptHeartbeatTimeout))
	s.mu.Unlock()
	defer hb.stop()
	closing := s.closing
	ping := false
	for {
		n := 0
		if c.writing.CompareAndSwap(false, true) {
			var ok bool
			n, ok = c.writeBatch(hb, ping)
			c.writing.Store(false)
			if !ok {
				return
			}
			ping = false
		}
		if closing == nil || c.isClosing() {
			closing = nil
			if c.p.out.len() == 0 || c.lingerOver() {
				return
			}
		}
		wake := c.wake
		if n > 0 {
			// More may be queued: look again at once, but let a due
			// heartbeat in, so steady traffic cannot starve it.
			wake = lookAgain
		}
		select {
		case <-wake:
		case <-c.done:
			return
		case <-closing:
		case <-s.lingerStop:
			if c.isClosing() {
				return
			}
		case <-hb.tick:
			ping = true
			c.ctl.Store(true)
		case <-hb.timeout:
			if !hb.heard(c.lastRecv.Load()) {
				return // nothing heard since the PING: the peer is gone
			}
		}
	}
}

// writeBatch, holding the write role, finishes what a speculative write
// left, then writes the PONGs owed, a PING if one is due, and a batch of
// queued messages, blocking until all is written. It returns how many
// messages it wrote; false means the connection failed.
func (c *conn) writeBatch(hb *heartbeat, ping bool) (int, bool) {
	b := &c.b
	if b.pending {
		if b.err != nil || b.writeTo(c.nc) != nil {
			return 0, false
		}
		c.p.out.discard(b.first, b.n)
		b.written()
	}
	c.ctl.Store(false)
	c.ctlMu.Lock()
	pongs := c.pongs
	c.pongs = nil
	c.ctlMu.Unlock()
	for _, ctx := range pongs {
		if b.err == nil {
			b.buf, b.err = b.enc.AppendPong(b.buf, ctx)
		}
	}
	if ping && b.err == nil {
		b.buf, b.err = b.enc.AppendPing(b.buf, hb.ttl, nil)
	}
	first, n := c.p.out.peek(maxBatch, b.add)
	if b.err != nil {
		return 0, false
	}
	if b.empty() {
		return 0, true
	}
	err := b.writeTo(c.nc)
	if err != nil {
		return 0, false
	}
	if ping {
		hb.sent()
	}
	c.p.out.discard(first, n)
	b.written()
	return n, true
}

func (c *conn) isClosing() bool {
	select {
	case <-c.s.closing:
		return true
	default:
		return false
	}
}

func (c *conn) lingerOver() bool {
	select {
	case <-c.s.lingerStop:
		return true
	default:
		return false
	}
}

// batch is what one write sends: frames copied into buf, and large
// bodies by reference (writev) between its pieces; with the pooled memory
// of the messages, returned once they are written.
type batch struct {
	enc   *zmtp.Encoder
	buf   []byte
	refs  []bodyRef
	bufs  net.Buffers // scratch of writeTo
	wb    net.Buffers // what of bufs is left to write
	bytes int         // message bytes in the batch
	backs []*backing  // to release once written
	slabs []*msgSlab  // to give back once written, one per message
	err   error       // the first encoding error

	// A batch a speculative write began: off octets of it are written;
	// the n messages from sequence number first are to be discarded from
	// the queue once the rest is.
	pending bool
	off     int
	first   uint64
	n       int
}

// bodyRef is a body sent from where it is, after buf[:at].
type bodyRef struct {
	at   int
	body []byte
}

// add encodes m into the batch; false once the batch is full or broken.
// It is the callback of queue.peek.
func (b *batch) add(m *msg) bool {
	if b.err != nil {
		return false
	}
	if m.sub {
		body := m.frames[0]
		b.buf, b.err = b.enc.AppendSubscription(b.buf, body[1:], body[0] == 1)
	} else {
		last := len(m.frames) - 1
		for i, f := range m.frames {
			if len(f) >= byReference {
				if b.buf, b.err = b.enc.AppendHeader(b.buf, len(f), i < last); b.err == nil {
					b.refs = append(b.refs, bodyRef{at: len(b.buf), body: f})
					continue
				}
			}
			if b.buf, b.err = b.enc.AppendFrame(b.buf, f, i < last); b.err != nil {
				break
			}
		}
	}
	if b.err != nil {
		return false
	}
	switch {
	case m.slab != nil:
		b.slabs = append(b.slabs, m.slab)
	case m.backing != nil && !m.shared:
		b.backs = append(b.backs, m.backing)
	}
	b.bytes += m.size()
	return b.bytes < batchBytes
}

func (b *batch) empty() bool { return len(b.buf) == 0 && len(b.refs) == 0 }

// writeTo writes the batch from octet off on, in one write or writev.
func (b *batch) writeTo(w net.Conn) error {
	if len(b.refs) == 0 {
		_, err := w.Write(b.buf[b.off:])
		return err
	}
	prev := 0
	for _, r := range b.refs {
		if r.at > prev {
			b.bufs = append(b.bufs, b.buf[prev:r.at])
		}
		b.bufs = append(b.bufs, r.body)
		prev = r.at
	}
	if prev < len(b.buf) {
		b.bufs = append(b.bufs, b.buf[prev:])
	}
	// WriteTo consumes the slice it is called on: a field of the batch,
	// not a local that would escape.
	b.wb = b.bufs
	for skip := b.off; skip > 0; {
		if len(b.wb[0]) > skip {
			b.wb[0] = b.wb[0][skip:]
			break
		}
		skip -= len(b.wb[0])
		b.wb = b.wb[1:]
	}
	_, err := b.wb.WriteTo(w)
	b.wb = nil
	clear(b.bufs)
	b.bufs = b.bufs[:0]
	return err
}

// written empties the batch once it is written, returning the messages'
// memory to the pool.
func (b *batch) written() {
	for _, bk := range b.backs {
		bk.release()
	}
	clear(b.backs)
	b.backs = b.backs[:0]
	for _, sl := range b.slabs {
		sl.release()
	}
	clear(b.slabs)
	b.slabs = b.slabs[:0]
	clear(b.refs) // let written bodies go
	b.refs = b.refs[:0]
	b.buf = b.buf[:0]
	if cap(b.buf) > 4*batchBytes {
		b.buf = make([]byte, 0, 4096)
	}
	b.bytes = 0
	b.pending, b.off, b.first, b.n = false, 0, 0, 0
}
