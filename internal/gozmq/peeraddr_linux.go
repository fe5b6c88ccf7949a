//go:build linux

package gozmq

import (
	"net"
	"strconv"
	"syscall"
)

// ipcPeerAddress is what libzmq on Linux reports as the address of an ipc
// peer, to ZAP and in messages: "localhost" (what the C library names a
// Unix socket peer), then the peer process's user id, group id and
// process id, from SO_PEERCRED. Empty if the credentials cannot be read.
func ipcPeerAddress(nc net.Conn) string {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return ""
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return ""
	}
	var cred *syscall.Ucred
	rc.Control(func(fd uintptr) {
		cred, err = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	})
	if err != nil || cred == nil {
		return ""
	}
	return "localhost:" + strconv.FormatUint(uint64(cred.Uid), 10) + ":" +
		strconv.FormatUint(uint64(cred.Gid), 10) + ":" + strconv.FormatInt(int64(cred.Pid), 10)
}
