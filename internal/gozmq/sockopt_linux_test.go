package gozmq

import (
	"net"
	"syscall"
	"testing"

	"github.com/zmqx/zmq/internal/engine"
)

func TestKernelOptionsReachConnections(t *testing.T) {
	e := newEngine(t)
	pull := newSock(t, e, engine.PULL)
	ep := bindAny(t, pull, "tcp")
	push := newSock(t, e, engine.PUSH,
		opt(engine.OptSendBuffer, engine.Int(64<<10)),
		opt(engine.OptTCPKeepalive, engine.Int(1)),
		opt(engine.OptTCPKeepaliveIdle, engine.Int(42)))
	connect(t, push, ep)
	send(t, push, "up")
	recv(t, pull)
	push.mu.Lock()
	var nc net.Conn
	for c := range push.conns {
		nc = c.nc
	}
	push.mu.Unlock()
	rc, err := nc.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var sndbuf, keepalive, idle int
	rc.Control(func(fd uintptr) {
		sndbuf, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF)
		keepalive, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE)
		idle, _ = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE)
	})
	// Linux doubles SO_SNDBUF for its bookkeeping.
	if sndbuf != 2*(64<<10) || keepalive != 1 || idle != 42 {
		t.Fatalf("SO_SNDBUF %d, SO_KEEPALIVE %d, TCP_KEEPIDLE %d; want %d, 1, 42", sndbuf, keepalive, idle, 2*(64<<10))
	}
}
