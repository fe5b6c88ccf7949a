package zmq

import (
	"errors"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/zmqx/zmq/internal/engine"
)

// OptionValues are the effective values of a socket's options, as Options
// reads them back: one field per option, named after its With function
// (WithSendHWM sets SendHWM), holding the value the socket uses now,
// whether it was set or left at its default. Each field's documentation
// is on its With function, with its default.
//
// Durations are whole milliseconds (seconds for the TCP keepalive ones),
// as libzmq keeps them; where a negative value means "infinite" or "the
// system's", it reads back as -1 of that unit. Fields of options that do
// not apply to the socket's type hold their defaults. Secrets (CURVE
// secret keys, PLAIN passwords) are never read back, so that a logged
// OptionValues gives nothing away.
type OptionValues struct {
	// Every socket.
	SendHWM, RecvHWM     int
	Linger               time.Duration // negative: wait forever
	RoutingID            []byte        // nil: none set
	ReconnectInterval    time.Duration // negative: never reconnect
	ReconnectIntervalMax time.Duration
	ConnectTimeout       time.Duration
	HandshakeInterval    time.Duration
	HeartbeatInterval    time.Duration
	HeartbeatTTL         time.Duration
	HeartbeatTimeout     time.Duration // negative: the heartbeat interval
	MaxMsgSize           int64         // negative: no limit
	Immediate            bool
	IPv6                 bool
	SendBuffer           int // negative: the system's
	RecvBuffer           int // negative: the system's
	Backlog              int
	TOS                  int
	TCPKeepalive         int           // -1: the system's setting, 0: off, 1: on
	TCPKeepaliveCount    int           // negative: the system's
	TCPKeepaliveIdle     time.Duration // whole seconds; negative: the system's
	TCPKeepaliveInterval time.Duration // whole seconds; negative: the system's
	TCPMaxRetransmit     time.Duration
	Affinity             uint64
	BindToDevice         string
	SocksProxy           string
	MulticastRate        int
	RecoveryInterval     time.Duration
	MulticastHops        int
	MulticastLoop        bool
	MulticastMaxTPDU     int
	MessageMetadata      bool
	MessageProperties    []string // the names given to WithMessageProperties

	// Security (see WithCurveServer, WithCurveClient, WithPlainServer,
	// WithPlainClient, WithZAPDomain).
	ZAPDomain      string
	CurveServer    bool
	CurveServerKey string // a CURVE client's server key, in Z85; empty when not set
	CurvePublicKey string // a CURVE client's own public key, in Z85; empty when not set
	PlainServer    bool
	PlainUsername  string

	// Publish-subscribe.
	Subscriptions  []string // a Sub's prefixes, sorted, once per Subscribe not yet undone
	TopicSeparator []byte
	TopicFraming   TopicFraming
	InvertMatching bool
	XPubVerbose    bool
	XPubVerboser   bool
	XPubNoDrop     bool
	XPubManual     bool
	XPubWelcomeMsg []byte

	// Request-reply and routing.
	RouterMandatory       bool
	RouterHandover        bool
	ProbeRouter           bool
	ReqCorrelate          bool
	ReqRelaxed            bool
	StreamNotify          bool
	MaxPendingRequests    int
	PendingRequestTimeout time.Duration

	// Pipeline.
	Conflate bool
}

// readBack reads one engine option into OptionValues.
type readBack struct {
	opt engine.Option
	// def is libzmq's default, the value of an option that the engine
	// cannot report (libzmq cannot read some options back) and that this
	// package never set.
	def engine.Value
	put func(*OptionValues, engine.Value)
}

func ms(v engine.Value) time.Duration   { return time.Duration(v.Int) * time.Millisecond }
func secs(v engine.Value) time.Duration { return time.Duration(v.Int) * time.Second }

