package gozmq

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/zmqx/zmq/internal/engine"
)

// splitEndpoint returns an endpoint's transport and address.
func splitEndpoint(ep string) (scheme, rest string, err error) {
	scheme, rest, ok := strings.Cut(ep, "://")
	if !ok || rest == "" {
		return "", "", syscall.EINVAL
	}
	switch scheme {
	case "tcp", "ipc", "inproc":
		return scheme, rest, nil
	case "pgm", "epgm", "norm", "tipc", "vmci", "udp", "ws", "wss":
		return "", "", notSupported(`transport "` + scheme + `"`)
	}
	return "", "", syscall.EPROTONOSUPPORT
}

// Bind listens on endpoint and returns the endpoint actually bound.
func (s *Socket) Bind(endpoint string) (string, error) {
	scheme, rest, err := splitEndpoint(endpoint)
	if err != nil {
		return "", err
	}
	if s.isClosed() {
		return "", errClosed
	}
	if scheme == "inproc" {
		if err := s.bindInproc(endpoint, rest); err != nil {
			return "", err
		}
		return endpoint, nil
	}
	s.mu.Lock()
	ipv6 := s.opts.bool(engine.OptIPv6)
	so := s.sockoptsLocked() // ZMQ_BACKLOG has no effect: Go listens with the system's maximum
	s.mu.Unlock()
	var a address
	var tmpDir string
	if scheme == "tcp" {
		a, err = parseTCP(rest, true, ipv6)
	} else {
		a, err = parseIPC(rest, true)
		if err == nil && rest == "*" {
			tmpDir = filepath.Dir(a.addr)
		}
	}
	if err != nil {
		return "", err
	}
	if a.network == "unix" && !strings.HasPrefix(a.addr, "@") {
		os.Remove(a.addr) // a stale file from an earlier listener, as libzmq does
	}
	ln, err := listen(a, so)
	if err != nil {
		if tmpDir != "" {
			os.RemoveAll(tmpDir)
		}
		errno := errnoOf(err)
		s.emit(engine.EventBindFailed, endpoint, uint32(errno))
		return "", errno
	}
	bound := boundEndpoint(scheme, ln)
	if ul, ok := ln.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(false) // removed by us, on unbind or close
	}
	l := &listener{s: s, ln: ln, endpoint: bound, conns: make(map[*conn]struct{}), so: so}
	if a.network == "unix" && !strings.HasPrefix(a.addr, "@") {
		l.path = a.addr
		l.tmpDir = tmpDir
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		l.close()
		return "", errClosed
	}
	s.listeners[bound] = l
	s.goroutines.Add(1)
	s.mu.Unlock()
	s.emit(engine.EventListening, bound, fdOf(ln))
	go l.accept()
	return bound, nil
}

func listen(a address, so sockopts) (net.Listener, error) {
	lc := net.ListenConfig{KeepAlive: keepAliveOff, Control: so.control}
	return lc.Listen(context.Background(), a.network, a.addr)
}

