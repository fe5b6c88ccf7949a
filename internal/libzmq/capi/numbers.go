package capi

/*
// Two options this module uses are in zmq.h's draft section
// (ZMQ_ZAP_ENFORCE_DOMAIN, ZMQ_MULTICAST_LOOP); Debian's libzmq 4.3.4
// accepts them.
#define ZMQ_BUILD_DRAFT_API
#include <zmq.h>
*/
import "C"

import (
	"syscall"

	"github.com/zmqx/zmq/internal/engine"
)

// optNumbers maps the engine's options to zmq.h's numbers.
var optNumbers = map[engine.Option]int{
	engine.OptSendHWM:              C.ZMQ_SNDHWM,
	engine.OptRecvHWM:              C.ZMQ_RCVHWM,
	engine.OptLinger:               C.ZMQ_LINGER,
	engine.OptRoutingID:            C.ZMQ_ROUTING_ID,
	engine.OptSubscribe:            C.ZMQ_SUBSCRIBE,
	engine.OptUnsubscribe:          C.ZMQ_UNSUBSCRIBE,
	engine.OptReconnectIvl:         C.ZMQ_RECONNECT_IVL,
	engine.OptReconnectIvlMax:      C.ZMQ_RECONNECT_IVL_MAX,
	engine.OptConnectTimeout:       C.ZMQ_CONNECT_TIMEOUT,
	engine.OptHandshakeIvl:         C.ZMQ_HANDSHAKE_IVL,
	engine.OptHeartbeatIvl:         C.ZMQ_HEARTBEAT_IVL,
	engine.OptHeartbeatTTL:         C.ZMQ_HEARTBEAT_TTL,
	engine.OptHeartbeatTimeout:     C.ZMQ_HEARTBEAT_TIMEOUT,
	engine.OptMaxMsgSize:           C.ZMQ_MAXMSGSIZE,
	engine.OptImmediate:            C.ZMQ_IMMEDIATE,
	engine.OptIPv6:                 C.ZMQ_IPV6,
	engine.OptConflate:             C.ZMQ_CONFLATE,
	engine.OptSendBuffer:           C.ZMQ_SNDBUF,
	engine.OptRecvBuffer:           C.ZMQ_RCVBUF,
	engine.OptBacklog:              C.ZMQ_BACKLOG,
	engine.OptTOS:                  C.ZMQ_TOS,
	engine.OptTCPKeepalive:         C.ZMQ_TCP_KEEPALIVE,
	engine.OptTCPKeepaliveCount:    C.ZMQ_TCP_KEEPALIVE_CNT,
	engine.OptTCPKeepaliveIdle:     C.ZMQ_TCP_KEEPALIVE_IDLE,
	engine.OptTCPKeepaliveInterval: C.ZMQ_TCP_KEEPALIVE_INTVL,
	engine.OptTCPMaxRetransmit:     C.ZMQ_TCP_MAXRT,
	engine.OptAffinity:             C.ZMQ_AFFINITY,
	engine.OptBindToDevice:         C.ZMQ_BINDTODEVICE,
	engine.OptSocksProxy:           C.ZMQ_SOCKS_PROXY,
	engine.OptMulticastRate:        C.ZMQ_RATE,
	engine.OptRecoveryIvl:          C.ZMQ_RECOVERY_IVL,
	engine.OptMulticastHops:        C.ZMQ_MULTICAST_HOPS,
	engine.OptMulticastLoop:        C.ZMQ_MULTICAST_LOOP,
	engine.OptMulticastMaxTPDU:     C.ZMQ_MULTICAST_MAXTPDU,
	engine.OptRouterMandatory:      C.ZMQ_ROUTER_MANDATORY,
	engine.OptRouterHandover:       C.ZMQ_ROUTER_HANDOVER,
	engine.OptProbeRouter:          C.ZMQ_PROBE_ROUTER,
	engine.OptReqCorrelate:         C.ZMQ_REQ_CORRELATE,
	engine.OptReqRelaxed:           C.ZMQ_REQ_RELAXED,
	engine.OptXPubVerbose:          C.ZMQ_XPUB_VERBOSE,
	engine.OptXPubVerboser:         C.ZMQ_XPUB_VERBOSER,
	engine.OptXPubNoDrop:           C.ZMQ_XPUB_NODROP,
	engine.OptXPubManual:           C.ZMQ_XPUB_MANUAL,
	engine.OptXPubWelcomeMsg:       C.ZMQ_XPUB_WELCOME_MSG,
	engine.OptInvertMatching:       C.ZMQ_INVERT_MATCHING,
	engine.OptStreamNotify:         C.ZMQ_STREAM_NOTIFY,
	engine.OptZAPDomain:            C.ZMQ_ZAP_DOMAIN,
	engine.OptZAPEnforceDomain:     C.ZMQ_ZAP_ENFORCE_DOMAIN,
	engine.OptPlainServer:          C.ZMQ_PLAIN_SERVER,
	engine.OptPlainUsername:        C.ZMQ_PLAIN_USERNAME,
	engine.OptPlainPassword:        C.ZMQ_PLAIN_PASSWORD,
	engine.OptCurveServer:          C.ZMQ_CURVE_SERVER,
	engine.OptCurvePublicKey:       C.ZMQ_CURVE_PUBLICKEY,
	engine.OptCurveSecretKey:       C.ZMQ_CURVE_SECRETKEY,
	engine.OptCurveServerKey:       C.ZMQ_CURVE_SERVERKEY,
}

// OptionNumber returns zmq.h's number for o; ok is false for options that
// are not libzmq's (OptMessageMetadata).
func OptionNumber(o engine.Option) (n int, ok bool) {
	n, ok = optNumbers[o]
	return n, ok
}

// zmq.h's numbers for what the engine itself uses.
const (
	optFD           = C.ZMQ_FD
	optEvents       = C.ZMQ_EVENTS
	OptLastEndpoint = C.ZMQ_LAST_ENDPOINT
	OptLinger       = C.ZMQ_LINGER
	OptRcvHWM       = C.ZMQ_RCVHWM
	CtxIOThreads    = C.ZMQ_IO_THREADS
	CtxMaxSockets   = C.ZMQ_MAX_SOCKETS
)

// Readiness bits returned by Events.
const (
	PollIn  = C.ZMQ_POLLIN
	PollOut = C.ZMQ_POLLOUT
)

// Error numbers that may be libzmq's own codes rather than system errno
// values.
const (
	EAGAIN          = syscall.EAGAIN
	EINTR           = syscall.EINTR
	ENOTSUP         = syscall.ENOTSUP
	EPROTONOSUPPORT = syscall.EPROTONOSUPPORT
	EADDRINUSE      = syscall.EADDRINUSE
	EADDRNOTAVAIL   = syscall.EADDRNOTAVAIL
	EHOSTUNREACH    = syscall.EHOSTUNREACH
	EFSM            = syscall.Errno(C.EFSM)
	ETERM           = syscall.Errno(C.ETERM)
	EMTHREAD        = syscall.Errno(C.EMTHREAD)
)

// The engine's event types and error numbers are libzmq's: each index below
// is a constant that is out of range, and fails to compile, unless the two
// numbers are equal.
func _() {
	var x [1]struct{}
	_ = x[uint32(engine.EventConnected)-C.ZMQ_EVENT_CONNECTED]
	_ = x[uint32(engine.EventConnectDelayed)-C.ZMQ_EVENT_CONNECT_DELAYED]
	_ = x[uint32(engine.EventConnectRetried)-C.ZMQ_EVENT_CONNECT_RETRIED]
	_ = x[uint32(engine.EventListening)-C.ZMQ_EVENT_LISTENING]
	_ = x[uint32(engine.EventBindFailed)-C.ZMQ_EVENT_BIND_FAILED]
	_ = x[uint32(engine.EventAccepted)-C.ZMQ_EVENT_ACCEPTED]
	_ = x[uint32(engine.EventAcceptFailed)-C.ZMQ_EVENT_ACCEPT_FAILED]
	_ = x[uint32(engine.EventClosed)-C.ZMQ_EVENT_CLOSED]
	_ = x[uint32(engine.EventCloseFailed)-C.ZMQ_EVENT_CLOSE_FAILED]
	_ = x[uint32(engine.EventDisconnected)-C.ZMQ_EVENT_DISCONNECTED]
	_ = x[uint32(engine.EventMonitorStopped)-C.ZMQ_EVENT_MONITOR_STOPPED]
	_ = x[uint32(engine.EventHandshakeFailedNoDetail)-C.ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL]
	_ = x[uint32(engine.EventHandshakeSucceeded)-C.ZMQ_EVENT_HANDSHAKE_SUCCEEDED]
	_ = x[uint32(engine.EventHandshakeFailedProtocol)-C.ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL]
	_ = x[uint32(engine.EventHandshakeFailedAuth)-C.ZMQ_EVENT_HANDSHAKE_FAILED_AUTH]
	_ = x[uint32(engine.EventAll)-C.ZMQ_EVENT_ALL]
	_ = x[uintptr(engine.EFSM)-C.EFSM]
	_ = x[uintptr(engine.ENOCOMPATPROTO)-C.ENOCOMPATPROTO]
	_ = x[uintptr(engine.ETERM)-C.ETERM]
	_ = x[uintptr(engine.EMTHREAD)-C.EMTHREAD]
	_ = x[int(engine.PAIR)-C.ZMQ_PAIR]
	_ = x[int(engine.PUB)-C.ZMQ_PUB]
	_ = x[int(engine.SUB)-C.ZMQ_SUB]
	_ = x[int(engine.REQ)-C.ZMQ_REQ]
	_ = x[int(engine.REP)-C.ZMQ_REP]
	_ = x[int(engine.DEALER)-C.ZMQ_DEALER]
	_ = x[int(engine.ROUTER)-C.ZMQ_ROUTER]
	_ = x[int(engine.PULL)-C.ZMQ_PULL]
	_ = x[int(engine.PUSH)-C.ZMQ_PUSH]
	_ = x[int(engine.XPUB)-C.ZMQ_XPUB]
	_ = x[int(engine.XSUB)-C.ZMQ_XSUB]
	_ = x[int(engine.STREAM)-C.ZMQ_STREAM]
}
