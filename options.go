package zmq

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/zmqx/zmq/internal/brief"
	"github.com/zmqx/zmq/internal/engine"
)

func common(s *optSpec) CommonOption { return CommonOption{optSpec: s} }

// WithSendHWM sets the send high-water mark (ZMQ_SNDHWM): how many whole
// messages may queue per peer before a send waits (or, for Pub, drops).
// 0 means no limit. Default 1000. Not live: libzmq 4.3.4 applies a change
// to existing connections in a way that can stall them for good, so
// SetOption refuses it once the socket has bound or connected.
func WithSendHWM(n int) CommonOption {
	return common(intOpt("WithSendHWM", engine.OptSendHWM, n, false, nonNegative))
}

// WithRecvHWM sets the receive high-water mark (ZMQ_RCVHWM) per peer.
// 0 means no limit. Default 1000. Not live, like WithSendHWM.
func WithRecvHWM(n int) CommonOption {
	return common(intOpt("WithRecvHWM", engine.OptRecvHWM, n, false, nonNegative))
}

// WithLinger sets how long Close keeps trying to deliver queued messages
// (ZMQ_LINGER); a negative value waits until all are delivered, 0 discards
// them. Default: the factory's, 100ms unless set by WithDefaultLinger. Live.
func WithLinger(d time.Duration) CommonOption {
	return common(durOpt("WithLinger", engine.OptLinger, d, true, -1))
}

// WithRoutingID sets the identity a ROUTER peer sees for this socket
// (ZMQ_ROUTING_ID, formerly ZMQ_IDENTITY): 1 to 255 bytes, not starting
// with a zero byte. Default: the ROUTER picks a random one.
func WithRoutingID(id []byte) CommonOption {
	s := &optSpec{name: "WithRoutingID(" + brief.Quote(string(id)) + ")"}
	s.apply = func(c *sockConfig) error {
		switch {
		case len(id) == 0 || len(id) > 255:
			return optErr(s.name+" (ZMQ_ROUTING_ID)", fmt.Sprintf("length %d, want 1 to 255 bytes", len(id)))
		case id[0] == 0:
			return optErr(s.name+" (ZMQ_ROUTING_ID)", "must not start with a zero byte (reserved by libzmq)")
		}
		c.sets = append(c.sets, setting{opt: engine.OptRoutingID, val: engine.Bytes(clone(id))})
		return nil
	}
	return common(s)
}

// WithReconnectInterval sets the wait before reconnecting a lost
// connection (ZMQ_RECONNECT_IVL). A negative value disables reconnection.
// Default 100ms.
func WithReconnectInterval(d time.Duration) CommonOption {
	return common(durOpt("WithReconnectInterval", engine.OptReconnectIvl, d, false, -1))
}

// WithReconnectIntervalMax caps the exponential back-off of reconnection
// (ZMQ_RECONNECT_IVL_MAX). 0 means no back-off: always wait the reconnect
// interval. Default 0.
func WithReconnectIntervalMax(d time.Duration) CommonOption {
	return common(durOpt("WithReconnectIntervalMax", engine.OptReconnectIvlMax, d, false, 0))
}

// WithTCPKeepalive turns SO_KEEPALIVE on or off for TCP connections
// (ZMQ_TCP_KEEPALIVE). Default: the operating system's setting (-1).
// Unlike txZMQ, turning it on leaves count, idle and interval at the
// system defaults (-1) rather than 0, which would break delivery.
func WithTCPKeepalive(on bool) CommonOption {
	return common(boolOpt("WithTCPKeepalive", engine.OptTCPKeepalive, on, false))
}

// WithTCPKeepaliveCount sets TCP_KEEPCNT (ZMQ_TCP_KEEPALIVE_CNT): probes
// before the connection is dropped. Negative means the OS default.
// Default -1.
func WithTCPKeepaliveCount(n int) CommonOption {
	return common(intOpt("WithTCPKeepaliveCount", engine.OptTCPKeepaliveCount, keepaliveInt(n), false, positiveOrDefault))
}

// WithTCPKeepaliveIdle sets TCP_KEEPIDLE (ZMQ_TCP_KEEPALIVE_IDLE), in whole
// seconds. Negative means the OS default. Default -1.
func WithTCPKeepaliveIdle(d time.Duration) CommonOption {
	return common(secondsOpt("WithTCPKeepaliveIdle", engine.OptTCPKeepaliveIdle, d))
}