// Connect starts connecting to endpoint in the background.
func (s *Socket) Connect(endpoint string) error {
	scheme, rest, err := splitEndpoint(endpoint)
	if err != nil {
		return err
	}
	if s.isClosed() {
		return errClosed
	}
	if scheme == "inproc" {
		return s.connectInproc(endpoint, rest)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	var a address
	if scheme == "tcp" {
		a, err = parseTCP(rest, false, s.opts.bool(engine.OptIPv6))
	} else {
		a, err = parseIPC(rest, false)
	}
	if err != nil {
		return err
	}
	c := &connecter{s: s, endpoint: endpoint, addr: a, finished: make(chan struct{})}
	c.ctx, c.cancel = context.WithCancel(s.dialCtx)
	// With IMMEDIATE off, the pipe exists at once: sends queue to it
	// before the connection is up, and the queue survives reconnects.
	// ROUTER identifies a peer by its handshake, so it always waits.
	if !s.opts.bool(engine.OptImmediate) && s.typ != engine.ROUTER {
		c.keep = s.newConnPipe(endpoint)
		s.attachLocked(c.keep)
	}
	s.connecters[endpoint] = append(s.connecters[endpoint], c)
	s.goroutines.Add(1)
	go c.run()
	return nil
}

// Unbind stops listening on an endpoint Bind returned and closes the
// connections accepted on it.
func (s *Socket) Unbind(endpoint string) error {
	scheme, _, err := splitEndpoint(endpoint)
	if err != nil {
		return err
	}
	if s.isClosed() {
		return errClosed
	}
	if scheme == "inproc" {
		return s.unbindInproc(endpoint)
	}
	s.mu.Lock()
	l, ok := s.listeners[endpoint]
	if !ok {
		s.mu.Unlock()
		return syscall.ENOENT
	}
	delete(s.listeners, endpoint)
	conns := make([]*conn, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	l.close()
	for _, c := range conns {
		c.close()
	}
	return nil
}

// Disconnect drops the connections made by Connect(endpoint); messages
// queued for them are discarded.
func (s *Socket) Disconnect(endpoint string) error {
	scheme, _, err := splitEndpoint(endpoint)
	if err != nil {
		return err
	}
	if s.isClosed() {
		return errClosed
	}
	if scheme == "inproc" {
		return s.disconnectInproc(endpoint)
	}
	s.mu.Lock()
	list, ok := s.connecters[endpoint]
	if !ok {
		s.mu.Unlock()
		return syscall.ENOENT
	}
	delete(s.connecters, endpoint)
	for _, c := range list {
		c.cancel()
		if c.cur != nil {
			c.cur.close()
		}
		if c.keep != nil {
			s.detachLocked(c.keep)
		}
	}
	s.mu.Unlock()
	return nil
}

func (s *Socket) isClosed() bool {
	select {
	case <-s.closing:
		return true
	default:
		return false
	}
}

// Close closes the socket: waiters get ErrClosed, listeners close, and
// connections get the linger period to send what is queued for them.
func (s *Socket) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.closedDone
		return nil
	}
	s.closed = true
	linger := s.opts.int(engine.OptLinger)
	close(s.closing)
	for c := range s.conns {
		c.interrupt() // a receiver reading it returns ErrClosed
	}
	s.stopWatchingCtx()
	listeners := make([]*listener, 0, len(s.listeners))
	for _, l := range s.listeners {
		listeners = append(listeners, l)
	}
	clear(s.listeners)
	lingering := false
	for p := range s.pipes {
		if !p.inproc && p.out.len() > 0 {
			lingering = linger != 0
		}
	}
	s.closeInprocLocked()
	s.mu.Unlock()

	for _, l := range listeners {
		l.close()
	}
	if m := s.mon.Load(); m != nil {
		m.stop()
	}
	switch {
	case !lingering:
		s.stopLingering()
		s.goroutines.Wait()
	default:
		// The engine waits for what lingers; the period bounds it.
		var t *time.Timer
		if linger > 0 {
			t = time.AfterFunc(time.Duration(linger)*time.Millisecond, s.stopLingering)
		}
		s.eng.lingering.Add(1)
		go func() {
			s.goroutines.Wait()
			if t != nil {
				t.Stop()
			}
			s.stopLingering()
			s.eng.lingering.Done()
		}()
	}
	s.eng.forget(s)
	close(s.closedDone)
	return nil
}

// stopLingering ends whatever the socket still does after Close: pending
// connects give up, connections close with whatever is still queued.
func (s *Socket) stopLingering() {
	s.stopOnce.Do(func() {
		close(s.lingerStop)
		s.dialCancel()
		s.mu.Lock()
		conns := make([]*conn, 0, len(s.conns))
		for c := range s.conns {
			conns = append(conns, c)
		}
		s.mu.Unlock()
		for _, c := range conns {
			c.close()
		}
	})
}

// errnoOf extracts the system error number from a network error.
func errnoOf(err error) syscall.Errno {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return syscall.EINVAL
}
