//go:build unix

package gozmq

import (
	"io"
	"net"
	"os"
	"syscall"

	"github.com/zmqx/zmq/internal/zmtp"
)

// rawReader is a zmtp.IdleReader on a connection's descriptor: it reads
// without waiting, and while nothing has arrived it lets the decoder give
// its buffer back before the netpoller parks the reader. An idle
// connection then holds no read buffer. Its read function is made once,
// so a read allocates nothing.
type rawReader struct {
	raw  syscall.RawConn
	fn   func(fd uintptr) bool
	buf  func() []byte
	idle func()
	n    int
	err  error
}

// newRawReader returns a rawReader for nc, or nil when nc has no
// descriptor to read from.
func newRawReader(nc net.Conn) zmtp.IdleReader {
	raw := rawConn(nc)
	if raw == nil {
		return nil
	}
	r := &rawReader{raw: raw}
	r.fn = r.read
	return r
}

func (r *rawReader) read(fd uintptr) bool {
	for {
		r.n, r.err = syscall.Read(int(fd), r.buf())
		switch r.err {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			r.idle()
			return false // wait until readable, then read again
		}
		return true
	}
}

// ReadIdle reads into buf(), calling idle before it waits.
func (r *rawReader) ReadIdle(buf func() []byte, idle func()) (int, error) {
	r.buf, r.idle = buf, idle
	err := r.raw.Read(r.fn)
	r.buf, r.idle = nil, nil
	switch {
	case err != nil:
		return 0, err
	case r.err != nil:
		return 0, os.NewSyscallError("read", r.err)
	case r.n == 0:
		return 0, io.EOF
	}
	return r.n, nil
}