// WithTCPKeepaliveInterval sets TCP_KEEPINTVL (ZMQ_TCP_KEEPALIVE_INTVL),
// in whole seconds. Negative means the OS default. Default -1.
func WithTCPKeepaliveInterval(d time.Duration) CommonOption {
	return common(secondsOpt("WithTCPKeepaliveInterval", engine.OptTCPKeepaliveInterval, d))
}

func keepaliveInt(n int) int {
	if n < 0 {
		return -1
	}
	return n
}

func positiveOrDefault(v int) string {
	if v == 0 {
		return "0 is not allowed (it silently breaks TCP delivery); use a positive value, or negative for the OS default"
	}
	return ""
}

func secondsOpt(name string, opt engine.Option, d time.Duration) *optSpec {
	v := -1
	if d >= 0 {
		v = int(d / time.Second)
	}
	s := intOpt(name, opt, v, false, func(v int) string {
		if d > 0 && d%time.Second != 0 {
			return "must be a whole number of seconds"
		}
		return positiveOrDefault(v)
	})
	s.name = fmt.Sprintf("%s(%v)", name, d)
	return s
}

// WithMulticastRate sets the pgm/epgm/norm data rate in kilobits per
// second (ZMQ_RATE). Default 100.
func WithMulticastRate(kbps int) CommonOption {
	return common(intOpt("WithMulticastRate", engine.OptMulticastRate, kbps, false, positive))
}

// WithRecoveryInterval sets how long a multicast receiver can be absent and
// still recover (ZMQ_RECOVERY_IVL). Default 10s.
func WithRecoveryInterval(d time.Duration) CommonOption {
	return common(durOpt("WithRecoveryInterval", engine.OptRecoveryIvl, d, false, 0))
}

// WithMulticastHops sets the multicast TTL (ZMQ_MULTICAST_HOPS). Default 1:
// the local network only.
func WithMulticastHops(n int) CommonOption {
	return common(intOpt("WithMulticastHops", engine.OptMulticastHops, n, false, positive))
}

// WithMulticastLoop sets whether multicast data is looped back to this host
// (ZMQ_MULTICAST_LOOP). Default true.
func WithMulticastLoop(on bool) CommonOption {
	return common(boolOpt("WithMulticastLoop", engine.OptMulticastLoop, on, false))
}

// WithMulticastMaxTPDU sets the largest multicast transport unit in bytes
// (ZMQ_MULTICAST_MAXTPDU). Default 1500.
func WithMulticastMaxTPDU(n int) CommonOption {
	return common(intOpt("WithMulticastMaxTPDU", engine.OptMulticastMaxTPDU, n, false, positive))
}

func positive(v int) string {
	if v <= 0 {
		return "must be > 0"
	}
	return ""
}

// WithMaxMsgSize sets the largest inbound message in bytes
// (ZMQ_MAXMSGSIZE); a peer that sends a larger one is disconnected.
// Negative means no limit. Default -1.
func WithMaxMsgSize(n int64) CommonOption {
	if n < 0 {
		n = -1
	}
	s := &optSpec{name: fmt.Sprintf("WithMaxMsgSize(%d)", n)}
	s.apply = func(c *sockConfig) error {
		c.sets = append(c.sets, setting{opt: engine.OptMaxMsgSize, val: engine.Value{Int: n}})
		return nil
	}
	return common(s)
}

// maxHeartbeatTTL is the largest ZMQ_HEARTBEAT_TTL libzmq accepts.
const maxHeartbeatTTL = 6553599 * time.Millisecond

// WithHeartbeatInterval sends a ZMTP PING every d on each connection
// (ZMQ_HEARTBEAT_IVL). 0 disables heartbeats. Default 0.
func WithHeartbeatInterval(d time.Duration) CommonOption {
	return common(durOpt("WithHeartbeatInterval", engine.OptHeartbeatIvl, d, false, 0))
}

// WithHeartbeatTTL tells peers to drop the connection if they hear nothing
// for d (ZMQ_HEARTBEAT_TTL), at most 6553.599s, rounded down to tenths of a
// second. 0 means no TTL. Default 0.
func WithHeartbeatTTL(d time.Duration) CommonOption {
	s := durOpt("WithHeartbeatTTL", engine.OptHeartbeatTTL, d, false, 0)
	inner := s.apply
	s.apply = func(c *sockConfig) error {
		if d > maxHeartbeatTTL {
			return optErr(s.name+" (ZMQ_HEARTBEAT_TTL)", fmt.Sprintf("must be at most %v", maxHeartbeatTTL))
		}
		return inner(c)
	}
	return common(s)
}

