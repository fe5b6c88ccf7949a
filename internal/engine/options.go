package engine

import "strconv"

// Option is a socket option. Each has one Kind; durations are whole
// milliseconds (or seconds where the name says so), -1 meaning "infinite"
// or "the system default" as each option documents in the public package.
type Option int

// Socket options.
const (
	OptSendHWM              Option = iota + 1 // int, messages per peer, 0 = no limit
	OptRecvHWM                                // int
	OptLinger                                 // int ms, -1 = wait forever
	OptRoutingID                              // bytes
	OptSubscribe                              // bytes (write only)
	OptUnsubscribe                            // bytes (write only)
	OptReconnectIvl                           // int ms, -1 = never reconnect
	OptReconnectIvlMax                        // int ms, 0 = no back-off
	OptConnectTimeout                         // int ms, 0 = the system's
	OptHandshakeIvl                           // int ms, 0 = no limit
	OptHeartbeatIvl                           // int ms, 0 = off
	OptHeartbeatTTL                           // int ms
	OptHeartbeatTimeout                       // int ms
	OptMaxMsgSize                             // int64 bytes, -1 = no limit
	OptImmediate                              // bool
	OptIPv6                                   // bool
	OptConflate                               // bool
	OptSendBuffer                             // int bytes, -1 = the system's
	OptRecvBuffer                             // int bytes
	OptBacklog                                // int
	OptTOS                                    // int
	OptTCPKeepalive                           // int: -1 system, 0 off, 1 on
	OptTCPKeepaliveCount                      // int
	OptTCPKeepaliveIdle                       // int seconds
	OptTCPKeepaliveInterval                   // int seconds
	OptTCPMaxRetransmit                       // int ms
	OptAffinity                               // int64 (bit mask)
	OptBindToDevice                           // bytes
	OptSocksProxy                             // bytes
	OptMulticastRate                          // int kbit/s
	OptRecoveryIvl                            // int ms
	OptMulticastHops                          // int
	OptMulticastLoop                          // bool
	OptMulticastMaxTPDU                       // int
	OptRouterMandatory                        // bool
	OptRouterHandover                         // bool
	OptProbeRouter                            // bool
	OptReqCorrelate                           // bool
	OptReqRelaxed                             // bool
	OptXPubVerbose                            // bool
	OptXPubVerboser                           // bool
	OptXPubNoDrop                             // bool
	OptXPubManual                             // bool
	OptXPubWelcomeMsg                         // bytes
	OptInvertMatching                         // bool
	OptStreamNotify                           // bool
	OptZAPDomain                              // bytes
	OptZAPEnforceDomain                       // bool
	OptPlainServer                            // bool
	OptPlainUsername                          // bytes
	OptPlainPassword                          // bytes (secret)
	OptCurveServer                            // bool
	OptCurvePublicKey                         // bytes, Z85
	OptCurveSecretKey                         // bytes, Z85 (secret)
	OptCurveServerKey                         // bytes, Z85
	// OptMessageMetadata makes received messages carry their
	// connection's properties (Message.UserID, Message.PeerAddress).
	// It is the engine's, not a ZMQ option.
	OptMessageMetadata // bool
	// OptMessageProperties names connection properties that received
	// messages carry beyond UserID and PeerAddress: names separated by NUL
	// bytes. The libzmq engine can only capture properties by name; the
	// go engine captures all of them and keeps the names for read-back.
	OptMessageProperties // bytes

	// NumOptions is one more than the largest Option, for tables indexed
	// by option.
	NumOptions
)

// Kind is how an option's value is held.
type Kind byte

// Option kinds.
const (
	KindInt   Kind = 'i' // Value.Int, fits a C int
	KindInt64 Kind = 'l' // Value.Int
	KindBool  Kind = 'b' // Value.Int, 0 or 1
	KindBytes Kind = 's' // Value.Bytes
)

// Value is an option's value: Int for the number kinds, Bytes for bytes.
type Value struct {
	Int   int64
	Bytes []byte
}

// Int returns a Value holding n.
func Int(n int) Value { return Value{Int: int64(n)} }

// Bool returns a Value holding b as 0 or 1.
func Bool(b bool) Value {
	if b {
		return Value{Int: 1}
	}
	return Value{}
}

// Bytes returns a Value holding b.
func Bytes(b []byte) Value { return Value{Bytes: b} }

type optInfo struct {
	name   string
	kind   Kind
	secret bool
}

