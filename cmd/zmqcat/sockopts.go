package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zmqx/zmq"
)

// -o NAME=VALUE sets any socket option the library offers. NAME is
// libzmq's, without ZMQ_ and in any case (sndhwm, reconnect_ivl...).

// sockOpt is one option -o can set.
type sockOpt struct {
	name string
	// types are the TYPEs it applies to; nil: all of them.
	types []string
	value valueParser
}

// valueParser turns VALUE into the option.
type valueParser struct {
	unit string // what VALUE is, for errors
	make func(v string) (zmq.Option, error)
}

// Units of option values.
const (
	unitInt   = "a whole number"
	unitBool  = "0 or 1 (or true, false)"
	unitMs    = "a duration (500ms, 2s) or whole milliseconds; negative: none"
	unitSec   = "a duration in whole seconds (30s) or whole seconds; negative: the OS default"
	unitBytes = "text"
)

func intValue[O zmq.Option](with func(int) O) valueParser {
	return valueParser{unitInt, func(v string) (zmq.Option, error) {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, errWant(unitInt)
		}
		return with(n), nil
	}}
}

func boolValue[O zmq.Option](with func(bool) O) valueParser {
	return valueParser{unitBool, func(v string) (zmq.Option, error) {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, errWant(unitBool)
		}
		return with(b), nil
	}}
}

// durValue reads a Go duration, or a bare number of unit (libzmq's own
// unit for the option).
func durValue[O zmq.Option](unit time.Duration, with func(time.Duration) O) valueParser {
	want := unitMs
	if unit == time.Second {
		want = unitSec
	}
	return valueParser{want, func(v string) (zmq.Option, error) {
		d, err := parseDuration(v, unit)
		if err != nil {
			return nil, errWant(want)
		}
		return with(d), nil
	}}
}

func textValue[O zmq.Option](with func(string) O) valueParser {
	return valueParser{unitBytes, func(v string) (zmq.Option, error) { return with(v), nil }}
}

// parseDuration reads a Go duration ("500ms") or a whole number of unit.
func parseDuration(v string, unit time.Duration) (time.Duration, error) {
	if n, err := strconv.ParseInt(v, 10, 32); err == nil {
		return time.Duration(n) * unit, nil
	}
	return time.ParseDuration(v)
}

type errWant string

func (e errWant) Error() string { return "want " + string(e) }

// The TYPEs of the options that apply to some only, as zmqcat opens them
// (pub is an XPUB underneath, req and rep libzmq's own REQ and REP).
var (
	forConflate = []string{"push", "pull", "sub", "dealer"}
	forInvert   = []string{"pub", "sub", "xpub"}
	forXPub     = []string{"pub", "xpub"}
	forProbe    = []string{"dealer", "router", "req"}
)

// lingerOpt is -o linger: --linger's, since it is also how long zmqcat
// waits for a peer after end of input.
const lingerOpt = "linger"