// WithHeartbeatTimeout drops a connection when nothing arrives within d
// after a PING (ZMQ_HEARTBEAT_TIMEOUT). Default: the heartbeat interval
// (libzmq's -1, which Options reads back as -1ms).
func WithHeartbeatTimeout(d time.Duration) CommonOption {
	return common(durOpt("WithHeartbeatTimeout", engine.OptHeartbeatTimeout, d, false, 0))
}

// WithImmediate queues messages only to completed connections
// (ZMQ_IMMEDIATE): with no connected peer, sends wait instead of filling a
// queue for a peer that may never come. Default false.
//
// On a socket that also receives, beware: with it, libzmq 4.3.4 discards
// the messages a peer sent just before its connection closed that were not
// read yet (a DEALER or REQ loses late replies). Use it on sockets that
// only send, such as Push.
func WithImmediate(on bool) CommonOption {
	return common(boolOpt("WithImmediate", engine.OptImmediate, on, false))
}

// WithSendBuffer sets the kernel send buffer size in bytes (ZMQ_SNDBUF).
// Negative means the OS default. Default -1.
func WithSendBuffer(n int) CommonOption {
	return common(intOpt("WithSendBuffer", engine.OptSendBuffer, keepaliveInt(n), false, nil))
}

// WithRecvBuffer sets the kernel receive buffer size in bytes (ZMQ_RCVBUF).
// Negative means the OS default. Default -1.
func WithRecvBuffer(n int) CommonOption {
	return common(intOpt("WithRecvBuffer", engine.OptRecvBuffer, keepaliveInt(n), false, nil))
}

// WithIPv6 enables IPv6 on tcp endpoints (ZMQ_IPV6). Default false.
func WithIPv6(on bool) CommonOption {
	return common(boolOpt("WithIPv6", engine.OptIPv6, on, false))
}

// WithHandshakeInterval sets how long a new connection may take to finish
// the ZMTP handshake (ZMQ_HANDSHAKE_IVL). 0 means no limit. Default 30s.
func WithHandshakeInterval(d time.Duration) CommonOption {
	return common(durOpt("WithHandshakeInterval", engine.OptHandshakeIvl, d, false, 0))
}

// WithConnectTimeout bounds a TCP connect (ZMQ_CONNECT_TIMEOUT). 0 means
// the OS default. Default 0.
func WithConnectTimeout(d time.Duration) CommonOption {
	return common(durOpt("WithConnectTimeout", engine.OptConnectTimeout, d, false, 0))
}

// WithTCPMaxRetransmit sets TCP_USER_TIMEOUT (ZMQ_TCP_MAXRT): how long sent
// data may stay unacknowledged. 0 means the OS default. Default 0.
func WithTCPMaxRetransmit(d time.Duration) CommonOption {
	return common(durOpt("WithTCPMaxRetransmit", engine.OptTCPMaxRetransmit, d, false, 0))
}

// WithBacklog sets the listen backlog of bound endpoints (ZMQ_BACKLOG).
// Default 100.
func WithBacklog(n int) CommonOption {
	return common(intOpt("WithBacklog", engine.OptBacklog, n, false, positive))
}

// WithTOS sets the IP type-of-service byte (ZMQ_TOS). Default 0.
func WithTOS(n int) CommonOption {
	return common(intOpt("WithTOS", engine.OptTOS, n, false, func(v int) string {
		if v < 0 || v > 255 {
			return "must be 0 to 255"
		}
		return ""
	}))
}

// WithAffinity sets which I/O threads serve new connections, one bit per
// thread (ZMQ_AFFINITY). Default 0: any.
func WithAffinity(mask uint64) CommonOption {
	s := &optSpec{name: fmt.Sprintf("WithAffinity(%#x)", mask)}
	s.apply = func(c *sockConfig) error {
		c.sets = append(c.sets, setting{opt: engine.OptAffinity, val: engine.Value{Int: int64(mask)}})
		return nil
	}
	return common(s)
}

