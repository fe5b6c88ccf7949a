package zmq_test

// Fuzz targets for hostile input from outside the process (run long by
// the soak tier; see fuzz_test.go for the parsers inside the package):
//
//   - FuzzHostileWire: arbitrary bytes sent over a raw TCP connection to
//     a bound ROUTER, a bound XPUB and a bound CURVE ROUTER (with an
//     authenticator that admits one client key). While the hostile
//     connection is open, a legitimate client of each gets a round trip
//     through within 1 s, and no message ever reaches the CURVE server
//     from anyone but the admitted key.
//   - FuzzZAPRequest: arbitrary ZAP requests to package auth's
//     authenticator, whose replies must follow RFC 27 and a model of the
//     policy, and which never logs a password.
//   - FuzzLoadCertificate: arbitrary certificate files for
//     auth.LoadCertificate: accepted key pairs are valid and round-trip
//     through WriteCertificate; errors never quote a secret key.
//
// The servers are built once per process (a fuzz worker runs thousands of
// inputs) and each input gets fresh raw connections.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/auth"
)

// hostileBudget is how long a legitimate round trip may take while a
// hostile connection is open.
const hostileBudget = time.Second

func hostileEnc(frames ...[]byte) []byte {
	var b []byte
	for _, f := range frames {
		f = f[:min(len(f), 255)]
		b = append(append(b, byte(len(f))), f...)
	}
	return b
}

// ---------------------------------------------------------------------------
// ZMTP pieces for the seeds (ZeroMQ RFC 23 and, for the old peers, RFC 13
// and RFC 15).

// zmtpGreeting is a ZMTP 3 greeting: signature, version, mechanism,
// as-server, filler (64 bytes).
func zmtpGreeting(major, minor byte, mechanism string, asServer bool) []byte {
	g := []byte{0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, major, minor}
	mech := make([]byte, 20)
	copy(mech, mechanism)
	g = append(g, mech...)
	if asServer {
		g = append(g, 1)
	} else {
		g = append(g, 0)
	}
	return append(g, make([]byte, 31)...)
}

// zmtpCommand is a short command frame: name, then body.
func zmtpCommand(name string, body []byte) []byte {
	b := append([]byte{byte(len(name))}, name...)
	b = append(b, body...)
	return append([]byte{0x04, byte(len(b))}, b...)
}

// zmtpProps encodes metadata properties (name, value pairs).
func zmtpProps(kv ...string) []byte {
	var b []byte
	for i := 0; i+1 < len(kv); i += 2 {
		b = append(b, byte(len(kv[i])))
		b = append(b, kv[i]...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(kv[i+1])))
		b = append(b, kv[i+1]...)
	}
	return b
}

// zmtpFrame is a short message frame; more sets the MORE flag.
func zmtpFrame(body string, more bool) []byte {
	flags := byte(0)
	if more {
		flags = 1
	}
	return append([]byte{flags, byte(len(body))}, body...)
}

// zmtpLongHeader is a long frame header (flags | 0x02) announcing size.
func zmtpLongHeader(flags byte, size uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{flags | 0x02}, size)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// ---------------------------------------------------------------------------
// FuzzHostileWire

const (
	hostileTopic    = "legit:"
	hostileClientID = "legit-client"
)

type hostileServers struct {
	f *zmq.Factory
	// targets, bound on tcp
	router, curve *zmq.Router
	xpub          *zmq.XPub
	addrs         [3]string // router, xpub, curve: host:port
	// legitimate clients
	routerCli, curveCli *zmq.Dealer
	sub                 *zmq.Sub
	clientKey           string
	echoes              sync.WaitGroup
	// set by the CURVE server's echo loop for a message from anyone but
	// the admitted client
	intruder atomic.Pointer[string]
	seq      int
}

func newHostileServers() (*hostileServers, func(), error) {
	f, err := zmq.NewFactory(zmq.WithDefaultLinger(0))
	if err != nil {
		return nil, nil, err
	}
	x := &hostileServers{f: f}
	closeFn := func() {
		f.Close()
		x.echoes.Wait()
	}
	if err := x.start(); err != nil {
		closeFn()
		if s := x.intruder.Load(); s != nil {
			err = fmt.Errorf("%w (%s)", err, *s)
		}
		return nil, nil, err
	}
	return x, closeFn, nil
}

