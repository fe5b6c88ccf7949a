//go:build windows

package gozmq

import (
	"errors"
	"syscall"
)

func setSockoptInt(fd uintptr, level, name, v int) error {
	return syscall.SetsockoptInt(syscall.Handle(fd), level, name, v)
}

func setTOS(uintptr, int) error { return errors.New("ZMQ_TOS is not on windows") }
