package gozmq

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/zmqx/zmq/internal/engine"
	"github.com/zmqx/zmq/internal/zmtp"
)

const (
	// batchBytes is about how much the writer gathers into one write.
	batchBytes = 64 << 10
	// byReference is the body size from which the writer sends a frame
	// from the message itself (writev) instead of copying it.
	byReference = 16 << 10
)

// conn is one tcp or ipc connection of a socket: after the handshake, a
// reader (the goroutine that ran the handshake) fills the pipe's inbound
// queue and a writer goroutine drains its outbound queue.
type conn struct {
	s        *Socket
	nc       net.Conn
	endpoint string
	fd       uint32
	listener *listener // the listener that accepted it, if any

	p    *pipe
	sess *zmtp.Session

	wake chan struct{} // to the writer: messages or control frames to send
	room chan struct{} // to the reader: the inbound queue has room again
	done chan struct{} // closed by close
	once sync.Once

	// Heartbeats: when the last frame arrived, and PONGs owed.
	lastRecv atomic.Int64
	ctlMu    sync.Mutex
	pongs    [][]byte
	ttlArmed bool // reader only
}

// newConn registers a new connection of s; nil if s has stopped
// lingering after its close (nc is then closed).
func (s *Socket) newConn(nc net.Conn, endpoint string, l *listener) *conn {
	c := &conn{
		s: s, nc: nc, endpoint: endpoint, fd: fdOf(nc),
		wake:     make(chan struct{}, 1),
		room:     make(chan struct{}, 1),
		done:     make(chan struct{}),
		listener: l,
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.lingerStop:
		nc.Close()
		return nil
	default:
	}
	s.conns[c] = struct{}{}
	if l != nil {
		l.conns[c] = struct{}{}
	}
	return c
}

// close drops the connection; both goroutines end.
func (c *conn) close() {
	c.once.Do(func() {
		close(c.done)
		c.nc.Close()
	})
}

func signalChan(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// handshakeConfig describes this side for zmtp.Handshake. The security
// mechanism goes in Config.Mechanism (nil: NULL) when it is wired in.
func (s *Socket) handshakeConfigLocked() *zmtp.Config {
	cfg := &zmtp.Config{SocketType: zmtp.SocketType(s.typ)}
	if id := s.opts.bytes[engine.OptRoutingID]; len(id) > 0 {
		cfg.Identity = append([]byte(nil), id...)
	}
	if n := s.opts.ints[engine.OptMaxMsgSize]; n > 0 {
		cfg.MaxMessageSize = n
	}
	return cfg
}

// errStop marks an error after which a connecter must not reconnect.
type stopError struct{ err error }

func (e *stopError) Error() string { return e.err.Error() }
func (e *stopError) Unwrap() error { return e.err }

// run does the handshake, attaches the pipe (keep, or a new one) and
// moves messages until the connection ends. It reports whether the
// handshake succeeded and why the connection ended; a *stopError means
// the peer broke the protocol, which libzmq never retries.
func (c *conn) run(keep *pipe) (bool, error) {
	s := c.s
	s.mu.Lock()
	cfg := s.handshakeConfigLocked()
	ivl := s.opts.int(engine.OptHandshakeIvl)
	s.mu.Unlock()
	if ivl > 0 {
		c.nc.SetDeadline(time.Now().Add(time.Duration(ivl) * time.Millisecond))
	}
	sess, err := zmtp.Handshake(c.nc, cfg)
	if err != nil {
		c.close()
		c.forget()
		return false, c.handshakeFailed(err)
	}
	c.nc.SetDeadline(time.Time{})
	c.sess = sess
	s.emit(engine.EventHandshakeSucceeded, c.endpoint, 0)

	s.mu.Lock()
	if s.closed && (keep == nil || keep.out.len() == 0) {
		s.mu.Unlock()
		c.close()
		c.forget()
		return true, errClosed
	}
	p := keep
	if p == nil {
		p = s.newConnPipe(c.endpoint)
	}
	p.peerType = engine.SocketType(sess.PeerType)
	p.peerID = append([]byte(nil), sess.PeerIdentity...)
	p.kill = c.close
	p.out.setReadable(func() { signalChan(c.wake) })
	p.in.setWritable(func() { signalChan(c.room) })
	c.p = p
	if keep == nil {
		s.attachLocked(p)
	} else if h, ok := s.pat.(hiccuper); ok && p.connected {
		h.hiccup(p) // the subscriptions sent before went to the lost peer
	}
	p.connected = true
	s.mu.Unlock()

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.write()
	}()
	err = c.read()
	c.close()
	wg.Wait()

	s.mu.Lock()
	p.out.setReadable(nil)
	p.in.setWritable(nil)
	if keep == nil {
		p.in.closeWriter()
		p.out.closeReader()
	}
	closed := s.closed
	s.mu.Unlock()
	c.forget()
	if keep == nil {
		s.pipeDone(p)
	}
	if !closed {
		s.emit(engine.EventDisconnected, c.endpoint, c.fd)
	}
	var pe *zmtp.ProtocolError
	if errors.As(err, &pe) {
		return true, &stopError{err}
	}
	return true, err
}

