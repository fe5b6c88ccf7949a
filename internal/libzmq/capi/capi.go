// Package capi is the only place that calls libzmq. Every call is
// non-blocking (ZMQ_DONTWAIT), retries EINTR itself, and keeps no Go memory
// after it returns. Errors are syscall.Errno values; libzmq's own codes
// (EFSM, ETERM, ...) are errno values above ZMQ_HAUSNUMERO.
//
// A Socket is not safe for concurrent use: callers serialise every call on
// one socket, Close included.
package capi

/*
#cgo pkg-config: libzmq
// The hot calls keep no Go pointer and never call back into Go; saying so
// lets their output arguments stay on the Go stack.
#cgo noescape zmqx_recv
#cgo nocallback zmqx_recv
#cgo noescape zmqx_send
#cgo nocallback zmqx_send
#cgo noescape zmq_getsockopt
#cgo nocallback zmq_getsockopt
#cgo noescape zmq_setsockopt
#cgo nocallback zmq_setsockopt
#include <stdlib.h>
#include "batch.h"
#include "probe.h"
*/
import "C"

import (
	"syscall"
	"unsafe"
)

// Strerror returns libzmq's text for errno e.
func Strerror(e syscall.Errno) string {
	return C.GoString(C.zmq_strerror(C.int(e)))
}

// Version returns libzmq's major, minor and patch numbers.
func Version() (major, minor, patch int) {
	var a, b, c C.int
	C.zmq_version(&a, &b, &c)
	return int(a), int(b), int(c)
}

// Has reports whether libzmq was built with capability name ("curve", "ipc", ...).
func Has(name string) bool {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	return C.zmq_has(cs) == 1
}

// errnoOf turns the errno that cgo captured right after a C call (on the
// same thread, before anything else could change it) into an error.
// Reading errno in a separate call would be wrong: the goroutine may have
// moved to another thread, or a signal handler may have changed it.
func errnoOf(err error) error {
	if err == nil {
		return syscall.EINVAL // the call failed without setting errno
	}
	return err
}

// Context is a libzmq context.
type Context struct{ p unsafe.Pointer }

// NewContext creates a context with the given number of I/O threads.
func NewContext(ioThreads int) (Context, error) {
	p, err := C.zmq_ctx_new()
	if p == nil {
		return Context{}, errnoOf(err)
	}
	c := Context{p}
	if err := c.Set(C.ZMQ_IO_THREADS, ioThreads); err != nil {
		C.zmq_ctx_term(p)
		return Context{}, err
	}
	return c, nil
}

// Set sets a context option.
func (c Context) Set(opt, v int) error {
	if rc, err := C.zmq_ctx_set(c.p, C.int(opt), C.int(v)); rc != 0 {
		return errnoOf(err)
	}
	return nil
}

// Term terminates the context. It blocks until every socket of the context
// is closed and its linger period has passed; callers close all sockets
// first, so the wait is bounded by the longest linger.
func (c Context) Term() error {
	for {
		rc, err := C.zmq_ctx_term(c.p)
		if rc == 0 {
			return nil
		}
		if err = errnoOf(err); err != EINTR {
			return err
		}
	}
}

// Socket is one libzmq socket plus the C-side receive state of the batch helpers.
type Socket struct {
	p  unsafe.Pointer
	rx *C.zmqx_rx
}

// NewSocket creates a socket of libzmq type typ (ZMQ_PUB, ...).
func (c Context) NewSocket(typ int) (Socket, error) {
	p, err := C.zmq_socket(c.p, C.int(typ))
	if p == nil {
		return Socket{}, errnoOf(err)
	}
	rx := (*C.zmqx_rx)(C.calloc(1, C.size_t(unsafe.Sizeof(C.zmqx_rx{}))))
	return Socket{p: p, rx: rx}, nil
}

// Close closes the socket; its linger option decides what happens to
// unsent messages. The socket must not be used afterwards.
func (s Socket) Close() error {
	C.zmqx_rx_release(s.rx)
	C.zmqx_set_props(s.rx, nil, 0)
	C.free(unsafe.Pointer(s.rx))
	if rc, err := C.zmq_close(s.p); rc != 0 {
		return errnoOf(err)
	}
	return nil
}

