package engine

import (
	"errors"
	"syscall"
)

// Engines report failures as syscall.Errno values: system error numbers,
// and libzmq's own codes above zmqHausnumero (zmq.h), which the Go engine
// reports too where libzmq would.
const zmqHausnumero = 156384712

// libzmq's own error numbers (zmq.h).
const (
	EFSM           = syscall.Errno(zmqHausnumero + 51)
	ENOCOMPATPROTO = syscall.Errno(zmqHausnumero + 52)
	ETERM          = syscall.Errno(zmqHausnumero + 53)
	EMTHREAD       = syscall.Errno(zmqHausnumero + 54)
)

var ownErrnoText = map[syscall.Errno]string{
	EFSM:           "operation cannot be accomplished in current state",
	ENOCOMPATPROTO: "the protocol is not compatible with the socket type",
	ETERM:          "context was terminated",
	EMTHREAD:       "no thread available",
}

// Strerror returns the text of error number e, the same whichever engine
// reported it.
func Strerror(e syscall.Errno) string {
	if s, ok := ownErrnoText[e]; ok {
		return s
	}
	return e.Error()
}

// ErrNotSupported is matched (errors.Is) by every NotSupportedError.
var ErrNotSupported = errors.New("not supported by this engine")

// NotSupportedError reports something that one engine offers and the
// engine in use does not.
type NotSupportedError struct {
	Engine string // the engine in use: "go" or "libzmq"
	What   string // e.g. `transport "pgm"`, "ZMQ_AFFINITY"
	Has    string // the engine that has it, if any
}

func (e *NotSupportedError) Error() string {
	s := e.What + " is not supported by the " + e.Engine + " engine"
	if e.Has != "" {
		s += "; the " + e.Has + " engine has it"
	}
	return s
}

// Is makes errors.Is(err, ErrNotSupported) true.
func (e *NotSupportedError) Is(target error) bool { return target == ErrNotSupported }
