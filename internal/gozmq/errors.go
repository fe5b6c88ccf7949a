package gozmq

import (
	"errors"
	"syscall"

	"github.com/zmqx/zmq/internal/engine"
)

var (
	errClosed         = engine.ErrClosed
	errInvalid        = syscall.EINVAL
	errAgain          = syscall.EAGAIN
	errNotSup         = syscall.ENOTSUP
	errTooManySockets = syscall.EMFILE
)

// isAgain reports whether err means "not now".
func isAgain(err error) bool { return errors.Is(err, syscall.EAGAIN) }

var (
	errAddrInUse = syscall.EADDRINUSE
	errNoEnt     = syscall.ENOENT
)