func (x *hostileServers) start() error {
	server, err := zmq.NewCurveKeyPair()
	if err != nil {
		return err
	}
	client, err := zmq.NewCurveKeyPair()
	if err != nil {
		return err
	}
	x.clientKey = client.Public
	a, err := auth.Start(x.f)
	if err != nil {
		return err
	}
	if err := a.AllowCurveKeys(client.Public); err != nil {
		return err
	}
	if x.router, err = x.f.NewRouter(); err != nil {
		return err
	}
	if x.xpub, err = x.f.NewXPub(); err != nil {
		return err
	}
	if x.curve, err = x.f.NewRouter(zmq.WithCurveServer(server.Secret)); err != nil {
		return err
	}
	for i, s := range []interface{ Bind(string) (string, error) }{x.router, x.xpub, x.curve} {
		ep, err := s.Bind("tcp://127.0.0.1:*")
		if err != nil {
			return err
		}
		x.addrs[i] = strings.TrimPrefix(ep, "tcp://")
	}
	x.echoes.Go(func() { x.echo(x.router, "") })
	x.echoes.Go(func() { x.echo(x.curve, client.Public) })

	if x.routerCli, err = x.f.NewDealer(zmq.WithRoutingID([]byte(hostileClientID))); err != nil {
		return err
	}
	if x.curveCli, err = x.f.NewDealer(zmq.WithRoutingID([]byte(hostileClientID)), zmq.WithCurveClient(server.Public, client)); err != nil {
		return err
	}
	if x.sub, err = x.f.NewSub(zmq.WithSubscribe(hostileTopic)); err != nil {
		return err
	}
	for i, c := range []interface{ Connect(string) error }{x.routerCli, x.sub, x.curveCli} {
		if err := c.Connect("tcp://" + x.addrs[i]); err != nil {
			return err
		}
	}
	// The first round trips wait for the connections, the CURVE handshake
	// and the subscription.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		if err := x.roundTrips(ctx, 200*time.Millisecond); err == nil {
			return nil
		}
	}
	return fmt.Errorf("the legitimate clients never got through: %w", x.roundTrips(context.Background(), time.Second))
}

// echo sends every message back to its sender until the socket closes.
// With wantUser set (the CURVE server) only the admitted client may get a
// message through: anything but its pings, from its routing id, with its
// key as user id, is recorded as an intrusion.
func (x *hostileServers) echo(r *zmq.Router, wantUser string) {
	for {
		peer, m, err := r.RecvFrom(context.Background())
		if err != nil {
			return
		}
		if wantUser != "" {
			legit := string(peer) == hostileClientID && len(m.Frames) == 1 && strings.HasPrefix(string(m.Frames[0]), "ping-") &&
				m.UserID() == wantUser
			if !legit {
				s := fmt.Sprintf("the CURVE server received %v from peer %q with user id %q", m, peer, m.UserID())
				x.intruder.CompareAndSwap(nil, &s)
				continue
			}
		}
		r.TrySendTo(peer, m.Frames...) // never waits: a ROUTER drops for a full peer
	}
}