// sockOpts is every option -o knows, by name.
var sockOpts = func() map[string]sockOpt {
	all := []sockOpt{
		{"sndhwm", nil, intValue(zmq.WithSendHWM)},
		{"rcvhwm", nil, intValue(zmq.WithRecvHWM)},
		{lingerOpt, nil, valueParser{unit: unitMs}},
		{"routing_id", nil, textValue(func(s string) zmq.CommonOption { return zmq.WithRoutingID([]byte(s)) })},
		{"reconnect_ivl", nil, durValue(time.Millisecond, zmq.WithReconnectInterval)},
		{"reconnect_ivl_max", nil, durValue(time.Millisecond, zmq.WithReconnectIntervalMax)},
		{"tcp_keepalive", nil, boolValue(zmq.WithTCPKeepalive)},
		{"tcp_keepalive_cnt", nil, intValue(zmq.WithTCPKeepaliveCount)},
		{"tcp_keepalive_idle", nil, durValue(time.Second, zmq.WithTCPKeepaliveIdle)},
		{"tcp_keepalive_intvl", nil, durValue(time.Second, zmq.WithTCPKeepaliveInterval)},
		{"rate", nil, intValue(zmq.WithMulticastRate)},
		{"recovery_ivl", nil, durValue(time.Millisecond, zmq.WithRecoveryInterval)},
		{"multicast_hops", nil, intValue(zmq.WithMulticastHops)},
		{"multicast_loop", nil, boolValue(zmq.WithMulticastLoop)},
		{"multicast_maxtpdu", nil, intValue(zmq.WithMulticastMaxTPDU)},
		{"maxmsgsize", nil, valueParser{unitInt, func(v string) (zmq.Option, error) {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, errWant(unitInt)
			}
			return zmq.WithMaxMsgSize(n), nil
		}}},
		{"heartbeat_ivl", nil, durValue(time.Millisecond, zmq.WithHeartbeatInterval)},
		{"heartbeat_ttl", nil, durValue(time.Millisecond, zmq.WithHeartbeatTTL)},
		{"heartbeat_timeout", nil, durValue(time.Millisecond, zmq.WithHeartbeatTimeout)},
		{"immediate", nil, boolValue(zmq.WithImmediate)},
		{"sndbuf", nil, intValue(zmq.WithSendBuffer)},
		{"rcvbuf", nil, intValue(zmq.WithRecvBuffer)},
		{"ipv6", nil, boolValue(zmq.WithIPv6)},
		{"handshake_ivl", nil, durValue(time.Millisecond, zmq.WithHandshakeInterval)},
		{"connect_timeout", nil, durValue(time.Millisecond, zmq.WithConnectTimeout)},
		{"tcp_maxrt", nil, durValue(time.Millisecond, zmq.WithTCPMaxRetransmit)},
		{"backlog", nil, intValue(zmq.WithBacklog)},
		{"tos", nil, intValue(zmq.WithTOS)},
		{"affinity", nil, valueParser{"a bit mask, such as 3 or 0x3", func(v string) (zmq.Option, error) {
			n, err := strconv.ParseUint(v, 0, 64)
			if err != nil {
				return nil, errWant("a bit mask, such as 3 or 0x3")
			}
			return zmq.WithAffinity(n), nil
		}}},
		{"bindtodevice", nil, textValue(zmq.WithBindToDevice)},
		{"socks_proxy", nil, textValue(zmq.WithSocksProxy)},
		{"zap_domain", nil, textValue(zmq.WithZAPDomain)},
		{"conflate", forConflate, boolValue(zmq.WithConflate)},
		{"invert_matching", forInvert, boolValue(zmq.WithInvertMatching)},
		{"xpub_verbose", forXPub, boolValue(zmq.WithXPubVerbose)},
		{"xpub_verboser", forXPub, boolValue(zmq.WithXPubVerboser)},
		{"xpub_nodrop", forXPub, boolValue(zmq.WithXPubNoDrop)},
		// Manual subscriptions on pub would leave its subscribers with
		// none: zmqcat applies none itself.
		{"xpub_manual", []string{"xpub"}, boolValue(zmq.WithXPubManual)},
		{"xpub_welcome_msg", forXPub, textValue(func(s string) zmq.XPubOption { return zmq.WithXPubWelcomeMsg([]byte(s)) })},
		{"router_mandatory", []string{"router"}, boolValue(zmq.WithRouterMandatory)},
		{"router_handover", []string{"router"}, boolValue(zmq.WithRouterHandover)},
		{"probe_router", forProbe, boolValue(zmq.WithProbeRouter)},
		{"req_correlate", []string{"req"}, boolValue(zmq.WithReqCorrelate)},
		{"req_relaxed", []string{"req"}, boolValue(zmq.WithReqRelaxed)},
	}
	m := make(map[string]sockOpt, len(all))
	for _, o := range all {
		m[o.name] = o
	}
	return m
}()

// sockOptNames lists the option names, sorted.
func sockOptNames() string {
	names := make([]string, 0, len(sockOpts))
	for n := range sockOpts {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// optionSetting is one -o NAME=VALUE, parsed.
type optionSetting struct {
	name  string
	value string     // VALUE as given
	opt   zmq.Option // nil for linger, which sets linger instead
	// linger is the value of -o linger.
	linger time.Duration
}

// parseOption parses the value of one -o flag for a socket of TYPE typ;
// flag names the flag as typed.
func parseOption(flag, arg, typ string) (optionSetting, error) {
	name, value, ok := strings.Cut(arg, "=")
	if !ok {
		return optionSetting{}, usagef("bad %s %q: want NAME=VALUE (zmqcat -h lists the names)", flag, arg)
	}
	key := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(name)), "-", "_")
	key = strings.TrimPrefix(key, "zmq_")
	o, found := sockOpts[key]
	if !found {
		return optionSetting{}, usagef("bad %s %q: unknown socket option %q; valid: %s", flag, arg, name, sockOptNames())
	}
	if o.types != nil && !slices.Contains(o.types, typ) {
		return optionSetting{}, usagef("bad %s %q: %s applies to %s, not %s", flag, arg, o.name, strings.Join(o.types, ", "), typ)
	}
	if o.name == lingerOpt {
		d, err := parseDuration(value, time.Millisecond)
		if err != nil {
			return optionSetting{}, usagef("bad %s %q: want %s", flag, arg, o.value.unit)
		}
		return optionSetting{name: o.name, value: value, linger: d}, nil
	}
	zo, err := o.value.make(value)
	if err != nil {
		return optionSetting{}, usagef("bad %s %q: %v", flag, arg, err)
	}
	return optionSetting{name: o.name, value: value, opt: zo}, nil
}

// asOption converts a socket option to the option type of the pattern
// that zmqcat opens for TYPE. parseOption lets through only the options
// that apply to TYPE, so this fails only if sockOpts is wrong.
func asOption[T zmq.Option](o zmq.Option) (T, error) {
	t, ok := o.(T)
	if !ok {
		var zero T
		return zero, fmt.Errorf("zmqcat: socket option %T does not fit this socket (a bug in zmqcat's option table)", o)
	}
	return t, nil
}
