//go:build !linux

package gozmq

import (
	"errors"
	"runtime"

	"github.com/zmqx/zmq/internal/engine"
)

var errNoPlatformSupport = errors.New("not on this platform")

func bindToDevice(uintptr, string) error { return errNoPlatformSupport }

func setMaxRetransmit(uintptr, int) error { return errNoPlatformSupport }

// platformUnsupported names the options this platform lacks.
var platformUnsupported = map[engine.Option]bool{
	engine.OptBindToDevice:     true,
	engine.OptTCPMaxRetransmit: true,
	engine.OptTOS:              runtime.GOOS == "windows",
}