// forget removes c from its socket's and its listener's connections.
func (c *conn) forget() {
	c.s.mu.Lock()
	delete(c.s.conns, c)
	if c.listener != nil {
		delete(c.listener.conns, c)
	}
	c.s.mu.Unlock()
}

// handshakeFailed reports a failed handshake to the monitor and returns
// the error, marked as final when libzmq would not retry.
func (c *conn) handshakeFailed(err error) error {
	var pe *zmtp.ProtocolError
	var ae *zmtp.AuthError
	switch {
	case errors.As(err, &pe):
		c.s.emit(engine.EventHandshakeFailedProtocol, c.endpoint, uint32(pe.Code))
		return &stopError{err}
	case errors.As(err, &ae):
		c.s.emit(engine.EventHandshakeFailedAuth, c.endpoint, uint32(ae.Status))
		return &stopError{err}
	}
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			errno = syscall.ETIMEDOUT
		} else {
			errno = syscall.ECONNRESET
		}
	}
	c.s.emit(engine.EventHandshakeFailedNoDetail, c.endpoint, uint32(errno))
	return err
}

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
		meta = &msgMeta{userID: c.sess.UserID, peerAddr: peerAddress(c.nc)}
	}
	isPub := s.typ == engine.PUB || s.typ == engine.XPUB
	var parts multipart
	// Whole messages gather in ready while more frames wait in the
	// decoder's buffer, and go into the queue together: one hold of its
	// lock and at most one wake-up of the receiver per read.
	var ready []msg
	flush := func() bool {
		ok := c.deliverAll(ready)
		clear(ready)
		ready = ready[:0]
		return ok
	}
	for {
		if len(ready) > 0 && (len(ready) >= maxBatch || !dec.FrameBuffered()) && !flush() {
			return nil
		}
		f, err := dec.Next()
		if err != nil {
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
		case f.More:
			parts.add(f.Body)
			continue
		case parts.started():
			parts.add(f.Body)
			m = parts.take(s.recvKeeps.Load())
		default:
			m = single(f.Body, s.recvKeeps.Load())
		}
		m.meta = meta
		ready = append(ready, m)
	}
}

// aliased reports whether a body the decoder returned lives in its
// buffer (and must be copied before the next frame), rather than in a
// slice of its own.
func aliased(body []byte) bool { return len(body) <= zmtp.DefaultReadBufferSize }

