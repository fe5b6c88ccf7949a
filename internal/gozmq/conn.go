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

	// Writing (connwrite.go): the write role, and what its holder uses;
	// raw is nil where a write cannot be made without blocking.
	writing  atomic.Bool
	b        batch
	raw      *rawWriter
	lastKick atomic.Int64 // when a send last found the outbound queue empty (monotonic)

	// Heartbeats: when the last frame arrived, and PONGs owed; ctl says
	// control frames wait for the writer goroutine.
	lastRecv atomic.Int64
	ctlMu    sync.Mutex
	pongs    [][]byte
	ctl      atomic.Bool
	ttlArmed bool // read role only

	// Reading (readrole.go): the read role, and what its holder uses.
	role   readRole
	rd     *connReader
	large  largeBodies // the memory of large bodies (largebody.go)
	carver slabCarver  // the memory of small messages for RecvInto (msgslab.go)
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
	if s.typ == engine.STREAM {
		return c.runStream(keep)
	}
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
	c.b.enc = sess.Encoder
	c.raw = newRawWriter(c.nc)
	c.large.s = s
	sess.Decoder.SetBodyAllocator(&c.large)
	if r := newRawReader(c.nc); r != nil {
		sess.Decoder.SetIdleReader(r)
	}
	c.rd = newConnReader(c)
	c.role.back = make(chan struct{}, 1)

	p := c.attachPipe(keep, engine.SocketType(sess.PeerType), sess.PeerIdentity)
	if p == nil {
		return true, errClosed
	}

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.write()
	}()
	err = c.read()
	c.close()
	c.endReading()
	wg.Wait()
	var pe *zmtp.ProtocolError
	if errors.As(err, &pe) && isSealError(cfg.Mechanism, pe.Code) {
		// libzmq reports a MESSAGE that does not open as a failed
		// handshake, even after the handshake, then the disconnection.
		s.emit(engine.EventHandshakeFailedProtocol, c.endpoint, uint32(pe.Code))
	}

	c.detachPipe(keep)
	if pe != nil {
		return true, &stopError{err}
	}
	return true, err
}

// attachPipe gives the socket a pipe served by c, after its handshake:
// keep, or a new one. It returns nil if the socket closed meanwhile with
// nothing left to send (c is then dropped).
func (c *conn) attachPipe(keep *pipe, peerType engine.SocketType, peerID []byte) *pipe {
	s := c.s
	s.mu.Lock()
	if s.closed && (keep == nil || keep.out.len() == 0) {
		s.mu.Unlock()
		c.handshakeSucceeded()
		c.close()
		c.forget()
		return nil
	}
	p := keep
	if p == nil {
		p = s.newConnPipe(c.endpoint)
	}
	p.peerType = peerType
	p.peerID = append([]byte(nil), peerID...)
	p.kill = c.close
	p.conn.Store(c)
	p.out.setReadable(c.kick)
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
	c.handshakeSucceeded()
	return p
}

// handshakeSucceeded reports c's handshake to the monitor. A STREAM
// connection has none, and libzmq reports none.
func (c *conn) handshakeSucceeded() {
	if c.s.typ != engine.STREAM {
		c.s.emit(engine.EventHandshakeSucceeded, c.endpoint, 0)
	}
}

// detachPipe unhooks c's pipe once both of c's goroutines are done; the
// pipe itself ends too unless it is kept for the next connection.
func (c *conn) detachPipe(keep *pipe) {
	s, p := c.s, c.p
	s.mu.Lock()
	p.conn.CompareAndSwap(c, nil)
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
