package gozmq

import (
	"syscall"

	"github.com/zmqx/zmq/internal/engine"
)

// options are a socket's settings. Every engine.Option is here: it either
// works, or is kept without effect (it only means something for a
// transport or a thread model this engine does not have).
type options struct {
	ints  [engineOptCount]int64
	bytes [engineOptCount][]byte
	sec   security // the mechanism and CURVE keys (security.go)
}

// engineOptCount bounds the option numbers.
const engineOptCount = int(engine.NumOptions)

// defaults are libzmq 4.3.4's, for the options whose default is not 0.
var defaults = map[engine.Option]int64{
	engine.OptSendHWM:              1000,
	engine.OptRecvHWM:              1000,
	engine.OptLinger:               -1,
	engine.OptReconnectIvl:         100,
	engine.OptHandshakeIvl:         30000,
	engine.OptHeartbeatTimeout:     -1,
	engine.OptMaxMsgSize:           -1,
	engine.OptSendBuffer:           -1,
	engine.OptRecvBuffer:           -1,
	engine.OptBacklog:              100,
	engine.OptTCPKeepalive:         -1,
	engine.OptTCPKeepaliveCount:    -1,
	engine.OptTCPKeepaliveIdle:     -1,
	engine.OptTCPKeepaliveInterval: -1,
	engine.OptMulticastRate:        100,
	engine.OptRecoveryIvl:          10000,
	engine.OptMulticastHops:        1,
	engine.OptMulticastLoop:        1,
	engine.OptMulticastMaxTPDU:     1500,
	engine.OptStreamNotify:         1,
}

// writeOnly options cannot be read back (libzmq answers EINVAL).
var writeOnly = map[engine.Option]bool{
	engine.OptSubscribe:   true,
	engine.OptUnsubscribe: true,
}

func defaultOptions() options {
	var o options
	for k, v := range defaults {
		o.ints[k] = v
	}
	return o
}

func (o *options) int(opt engine.Option) int { return int(o.ints[opt]) }

func (o *options) bool(opt engine.Option) bool { return o.ints[opt] != 0 }

// check validates v for opt the way libzmq does: EINVAL for a value it
// would refuse.
func checkOption(opt engine.Option, v engine.Value) error {
	if !opt.Valid() {
		return syscall.EINVAL
	}
	n := v.Int
	switch opt.Kind() {
	case engine.KindBool:
		if n != 0 && n != 1 {
			return syscall.EINVAL
		}
	case engine.KindInt:
		if n < -1<<31 || n > 1<<31-1 {
			return syscall.EINVAL
		}
	}
	switch opt {
	case engine.OptSendHWM, engine.OptRecvHWM, engine.OptReconnectIvlMax,
		engine.OptConnectTimeout, engine.OptHandshakeIvl, engine.OptHeartbeatIvl,
		engine.OptHeartbeatTTL, engine.OptTCPMaxRetransmit, engine.OptTOS, engine.OptRecoveryIvl:
		if n < 0 {
			return syscall.EINVAL
		}
	case engine.OptLinger, engine.OptReconnectIvl, engine.OptMaxMsgSize,
		engine.OptSendBuffer, engine.OptRecvBuffer, engine.OptTCPKeepalive,
		engine.OptTCPKeepaliveCount, engine.OptTCPKeepaliveIdle, engine.OptTCPKeepaliveInterval,
		engine.OptHeartbeatTimeout:
		if n < -1 {
			return syscall.EINVAL
		}
		if opt == engine.OptTCPKeepalive && n > 1 {
			return syscall.EINVAL
		}
	case engine.OptBacklog, engine.OptMulticastRate, engine.OptMulticastHops, engine.OptMulticastMaxTPDU:
		if n <= 0 {
			return syscall.EINVAL
		}
	case engine.OptRoutingID:
		if len(v.Bytes) == 0 || len(v.Bytes) > 255 {
			return syscall.EINVAL
		}
	}
	if opt == engine.OptHeartbeatTTL && n > 6553599 {
		return syscall.EINVAL
	}
	if (opt == engine.OptXPubWelcomeMsg || opt == engine.OptZAPDomain) && len(v.Bytes) > 255 {
		return syscall.EINVAL
	}
	return nil
}

func notSupported(what string) error {
	return &engine.NotSupportedError{Engine: Name, What: what, Has: "libzmq"}
}
