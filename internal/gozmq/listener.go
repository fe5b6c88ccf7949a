package gozmq

import (
	"errors"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/zmqx/zmq/internal/engine"
)

// listener accepts connections on one bound tcp or ipc endpoint.
type listener struct {
	s        *Socket
	ln       net.Listener
	endpoint string
	path     string // an ipc file to remove on close
	tmpDir   string // the directory made for ipc://*
	conns    map[*conn]struct{}
	so       sockopts // accepted connections inherit the others from the listener
	once     sync.Once
}

// close stops accepting and removes the ipc file, as libzmq does.
func (l *listener) close() {
	l.once.Do(func() {
		fd := fdOf(l.ln)
		l.ln.Close()
		if l.path != "" {
			os.Remove(l.path)
		}
		if l.tmpDir != "" {
			os.RemoveAll(l.tmpDir)
		}
		l.s.emit(engine.EventClosed, l.endpoint, fd)
	})
}

// accept runs in its own goroutine until the listener closes.
func (l *listener) accept() {
	defer l.s.goroutines.Done()
	backoff := time.Duration(0)
	for {
		nc, err := l.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			l.s.emit(engine.EventAcceptFailed, l.endpoint, uint32(errnoOf(err)))
			// Out of descriptors or a like condition: let it clear.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			select {
			case <-time.After(backoff):
			case <-l.s.closing:
				return
			}
			continue
		}
		backoff = 0
		l.so.applyKeepAlive(nc)
		l.s.emit(engine.EventAccepted, l.endpoint, fdOf(nc))
		c := l.s.newConn(nc, l.endpoint, l)
		if c == nil {
			continue
		}
		l.s.goroutines.Add(1)
		go func() {
			defer l.s.goroutines.Done()
			c.run(nil)
		}()
	}
}

// fdOf returns the descriptor behind a connection or listener, for
// monitor events (0 if it has none).
func fdOf(x any) uint32 {
	sc, ok := x.(syscall.Conn)
	if !ok {
		return 0
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0
	}
	var fd uintptr
	rc.Control(func(f uintptr) { fd = f })
	return uint32(fd)
}
