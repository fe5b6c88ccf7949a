package gozmq

import (
	"net"
	"syscall"
	"time"

	"github.com/zmqx/zmq/internal/engine"
)

// sockopts are the kernel socket settings of a socket's connections,
// taken from its options when a connection is made.
type sockopts struct {
	sndbuf, rcvbuf int // -1: the system's
	tos            int // 0: the system's
	device         string
	maxRetransmit  int // ms; 0: the system's
	keepalive      net.KeepAliveConfig
	keepaliveSet   bool // -1: leave the system's setting
}

func (s *Socket) sockoptsLocked() sockopts {
	o := sockopts{
		sndbuf:        s.opts.int(engine.OptSendBuffer),
		rcvbuf:        s.opts.int(engine.OptRecvBuffer),
		tos:           s.opts.int(engine.OptTOS),
		device:        string(s.opts.bytes[engine.OptBindToDevice]),
		maxRetransmit: s.opts.int(engine.OptTCPMaxRetransmit),
	}
	if ka := s.opts.int(engine.OptTCPKeepalive); ka >= 0 {
		o.keepaliveSet = true
		o.keepalive = net.KeepAliveConfig{
			Enable:   ka == 1,
			Idle:     secondsOrSystem(s.opts.int(engine.OptTCPKeepaliveIdle)),
			Interval: secondsOrSystem(s.opts.int(engine.OptTCPKeepaliveInterval)),
			Count:    s.opts.int(engine.OptTCPKeepaliveCount),
		}
	}
	return o
}

// secondsOrSystem maps libzmq's -1 ("the system's") to net's negative.
func secondsOrSystem(n int) time.Duration {
	if n < 0 {
		return -1
	}
	return time.Duration(n) * time.Second
}

// keepAliveOff is how a dialer or listener is told to leave SO_KEEPALIVE
// alone: libzmq keeps the system's setting unless told otherwise, where Go
// would turn it on.
const keepAliveOff = -1

// control sets the options that must be in place before bind or connect.
func (o sockopts) control(network, _ string, rc syscall.RawConn) error {
	var err error
	cerr := rc.Control(func(fd uintptr) {
		if o.sndbuf >= 0 {
			if err = setSockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_SNDBUF, o.sndbuf); err != nil {
				return
			}
		}
		if o.rcvbuf >= 0 {
			if err = setSockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUF, o.rcvbuf); err != nil {
				return
			}
		}
		if network == "unix" {
			return
		}
		if o.tos != 0 {
			if err = setTOS(fd, o.tos); err != nil {
				return
			}
		}
		if o.device != "" {
			if err = bindToDevice(fd, o.device); err != nil {
				return
			}
		}
		if o.maxRetransmit > 0 {
			err = setMaxRetransmit(fd, o.maxRetransmit)
		}
	})
	if cerr != nil {
		return cerr
	}
	return err
}

// applyKeepAlive sets the keep-alive of a made TCP connection.
func (o sockopts) applyKeepAlive(nc net.Conn) {
	if tc, ok := nc.(*net.TCPConn); ok && o.keepaliveSet {
		tc.SetKeepAliveConfig(o.keepalive)
	}
}
