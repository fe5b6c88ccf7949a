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

	// Writing (connwrite.go): the write role, and what its holder uses;
	// raw is nil where a write cannot be made without blocking.
	writing   atomic.Bool
	b         batch
	raw       *rawWriter
	lastWrite atomic.Int64 // when the last write ended (monotonic)

	// Heartbeats: when the last frame arrived, and PONGs owed; ctl says
	// control frames wait for the writer goroutine.
	lastRecv atomic.Int64
	ctlMu    sync.Mutex
	pongs    [][]byte
	ctl      atomic.Bool
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
	c.b.enc = sess.Encoder
	c.raw = newRawWriter(c.nc)
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

// peerAddress is the Peer-Address property libzmq gives messages: the
// remote IP for tcp, empty for ipc.
func peerAddress(nc net.Conn) string {
	if ta, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	return ""
}