// roundTrips gets one message through each legitimate client, each within
// budget.
func (x *hostileServers) roundTrips(ctx context.Context, budget time.Duration) error {
	x.seq++
	for _, c := range []struct {
		name string
		cli  *zmq.Dealer
	}{{"ROUTER", x.routerCli}, {"CURVE ROUTER", x.curveCli}} {
		nonce := fmt.Sprintf("ping-%d", x.seq)
		start := time.Now()
		rctx, cancel := context.WithTimeout(ctx, budget)
		err := c.cli.Send(rctx, zmq.NewMsgString(nonce))
		var m zmq.Msg
		if err == nil {
			// Stale echoes of earlier, timed-out attempts may come first.
			for {
				if m, err = c.cli.Recv(rctx); err != nil || m.String() == zmq.NewMsgString(nonce).String() || !strings.HasPrefix(string(m.Frames[0]), "ping-") {
					break
				}
			}
		}
		cancel()
		if err != nil {
			return fmt.Errorf("%s: no echo within %v: %w", c.name, budget, err)
		}
		if m.String() != zmq.NewMsgString(nonce).String() {
			return fmt.Errorf("%s: the legitimate client got %v, want its echo %q", c.name, m, nonce)
		}
		if d := time.Since(start); d > budget {
			return fmt.Errorf("%s: round trip took %v, budget %v", c.name, d, budget)
		}
	}
	// XPUB: drain what peers sent upstream, then publish to the legitimate
	// subscriber.
	for {
		if _, err := x.xpub.TryRecv(); err != nil {
			break
		}
	}
	pub := fmt.Sprintf("%s%d", hostileTopic, x.seq)
	start := time.Now()
	rctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	if err := x.xpub.Send(rctx, zmq.NewMsgString(pub)); err != nil {
		return fmt.Errorf("XPUB: publish: %w", err)
	}
	for {
		m, err := x.sub.Recv(rctx)
		if err != nil {
			return fmt.Errorf("XPUB: the legitimate subscriber got nothing within %v: %w", budget, err)
		}
		if m.String() == zmq.NewMsgString(pub).String() {
			break
		}
		if len(m.Frames) != 1 || !strings.HasPrefix(string(m.Frames[0]), hostileTopic) {
			return fmt.Errorf("XPUB: the legitimate subscriber got %v, want %q", m, pub)
		}
		// an earlier publication that arrived after its attempt timed out
	}
	if d := time.Since(start); d > budget {
		return fmt.Errorf("XPUB: delivery took %v, budget %v", d, budget)
	}
	return nil
}

