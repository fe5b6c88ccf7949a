package capi

import "syscall"

// zmqHausnumero is the base of libzmq's own error numbers (zmq.h).
const zmqHausnumero = 156384712

// Error numbers that may be libzmq's own codes rather than system errno
// values; the values follow zmq.h and Linux.
const (
	EAGAIN          = syscall.EAGAIN
	EINTR           = syscall.EINTR
	ENOTSUP         = syscall.ENOTSUP
	EPROTONOSUPPORT = syscall.EPROTONOSUPPORT
	EADDRINUSE      = syscall.EADDRINUSE
	EADDRNOTAVAIL   = syscall.EADDRNOTAVAIL
	EHOSTUNREACH    = syscall.EHOSTUNREACH
	EFSM            = syscall.Errno(zmqHausnumero + 51)
	ETERM           = syscall.Errno(zmqHausnumero + 53)
	EMTHREAD        = syscall.Errno(zmqHausnumero + 54)
)

// Frame word bits (see batch.h): More marks "another frame of this
// message follows"; MetaUser and MetaPeer mark a word that carries the
// message's User-Id or Peer-Address property instead of a frame.
const (
	More     = uint64(1) << 63
	MetaUser = uint64(1) << 62
	MetaPeer = uint64(1) << 61
	SizeMask = uint64(1)<<61 - 1
)

// Readiness bits returned by Events (ZMQ_POLLIN, ZMQ_POLLOUT).
const (
	PollIn  = 1
	PollOut = 2
)

// libzmq option numbers the engine itself needs.
const (
	optFD     = 14
	optEvents = 15
)
