//go:build unix

package gozmq

import (
	"net"
	"syscall"
)

// rawWriter makes writes that never wait for room, on a connection's
// descriptor. Its write function is made once, so a write allocates
// nothing.
type rawWriter struct {
	raw syscall.RawConn
	fn  func(fd uintptr) bool
	p   []byte
	n   int
	err error
}

// newRawWriter returns a rawWriter for nc, or nil when nc has no
// descriptor to write to.
func newRawWriter(nc net.Conn) *rawWriter {
	raw := rawConn(nc)
	if raw == nil {
		return nil
	}
	w := &rawWriter{raw: raw}
	w.fn = w.write
	return w
}

func (w *rawWriter) write(fd uintptr) bool {
	for {
		w.n, w.err = syscall.Write(int(fd), w.p)
		if w.err != syscall.EINTR {
			return true // done, or would block: never wait here
		}
	}
}

// writeNow writes what of p the socket takes at once, never waiting for
// room, and returns how much that was.
func (w *rawWriter) writeNow(p []byte) (int, error) {
	w.p = p
	err := w.raw.Write(w.fn)
	w.p = nil
	switch {
	case err != nil:
		return 0, err
	case w.err == syscall.EAGAIN:
		return 0, nil
	case w.err != nil:
		return 0, w.err
	}
	return w.n, nil
}

// rawConn returns nc's descriptor access, or nil when it has none.
func rawConn(nc net.Conn) syscall.RawConn {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return raw
}