// WithBindToDevice binds connections to a network interface
// (ZMQ_BINDTODEVICE, SO_BINDTODEVICE; needs CAP_NET_RAW). Default none.
func WithBindToDevice(name string) CommonOption {
	return common(bytesOpt("WithBindToDevice", engine.OptBindToDevice, name, 15))
}

// WithSocksProxy connects tcp endpoints through a SOCKS5 proxy at addr,
// "host:port" with a port from 1 to 65535 and an IPv6 host in brackets
// (ZMQ_SOCKS_PROXY). "" means no proxy. Default "".
func WithSocksProxy(addr string) CommonOption {
	s := bytesOpt("WithSocksProxy", engine.OptSocksProxy, addr, 1024)
	inner := s.apply
	s.apply = func(c *sockConfig) error {
		if why := checkProxyAddr(addr); why != "" {
			return optErr(s.name+" (ZMQ_SOCKS_PROXY)", why)
		}
		return inner(c)
	}
	return common(s)
}

// checkProxyAddr says what is wrong with a SOCKS proxy address, or "".
// libzmq accepts any text and only fails, silently and over and over, when
// it connects.
func checkProxyAddr(addr string) string {
	if addr == "" {
		return ""
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return `want "host:port", e.g. "127.0.0.1:1080"`
	}
	if host == "" || strings.ContainsAny(host, " \t\r\n\x00") {
		return "missing or malformed host"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
		return "the port is not a number from 1 to 65535"
	}
	return ""
}

// WithZAPDomain sets the authentication domain (ZMQ_ZAP_DOMAIN) that the
// authenticator sees for this socket's peers. Giving a domain turns
// authentication on, also for the NULL mechanism (IP filtering), and it
// fails closed (ZMQ_ZAP_ENFORCE_DOMAIN): without an authenticator no peer
// gets in. Default: none for NULL sockets, "global" for CURVE and PLAIN
// servers.
func WithZAPDomain(domain string) CommonOption {
	s := bytesOpt("WithZAPDomain", engine.OptZAPDomain, domain, 254)
	s.createOnly = true
	inner := s.apply
	s.apply = func(c *sockConfig) error {
		if domain == "" {
			return optErr(s.name, "must not be empty")
		}
		c.zapDomain = true
		return inner(c)
	}
	return common(s)
}

func bytesOpt(name string, opt engine.Option, v string, max int) *optSpec {
	s := &optSpec{name: name + "(" + brief.Quote(v) + ")"}
	s.apply = func(c *sockConfig) error {
		if len(v) > max {
			return optErr(fmt.Sprintf("%s (%s)", s.name, opt), fmt.Sprintf("%d bytes, the limit is %d", len(v), max))
		}
		c.sets = append(c.sets, setting{opt: opt, val: engine.Bytes([]byte(v))})
		return nil
	}
	return s
}

// WithSubscribe subscribes a Sub to messages whose first frame starts with
// prefix (ZMQ_SUBSCRIBE); "" subscribes to everything. Repeatable. Default:
// no subscription, so nothing is received until Subscribe is called.
func WithSubscribe(prefix string) SubOption {
	s := &optSpec{name: "WithSubscribe(" + brief.Quote(prefix) + ")"}
	s.apply = func(c *sockConfig) error {
		c.sets = append(c.sets, setting{opt: engine.OptSubscribe, val: engine.Bytes([]byte(prefix))})
		return nil
	}
	s.live = true
	return subOnly{optSpec: s}
}

// WithTopicSeparator sets the bytes between topic and body in txZMQ's
// one-frame pub/sub format (topic ‖ separator ‖ body). Default a single
// zero byte, as txZMQ. Must not be empty.
func WithTopicSeparator(sep []byte) TopicOption {
	s := &optSpec{name: "WithTopicSeparator(" + brief.Quote(string(sep)) + ")", createOnly: true}
	s.apply = func(c *sockConfig) error {
		if len(sep) == 0 {
			return optErr(s.name, "must not be empty")
		}
		c.topicSep = clone(sep)
		return nil
	}
	return TopicOption{optSpec: s}
}

