package zmq_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/zmqx/zmq"
)

// optioned is any socket whose options can be read back.
type optioned interface {
	Options() (zmq.OptionValues, error)
	Close() error
}

// defaultOptionValues are the documented defaults, as a fresh socket of a
// factory made without options reads them back.
var defaultOptionValues = zmq.OptionValues{
	SendHWM: 1000, RecvHWM: 1000,
	Linger:               100 * time.Millisecond, // the factory's default
	ReconnectInterval:    100 * time.Millisecond,
	HandshakeInterval:    30 * time.Second,
	HeartbeatTimeout:     -time.Millisecond, // the heartbeat interval
	MaxMsgSize:           -1,
	SendBuffer:           -1,
	RecvBuffer:           -1,
	Backlog:              100,
	TCPKeepalive:         -1,
	TCPKeepaliveCount:    -1,
	TCPKeepaliveIdle:     -time.Second,
	TCPKeepaliveInterval: -time.Second,
	MulticastRate:        100,
	RecoveryInterval:     10 * time.Second,
	MulticastHops:        1,
	MulticastLoop:        true,
	MulticastMaxTPDU:     1500,
	TopicSeparator:       []byte{0},
	StreamNotify:         true,
	MaxPendingRequests:   100000,
}

func TestOptionDefaultsReadBack(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	for name, mk := range map[string]func() (optioned, error){
		"PUSH":   func() (optioned, error) { return f.NewPush() },
		"SUB":    func() (optioned, error) { return f.NewSub() },
		"XPUB":   func() (optioned, error) { return f.NewXPub() },
		"ROUTER": func() (optioned, error) { return f.NewRouter() },
		"REP":    func() (optioned, error) { return f.NewRep() },
		"STREAM": func() (optioned, error) { return f.NewSocket(zmq.STREAM) },
	} {
		s, err := mk()
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Options()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, d := range diffOptionValues(got, defaultOptionValues) {
			t.Errorf("%s: %s", name, d)
		}
	}
}

// diffOptionValues lists the fields in which got and want differ.
func diffOptionValues(got, want zmq.OptionValues) []string {
	var diffs []string
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := range g.NumField() {
		gf, wf := g.Field(i).Interface(), w.Field(i).Interface()
		if !reflect.DeepEqual(gf, wf) {
			diffs = append(diffs, fmt.Sprintf("%s = %#v, want %#v", g.Type().Field(i).Name, gf, wf))
		}
	}
	return diffs
}

