package gozmq

import (
	"time"

	"github.com/zmqx/zmq/internal/engine"
	"github.com/zmqx/zmq/internal/zmtp"
)

// read decodes frames into whole messages and queues them, waiting while
// the inbound queue is full (the peer then waits in TCP). A message's
// bytes go into memory that suits how the socket receives: for Recv,
// memory of its own that the caller keeps; for RecvInto, pooled memory
// (backing.go) that goes back once copied out. A body larger than the
// decoder's buffer, read straight into its own slice, is kept as it is.
func (c *conn) read() error {
	s := c.s
	dec := c.sess.Decoder
	s.mu.Lock()
	hbOn := s.opts.int(engine.OptHeartbeatIvl) > 0
	withMeta := s.opts.bool(engine.OptMessageMetadata)
	s.mu.Unlock()
	var meta *msgMeta
	if withMeta {
		meta = &msgMeta{userID: c.sess.UserID, peerAddr: c.peerAddr, props: sessionProperties(c.sess)}
	}
	isPub := s.typ == engine.PUB || s.typ == engine.XPUB
	var parts multipart
	var slab keptSlab // memory of small messages for Recv
	// Whole messages gather in ready while more frames wait in the
	// decoder's buffer, and go into the queue together: one hold of its
	// lock and at most one wake-up of the receiver per read.
	var ready []msg
	// keeps is how the receiver takes messages (Socket.setKeeps), read
	// once per delivery rather than per message: the receiver writes the
	// cache line it shares with the socket's counters on every receive.
	keeps := s.recvKeeps.Load()
	flush := func() bool {
		ok := c.deliverAll(ready)
		clear(ready)
		ready = ready[:0]
		keeps = s.recvKeeps.Load()
		return ok
	}
	for {
		if len(ready) > 0 && (len(ready) >= maxBatch || !dec.FrameBuffered()) && !flush() {
			return nil
		}
		f, err := dec.Next()
		pooled, own := c.large.take() // where f.Body lives
		if err != nil {
			pooled.release()
			flush()
			return err
		}
		if hbOn {
			c.lastRecv.Store(time.Now().UnixNano())
		}
		if c.ttlArmed {
			c.ttlArmed = false
			c.nc.SetReadDeadline(time.Time{})
		}
		if f.Command {
			if parts.started() {
				continue // a command between frames of a message: ignored
			}
			m, ok, err := c.command(f, isPub)
			pooled.release() // what a command keeps, it copied
			if err != nil {
				flush()
				return err
			}
			if ok {
				ready = append(ready, m)
			}
			continue
		}
		var m msg
		switch {
		case f.More || parts.started():
			// A body of its own stays where it is: pooled memory then
			// belongs to the message for good, and the pool forgets it.
			parts.add(f.Body, own)
			if f.More {
				continue
			}
			m = parts.take(&slab, &c.carver, keeps)
		default:
			m = single(f.Body, pooled, own, &slab, &c.carver, keeps)
		}
		m.meta = meta
		ready = append(ready, m)
	}
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
			c.nc.SetReadDeadline(time.Now().Add(ttl))
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