// single makes a message of one frame, in memory for its receiver to
// keep, or pooled.
func single(body []byte, keep bool) msg {
	if !aliased(body) {
		return msg{frames: [][]byte{body}}
	}
	if keep {
		table, data := engine.AllocFrames(1, len(body))
		copy(data, body)
		return msg{frames: append(table, data)}
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

func (mp *multipart) add(body []byte) {
	if !aliased(body) {
		mp.parts = append(mp.parts, part{own: body})
		return
	}
	mp.parts = append(mp.parts, part{off: len(mp.buf), n: len(body)})
	mp.buf = append(mp.buf, body...)
}

// take returns the whole message, in memory for its receiver to keep or
// pooled, and starts the next.
func (mp *multipart) take(keep bool) msg {
	var m msg
	var data []byte
	if keep {
		m.frames, data = engine.AllocFrames(len(mp.parts), len(mp.buf))
		m.frames = m.frames[:len(mp.parts)]
	} else {
		m.backing = getBacking(len(mp.buf), len(mp.parts))
		m.frames, data = m.backing.frames, m.backing.data
	}
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
		if !m.shared {
			m.backing.release()
		}
	}
	return false
}

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
	b := batch{enc: c.sess.Encoder, buf: make([]byte, 0, 4096)}
	closing := s.closing
	for {
		c.ctlMu.Lock()
		pongs := c.pongs
		c.pongs = nil
		c.ctlMu.Unlock()
		for _, ctx := range pongs {
			if b.err == nil {
				b.buf, b.err = b.enc.AppendPong(b.buf, ctx)
			}
		}
		first, n := c.p.out.peek(maxBatch, b.add)
		if b.err != nil {
			return
		}
		if !b.empty() {
			if err := b.writeTo(c.nc); err != nil {
				return
			}
			c.p.out.discard(first, n)
			b.written()
		}
		if closing == nil || c.isClosing() {
			closing = nil
			if c.p.out.len() == 0 || c.lingerOver() {
				return
			}
		}
		if n > 0 {
			// More may be queued: look again, but let the heartbeat in
			// first, so steady traffic cannot starve it.
			select {
			case <-c.done:
				return
			case <-hb.tick:
				if !c.ping(b.enc, hb) {
					return
				}
			case <-hb.timeout:
				if !hb.heard(c.lastRecv.Load()) {
					return
				}
			default:
			}
			continue
		}
		select {
		case <-c.wake:
		case <-c.done:
			return
		case <-closing:
		case <-s.lingerStop:
			if c.isClosing() {
				return
			}
		case <-hb.tick:
			if !c.ping(b.enc, hb) {
				return
			}
		case <-hb.timeout:
			if !hb.heard(c.lastRecv.Load()) {
				return // nothing heard since the PING: the peer is gone
			}
		}
	}
}

// ping sends a PING and starts waiting for any frame in reply.
func (c *conn) ping(enc *zmtp.Encoder, hb *heartbeat) bool {
	buf, err := enc.AppendPing(nil, hb.ttl, nil)
	if err == nil {
		_, err = c.nc.Write(buf)
	}
	if err != nil {
		return false
	}
	hb.sent()
	return true
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
	bytes int         // message bytes in the batch
	backs []*backing  // to release once written
	err   error       // the first encoding error
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
	if m.backing != nil && !m.shared {
		b.backs = append(b.backs, m.backing)
	}
	b.bytes += m.size()
	return b.bytes < batchBytes
}

func (b *batch) empty() bool { return len(b.buf) == 0 && len(b.refs) == 0 }

// writeTo writes the batch, in one write or writev.
func (b *batch) writeTo(w net.Conn) error {
	if len(b.refs) == 0 {
		_, err := w.Write(b.buf)
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
	wb := b.bufs // WriteTo consumes the slice it is called on
	_, err := wb.WriteTo(w)
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
	clear(b.refs) // let written bodies go
	b.refs = b.refs[:0]
	b.buf = b.buf[:0]
	if cap(b.buf) > 4*batchBytes {
		b.buf = make([]byte, 0, 4096)
	}
	b.bytes = 0
}

// peerAddress is the Peer-Address property libzmq gives messages: the
// remote IP for tcp, empty for ipc.
func peerAddress(nc net.Conn) string {
	if ta, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	return ""
}
