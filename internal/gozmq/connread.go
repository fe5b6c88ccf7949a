package gozmq

import (
	"time"

	"github.com/zmqx/zmq/internal/engine"
	"github.com/zmqx/zmq/internal/zmtp"
)

// connReader is what reading a connection needs between reads: the
// decoder, a message whose frames are still arriving, and whole messages
// not delivered yet. Only the holder of the connection's read role
// (readrole.go) uses it.
type connReader struct {
	c     *conn
	dec   *zmtp.Decoder
	hbOn  bool     // heartbeats: note when each frame arrives
	meta  *msgMeta // what every message carries, if the socket asks
	isPub bool     // subscriptions become messages
	parts multipart
	slab  keptSlab // memory of small messages for Recv
	// ready is the whole messages decoded and not yet queued, in order.
	// Messages go into the queue in groups: one hold of its lock and at
	// most one wake-up of the receiver per read.
	ready []msg
}

func newConnReader(c *conn) *connReader {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	r := &connReader{
		c:     c,
		dec:   c.sess.Decoder,
		hbOn:  s.opts.int(engine.OptHeartbeatIvl) > 0,
		isPub: s.typ == engine.PUB || s.typ == engine.XPUB,
	}
	if s.opts.bool(engine.OptMessageMetadata) {
		r.meta = &msgMeta{userID: c.sess.UserID, peerAddr: c.peerAddr, props: sessionProperties(c.sess)}
	}
	return r
}

// read moves messages from the connection to the pipe's inbound queue
// until the connection ends, waiting while the queue is full (the peer
// then waits in TCP). Where a receiver may read the connection itself, it
// lends it the read role whenever it has nothing left to decode.
func (c *conn) read() error {
	r := c.rd
	for {
		var err error
		if len(r.ready) == 0 && !r.dec.FrameBuffered() && c.mayLend() {
			err = c.lend()
		}
		// Whether or not receivers read meanwhile, the reader reads once
		// before it lends again: the role came back because nobody
		// wanted it.
		if err == nil && len(r.ready) == 0 {
			err = r.next()
		}
		delivered := len(r.ready) == 0 || c.deliverAll(r.ready)
		clear(r.ready)
		r.ready = r.ready[:0]
		if err != nil {
			return err
		}
		if !delivered {
			return nil // the connection or the socket ended
		}
	}
}

// next decodes frames until it has whole messages to deliver (up to
// maxBatch, or as many as arrived together) or an error. A message's
// bytes go into memory that suits how the socket receives: for Recv,
// memory of its own that the caller keeps; for RecvInto, pooled memory
// (backing.go) that goes back once copied out. A body larger than the
// decoder's buffer, read straight into its own slice, is kept as it is.
// A read cut short by its deadline leaves everything as it was, for the
// next call to go on.
func (r *connReader) next() error {
	c, dec := r.c, r.dec
	// How the receiver takes messages (Socket.setKeeps), read once per
	// delivery rather than per message: the receiver writes the cache
	// line it shares with the socket's counters on every receive.
	keeps := c.s.recvKeeps.Load()
	for len(r.ready) == 0 || len(r.ready) < maxBatch && dec.FrameBuffered() {
		f, err := dec.Next()
		if err != nil {
			return err
		}
		pooled, own := c.large.take() // where f.Body lives
		if r.hbOn {
			c.lastRecv.Store(time.Now().UnixNano())
		}
		if c.ttlArmed {
			c.ttlArmed = false
			c.setReadDeadline(time.Time{})
		}
		if f.Command {
			if r.parts.started() {
				continue // a command between frames of a message: ignored
			}
			m, ok, err := c.command(f, r.isPub)
			pooled.release() // what a command keeps, it copied
			if err != nil {
				return err
			}
			if ok {
				r.ready = append(r.ready, m)
			}
			continue
		}
		var m msg
		switch {
		case f.More || r.parts.started():
			// A body of its own stays where it is: pooled memory then
			// belongs to the message for good, and the pool forgets it.
			r.parts.add(f.Body, own)
			if f.More {
				continue
			}
			m = r.parts.take(&r.slab, &c.carver, keeps)
		default:
			m = single(f.Body, pooled, own, &r.slab, &c.carver, keeps)
		}
		m.meta = r.meta
		r.ready = append(r.ready, m)
	}
	return nil
}

