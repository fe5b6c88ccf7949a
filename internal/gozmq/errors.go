package gozmq

import (
	"syscall"

	"github.com/zmqx/zmq/internal/engine"
)

// The errors the engine reports, as libzmq numbers them.
var (
	errClosed         = engine.ErrClosed
	errInvalid        = syscall.EINVAL
	errAgain          = syscall.EAGAIN  // cannot send or receive now
	errNotSup         = syscall.ENOTSUP // the socket type has no such direction
	errTooManySockets = syscall.EMFILE  // the engine's MaxSockets is reached
	errAddrInUse      = syscall.EADDRINUSE
	errNoEnt          = syscall.ENOENT // unbind or disconnect of an unknown endpoint
)
