//go:build !unix

package gozmq

import (
	"errors"
	"net"
)

// rawWriter is not made here: without a write that never waits, every
// write goes through the writer goroutine.
type rawWriter struct{}

func newRawWriter(net.Conn) *rawWriter { return nil }

func (*rawWriter) writeNow([]byte) (int, error) { return 0, errors.ErrUnsupported }