func (s Socket) setRaw(opt int, p unsafe.Pointer, n uintptr) error {
	for {
		rc, err := C.zmq_setsockopt(s.p, C.int(opt), p, C.size_t(n))
		if rc == 0 {
			return nil
		}
		if err = errnoOf(err); err != EINTR {
			return err
		}
	}
}

func (s Socket) getRaw(opt int, p unsafe.Pointer, n *C.size_t) error {
	for {
		rc, err := C.zmq_getsockopt(s.p, C.int(opt), p, n)
		if rc == 0 {
			return nil
		}
		if err = errnoOf(err); err != EINTR {
			return err
		}
	}
}

// SetInt sets an int-valued option.
func (s Socket) SetInt(opt, v int) error {
	x := C.int(v)
	return s.setRaw(opt, unsafe.Pointer(&x), unsafe.Sizeof(x))
}

// SetInt64 sets an int64-valued option (ZMQ_MAXMSGSIZE, ZMQ_AFFINITY as uint64 bits).
func (s Socket) SetInt64(opt int, v int64) error {
	x := C.int64_t(v)
	return s.setRaw(opt, unsafe.Pointer(&x), unsafe.Sizeof(x))
}

// SetBytes sets a binary or string option; an empty value is passed as
// a zero-length option (for ZMQ_SUBSCRIBE that means "everything").
func (s Socket) SetBytes(opt int, v []byte) error {
	if len(v) == 0 {
		return s.setRaw(opt, nil, 0)
	}
	return s.setRaw(opt, unsafe.Pointer(unsafe.SliceData(v)), uintptr(len(v)))
}

// GetInt reads an int-valued option.
func (s Socket) GetInt(opt int) (int, error) {
	var x C.int
	n := C.size_t(unsafe.Sizeof(x))
	err := s.getRaw(opt, unsafe.Pointer(&x), &n)
	return int(x), err
}

// GetInt64 reads an int64-valued option.
func (s Socket) GetInt64(opt int) (int64, error) {
	var x C.int64_t
	n := C.size_t(unsafe.Sizeof(x))
	err := s.getRaw(opt, unsafe.Pointer(&x), &n)
	return int64(x), err
}

// GetBytes reads a binary or string option of at most max bytes. String
// options come back with their terminating NUL, which callers strip.
func (s Socket) GetBytes(opt, max int) ([]byte, error) {
	buf := make([]byte, max)
	n := C.size_t(max)
	if err := s.getRaw(opt, unsafe.Pointer(unsafe.SliceData(buf)), &n); err != nil {
		return nil, err
	}
	return buf[:n], nil
}

// Events returns ZMQ_EVENTS (ZMQ_POLLIN|ZMQ_POLLOUT bits). It costs one
// poll() system call and processes the socket's pending commands, which may
// consume the edge on the notification fd.
func (s Socket) Events() (int, error) { return s.GetInt(optEvents) }

// Probe reports whether fd (the socket's notification fd) is readable and
// then, within a microsecond or so, reads ZMQ_EVENTS as Events does: one C
// call, so that no Go scheduling or instrumentation falls between the two.
func (s Socket) Probe(fd int) (readable bool, events int, err error) {
	var r, ev C.int
	if e := C.zmqx_probe(s.p, C.int(fd), &r, &ev); e != 0 {
		return false, 0, syscall.Errno(e)
	}
	return r != 0, int(ev), nil
}

// FD returns the socket's notification fd (ZMQ_FD). It must not be closed.
func (s Socket) FD() (int, error) { return s.GetInt(optFD) }

func (s Socket) endpointCall(f func(unsafe.Pointer, *C.char) (C.int, error), ep string) error {
	cs := C.CString(ep)
	defer C.free(unsafe.Pointer(cs))
	for {
		rc, err := f(s.p, cs)
		if rc == 0 {
			return nil
		}
		if err = errnoOf(err); err != EINTR {
			return err
		}
	}
}

// Bind binds to an endpoint.
func (s Socket) Bind(ep string) error {
	return s.endpointCall(func(p unsafe.Pointer, c *C.char) (C.int, error) {
		rc, err := C.zmq_bind(p, c)
		return rc, err
	}, ep)
}

// Connect connects to an endpoint.
func (s Socket) Connect(ep string) error {
	return s.endpointCall(func(p unsafe.Pointer, c *C.char) (C.int, error) {
		rc, err := C.zmq_connect(p, c)
		return rc, err
	}, ep)
}