// Every option reads back as set: at creation, and through SetOption. The
// table must set every field of OptionValues to a value other than its
// default, so that a read-back that ignored the option would fail.
func TestOptionsReadBackEveryOption(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	kp := must[zmq.CurveKeyPair](t)(zmq.NewCurveKeyPair())
	server := must[zmq.CurveKeyPair](t)(zmq.NewCurveKeyPair())
	raw := func(typ zmq.SocketType, opts ...zmq.SocketOption) func() (optioned, error) {
		return func() (optioned, error) { return f.NewSocket(typ, opts...) }
	}
	type want = map[string]any // field name: value read back
	cases := []struct {
		name string
		make func() (optioned, error)
		want want
	}{
		{"HWMs", raw(zmq.PUSH, zmq.WithSendHWM(7), zmq.WithRecvHWM(0)), want{"SendHWM": 7, "RecvHWM": 0}},
		{"Linger", raw(zmq.PUSH, zmq.WithLinger(250*time.Millisecond)), want{"Linger": 250 * time.Millisecond}},
		{"Linger forever", raw(zmq.PUSH, zmq.WithLinger(-time.Hour)), want{"Linger": -time.Millisecond}},
		{"RoutingID", raw(zmq.DEALER, zmq.WithRoutingID([]byte("me"))), want{"RoutingID": []byte("me")}},
		{"reconnect", raw(zmq.PUSH, zmq.WithReconnectInterval(-1), zmq.WithReconnectIntervalMax(2*time.Second)),
			want{"ReconnectInterval": -time.Millisecond, "ReconnectIntervalMax": 2 * time.Second}},
		{"timeouts", raw(zmq.PUSH, zmq.WithConnectTimeout(3*time.Second), zmq.WithHandshakeInterval(4*time.Second),
			zmq.WithTCPMaxRetransmit(5*time.Second)),
			want{"ConnectTimeout": 3 * time.Second, "HandshakeInterval": 4 * time.Second, "TCPMaxRetransmit": 5 * time.Second}},
		{"heartbeats", raw(zmq.PUSH, zmq.WithHeartbeatInterval(time.Second), zmq.WithHeartbeatTTL(2*time.Second),
			zmq.WithHeartbeatTimeout(3*time.Second)),
			want{"HeartbeatInterval": time.Second, "HeartbeatTTL": 2 * time.Second, "HeartbeatTimeout": 3 * time.Second}},
		{"MaxMsgSize", raw(zmq.PULL, zmq.WithMaxMsgSize(1<<20)), want{"MaxMsgSize": int64(1 << 20)}},
		{"flags", raw(zmq.PUSH, zmq.WithImmediate(true), zmq.WithIPv6(true), zmq.WithConflate(true)),
			want{"Immediate": true, "IPv6": true, "Conflate": true}},
		{"buffers", raw(zmq.PUSH, zmq.WithSendBuffer(65536), zmq.WithRecvBuffer(32768)),
			want{"SendBuffer": 65536, "RecvBuffer": 32768}},
		{"listening", raw(zmq.PULL, zmq.WithBacklog(7), zmq.WithTOS(0x10)), want{"Backlog": 7, "TOS": 0x10}},
		{"keepalive", raw(zmq.PUSH, zmq.WithTCPKeepalive(true), zmq.WithTCPKeepaliveCount(3),
			zmq.WithTCPKeepaliveIdle(60*time.Second), zmq.WithTCPKeepaliveInterval(10*time.Second)),
			want{"TCPKeepalive": 1, "TCPKeepaliveCount": 3, "TCPKeepaliveIdle": 60 * time.Second, "TCPKeepaliveInterval": 10 * time.Second}},
		{"keepalive off", raw(zmq.PUSH, zmq.WithTCPKeepalive(false)), want{"TCPKeepalive": 0}},
		{"Affinity", raw(zmq.PUSH, zmq.WithAffinity(0b101)), want{"Affinity": uint64(0b101)}},
		{"devices", raw(zmq.PUSH, zmq.WithBindToDevice("lo"), zmq.WithSocksProxy("127.0.0.1:1080")),
			want{"BindToDevice": "lo", "SocksProxy": "127.0.0.1:1080"}},
		{"multicast", raw(zmq.PUB, zmq.WithMulticastRate(1000), zmq.WithRecoveryInterval(time.Second),
			zmq.WithMulticastHops(5), zmq.WithMulticastLoop(false), zmq.WithMulticastMaxTPDU(9000)),
			want{"MulticastRate": 1000, "RecoveryInterval": time.Second, "MulticastHops": 5, "MulticastLoop": false, "MulticastMaxTPDU": 9000}},
		{"MessageMetadata", raw(zmq.PULL, zmq.WithMessageMetadata(true)), want{"MessageMetadata": true}},
		{"MessageProperties", raw(zmq.PULL, zmq.WithMessageProperties("Socket-Type", "X-Tier")),
			want{"MessageMetadata": true, "MessageProperties": []string{"Socket-Type", "X-Tier"}}},
		{"ZAPDomain", raw(zmq.PULL, zmq.WithZAPDomain("lan")), want{"ZAPDomain": "lan", "MessageMetadata": true}},
		{"CURVE server", raw(zmq.PULL, zmq.WithCurveServer(server.Secret)),
			want{"CurveServer": true, "ZAPDomain": "global", "MessageMetadata": true}},
		{"CURVE client", raw(zmq.PUSH, zmq.WithCurveClient(server.Public, kp)),
			want{"CurveServerKey": server.Public, "CurvePublicKey": kp.Public}},
		{"PLAIN server", raw(zmq.PULL, zmq.WithPlainServer()),
			want{"PlainServer": true, "ZAPDomain": "global", "MessageMetadata": true}},
		{"PLAIN client", raw(zmq.PUSH, zmq.WithPlainClient("alice", "secret")), want{"PlainUsername": "alice"}},
		{"Subscriptions", func() (optioned, error) {
			s, err := f.NewSub(zmq.WithSubscribe("b"), zmq.WithSubscribe("a"))
			if err == nil {
				err = errors.Join(s.Subscribe("b"), s.Subscribe("c"), s.Unsubscribe("c"), s.SetOption(zmq.WithSubscribe("")))
			}
			return s, err
		}, want{"Subscriptions": []string{"", "a", "b", "b"}}},
		{"topics", func() (optioned, error) {
			return f.NewPub(zmq.WithTopicSeparator([]byte("|")), zmq.WithTopicFraming(zmq.TwoFrames), zmq.WithInvertMatching(true))
		}, want{"TopicSeparator": []byte("|"), "TopicFraming": zmq.TwoFrames, "InvertMatching": true}},
		{"XPub", func() (optioned, error) {
			return f.NewXPub(zmq.WithXPubVerbose(true), zmq.WithXPubVerboser(true), zmq.WithXPubNoDrop(true),
				zmq.WithXPubManual(true), zmq.WithXPubWelcomeMsg([]byte("hi")))
		}, want{"XPubVerbose": true, "XPubVerboser": true, "XPubNoDrop": true, "XPubManual": true, "XPubWelcomeMsg": []byte("hi")}},
		{"Router", func() (optioned, error) {
			return f.NewRouter(zmq.WithRouterMandatory(true), zmq.WithRouterHandover(true), zmq.WithProbeRouter(true))
		}, want{"RouterMandatory": true, "RouterHandover": true, "ProbeRouter": true}},
		{"Router SetOption", func() (optioned, error) {
			r, err := f.NewRouter(zmq.WithRouterMandatory(true))
			if err == nil {
				err = r.SetOption(zmq.WithRouterMandatory(false), zmq.WithRouterHandover(true))
			}
			return r, err
		}, want{"RouterMandatory": false, "RouterHandover": true}},
		{"REQ", raw(zmq.REQ, zmq.WithReqCorrelate(true), zmq.WithReqRelaxed(true)), want{"ReqCorrelate": true, "ReqRelaxed": true}},
		{"STREAM", raw(zmq.STREAM, zmq.WithStreamNotify(false)), want{"StreamNotify": false}},
		{"Rep", func() (optioned, error) {
			return f.NewRep(zmq.WithMaxPendingRequests(10), zmq.WithPendingRequestTimeout(time.Minute))
		}, want{"MaxPendingRequests": 10, "PendingRequestTimeout": time.Minute}},
	}

	covered := map[string]bool{}
	for _, c := range cases {
		s, err := c.make()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, err := s.Options()
		if err != nil {
			t.Fatalf("%s: Options: %v", c.name, err)
		}
		gv := reflect.ValueOf(got)
		for field, w := range c.want {
			fv := gv.FieldByName(field)
			if !fv.IsValid() {
				t.Fatalf("%s: OptionValues has no field %s", c.name, field)
			}
			if !reflect.DeepEqual(fv.Interface(), w) {
				t.Errorf("%s: %s = %#v, want %#v", c.name, field, fv.Interface(), w)
			}
			if !reflect.DeepEqual(w, reflect.ValueOf(defaultOptionValues).FieldByName(field).Interface()) {
				covered[field] = true
			}
		}
		if text := fmt.Sprintf("%+v", got); strings.Contains(text, kp.Secret) || strings.Contains(text, server.Secret) ||
			strings.Contains(text, "secret") {
			t.Errorf("%s: OptionValues shows a secret: %s", c.name, text)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	for i := range reflect.TypeFor[zmq.OptionValues]().NumField() {
		if name := reflect.TypeFor[zmq.OptionValues]().Field(i).Name; !covered[name] {
			t.Errorf("no case reads back %s set to a value other than its default", name)
		}
	}
}

func TestOptionsOfAClosedSocket(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	p := must[*zmq.Push](t)(f.NewPush())
	p.Close()
	if _, err := p.Options(); !errors.Is(err, zmq.ErrClosed) {
		t.Errorf("Options after Close: %v, want ErrClosed", err)
	}
}