// WithTopicFraming sets the form in which Publish sends topic and body:
// OneFrame, txZMQ's topic ‖ separator ‖ body, or TwoFrames, [topic, body],
// as pyzmq's send_multipart and programs written from the ZeroMQ guide
// send and expect. Default OneFrame.
//
// It is a property of the socket rather than of each call: every
// subscriber of a publisher has to read the form it sends, so the choice
// is made once, where the socket is made, and Publish keeps one
// signature. (Send sends any other form as it is.) A Sub needs no such
// option: it reads both forms.
func WithTopicFraming(f TopicFraming) PubOption {
	s := &optSpec{name: "WithTopicFraming(" + f.String() + ")", createOnly: true}
	s.apply = func(c *sockConfig) error {
		if f != OneFrame && f != TwoFrames {
			return optErr(s.name, "want OneFrame or TwoFrames")
		}
		c.framing = f
		return nil
	}
	return pubOnlyOption{optSpec: s}
}

// WithInvertMatching inverts subscription matching (ZMQ_INVERT_MATCHING):
// a Sub receives what does not match its prefixes. Set it on both the
// publisher and the subscriber. Default false.
func WithInvertMatching(on bool) MatchingOption {
	return MatchingOption{optSpec: boolOpt("WithInvertMatching", engine.OptInvertMatching, on, false)}
}

// WithXPubVerbose passes every subscription to the application, not only
// new ones (ZMQ_XPUB_VERBOSE). Default false. Live.
func WithXPubVerbose(on bool) XPubOption {
	return xpubOnly{optSpec: boolOpt("WithXPubVerbose", engine.OptXPubVerbose, on, true)}
}

// WithXPubVerboser passes every subscription and unsubscription
// (ZMQ_XPUB_VERBOSER). Default false. Live.
func WithXPubVerboser(on bool) XPubOption {
	return xpubOnly{optSpec: boolOpt("WithXPubVerboser", engine.OptXPubVerboser, on, true)}
}

// WithXPubNoDrop makes sends wait at the high-water mark instead of
// dropping (ZMQ_XPUB_NODROP). Default false.
func WithXPubNoDrop(on bool) XPubOption {
	return xpubOnly{optSpec: boolOpt("WithXPubNoDrop", engine.OptXPubNoDrop, on, true)}
}

// WithXPubManual hands every subscription and unsubscription to the
// application and applies none by itself (ZMQ_XPUB_MANUAL): a subscriber
// gets what the application grants it with XPub.Subscribe and
// XPub.Unsubscribe, which apply to the subscriber of the subscription
// received last. Default false.
func WithXPubManual(on bool) XPubOption {
	return xpubOnly{optSpec: boolOpt("WithXPubManual", engine.OptXPubManual, on, false)}
}

// WithXPubWelcomeMsg sends msg to every new subscriber (ZMQ_XPUB_WELCOME_MSG).
// Default none.
func WithXPubWelcomeMsg(msg []byte) XPubOption {
	return xpubOnly{optSpec: bytesOpt("WithXPubWelcomeMsg", engine.OptXPubWelcomeMsg, string(msg), 1<<16)}
}

// WithRouterMandatory makes sends to an unknown peer fail with
// ErrHostUnreachable instead of being dropped (ZMQ_ROUTER_MANDATORY), and
// sends to a peer whose queue is full wait instead of dropping (TrySendTo:
// EAGAIN); on a Rep, such a reply waits until Serve's ctx ends (see
// Rep.Serve). Default false. Live.
func WithRouterMandatory(on bool) RoutingOption {
	return RoutingOption{optSpec: boolOpt("WithRouterMandatory", engine.OptRouterMandatory, on, true)}
}

// WithRouterHandover lets a new connection take over the routing id of an
// existing one (ZMQ_ROUTER_HANDOVER). Default false. Live.
func WithRouterHandover(on bool) RoutingOption {
	return RoutingOption{optSpec: boolOpt("WithRouterHandover", engine.OptRouterHandover, on, true)}
}

// WithProbeRouter sends an empty message to each ROUTER peer on connect,
// so it learns this socket's routing id at once (ZMQ_PROBE_ROUTER).
// Default false.
func WithProbeRouter(on bool) ProbeOption {
	return ProbeOption{optSpec: boolOpt("WithProbeRouter", engine.OptProbeRouter, on, true)}
}

// WithConflate keeps only the last message in each queue (ZMQ_CONFLATE);
// multipart messages are not supported with it. Default false.
func WithConflate(on bool) ConflateOption {
	return ConflateOption{optSpec: boolOpt("WithConflate", engine.OptConflate, on, false)}
}