var optInfos = [NumOptions]optInfo{
	OptSendHWM:              {"ZMQ_SNDHWM", KindInt, false},
	OptRecvHWM:              {"ZMQ_RCVHWM", KindInt, false},
	OptLinger:               {"ZMQ_LINGER", KindInt, false},
	OptRoutingID:            {"ZMQ_ROUTING_ID", KindBytes, false},
	OptSubscribe:            {"ZMQ_SUBSCRIBE", KindBytes, false},
	OptUnsubscribe:          {"ZMQ_UNSUBSCRIBE", KindBytes, false},
	OptReconnectIvl:         {"ZMQ_RECONNECT_IVL", KindInt, false},
	OptReconnectIvlMax:      {"ZMQ_RECONNECT_IVL_MAX", KindInt, false},
	OptConnectTimeout:       {"ZMQ_CONNECT_TIMEOUT", KindInt, false},
	OptHandshakeIvl:         {"ZMQ_HANDSHAKE_IVL", KindInt, false},
	OptHeartbeatIvl:         {"ZMQ_HEARTBEAT_IVL", KindInt, false},
	OptHeartbeatTTL:         {"ZMQ_HEARTBEAT_TTL", KindInt, false},
	OptHeartbeatTimeout:     {"ZMQ_HEARTBEAT_TIMEOUT", KindInt, false},
	OptMaxMsgSize:           {"ZMQ_MAXMSGSIZE", KindInt64, false},
	OptImmediate:            {"ZMQ_IMMEDIATE", KindBool, false},
	OptIPv6:                 {"ZMQ_IPV6", KindBool, false},
	OptConflate:             {"ZMQ_CONFLATE", KindBool, false},
	OptSendBuffer:           {"ZMQ_SNDBUF", KindInt, false},
	OptRecvBuffer:           {"ZMQ_RCVBUF", KindInt, false},
	OptBacklog:              {"ZMQ_BACKLOG", KindInt, false},
	OptTOS:                  {"ZMQ_TOS", KindInt, false},
	OptTCPKeepalive:         {"ZMQ_TCP_KEEPALIVE", KindInt, false},
	OptTCPKeepaliveCount:    {"ZMQ_TCP_KEEPALIVE_CNT", KindInt, false},
	OptTCPKeepaliveIdle:     {"ZMQ_TCP_KEEPALIVE_IDLE", KindInt, false},
	OptTCPKeepaliveInterval: {"ZMQ_TCP_KEEPALIVE_INTVL", KindInt, false},
	OptTCPMaxRetransmit:     {"ZMQ_TCP_MAXRT", KindInt, false},
	OptAffinity:             {"ZMQ_AFFINITY", KindInt64, false},
	OptBindToDevice:         {"ZMQ_BINDTODEVICE", KindBytes, false},
	OptSocksProxy:           {"ZMQ_SOCKS_PROXY", KindBytes, false},
	OptMulticastRate:        {"ZMQ_RATE", KindInt, false},
	OptRecoveryIvl:          {"ZMQ_RECOVERY_IVL", KindInt, false},
	OptMulticastHops:        {"ZMQ_MULTICAST_HOPS", KindInt, false},
	OptMulticastLoop:        {"ZMQ_MULTICAST_LOOP", KindBool, false},
	OptMulticastMaxTPDU:     {"ZMQ_MULTICAST_MAXTPDU", KindInt, false},
	OptRouterMandatory:      {"ZMQ_ROUTER_MANDATORY", KindBool, false},
	OptRouterHandover:       {"ZMQ_ROUTER_HANDOVER", KindBool, false},
	OptProbeRouter:          {"ZMQ_PROBE_ROUTER", KindBool, false},
	OptReqCorrelate:         {"ZMQ_REQ_CORRELATE", KindBool, false},
	OptReqRelaxed:           {"ZMQ_REQ_RELAXED", KindBool, false},
	OptXPubVerbose:          {"ZMQ_XPUB_VERBOSE", KindBool, false},
	OptXPubVerboser:         {"ZMQ_XPUB_VERBOSER", KindBool, false},
	OptXPubNoDrop:           {"ZMQ_XPUB_NODROP", KindBool, false},
	OptXPubManual:           {"ZMQ_XPUB_MANUAL", KindBool, false},
	OptXPubWelcomeMsg:       {"ZMQ_XPUB_WELCOME_MSG", KindBytes, false},
	OptInvertMatching:       {"ZMQ_INVERT_MATCHING", KindBool, false},
	OptStreamNotify:         {"ZMQ_STREAM_NOTIFY", KindBool, false},
	OptZAPDomain:            {"ZMQ_ZAP_DOMAIN", KindBytes, false},
	OptZAPEnforceDomain:     {"ZMQ_ZAP_ENFORCE_DOMAIN", KindBool, false},
	OptPlainServer:          {"ZMQ_PLAIN_SERVER", KindBool, false},
	OptPlainUsername:        {"ZMQ_PLAIN_USERNAME", KindBytes, false},
	OptPlainPassword:        {"ZMQ_PLAIN_PASSWORD", KindBytes, true},
	OptCurveServer:          {"ZMQ_CURVE_SERVER", KindBool, false},
	OptCurvePublicKey:       {"ZMQ_CURVE_PUBLICKEY", KindBytes, false},
	OptCurveSecretKey:       {"ZMQ_CURVE_SECRETKEY", KindBytes, true},
	OptCurveServerKey:       {"ZMQ_CURVE_SERVERKEY", KindBytes, false},
	OptMessageMetadata:      {"message metadata", KindBool, false},
	OptMessageProperties:    {"message properties", KindBytes, false},
}

// Valid reports whether o is one of the options above.
func (o Option) Valid() bool { return o > 0 && o < NumOptions }

// String returns the option's ZMQ name ("ZMQ_SNDHWM"), for errors.
func (o Option) String() string {
	if o.Valid() {
		return optInfos[o].name
	}
	return "Option(" + strconv.Itoa(int(o)) + ")"
}

// Kind returns how the option's value is held.
func (o Option) Kind() Kind {
	if o.Valid() {
		return optInfos[o].kind
	}
	return 0
}

// Secret reports whether the value must never appear in errors or logs.
func (o Option) Secret() bool { return o.Valid() && optInfos[o].secret }