// Unbind stops listening on an endpoint.
func (s Socket) Unbind(ep string) error {
	return s.endpointCall(func(p unsafe.Pointer, c *C.char) (C.int, error) {
		rc, err := C.zmq_unbind(p, c)
		return rc, err
	}, ep)
}

// Disconnect drops a connection made with Connect.
func (s Socket) Disconnect(ep string) error {
	return s.endpointCall(func(p unsafe.Pointer, c *C.char) (C.int, error) {
		rc, err := C.zmq_disconnect(p, c)
		return rc, err
	}, ep)
}

// Recv receives frames into arena and words (see batch.h) until maxMsgs
// whole messages were read or the socket runs dry. It returns the number of
// frames and whole messages read, the error that stopped the batch (EAGAIN
// when the socket ran dry; nil when a limit was reached), and, when the last
// frame did not fit into arena, that frame's bytes in C memory: valid only
// until the next Recv or Close on this socket. Each message's properties
// named by SetProperties come as property words before its frames.
func (s Socket) Recv(arena []byte, words []uint64, maxMsgs int) (frames, msgs int, big []byte, err error) {
	var nmsgs, errno C.int
	var bigp unsafe.Pointer
	var bigsize C.size_t
	n := C.zmqx_recv(C.uintptr_t(uintptr(s.p)), s.rx,
		(*C.char)(unsafe.Pointer(unsafe.SliceData(arena))), C.size_t(len(arena)),
		(*C.uint64_t)(unsafe.Pointer(unsafe.SliceData(words))), C.int(len(words)), C.int(maxMsgs),
		&nmsgs, &errno, &bigp, &bigsize)
	if bigsize > 0 {
		big = unsafe.Slice((*byte)(bigp), int(bigsize))
	}
	if errno != 0 {
		err = syscall.Errno(errno)
	}
	return int(n), int(nmsgs), big, err
}

// SetProperties sets the names of the connection properties that Recv
// copies for each message (at most MaxProperties; none turns it off).
func (s Socket) SetProperties(names []string) {
	var buf []byte
	for _, n := range names[:min(len(names), MaxProperties)] {
		buf = append(append(buf, n...), 0)
	}
	var cs *C.char
	if len(buf) > 0 {
		cs = (*C.char)(C.CBytes(buf))
		defer C.free(unsafe.Pointer(cs))
	}
	C.zmqx_set_props(s.rx, cs, C.int(min(len(names), MaxProperties)))
}

// Send sends frames laid out in data and words (see batch.h). It returns the
// number of frames sent and the error that stopped it, if any.
func (s Socket) Send(data []byte, words []uint64) (int, error) {
	if len(words) == 0 {
		return 0, nil
	}
	var errno C.int
	n := C.zmqx_send(C.uintptr_t(uintptr(s.p)), (*C.char)(unsafe.Pointer(unsafe.SliceData(data))),
		(*C.uint64_t)(unsafe.Pointer(unsafe.SliceData(words))), C.int(len(words)), &errno)
	if errno != 0 {
		return int(n), syscall.Errno(errno)
	}
	return int(n), nil
}

// Monitor makes the socket publish its connection events of the kinds in
// mask on a PAIR socket bound to inproc endpoint ep. An empty ep stops it.
func (s Socket) Monitor(ep string, mask int) error {
	var cs *C.char
	if ep != "" {
		cs = C.CString(ep)
		defer C.free(unsafe.Pointer(cs))
	}
	for {
		rc, err := C.zmq_socket_monitor(s.p, cs, C.int(mask))
		if rc == 0 {
			return nil
		}
		if err = errnoOf(err); err != EINTR {
			return err
		}
	}
}

// CurveKeypair generates a CURVE key pair, both keys in Z85 (40 characters).
func CurveKeypair() (public, secret string, err error) {
	var pub, sec [41]C.char
	if rc, err := C.zmq_curve_keypair(&pub[0], &sec[0]); rc != 0 {
		return "", "", errnoOf(err)
	}
	return C.GoString(&pub[0]), C.GoString(&sec[0]), nil
}

// CurvePublic derives the Z85 public key of a Z85 secret key.
func CurvePublic(secret string) (string, error) {
	cs := C.CString(secret)
	defer C.free(unsafe.Pointer(cs))
	var pub [41]C.char
	if rc, err := C.zmq_curve_public(&pub[0], cs); rc != 0 {
		return "", errnoOf(err)
	}
	return C.GoString(&pub[0]), nil
}
