//go:build linux

package gozmq

import (
	"syscall"

	"github.com/zmqx/zmq/internal/engine"
)

// tcpUserTimeout is Linux's TCP_USER_TIMEOUT, which libzmq sets for
// ZMQ_TCP_MAXRT.
const tcpUserTimeout = 18

func bindToDevice(fd uintptr, device string) error {
	return syscall.BindToDevice(int(fd), device)
}

func setMaxRetransmit(fd uintptr, ms int) error {
	return syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpUserTimeout, ms)
}

// platformUnsupported names the options this platform lacks.
var platformUnsupported = map[engine.Option]bool{}
