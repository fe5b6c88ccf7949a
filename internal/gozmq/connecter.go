package gozmq

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"time"

	"github.com/zmqx/zmq/internal/engine"
)

// connecter makes and re-makes the connection of one Connect.
type connecter struct {
	s        *Socket
	endpoint string
	addr     address
	keep     *pipe // the pipe kept across reconnects (IMMEDIATE off)
	// ctx ends on Disconnect, or when the socket stops lingering.
	ctx    context.Context
	cancel context.CancelFunc
	cur    *conn // the connection up now, if any; guarded by s.mu
	// finished is closed when run has returned: no more attempts.
	finished chan struct{}
}

// run connects, serves the connection, and reconnects after a lost
// connection or a failed attempt, until Disconnect, the socket's close,
// or a protocol error.
func (c *connecter) run() {
	s := c.s
	defer s.goroutines.Done()
	defer close(c.finished)
	defer c.cancel()
	defer c.end()
	s.mu.Lock()
	base := s.opts.int(engine.OptReconnectIvl)
	maxIvl := s.opts.int(engine.OptReconnectIvlMax)
	timeout := s.opts.int(engine.OptConnectTimeout)
	so := s.sockoptsLocked()
	proxy := string(s.opts.bytes[engine.OptSocksProxy])
	s.mu.Unlock()
	current := base
	for {
		if !c.wanted() {
			return
		}
		nc, err := c.dial(timeout, so, proxy)
		if err == nil {
			s.emit(engine.EventConnected, c.endpoint, fdOf(nc))
			conn := s.newConn(nc, c.endpoint, nil)
			if conn == nil {
				return
			}
			s.mu.Lock()
			c.cur = conn
			s.mu.Unlock()
			if c.ctx.Err() != nil {
				conn.close() // disconnected meanwhile
			}
			var up bool
			up, err = conn.run(c.keep)
			s.mu.Lock()
			c.cur = nil
			s.mu.Unlock()
			if up {
				current = base // a connection was made: back-off starts over
			}
			var stop *stopError
			if errors.As(err, &stop) {
				return // the peer broke the protocol: libzmq does not retry
			}
		} else {
			if !c.wanted() {
				return
			}
			s.emit(engine.EventClosed, c.endpoint, 0)
		}
		if base < 0 || !c.wanted() {
			return
		}
		// libzmq's interval: the current one plus up to one base interval
		// of jitter; it doubles up to the maximum when one is set.
		delay := current
		if base > 0 {
			delay += rand.IntN(base)
		}
		if maxIvl > base && current < maxIvl {
			current = min(2*current, maxIvl)
		}
		s.emit(engine.EventConnectRetried, c.endpoint, uint32(delay))
		t := time.NewTimer(time.Duration(delay) * time.Millisecond)
		select {
		case <-t.C:
		case <-c.ctx.Done():
			t.Stop()
			return
		case <-s.lingerStop:
			t.Stop()
			return
		case <-s.closing:
			if !c.wanted() {
				t.Stop()
				return
			}
			select { // lingering with messages queued: keep trying
			case <-t.C:
			case <-s.lingerStop:
				t.Stop()
				return
			}
		}
	}
}

// wanted reports whether the connection is still needed: not
// disconnected, and the socket open or lingering with messages queued.
func (c *connecter) wanted() bool {
	select {
	case <-c.ctx.Done():
		return false
	default:
	}
	if !c.s.isClosed() {
		return true
	}
	return c.keep != nil && c.keep.out.len() > 0
}

// dial makes one connection attempt, through the SOCKS5 proxy at proxy
// (host:port) when one is set for a tcp endpoint.
func (c *connecter) dial(timeoutMs int, so sockopts, proxy string) (net.Conn, error) {
	d := net.Dialer{KeepAlive: keepAliveOff, Control: so.control}
	if timeoutMs > 0 {
		d.Timeout = time.Duration(timeoutMs) * time.Millisecond
	}
	if c.addr.source != "" {
		la, err := net.ResolveTCPAddr(c.addr.network, c.addr.source)
		if err != nil {
			return nil, err
		}
		d.LocalAddr = la
	}
	if c.addr.network != "unix" {
		c.s.emit(engine.EventConnectDelayed, c.endpoint, 0)
	}
	if proxy == "" || c.addr.network == "unix" {
		nc, err := d.DialContext(c.ctx, c.addr.network, c.addr.addr)
		if err == nil {
			so.applyKeepAlive(nc)
		}
		return nc, err
	}
	nc, err := d.DialContext(c.ctx, c.addr.network, proxy)
	if err != nil {
		return nil, err
	}
	var deadline time.Time
	if d.Timeout > 0 {
		deadline = time.Now().Add(d.Timeout)
	}
	stop := context.AfterFunc(c.ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	err = socksConnect(nc, c.addr.addr, deadline)
	if !stop() || err != nil {
		nc.Close()
		if err == nil {
			err = c.ctx.Err()
		}
		return nil, err
	}
	so.applyKeepAlive(nc)
	return nc, nil
}

// end drops the kept pipe once the connecter is done with it.
func (c *connecter) end() {
	if c.keep == nil {
		return
	}
	c.s.mu.Lock()
	c.keep.out.closeReader()
	c.keep.in.closeWriter()
	c.s.mu.Unlock()
	c.s.pipeDone(c.keep)
}
