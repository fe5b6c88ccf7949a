//go:build cgo

package capi

import (
	"syscall"
	"unsafe"
)

// FDReadable reports whether fd (a socket's ZMQ_FD) is readable now: libzmq
// has posted a command that nobody processed yet. It neither waits nor
// consumes anything. A raw ppoll with a zero timeout: it cannot block, so
// it skips the scheduler's system-call bookkeeping, and a cgo call, which
// would let the runtime hand the P to another thread while it runs.
func FDReadable(fd int) bool {
	type pollFd struct {
		fd             int32
		events, revent int16
	}
	const pollIn = 0x1
	p := pollFd{fd: int32(fd), events: pollIn}
	var zero syscall.Timespec
	for {
		n, _, errno := syscall.RawSyscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&p)), 1, uintptr(unsafe.Pointer(&zero)), 0, 0, 0)
		if errno == syscall.EINTR {
			continue
		}
		return errno == 0 && n > 0 && p.revent&pollIn != 0
	}
}