func FuzzHostileWire(f *testing.F) {
	null := zmtpGreeting(3, 0, "NULL", false)
	readyDealer := zmtpCommand("READY", zmtpProps("Socket-Type", "DEALER"))
	readySub := zmtpCommand("READY", zmtpProps("Socket-Type", "SUB"))
	seeds := [][]byte{
		{},
		[]byte("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"),
		[]byte("\x00\x01\x02\x03\xfe\xff garbage \x7f\x80"),
		bytes.Repeat([]byte{0xff}, 300),
		// truncated greetings
		null[:1], null[:10], null[:11], null[:12], null[:32], null[:63],
		// a valid greeting, then garbage
		cat(null, []byte("garbage garbage garbage")),
		cat(null, []byte{0x04, 0xff}),
		// a whole NULL handshake and a message (a ROUTER echoes it)
		cat(null, readyDealer, zmtpFrame("hello", false)),
		cat(null, readyDealer, zmtpFrame("a", true), zmtpFrame("b", false)),
		// announcing the legitimate client's routing id
		cat(null, zmtpCommand("READY", zmtpProps("Socket-Type", "DEALER", "Identity", hostileClientID)), zmtpFrame("hijack", false)),
		// oversize frame headers
		cat(null, readyDealer, zmtpLongHeader(0, 1<<63-1)),
		cat(null, readyDealer, zmtpLongHeader(0, 1<<64-1)),
		cat(null, readyDealer, zmtpLongHeader(1, 1<<40), []byte("partial")),
		cat(null, zmtpLongHeader(0x04, 1<<62)),
		cat(null, readyDealer, bytes.Repeat([]byte{0x01, 0x00}, 500), []byte{0x00, 0x00}),
		// bad READY commands
		cat(null, zmtpCommand("READY", append(zmtpProps("Socket-Type", "DEALER")[:12], 0xff, 0xff, 0xff, 0xff))),
		cat(null, zmtpCommand("READY", zmtpProps("Socket-Type", "BOGUS"))),
		cat(null, zmtpCommand("READY", []byte{0xff})),
		cat(null, zmtpCommand("ERROR", []byte("\x05oops!"))),
		// subscriptions: subscribing to, then unsubscribing from, the
		// legitimate subscriber's topic must not affect it
		cat(null, readySub, zmtpFrame("\x01"+hostileTopic, false)),
		cat(null, readySub, zmtpFrame("\x01"+hostileTopic, false), zmtpFrame("\x00"+hostileTopic, false), zmtpFrame("\x00", false)),
		cat(null, readySub, zmtpCommand("SUBSCRIBE", []byte(hostileTopic)), zmtpCommand("CANCEL", []byte(hostileTopic))),
		// other versions and mechanisms
		zmtpGreeting(3, 1, "NULL", false),
		zmtpGreeting(0xff, 0xff, "NULL", true),
		cat(zmtpGreeting(3, 0, "CURVE", false), zmtpCommand("HELLO", bytes.Repeat([]byte{0xaa}, 194))),
		cat(zmtpGreeting(3, 0, "CURVE", false), zmtpCommand("HELLO", []byte{1, 0})),
		cat(zmtpGreeting(3, 0, "CURVE", false), zmtpCommand("INITIATE", bytes.Repeat([]byte{0x55}, 200))),
		cat(zmtpGreeting(3, 0, "PLAIN", false), zmtpCommand("HELLO", []byte("\xffab"))),
		cat(zmtpGreeting(3, 0, "PLAIN", false), zmtpCommand("HELLO", []byte("\x04user\x04pass")), readyDealer),
		cat(zmtpGreeting(3, 0, "GSSAPI", false), zmtpCommand("HELLO", nil)),
		// ZMTP/1.0: an anonymous identity frame, then a message; and a
		// long (0xff) length
		{0x01, 0x00, 0x06, 0x00, 'h', 'e', 'l', 'l', 'o'},
		cat([]byte{0xff}, binary.BigEndian.AppendUint64(nil, 1<<62), []byte{0x00}),
		// ZMTP 2.0: signature, revision 1, socket type DEALER, identity
		{0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 0x01, 0x05, 0x00, 0x00, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o'},
	}
	for _, s := range seeds {
		f.Add(s)
	}
	fx := zmq.NewFuzzFixture(f, newHostileServers)
	f.Fuzz(func(t *testing.T, data []byte) {
		x := fx.Get(t)
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for i, addr := range x.addrs {
			c, err := net.DialTimeout("tcp", addr, hostileBudget)
			if err != nil {
				t.Fatalf("dial %s (target %d): %v", addr, i, err)
			}
			// Close with RST: thousands of inputs would otherwise leave
			// as many ports in TIME_WAIT.
			c.(*net.TCPConn).SetLinger(0)
			conns = append(conns, c)
			c.SetWriteDeadline(time.Now().Add(hostileBudget))
			c.Write(data) // the server may hang up mid-way; that is its right
		}
		// While the hostile connections are open, every legitimate client
		// still gets through in time.
		if err := x.roundTrips(context.Background(), hostileBudget); err != nil {
			t.Fatalf("after %d hostile bytes %q: %v", len(data), data[:min(len(data), 64)], err)
		}
		if s := x.intruder.Load(); s != nil {
			t.Fatalf("after %d hostile bytes %q: %s", len(data), data[:min(len(data), 64)], *s)
		}
	})
}

// ---------------------------------------------------------------------------
// FuzzZAPRequest

const (
	zapUser     = "admin"
	zapPassword = "pw-Ohx5ieth"
	zapDenied   = "192.0.2.0/24"
)

// zapLog is a slog.Handler that keeps what the authenticator logs.
type zapLog struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (l *zapLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *zapLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *zapLog) WithGroup(string) slog.Handler            { return l }

func (l *zapLog) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, r.Clone())
	return nil
}

func (l *zapLog) take() []slog.Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.recs
	l.recs = nil
	return r
}

type zapFixture struct {
	f      *zmq.Factory
	a      *auth.Authenticator
	cli    *zmq.Dealer
	log    *zapLog
	key    []byte // the admitted CURVE key, binary
	keyZ85 string
	seq    int
}

func newZAPFixture() (*zapFixture, func(), error) {
	f, err := zmq.NewFactory(zmq.WithDefaultLinger(0))
	if err != nil {
		return nil, nil, err
	}
	x := &zapFixture{f: f, log: &zapLog{}}
	err = func() error {
		kp, err := zmq.NewCurveKeyPair()
		if err != nil {
			return err
		}
		x.keyZ85 = kp.Public
		if x.key, err = zmq.Z85Decode(kp.Public); err != nil {
			return err
		}
		logger := slog.New(x.log)
		if x.a, err = auth.Start(f, auth.WithLogger(logger)); err != nil {
			return err
		}
		if err := x.a.AllowCurveKeys(kp.Public); err != nil {
			return err
		}
		if err := x.a.SetPasswords(map[string]string{zapUser: zapPassword}); err != nil {
			return err
		}
		if err := x.a.Deny(zapDenied); err != nil {
			return err
		}
		if x.cli, err = f.NewDealer(); err != nil {
			return err
		}
		return x.cli.Connect(auth.Endpoint)
	}()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return x, func() { f.Close() }, nil
}

// zapModel is what the authenticator must answer to request frames fr:
// no reply (ok false), or a status and user id.
func (x *zapFixture) zapModel(fr [][]byte) (status int, userID string, ok bool) {
	if len(fr) < 3 || len(fr[0]) != 0 {
		return 0, "", false
	}
	if string(fr[1]) != "1.0" || len(fr) < 7 {
		return 500, "", true
	}
	mech, creds := string(fr[6]), fr[7:]
	switch {
	case mech == "NULL" && len(creds) != 0,
		mech == "PLAIN" && len(creds) != 2,
		mech == "CURVE" && (len(creds) != 1 || len(creds[0]) != 32):
		return 500, "", true
	}
	addr := strings.TrimSuffix(strings.TrimPrefix(string(fr[4]), "["), "]")
	if ip, err := netip.ParseAddr(addr); err == nil && netip.MustParsePrefix(zapDenied).Contains(ip.Unmap().WithZone("")) {
		return 400, "", true
	}
	switch mech {
	case "NULL":
		return 200, "", true
	case "PLAIN":
		if string(creds[0]) == zapUser && string(creds[1]) == zapPassword {
			return 200, zapUser, true
		}
	case "CURVE":
		if bytes.Equal(creds[0], x.key) {
			return 200, x.keyZ85, true
		}
	}
	return 400, "", true
}

func FuzzZAPRequest(f *testing.F) {
	b := func(s string) []byte { return []byte(s) }
	for _, fr := range [][][]byte{
		{b(""), b("1.0"), b("1"), b("global"), b("127.0.0.1"), b(""), b("NULL")},
		{b(""), b("1.0"), b("2"), b("global"), b("192.0.2.7"), b(""), b("NULL")},
		{b(""), b("1.0"), b("3"), b(""), b("[::ffff:192.0.2.9]"), b("id"), b("NULL")},
		{b(""), b("1.0"), b("4"), b("global"), b("10.0.0.1"), b(""), b("PLAIN"), b(zapUser), b(zapPassword)},
		{b(""), b("1.0"), b("5"), b("global"), b("10.0.0.1"), b(""), b("PLAIN"), b(zapUser), b("wrong-" + zapPassword)},
		{b(""), b("1.0"), b("6"), b("global"), b("10.0.0.1"), b(""), b("PLAIN"), b(zapUser)},
		{b(""), b("1.0"), b("7"), b("global"), b("10.0.0.1"), b(""), b("CURVE"), bytes.Repeat([]byte{7}, 32)},
		{b(""), b("1.0"), b("8"), b("global"), b("10.0.0.1"), b(""), b("CURVE"), bytes.Repeat([]byte{7}, 31)},
		{b(""), b("1.0"), b("9"), b("global"), b("10.0.0.1"), b(""), b("GSSAPI"), b("token")},
		{b(""), b("1.0"), b("10"), b("global"), b("10.0.0.1"), b(""), b("NULL"), b("extra")},
		{b(""), b("2.0"), b("11"), b("global"), b("10.0.0.1"), b(""), b("NULL")},
		{b(""), b("1.0"), b("12"), b("global")},
		{b(""), b("1.0")},
		{b("x"), b("1.0"), b("13"), b("global"), b("10.0.0.1"), b(""), b("NULL")},
		{b("")},
		{},
	} {
		f.Add(hostileEnc(fr...))
	}
	fx := zmq.NewFuzzFixture(f, newZAPFixture)
	f.Fuzz(func(t *testing.T, data []byte) {
		fr := zmq.DecodeFuzzFrames(data)
		x := fx.Get(t)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		x.log.take()
		before := x.a.Stats()
		// The request under test, then a well-formed sentinel: a request
		// that gets no reply shows up as the sentinel's reply coming first.
		x.seq++
		sentinel := fmt.Sprintf("sentinel-%d", x.seq)
		if len(fr) > 0 {
			if err := x.cli.Send(ctx, zmq.NewMsg(fr...)); err != nil {
				t.Fatal(err)
			}
		}
		if err := x.cli.Send(ctx, zmq.NewMsgString("", "1.0", sentinel, "global", "127.0.0.1", "", "NULL")); err != nil {
			t.Fatal(err)
		}
		status, userID, replied := x.zapModel(fr)
		if len(fr) == 0 {
			replied = false
		}
		m, err := x.cli.Recv(ctx)
		if err != nil {
			t.Fatalf("request %q: no reply: %v", fr, err)
		}
		checkReply := func(m zmq.Msg, id []byte, status int, userID string) {
			t.Helper()
			want := zmq.NewMsg([]byte{}, []byte("1.0"), id, fmt.Appendf(nil, "%d", status))
			if len(m.Frames) != 7 || !bytes.Equal(bytes.Join(m.Frames[:4], []byte{'|'}), bytes.Join(want.Frames, []byte{'|'})) ||
				string(m.Frames[5]) != userID || len(m.Frames[6]) != 0 {
				t.Fatalf("request %q: reply %q, want \"\", 1.0, %q, %d, <text>, %q, \"\"", fr, m.Frames, id, status, userID)
			}
		}
		if replied {
			checkReply(m, fr[2], status, userID)
			if m, err = x.cli.Recv(ctx); err != nil {
				t.Fatalf("sentinel: %v", err)
			}
		}
		checkReply(m, []byte(sentinel), 200, "")
		after := x.a.Stats()
		malformed := !replied || status == 500
		if len(fr) == 0 {
			malformed = false // nothing was sent
		}
		wantReq := uint64(1)
		if len(fr) > 0 {
			wantReq = 2
		}
		if got := after.Requests - before.Requests; got != wantReq {
			t.Fatalf("request %q: Requests grew by %d, want %d", fr, got, wantReq)
		}
		if got := after.Malformed - before.Malformed; got != uint64(btoiH(malformed)) {
			t.Fatalf("request %q: Malformed grew by %d; malformed: %v", fr, got, malformed)
		}
		// No panic, and a password is never logged: no logged value other
		// than the fixed reason holds it (unless the same bytes are also in
		// a field that may be logged).
		pw := ""
		if len(fr) == 9 && string(fr[6]) == "PLAIN" && len(fr[8]) > 0 {
			pw = string(fr[8])
			others := append(fr[:8:8], []byte("global 127.0.0.1 NULL")) // and the sentinel's fields
			for _, v := range others {
				if bytes.Contains(v, fr[8]) {
					pw = ""
				}
			}
		}
		for _, r := range x.log.take() {
			if strings.Contains(r.Message, "panic") {
				t.Fatalf("request %q: the authenticator panicked: %s", fr, r.Message)
			}
			r.Attrs(func(a slog.Attr) bool {
				if pw != "" && a.Key != "reason" && strings.Contains(a.Value.String(), pw) {
					t.Fatalf("request %q: the password %q was logged as %s in %q", fr, pw, a, r.Message)
				}
				return true
			})
		}
	})
}

func btoiH(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ---------------------------------------------------------------------------
// FuzzLoadCertificate

func FuzzLoadCertificate(f *testing.F) {
	kp, err := zmq.NewCurveKeyPair()
	if err != nil {
		f.Fatal(err)
	}
	other, err := zmq.NewCurveKeyPair()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		"metadata\ncurve\n    public-key = \"" + kp.Public + "\"\n",
		"metadata\ncurve\n    public-key = \"" + kp.Public + "\"\n    secret-key = \"" + kp.Secret + "\"\n",
		"curve\n    public-key = \"" + kp.Public + "\"\n    secret-key = \"" + other.Secret + "\"\n", // mismatched pair
		"curve\n\tpublic-key = '" + kp.Public + "'\n\tsecret-key = " + kp.Secret + " # comment\n",
		"curve\n    public-key = \"" + kp.Public[:39] + "~\"\n",
		"curve\n    public-key = \"" + kp.Public + "\"\n    secret-key = \"" + kp.Secret[:39] + "~\"\n",
		"curve\n    public-key = \"" + kp.Public + "\"\n    secret-key = \"" + kp.Secret + "\n",
		"curve\n    public-key = \"" + kp.Public + "\"\n    secret-key = \n",
		"curve\n        public-key = \"" + kp.Public + "\"\n",
		"metadata\n    name = \"x\"\n",
		"metadata\n    name = two words # and a comment\n    q = 'say \"hi\"'\n    both = a\"b'c\n    bad name = x\n" +
			"curve\n    public-key = \"" + kp.Public + "\"\n",
		"#   ZeroMQ CURVE public certificate\n\n",
		"",
		"curve\n    public-key = \"" + strings.Repeat("#", 40) + "\"\n",
		"curve\r\n    public-key = \"" + kp.Public + "\"\r\n",
	} {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, text string) {
		path := filepath.Join(dir, "cert")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := func() (c auth.Certificate, err error) {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("LoadCertificate panicked on %q: %v", text, p)
				}
			}()
			return auth.LoadCertificate(path)
		}()
		if err != nil {
			// Errors never quote a secret key: no 40-character value of a
			// secret-key line appears in them (unless it is also the public
			// key, which may be quoted, or part of the path).
			for _, line := range strings.Split(text, "\n") {
				if _, v, ok := strings.Cut(line, "secret-key"); ok {
					for _, cand := range fortyCharRuns(v) {
						if strings.Contains(err.Error(), cand) && !strings.Contains(path, cand) && !publicValue(text, cand) {
							t.Fatalf("LoadCertificate's error quotes the secret key %q: %v", cand, err)
						}
					}
				}
			}
			if !strings.Contains(err.Error(), path) && !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("LoadCertificate's error does not name the file: %v", err)
			}
			return
		}
		if _, derr := zmq.Z85Decode(got.Public); len(got.Public) != 40 || derr != nil {
			t.Fatalf("LoadCertificate accepted public key %q", got.Public)
		}
		if got.Secret != "" {
			if pub, err := zmq.CurvePublicKey(got.Secret); err != nil || pub != got.Public {
				t.Fatalf("LoadCertificate returned a secret key that does not belong to public key %q (%q, %v)", got.Public, pub, err)
			}
		}
		// Round trip through WriteCertificate, metadata included, unless a
		// value holds both kinds of quotes or a control character that
		// ends a line, which ZPL cannot write.
		unwritable := false
		for _, v := range got.Metadata {
			unwritable = unwritable || strings.Contains(v, `"`) && strings.Contains(v, "'") || strings.ContainsAny(v, "\r\n\x00")
		}
		pubFile, secFile, err := auth.WriteCertificate(dir, "rt", got)
		if unwritable {
			if err == nil {
				t.Fatalf("WriteCertificate wrote metadata %q, which ZPL cannot hold", got.Metadata)
			}
			return
		}
		if err != nil {
			t.Fatalf("WriteCertificate of a loaded certificate: %v", err)
		}
		for _, file := range []string{pubFile, secFile} {
			if file == "" {
				continue
			}
			again, err := auth.LoadCertificate(file)
			want := got.CurveKeyPair
			if file == pubFile {
				want.Secret = ""
			}
			if err != nil || again.CurveKeyPair != want || !maps.Equal(again.Metadata, got.Metadata) {
				t.Fatalf("LoadCertificate(WriteCertificate(%q, %q)) = %q, %q, %v", got.Public, got.Metadata, again.Public, again.Metadata, err)
			}
		}
	})
}

// fortyCharRuns returns the 40-character runs of non-space, non-quote
// characters in s: what could be a key.
func fortyCharRuns(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '"' || r == '\'' || r == '=' || r == '\r' }) {
		if len(w) == 40 {
			out = append(out, w)
		}
	}
	return out
}

// publicValue reports whether v appears on a public-key line of text.
func publicValue(text, v string) bool {
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, "public-key") && strings.Contains(line, v) {
			return true
		}
	}
	return false
}
