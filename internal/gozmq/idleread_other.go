//go:build !unix

package gozmq

import (
	"net"

	"github.com/zmqx/zmq/internal/zmtp"
)

// newRawReader returns nil: without a read that never waits, a
// connection keeps its read buffer while it waits.
func newRawReader(net.Conn) zmtp.IdleReader { return nil }
