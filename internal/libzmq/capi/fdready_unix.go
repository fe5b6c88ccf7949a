//go:build cgo && unix && !linux

package capi

import "golang.org/x/sys/unix"

// FDReadable reports whether fd (a socket's ZMQ_FD) is readable now: libzmq
// has posted a command that nobody processed yet. It neither waits nor
// consumes anything.
func FDReadable(fd int) bool {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, 0)
		if err == unix.EINTR {
			continue
		}
		return err == nil && n > 0 && fds[0].Revents&unix.POLLIN != 0
	}
}