// orNil returns b, or nil when it is empty: an option not set reads back
// as the zero value.
func orNil(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// readBacks covers every engine option a With function sets, but the
// secret ones and subscriptions.
var readBacks = []readBack{
	{engine.OptSendHWM, engine.Int(1000), func(o *OptionValues, v engine.Value) { o.SendHWM = int(v.Int) }},
	{engine.OptRecvHWM, engine.Int(1000), func(o *OptionValues, v engine.Value) { o.RecvHWM = int(v.Int) }},
	{engine.OptLinger, engine.Int(-1), func(o *OptionValues, v engine.Value) { o.Linger = ms(v) }},
	{engine.OptRoutingID, engine.Value{}, func(o *OptionValues, v engine.Value) { o.RoutingID = orNil(v.Bytes) }},
	{engine.OptReconnectIvl, engine.Int(100), func(o *OptionValues, v engine.Value) { o.ReconnectInterval = ms(v) }},
	{engine.OptReconnectIvlMax, engine.Value{}, func(o *OptionValues, v engine.Value) { o.ReconnectIntervalMax = ms(v) }},
	{engine.OptConnectTimeout, engine.Value{}, func(o *OptionValues, v engine.Value) { o.ConnectTimeout = ms(v) }},
	{engine.OptHandshakeIvl, engine.Int(30000), func(o *OptionValues, v engine.Value) { o.HandshakeInterval = ms(v) }},
	{engine.OptHeartbeatIvl, engine.Value{}, func(o *OptionValues, v engine.Value) { o.HeartbeatInterval = ms(v) }},
	{engine.OptHeartbeatTTL, engine.Value{}, func(o *OptionValues, v engine.Value) { o.HeartbeatTTL = ms(v) }},
	{engine.OptHeartbeatTimeout, engine.Int(-1), func(o *OptionValues, v engine.Value) { o.HeartbeatTimeout = ms(v) }},
	{engine.OptMaxMsgSize, engine.Int(-1), func(o *OptionValues, v engine.Value) { o.MaxMsgSize = v.Int }},
	{engine.OptImmediate, engine.Value{}, func(o *OptionValues, v engine.Value) { o.Immediate = v.Int != 0 }},
	{engine.OptIPv6, engine.Value{}, func(o *OptionValues, v engine.Value) { o.IPv6 = v.Int != 0 }},
	{engine.OptConflate, engine.Value{}, func(o *OptionValues, v engine.Value) { o.Conflate = v.Int != 0 }},
	{engine.OptSendBuffer, engine.Int(-1), func(o *OptionValues, v engine.Value) { o.SendBuffer = int(v.Int) }},
	{engine.OptRecvBuffer, engine.Int(-1), func(o *OptionValues, v engine.Value) { o.RecvBuffer = int(v.Int) }},
	{engine.OptBacklog, engine.Int(100), func(o *OptionValues, v engine.Value) { o.Backlog = int(v.Int) }},
	{engine.OptTOS, engine.Value{}, func(o *OptionValues, v engine.Value) { o.TOS = int(v.Int) }},
	{engine.OptTCPKeepalive, engine.Int(-1), func(o *OptionValues, v engine.Value) { o.TCPKeepalive = int(v.Int) }},
	{engine.OptTCPKeepaliveCount, engine.Int(-1), func(o *OptionValues, v engine.Value) { o.TCPKeepaliveCount = int(v.Int) }},
	{engine.OptTCPKeepaliveIdle, engine.Int(-1), func(o *OptionValues, v engine.Value) { o.TCPKeepaliveIdle = secs(v) }},
	{engine.OptTCPKeepaliveInterval, engine.Int(-1), func(o *OptionValues, v engine.Value) { o.TCPKeepaliveInterval = secs(v) }},
	{engine.OptTCPMaxRetransmit, engine.Value{}, func(o *OptionValues, v engine.Value) { o.TCPMaxRetransmit = ms(v) }},
	{engine.OptAffinity, engine.Value{}, func(o *OptionValues, v engine.Value) { o.Affinity = uint64(v.Int) }},
	{engine.OptBindToDevice, engine.Value{}, func(o *OptionValues, v engine.Value) { o.BindToDevice = string(v.Bytes) }},
	{engine.OptSocksProxy, engine.Value{}, func(o *OptionValues, v engine.Value) { o.SocksProxy = string(v.Bytes) }},
	{engine.OptMulticastRate, engine.Int(100), func(o *OptionValues, v engine.Value) { o.MulticastRate = int(v.Int) }},
	{engine.OptRecoveryIvl, engine.Int(10000), func(o *OptionValues, v engine.Value) { o.RecoveryInterval = ms(v) }},
	{engine.OptMulticastHops, engine.Int(1), func(o *OptionValues, v engine.Value) { o.MulticastHops = int(v.Int) }},
	{engine.OptMulticastLoop, engine.Int(1), func(o *OptionValues, v engine.Value) { o.MulticastLoop = v.Int != 0 }},
	{engine.OptMulticastMaxTPDU, engine.Int(1500), func(o *OptionValues, v engine.Value) { o.MulticastMaxTPDU = int(v.Int) }},
	{engine.OptMessageMetadata, engine.Value{}, func(o *OptionValues, v engine.Value) { o.MessageMetadata = v.Int != 0 }},
	{engine.OptMessageProperties, engine.Value{}, func(o *OptionValues, v engine.Value) { o.MessageProperties = splitNames(v.Bytes) }},
	{engine.OptZAPDomain, engine.Value{}, func(o *OptionValues, v engine.Value) { o.ZAPDomain = string(v.Bytes) }},
	{engine.OptCurveServer, engine.Value{}, func(o *OptionValues, v engine.Value) { o.CurveServer = v.Int != 0 }},
	{engine.OptCurveServerKey, engine.Value{}, func(o *OptionValues, v engine.Value) { o.CurveServerKey = string(v.Bytes) }},
	{engine.OptCurvePublicKey, engine.Value{}, func(o *OptionValues, v engine.Value) { o.CurvePublicKey = string(v.Bytes) }},
	{engine.OptPlainServer, engine.Value{}, func(o *OptionValues, v engine.Value) { o.PlainServer = v.Int != 0 }},
	{engine.OptPlainUsername, engine.Value{}, func(o *OptionValues, v engine.Value) { o.PlainUsername = string(v.Bytes) }},
	{engine.OptInvertMatching, engine.Value{}, func(o *OptionValues, v engine.Value) { o.InvertMatching = v.Int != 0 }},
	{engine.OptXPubVerbose, engine.Value{}, func(o *OptionValues, v engine.Value) { o.XPubVerbose = v.Int != 0 }},
	{engine.OptXPubVerboser, engine.Value{}, func(o *OptionValues, v engine.Value) { o.XPubVerboser = v.Int != 0 }},
	{engine.OptXPubNoDrop, engine.Value{}, func(o *OptionValues, v engine.Value) { o.XPubNoDrop = v.Int != 0 }},
	{engine.OptXPubManual, engine.Value{}, func(o *OptionValues, v engine.Value) { o.XPubManual = v.Int != 0 }},
	{engine.OptXPubWelcomeMsg, engine.Value{}, func(o *OptionValues, v engine.Value) { o.XPubWelcomeMsg = orNil(v.Bytes) }},
	{engine.OptRouterMandatory, engine.Value{}, func(o *OptionValues, v engine.Value) { o.RouterMandatory = v.Int != 0 }},
	{engine.OptRouterHandover, engine.Value{}, func(o *OptionValues, v engine.Value) { o.RouterHandover = v.Int != 0 }},
	{engine.OptProbeRouter, engine.Value{}, func(o *OptionValues, v engine.Value) { o.ProbeRouter = v.Int != 0 }},
	{engine.OptReqCorrelate, engine.Value{}, func(o *OptionValues, v engine.Value) { o.ReqCorrelate = v.Int != 0 }},
	{engine.OptReqRelaxed, engine.Value{}, func(o *OptionValues, v engine.Value) { o.ReqRelaxed = v.Int != 0 }},
	{engine.OptStreamNotify, engine.Int(1), func(o *OptionValues, v engine.Value) { o.StreamNotify = v.Int != 0 }},
}

// Options reads back the effective value of every option of the socket
// (see OptionValues). Each value is read at the time of the call; options
// changed meanwhile by SetOption on another goroutine may show the old or
// the new value. It fails only on a closed socket.
func (s *socket) Options() (OptionValues, error) {
	var o OptionValues
	for _, rb := range readBacks {
		v, err := s.optionValue(rb)
		if err != nil {
			return OptionValues{}, opErr("getsockopt", s.kind, "", err)
		}
		rb.put(&o, v)
	}
	s.setMu.Lock()
	for prefix, n := range s.subs {
		for range n {
			o.Subscriptions = append(o.Subscriptions, prefix)
		}
	}
	s.setMu.Unlock()
	slices.Sort(o.Subscriptions)
	o.TopicSeparator = clone(topicSep(s.cfg))
	o.TopicFraming = s.cfg.framing
	o.MaxPendingRequests = defaultMaxPending
	if s.cfg.maxPending > 0 {
		o.MaxPendingRequests = s.cfg.maxPending
	}
	o.PendingRequestTimeout = s.cfg.pendingTimeout
	return o, nil
}

// optionValue asks the engine for an option's value. libzmq cannot read
// some options back (EINVAL); nobody but this package sets them, so their
// value is the last one set, else the default. An option the engine does
// not support cannot have been set: it has its default.
func (s *socket) optionValue(rb readBack) (engine.Value, error) {
	v, err := s.e.Option(rb.opt)
	switch {
	case err == nil:
		return v, nil
	case errors.Is(err, syscall.EINVAL), errors.Is(err, engine.ErrNotSupported):
		s.setMu.Lock()
		defer s.setMu.Unlock()
		if set, ok := s.set[rb.opt]; ok {
			return engine.Value{Int: set.Int, Bytes: clone(set.Bytes)}, nil
		}
		return rb.def, nil
	}
	return engine.Value{}, err
}

// splitNames splits NUL-separated names; none gives nil.
func splitNames(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	return strings.Split(string(b), "\x00")
}
