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
	peerAddr string    // the peer's address, as libzmq reports it
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
		s: s, nc: nc, endpoint: endpoint, fd: fdOf(nc), peerAddr: peerAddress(nc),
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

// handshakeConfigLocked describes this side for zmtp.Handshake: its
// security mechanism, and on a side that authenticates its peers, a ZAP
// callback that asks the engine's handler, bounded by deadline (zero: no
// bound) and by the connection's end.
func (c *conn) handshakeConfigLocked(deadline time.Time) *zmtp.Config {
	s := c.s
	cfg := &zmtp.Config{
		SocketType:  zmtp.SocketType(s.typ),
		Mechanism:   s.mechanismLocked(),
		ZAPDomain:   string(s.opts.bytes[engine.OptZAPDomain]),
		PeerAddress: c.peerAddr,
	}
	if id := s.opts.bytes[engine.OptRoutingID]; len(id) > 0 {
		cfg.Identity = append([]byte(nil), id...)
	}
	if n := s.opts.ints[engine.OptMaxMsgSize]; n > 0 {
		cfg.MaxMessageSize = n
	}
	if s.authenticatesLocked() {
		cfg.ZAP = func(req zmtp.ZAPRequest) (zmtp.ZAPReply, error) {
			return s.askZAP(req, deadline, c.done)
		}
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
	var deadline time.Time
	if ivl := s.opts.int(engine.OptHandshakeIvl); ivl > 0 {
		deadline = time.Now().Add(time.Duration(ivl) * time.Millisecond)
	}
	cfg := c.handshakeConfigLocked(deadline)
	s.mu.Unlock()
	c.nc.SetDeadline(deadline)
	sess, err := zmtp.Handshake(c.nc, cfg)
	if err != nil {
		err = c.handshakeFailed(err)
		var nh *noHandlerError
		if errors.As(err, &nh) {
			c.idleUntil(deadline)
		}
		c.close()
		c.forget()
		return false, err
	}
	c.nc.SetDeadline(time.Time{})
	c.sess = sess

	s.mu.Lock()
	if s.closed && (keep == nil || keep.out.len() == 0) {
		s.mu.Unlock()
		s.emit(engine.EventHandshakeSucceeded, c.endpoint, 0)
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
	// Only now, as libzmq does: whoever sees the event can reach the peer.
	s.emit(engine.EventHandshakeSucceeded, c.endpoint, 0)

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.write()
	}()
	err = c.read()
	c.close()
	wg.Wait()
	var pe *zmtp.ProtocolError
	if errors.As(err, &pe) && isSealError(cfg.Mechanism, pe.Code) {
		// libzmq reports a MESSAGE that does not open as a failed
		// handshake, even after the handshake, then the disconnection.
		s.emit(engine.EventHandshakeFailedProtocol, c.endpoint, uint32(pe.Code))
	}

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
	if pe != nil {
		return true, &stopError{err}
	}
	return true, err
}

// isSealError reports whether code is one that an encrypting mechanism's
// frames fail with: a MESSAGE that is not one, too short, replayed or
// reordered, or whose box does not open.
func isSealError(m zmtp.Mechanism, code zmtp.ProtocolErrorCode) bool {
	if m.Name() != "CURVE" {
		return false
	}
	switch code {
	case zmtp.CodeUnexpectedCommand, zmtp.CodeMalformedMessage, zmtp.CodeInvalidSequence, zmtp.CodeCryptographic:
		return true
	}
	return false
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

// idleUntil keeps a connection whose handshake found no ZAP handler open
// and silent until the handshake deadline, as libzmq does: its client
// learns of the refusal at the server's handshake interval, not at once,
// so it does not retry at its reconnect interval. Without a deadline it
// returns at once.
func (c *conn) idleUntil(deadline time.Time) {
	if deadline.IsZero() {
		return
	}
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.done:
	}
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
// the inbound queue is full (the peer then waits in TCP).
func (c *conn) read() error {
	s := c.s
	dec := c.sess.Decoder
	s.mu.Lock()
	hbOn := s.opts.int(engine.OptHeartbeatIvl) > 0
	meta := s.opts.bool(engine.OptMessageMetadata)
	s.mu.Unlock()
	var userID, peerAddr string
	var props *engine.Properties
	if meta {
		userID = c.sess.UserID
		peerAddr = c.peerAddr
		props = sessionProperties(c.sess)
	}
	isPub := s.typ == engine.PUB || s.typ == engine.XPUB
	var frames [][]byte
	for {
		f, err := dec.Next()
		if err != nil {
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
			if len(frames) > 0 {
				continue // a command between frames of a message: ignored
			}
			m, ok, err := c.command(f, isPub)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if !c.deliver(m) {
				return nil
			}
			continue
		}
		body := f.Body
		if len(body) <= zmtp.DefaultReadBufferSize {
			body = append([]byte(nil), body...) // it aliases the decoder's buffer
		}
		frames = append(frames, body)
		if f.More {
			continue
		}
		m := msg{frames: frames, userID: userID, peerAddr: peerAddr, props: props}
		frames = nil
		if !c.deliver(m) {
			return nil
		}
	}
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

// deliver queues m for the socket, waiting for room; false means the
// connection or the socket ended first.
func (c *conn) deliver(m msg) bool {
	for {
		switch c.p.in.push(m, false) {
		case pushed:
			return true
		case pushClosed:
			return false
		}
		select {
		case <-c.room:
		case <-c.done:
			return false
		}
	}
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
	enc := c.sess.Encoder
	buf := make([]byte, 0, 4096)
	var batch []msg
	var bufs net.Buffers
	closing := s.closing
	for {
		c.ctlMu.Lock()
		pongs := c.pongs
		c.pongs = nil
		c.ctlMu.Unlock()
		buf = buf[:0]
		bufs = bufs[:0]
		var err error
		for _, ctx := range pongs {
			if buf, err = enc.AppendPong(buf, ctx); err != nil {
				return
			}
		}
		var first uint64
		batch, first = c.p.out.peekBatch(batch[:0], maxBatch, batchBytes)
		for _, m := range batch {
			if buf, bufs, err = c.encode(enc, buf, bufs, m); err != nil {
				return
			}
		}
		if len(buf) > 0 || len(bufs) > 0 {
			if len(bufs) > 0 {
				if len(buf) > 0 {
					bufs = append(bufs, buf)
				}
				wb := bufs // WriteTo consumes the slice it is called on
				_, err = wb.WriteTo(c.nc)
				clear(bufs) // let written bodies go
			} else {
				_, err = c.nc.Write(buf)
			}
			if err != nil {
				return
			}
			c.p.out.discard(first, len(batch))
			for _, m := range batch {
				if !m.shared {
					m.backing.release() // written: nobody else reads it
				}
			}
			clear(batch)
			if cap(buf) > 4*batchBytes {
				buf = make([]byte, 0, 4096)
			}
		}
		if closing == nil || c.isClosing() {
			closing = nil
			if c.p.out.len() == 0 || c.lingerOver() {
				return
			}
		}
		if len(batch) > 0 {
			// More may be queued: look again, but let the heartbeat in
			// first, so steady traffic cannot starve it.
			select {
			case <-c.done:
				return
			case <-hb.tick:
				if !c.ping(enc, hb) {
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
			if !c.ping(enc, hb) {
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

// encode appends one message to the batch: small frames are copied into
// buf, large bodies go by reference into bufs.
func (c *conn) encode(enc *zmtp.Encoder, buf []byte, bufs net.Buffers, m msg) ([]byte, net.Buffers, error) {
	var err error
	if m.sub {
		body := m.frames[0]
		buf, err = enc.AppendSubscription(buf, body[1:], body[0] == 1)
		return buf, bufs, err
	}
	last := len(m.frames) - 1
	for i, f := range m.frames {
		if len(f) >= byReference {
			if buf, err = enc.AppendHeader(buf, len(f), i < last); err == nil {
				bufs = append(bufs, buf, f)
				buf = buf[len(buf):]
				continue
			}
		}
		if buf, err = enc.AppendFrame(buf, f, i < last); err != nil {
			return buf, bufs, err
		}
	}
	return buf, bufs, nil
}

// sessionProperties returns the connection's properties as messages carry
// them: what the peer's READY (or INITIATE) said, then what the
// authenticator added, as libzmq merges them; nil if there are none.
func sessionProperties(sess *zmtp.Session) *engine.Properties {
	var names, values []string
	for _, md := range []zmtp.Metadata{sess.Properties, sess.ZAPProperties} {
		for _, p := range md {
			names = append(names, p.Name)
			values = append(values, string(p.Value))
		}
	}
	if names == nil {
		return nil
	}
	return engine.NewProperties(names, values)
}

// peerAddress is the address libzmq gives ZAP and messages (Peer-Address)
// for a peer: the remote IP for tcp; for ipc, the peer's credentials where
// libzmq reads them (see ipcPeerAddress).
func peerAddress(nc net.Conn) string {
	switch a := nc.RemoteAddr().(type) {
	case *net.TCPAddr:
		return a.IP.String()
	case *net.UnixAddr:
		return ipcPeerAddress(nc)
	}
	return ""
}
