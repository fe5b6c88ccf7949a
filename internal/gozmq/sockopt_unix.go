//go:build unix

package gozmq

import "syscall"

func setSockoptInt(fd uintptr, level, name, v int) error {
	return syscall.SetsockoptInt(int(fd), level, name, v)
}

// setTOS sets the IPv4 type of service (and, harmlessly failing on an
// IPv4 socket, the IPv6 traffic class), as libzmq does.
func setTOS(fd uintptr, tos int) error {
	if err := syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_TOS, tos); err == nil {
		return nil
	}
	return syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IPV6, syscall.IPV6_TCLASS, tos)
}