// WithReqCorrelate prefixes requests with an id and accepts only the
// matching reply (ZMQ_REQ_CORRELATE), for a raw REQ Socket. Default false.
func WithReqCorrelate(on bool) SocketOption {
	return rawOnly{optSpec: boolOpt("WithReqCorrelate", engine.OptReqCorrelate, on, true)}
}

// WithReqRelaxed lets a raw REQ Socket send again without waiting for a
// reply (ZMQ_REQ_RELAXED). Default false.
func WithReqRelaxed(on bool) SocketOption {
	return rawOnly{optSpec: boolOpt("WithReqRelaxed", engine.OptReqRelaxed, on, true)}
}

// WithStreamNotify delivers empty connect/disconnect messages on a raw
// STREAM Socket (ZMQ_STREAM_NOTIFY). Default true.
func WithStreamNotify(on bool) SocketOption {
	return rawOnly{optSpec: boolOpt("WithStreamNotify", engine.OptStreamNotify, on, false)}
}

// WithMaxPendingRequests bounds how many received requests a Rep remembers
// while they wait for a reply. When a new request would exceed it, the
// oldest unanswered one is forgotten (its reply can no longer be sent) and
// counted in Stats.RequestsAbandoned. Default 100000.
func WithMaxPendingRequests(n int) RepOption {
	s := &optSpec{name: fmt.Sprintf("WithMaxPendingRequests(%d)", n), createOnly: true}
	s.apply = func(c *sockConfig) error {
		if why := positive(n); why != "" {
			return optErr(s.name, why)
		}
		c.maxPending = n
		return nil
	}
	return repOnly{optSpec: s}
}

// WithPendingRequestTimeout makes a Rep forget a request that was not
// answered within d; a later Reply to it fails. 0 means requests are only
// forgotten when WithMaxPendingRequests is exceeded. Default 0.
func WithPendingRequestTimeout(d time.Duration) RepOption {
	s := &optSpec{name: fmt.Sprintf("WithPendingRequestTimeout(%v)", d), createOnly: true}
	s.apply = func(c *sockConfig) error {
		if d < 0 {
			return optErr(s.name, "must be >= 0")
		}
		c.pendingTimeout = d
		return nil
	}
	return repOnly{optSpec: s}
}

// WithMessageMetadata makes received messages carry the properties of the
// connection they came from (Msg.PeerAddress, Msg.UserID), at a small cost
// per message. Default false, except on sockets that authenticate peers
// (CURVE or PLAIN servers, or with a ZAP domain), where it is always on.
func WithMessageMetadata(on bool) CommonOption {
	s := &optSpec{name: fmt.Sprintf("WithMessageMetadata(%t)", on), createOnly: true}
	s.apply = func(c *sockConfig) error {
		c.metadata = on
		return nil
	}
	return common(s)
}

// maxMessageProperties is how many names WithMessageProperties takes: the
// libzmq engine captures at most 16 properties, two of them User-Id and
// Peer-Address.
const maxMessageProperties = 14

// WithMessageProperties makes received messages carry the named properties
// of the connection they came from, read with Msg.Property: what the peer
// announced in its handshake (Socket-Type, Identity, application
// properties X-...) and what the authenticator attached for it (a Decider's
// metadata). It turns WithMessageMetadata on. Names are compared without
// regard to case; at most 14, each 1 to 255 bytes. Default none.
//
// The libzmq engine can only read properties by name, so it captures
// those named here, each value cut to 1,024 bytes. The go engine captures
// every property whatever the names.
func WithMessageProperties(names ...string) CommonOption {
	s := &optSpec{name: "WithMessageProperties(" + brief.Quote(strings.Join(names, ", ")) + ")", createOnly: true}
	s.apply = func(c *sockConfig) error {
		if len(names) > maxMessageProperties {
			return optErr(s.name, fmt.Sprintf("%d names, at most %d", len(names), maxMessageProperties))
		}
		for _, n := range names {
			if len(n) == 0 || len(n) > 255 || strings.IndexByte(n, 0) >= 0 {
				return optErr(s.name, fmt.Sprintf("property name %s: want 1 to 255 bytes, no NUL", brief.Quote(n)))
			}
		}
		c.metadata = true
		c.sets = append(c.sets, setting{opt: engine.OptMessageProperties, val: engine.Bytes([]byte(strings.Join(names, "\x00")))})
		return nil
	}
	return common(s)
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }
