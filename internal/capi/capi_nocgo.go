//go:build !cgo

package capi

import (
	"errors"
	"syscall"
)

// errNoCgo is what every call returns in a build without cgo: the package
// compiles, so programs that only optionally use ZeroMQ still build.
var errNoCgo = errors.New("zmq: built with CGO_ENABLED=0; this package needs cgo and libzmq")

// Strerror returns the system text for e.
func Strerror(e syscall.Errno) string { return e.Error() }

// Version returns zeros: there is no libzmq.
func Version() (major, minor, patch int) { return 0, 0, 0 }

// Has reports false: there is no libzmq.
func Has(string) bool { return false }

// Context is a placeholder.
type Context struct{}

// NewContext fails: there is no libzmq.
func NewContext(int) (Context, error) { return Context{}, errNoCgo }

func (Context) Set(int, int) error            { return errNoCgo }
func (Context) Term() error                   { return errNoCgo }
func (Context) NewSocket(int) (Socket, error) { return Socket{}, errNoCgo }

// Socket is a placeholder.
type Socket struct{}

func (Socket) Close() error                       { return errNoCgo }
func (Socket) SetInt(int, int) error              { return errNoCgo }
func (Socket) SetInt64(int, int64) error          { return errNoCgo }
func (Socket) SetBytes(int, []byte) error         { return errNoCgo }
func (Socket) GetInt(int) (int, error)            { return 0, errNoCgo }
func (Socket) GetInt64(int) (int64, error)        { return 0, errNoCgo }
func (Socket) GetBytes(int, int) ([]byte, error)  { return nil, errNoCgo }
func (Socket) Events() (int, error)               { return 0, errNoCgo }
func (Socket) FD() (int, error)                   { return 0, errNoCgo }
func (Socket) Bind(string) error                  { return errNoCgo }
func (Socket) Connect(string) error               { return errNoCgo }
func (Socket) Unbind(string) error                { return errNoCgo }
func (Socket) Disconnect(string) error            { return errNoCgo }
func (Socket) Send([]byte, []uint64) (int, error) { return 0, errNoCgo }
func (Socket) Recv([]byte, []uint64, int, bool) (int, int, []byte, error) {
	return 0, 0, nil, errNoCgo
}

func (Socket) Monitor(string, int) error { return errNoCgo }

func CurveKeypair() (string, string, error) { return "", "", errNoCgo }
func CurvePublic(string) (string, error)    { return "", errNoCgo }