// single makes a message of one frame, in memory for its receiver to
// keep (from slab when small), or to copy out and give back (from carver
// when small, else pooled). own says body is a slice of its
// own rather than the decoder's buffer, pooled its memory if pooled.
func single(body []byte, pooled *backing, own bool, slab *keptSlab, carver *slabCarver, keep bool) msg {
	if pooled != nil {
		pooled.frames[0] = body
		return msg{frames: pooled.frames, backing: pooled}
	}
	if own {
		return msg{frames: [][]byte{body}}
	}
	if keep {
		table, data := slab.alloc(1, len(body))
		copy(data, body)
		return msg{frames: append(table, data)}
	}
	if table, data, rs, ok := carver.carve(1, len(body)); ok {
		copy(data, body)
		return msg{frames: append(table, data), slab: rs}
	}
	b := getBacking(len(body), 1)
	copy(b.data, body)
	b.frames[0] = b.data[:len(body):len(body)]
	return msg{frames: b.frames, backing: b}
}

// multipart gathers the frames of a message of several: small bodies are
// copied into a reused buffer, then into one pooled backing when the
// message is whole.
type multipart struct {
	buf   []byte
	parts []part
}

// part is one frame of a multipart: buf[off:off+n], or its own slice.
type part struct {
	off, n int
	own    []byte
}

// maxKeptPartsBuf bounds the buffer a multipart keeps between messages.
const maxKeptPartsBuf = 1 << 20

func (mp *multipart) started() bool { return len(mp.parts) > 0 }

// add appends a frame; a body of its own (own) is kept as it is, one in
// the decoder's buffer is copied.
func (mp *multipart) add(body []byte, own bool) {
	if own {
		mp.parts = append(mp.parts, part{own: body})
		return
	}
	mp.parts = append(mp.parts, part{off: len(mp.buf), n: len(body)})
	mp.buf = append(mp.buf, body...)
}

// take returns the whole message, in memory for its receiver to keep
// (from slab when small), or to copy out and give back (from carver when
// small, else pooled), and starts the next.
func (mp *multipart) take(slab *keptSlab, carver *slabCarver, keep bool) msg {
	var m msg
	var data []byte
	var ok bool
	if keep {
		m.frames, data = slab.alloc(len(mp.parts), len(mp.buf))
	} else if m.frames, data, m.slab, ok = carver.carve(len(mp.parts), len(mp.buf)); !ok {
		m.backing = getBacking(len(mp.buf), len(mp.parts))
		m.frames, data = m.backing.frames, m.backing.data
	}
	m.frames = m.frames[:len(mp.parts)]
	copy(data, mp.buf)
	for i, p := range mp.parts {
		if p.own != nil {
			m.frames[i] = p.own
		} else {
			m.frames[i] = data[p.off : p.off+p.n : p.off+p.n]
		}
	}
	clear(mp.parts)
	mp.parts = mp.parts[:0]
	mp.buf = mp.buf[:0]
	if cap(mp.buf) > maxKeptPartsBuf {
		mp.buf = nil
	}
	return m
}

// command acts on a command frame; a subscription change becomes a
// message for a PUB or XPUB.
func (c *conn) command(f zmtp.Frame, isPub bool) (msg, bool, error) {
	cmd, err := zmtp.ParseCommand(f.Body)
	if err != nil {
		return msg{}, false, err
	}
	switch cmd.Name {
	case zmtp.CmdPing:
		ttl, ctx, err := zmtp.ParsePing(cmd.Data)
		if err != nil {
			return msg{}, false, err
		}
		if ttl > 0 {
			c.ttlArmed = true
			c.setReadDeadline(time.Now().Add(ttl))
		}
		c.ctlMu.Lock()
		if len(c.pongs) < 16 {
			c.pongs = append(c.pongs, append([]byte(nil), ctx...))
		}
		c.ctlMu.Unlock()
		c.ctl.Store(true)
		signalChan(c.wake)
	case zmtp.CmdSubscribe, zmtp.CmdCancel:
		if !isPub {
			return msg{}, false, nil
		}
		topic, on, ok := zmtp.ParseSubscription(f)
		if !ok {
			return msg{}, false, nil
		}
		return subMsg(topic, on), true, nil
	case zmtp.CmdError:
		reason, _ := zmtp.ParseError(cmd.Data)
		return msg{}, false, &zmtp.ProtocolError{Code: zmtp.CodeUnspecified, Reason: "peer sent ERROR: " + reason}
	}
	return msg{}, false, nil
}

// deliverAll queues ms for the socket in order, waiting for room; false
// means the connection or the socket ended first, and the messages not
// queued are dropped.
func (c *conn) deliverAll(ms []msg) bool {
	for len(ms) > 0 {
		n, res := c.p.in.pushMany(ms)
		ms = ms[n:]
		if len(ms) == 0 {
			return true
		}
		if res == pushClosed {
			break
		}
		select {
		case <-c.room:
			continue
		case <-c.done:
		}
		break
	}
	for _, m := range ms {
		m.release()
	}
	return false
}
