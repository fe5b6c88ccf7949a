package zmq

// Native Go fuzz targets for what this package parses (run long by the
// soak tier). Plain `go test` runs every target's seed corpus (the f.Add calls
// and testdata/fuzz/<target>/) as ordinary tests; `go test -run '^$' -fuzz
// '^FuzzEndpoint$' .` fuzzes one target, and scripts/soak.sh fuzzes them
// all. Each target checks invariants, not only the absence of panics:
//
//   - FuzzEndpoint: checkEndpoint (what Bind, Connect, Unbind and
//     Disconnect accept) against the documented grammar; rejections name
//     the endpoint; the public calls refuse the same strings with an
//     *OpError before libzmq sees them; accepted inproc and loopback
//     wildcard tcp endpoints really bind, and what Bind returns is itself
//     accepted and unbinds.
//   - FuzzZ85Encode, FuzzCurveKey: Z85 round trips, and CURVE key checks
//     that agree with libzmq's own decoder and with crypto/ecdh, and never
//     quote a secret key.
//   - FuzzRepEnvelope: Rep's split of a ROUTER message into envelope
//     (routing ids, request id, empty delimiter) and parts, directly and
//     over the wire from a DEALER, against txZMQ's rule.
//   - FuzzSplitTopic, FuzzSubMatching, FuzzParseSubscription: txZMQ's
//     topic framing, subscription matching against a model of libzmq's
//     prefix matching, and subscription messages as an XPub sees them.
//   - FuzzRecvMix (fuzz_recv_test.go): not a parser, but the receive paths'
//     buffer handling: Recv, RecvInto, RecvBatch and TryRecv mixed on one
//     stream of messages of any shape must deliver each message whole and
//     leave handed-out messages intact.
//
// Targets that need sockets build them once per process (a fuzz worker
// runs thousands of inputs) and rebuild them after a failed input.

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zmqx/zmq/internal/brief"
	"github.com/zmqx/zmq/internal/libzmq"
)

// fuzzWait bounds every wait in these targets: only a hang reaches it.
const fuzzWait = 10 * time.Second

// DecodeFuzzFrames decodes a fuzz input into frames: each frame is a length byte
// followed by that many bytes (fewer at the end of the input). Empty
// frames, which matter to envelopes, are one zero byte. Exported for the
// external tests of this package only (a _test.go file).
func DecodeFuzzFrames(data []byte) [][]byte {
	var frames [][]byte
	for len(data) > 0 {
		n := min(int(data[0]), len(data)-1)
		frames = append(frames, data[1:1+n:1+n])
		data = data[1+n:]
	}
	return frames
}

// fuzzEnc encodes frames for DecodeFuzzFrames (seeds); frames of more than 255
// bytes are cut.
func fuzzEnc(frames ...string) []byte {
	var b []byte
	for _, f := range frames {
		f = f[:min(len(f), 255)]
		b = append(append(b, byte(len(f))), f...)
	}
	return b
}

// SameFrames says how got differs from want, frame by frame, or returns
// nil. Exported for the external tests of this package only (a _test.go
// file).
func SameFrames(got, want [][]byte) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d frames, want %d", len(got), len(want))
	}
	for j := range want {
		if !bytes.Equal(got[j], want[j]) {
			return fmt.Errorf("frame %d: %d bytes %.16q, want %d bytes %.16q", j, len(got[j]), got[j], len(want[j]), want[j])
		}
	}
	return nil
}

// FuzzFixture is a fixture built on first use in a process, rebuilt after
// an input failed (its sockets may hold leftovers of that input), and
// closed when the fuzz target ends. It exists only in test builds and is
// exported for the fuzz targets of package zmq_test too.
type FuzzFixture[T any] struct {
	build func() (T, func(), error)
	v     T
	close func()
	ok    bool
}

// NewFuzzFixture returns a fixture that build makes when first needed.
func NewFuzzFixture[T any](f *testing.F, build func() (T, func(), error)) *FuzzFixture[T] {
	s := &FuzzFixture[T]{build: build}
	f.Cleanup(s.reset)
	return s
}

// Get returns the fixture, building it first if needed.
func (s *FuzzFixture[T]) Get(t *testing.T) T {
	t.Helper()
	if !s.ok {
		v, closeFn, err := s.build()
		if err != nil {
			t.Fatalf("building the fuzz fixture: %v", err)
		}
		s.v, s.close, s.ok = v, closeFn, true
	}
	t.Cleanup(func() {
		if t.Failed() {
			s.reset()
		}
	})
	return s.v
}

func (s *FuzzFixture[T]) reset() {
	if s.ok {
		s.close()
		var zero T
		s.v, s.close, s.ok = zero, nil, false
	}
}

// fuzzFactory makes a factory with a 0 linger whose background errors are
// collected.
type fuzzFactory struct {
	*Factory
	mu      sync.Mutex
	reports []error
}

func newFuzzFactory() (*fuzzFactory, error) {
	ff := &fuzzFactory{}
	f, err := NewFactory(WithDefaultLinger(0), WithErrorHandler(func(err error) {
		ff.mu.Lock()
		ff.reports = append(ff.reports, err)
		ff.mu.Unlock()
	}))
	if err != nil {
		return nil, err
	}
	ff.Factory = f
	return ff, nil
}

// takeReports returns and forgets the background errors reported so far.
func (ff *fuzzFactory) takeReports() []error {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	r := ff.reports
	ff.reports = nil
	return r
}

// ---------------------------------------------------------------------------
// Endpoints

// fuzzPort is a port as the endpoint grammar allows it: a decimal number
// without sign or leading zeros.
var fuzzPort = regexp.MustCompile(`^(0|[1-9][0-9]{0,4})$`)

// endpointGrammar is the endpoint syntax that Bind and Connect document
// (and TestBadEndpointSyntax tabulates), written down independently of
// checkEndpoint: "" if ep is valid for bind (or connect), else why not.
func endpointGrammar(ep string, bind bool) string {
	i := strings.Index(ep, "://")
	if i < 0 {
		return "no ://"
	}
	scheme, addr := ep[:i], ep[i+3:]
	if addr == "" {
		return "empty address"
	}
	for j := 0; j < len(addr); j++ {
		switch addr[j] {
		case ' ', '\t', '\r', '\n', 0:
			return "white space or NUL"
		}
	}
	// hostPort: host ":" port, split at the last colon. wild: "*" allowed
	// for host and port, and port 0 (bind side).
	hostPort := func(hp string, wild bool) string {
		j := strings.LastIndexByte(hp, ':')
		if j < 0 {
			return "no port"
		}
		host, port := hp[:j], hp[j+1:]
		switch {
		case host == "":
			return "no host"
		case (host[0] == '[') != (host[len(host)-1] == ']'):
			return "unbalanced brackets"
		case host == "*" && !wild:
			return "wildcard host"
		case port == "*":
			if wild {
				return ""
			}
			return "wildcard port"
		case !fuzzPort.MatchString(port):
			return "port not a number"
		}
		n, _ := strconv.Atoi(port)
		switch {
		case n > 65535:
			return "port out of range"
		case n == 0 && !wild:
			return "port 0"
		}
		return ""
	}
	switch scheme {
	case "tcp":
		src, dst, ok := strings.Cut(addr, ";")
		if !ok {
			return hostPort(addr, bind)
		}
		if bind {
			return "source address on bind"
		}
		if why := hostPort(src, true); why != "" {
			return "source: " + why
		}
		return hostPort(dst, false)
	case "ipc":
		if len(addr) > 107 {
			return "ipc path too long"
		}
		return ""
	case "inproc", "tipc", "vmci":
		return ""
	case "pgm", "epgm", "norm":
		_, group, ok := strings.Cut(addr, ";")
		if !ok {
			return "no interface;"
		}
		return hostPort(group, false)
	}
	return "unknown transport"
}

// checkEndpointSafe calls checkEndpoint, failing t on a panic.
func checkEndpointSafe(t *testing.T, ep string, bind bool) (err error) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("checkEndpoint(%q, bind=%v) panicked: %v", ep, bind, p)
		}
	}()
	return checkEndpoint(ep, bind)
}

// loopbackWildcardTCP reports whether ep is "tcp://<IPv4 loopback>:*" or
// ":0": an endpoint the fuzzer may really bind without side effects.
func loopbackWildcardTCP(ep string) (host string, ok bool) {
	rest, ok := strings.CutPrefix(ep, "tcp://")
	if !ok {
		return "", false
	}
	host, port, ok := strings.Cut(rest, ":")
	if !ok || (port != "*" && port != "0") {
		return "", false
	}
	ip := net.ParseIP(host)
	return host, ip != nil && ip.To4() != nil && ip.IsLoopback()
}

type fuzzEndpointFixture struct {
	f    *fuzzFactory
	pull *Pull
}

func FuzzEndpoint(f *testing.F) {
	for _, ep := range []string{
		"tcp://127.0.0.1:5555", "tcp://localhost:5555", "tcp://[::1]:5555", "tcp://eth0:5555",
		"tcp://127.0.0.1:0", "tcp://127.0.0.1:65535", "tcp://127.0.0.1:65536", "tcp://127.0.0.1:99999",
		"tcp://127.0.0.1:*", "tcp://127.0.0.2:*", "tcp://*:5555", "tcp://*:*", "tcp://127.0.0.1",
		"tcp://127.0.0.1:", "tcp://127.0.0.1:5555x", "tcp://127.0.0.1:+5555", "tcp://127.0.0.1:-1",
		"tcp://127.0.0.1:05555", "tcp://127.0.0.1: 5555", "tcp://:5555", "tcp://[::1:5555", "tcp://::1]:5555",
		"tcp://::1:5555", "tcp://1.2.3.4.5:1234567", "tcp://", "tcp://127.0.0.1:0;127.0.0.1:5555",
		"tcp://127.0.0.1:*;127.0.0.1:5555", "tcp://*:*;127.0.0.1:5555", "tcp://127.0.0.1:99999;127.0.0.1:5555",
		"tcp://127.0.0.1:0;127.0.0.1:99999", "tcp://a:1;b;c:2", "tcp://[fe80::1%eth0]:5555",
		"ipc://" + strings.Repeat("p", 107), "ipc://" + strings.Repeat("p", 108), "ipc://*", "ipc://",
		"ipc://with space", "ipc://nul\x00byte", "ipc://@abstract",
		"inproc://name", "inproc://", "inproc://zeromq.zap.01", "inproc://\xff\xfe", "inproc://" + strings.Repeat("n", 1000),
		"inproc://" + strings.Repeat("n", 1014), // 1023 bytes: the longest endpoint Bind can read back (ZMQ_LAST_ENDPOINT, 1024-byte buffer)
		"epgm://eth0;239.192.1.1:5555", "pgm://239.192.1.1:5555", "epgm://eth0;239.192.1.1:99999",
		"norm://eth0;239.192.1.1:5555", "tipc://{5560,0,0}", "vmci://1:5555",
		"", "garbage", "nope://x", "TCP://127.0.0.1:5555", "tcp:/127.0.0.1:5555", "://x", "tcp://://",
		"tcp://127.0.0.1:5555\n", "tcp://127.0.0.1:5555\x00",
	} {
		f.Add(ep)
	}
	fx := NewFuzzFixture(f, func() (*fuzzEndpointFixture, func(), error) {
		ff, err := newFuzzFactory()
		if err != nil {
			return nil, nil, err
		}
		pull, err := ff.NewPull()
		if err != nil {
			ff.Close()
			return nil, nil, err
		}
		return &fuzzEndpointFixture{ff, pull}, func() { ff.Close() }, nil
	})
	f.Fuzz(func(t *testing.T, ep string) {
		var accepted [2]bool // [connect, bind]
		for _, bind := range []bool{false, true} {
			err := checkEndpointSafe(t, ep, bind)
			if again := checkEndpointSafe(t, ep, bind); (again == nil) != (err == nil) || (err != nil && again.Error() != err.Error()) {
				t.Fatalf("checkEndpoint(%q, bind=%v) is not deterministic: %v, then %v", ep, bind, err, again)
			}
			why := endpointGrammar(ep, bind)
			switch {
			case err == nil && why != "":
				t.Fatalf("checkEndpoint(%q, bind=%v) accepted an endpoint the grammar refuses (%s)", ep, bind, why)
			case err != nil && why == "":
				t.Fatalf("checkEndpoint(%q, bind=%v) refused an endpoint the grammar accepts: %v", ep, bind, err)
			case err != nil && !errors.Is(err, ErrInvalidEndpoint):
				t.Fatalf("checkEndpoint(%q, bind=%v): %v does not wrap ErrInvalidEndpoint", ep, bind, err)
			}
			accepted[btoi(bind)] = err == nil
		}
		connectOK, bindOK := accepted[0], accepted[1]

		// Round trip: an accepted host:port is canonical, so formatting the
		// parsed port again gives back the same endpoint.
		if connectOK || bindOK {
			scheme, addr, _ := strings.Cut(ep, "://")
			if scheme == "tcp" {
				for _, hp := range strings.SplitN(addr, ";", 2) {
					i := strings.LastIndexByte(hp, ':')
					if port := hp[i+1:]; port != "*" {
						n, err := strconv.Atoi(port)
						if err != nil || hp[:i]+":"+strconv.Itoa(n) != hp {
							t.Fatalf("accepted %q: %q does not round-trip as host:port", ep, hp)
						}
					}
				}
			}
			// What connect accepts, bind accepts, unless it names a
			// source address (tcp "src;dst", connect only).
			if connectOK && !bindOK && !(scheme == "tcp" && strings.Contains(addr, ";")) {
				t.Fatalf("%q is accepted for connect but not for bind", ep)
			}
			if bindOK && scheme == "tcp" && strings.Contains(addr, ";") {
				t.Fatalf("%q with a source address is accepted for bind", ep)
			}
		}

		x := fx.Get(t)
		// The public calls refuse what checkEndpoint refuses, with an
		// *OpError naming the call and the endpoint, once and cut to a
		// readable length, before libzmq sees it.
		calls := []struct {
			op   string
			bind bool
			call func() error
		}{
			{"bind", true, func() error { _, err := x.pull.Bind(ep); return err }},
			{"unbind", true, func() error { return x.pull.Unbind(ep) }},
			{"connect", false, func() error { return x.pull.Connect(ep) }},
			{"disconnect", false, func() error { return x.pull.Disconnect(ep) }},
		}
		for _, c := range calls {
			if accepted[btoi(c.bind)] {
				continue
			}
			err := c.call()
			var oe *OpError
			switch {
			case !errors.As(err, &oe):
				t.Fatalf("%s(%q): %T %v, want an *OpError", c.op, ep, err, err)
			case oe.Op != c.op || oe.Endpoint != ep || oe.Socket != "PULL":
				t.Fatalf("%s(%q): OpError{Op: %q, Endpoint: %q, Socket: %q}", c.op, ep, oe.Op, oe.Endpoint, oe.Socket)
			case !errors.Is(err, ErrInvalidEndpoint):
				t.Fatalf("%s(%q): %v does not wrap ErrInvalidEndpoint", c.op, ep, err)
			case !namesOnce(err.Error(), "zmq: PULL "+c.op+" ", ep):
				t.Fatalf("%s(%q): %v does not name the endpoint once", c.op, ep, err)
			case len(err.Error()) > maxErrorText:
				t.Fatalf("%s(%d-byte endpoint): a %d-byte error: %.300s", c.op, len(ep), len(err.Error()), err)
			}
		}

		// Accepted endpoints that bind without side effects really bind;
		// the endpoint Bind returns is itself valid and unbinds.
		if !bindOK {
			return
		}
		if host, ok := loopbackWildcardTCP(ep); ok {
			bound, err := x.pull.Bind(ep)
			if err != nil {
				t.Fatalf("Bind(%q): %v", ep, err)
			}
			rest, _ := strings.CutPrefix(bound, "tcp://")
			i := strings.LastIndexByte(rest, ':')
			port, perr := strconv.Atoi(rest[i+1:])
			if !strings.HasPrefix(bound, "tcp://") || rest[:i] != host || perr != nil || port < 1 || port > 65535 {
				t.Fatalf("Bind(%q) returned %q: want tcp://%s:<1..65535>", ep, bound, host)
			}
			for _, b := range []bool{false, true} {
				if err := checkEndpoint(bound, b); err != nil {
					t.Fatalf("Bind(%q) returned %q, which checkEndpoint(bind=%v) refuses: %v", ep, bound, b, err)
				}
			}
			if err := x.pull.Unbind(bound); err != nil {
				t.Fatalf("Unbind(%q) after Bind(%q): %v", bound, ep, err)
			}
		}
		if strings.HasPrefix(ep, "inproc://") {
			bound, err := x.pull.Bind(ep)
			if err != nil {
				// Say whether the endpoint was bound anyway: a Bind that
				// fails must leave nothing bound.
				uerr := x.pull.Unbind(ep)
				t.Fatalf("Bind(%q) (%d bytes): %v; Unbind afterwards: %v (nil: the failed Bind left it bound)", ep, len(ep), err, uerr)
			}
			if bound != ep {
				t.Fatalf("Bind(%q) returned %q", ep, bound)
			}
			if err := x.pull.Unbind(bound); err != nil {
				t.Fatalf("Unbind(%q): %v", bound, err)
			}
		}
		// Connect resolves host names; IP literals need no lookup.
		if connectOK && strings.HasPrefix(ep, "tcp://") {
			rest := strings.TrimPrefix(ep, "tcp://")
			if _, dst, ok := strings.Cut(rest, ";"); ok {
				rest = dst
			}
			host := rest[:strings.LastIndexByte(rest, ':')]
			if net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")) != nil {
				if err := checkResolvable(ep); err != nil {
					t.Fatalf("checkResolvable(%q): %v", ep, err)
				}
			}
		}
	})
}

// maxErrorText bounds the text of an error about a bad value, however
// long the value: it is shown once, cut to brief.Max bytes.
const maxErrorText = 2*brief.Max + 200

// namesOnce reports whether an *OpError's text starts with prefix and
// the endpoint as it shows endpoints, and does not show the endpoint
// again after them (checked for endpoints long enough not to occur by
// chance in the rest of the message).
func namesOnce(text, prefix, endpoint string) bool {
	shown := brief.Show(endpoint)
	head := prefix + shown
	if endpoint == "" {
		head = strings.TrimSuffix(prefix, " ") // an *OpError shows no empty endpoint
	}
	rest, ok := strings.CutPrefix(text, head)
	return ok && (len(shown) < 8 || !strings.Contains(rest, shown))
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ---------------------------------------------------------------------------
// Z85 and CURVE keys (FuzzZ85Decode in security_test.go checks decode then
// encode).

func FuzzZ85Encode(f *testing.F) {
	f.Add([]byte{0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B}) // RFC 32: "HelloWorld"
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{1, 2, 3})
	f.Add(bytes.Repeat([]byte{0xa5}, 32))
	f.Fuzz(func(t *testing.T, b []byte) {
		enc, err := Z85Encode(b)
		if len(b)%4 != 0 {
			if err == nil || !strings.Contains(err.Error(), strconv.Itoa(len(b))) {
				t.Fatalf("Z85Encode of %d bytes: %q, %v; want an error naming the length", len(b), enc, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Z85Encode of %d bytes: %v", len(b), err)
		}
		if len(enc) != len(b)/4*5 {
			t.Fatalf("Z85Encode of %d bytes gave %d characters", len(b), len(enc))
		}
		// Each group of 5 is the big-endian 32-bit word in base 85.
		for i := 0; i < len(enc); i += 5 {
			var v uint64
			for _, c := range []byte(enc[i : i+5]) {
				d := strings.IndexByte(z85Alphabet, c)
				if d < 0 {
					t.Fatalf("Z85Encode produced %q, outside the alphabet", c)
				}
				v = v*85 + uint64(d)
			}
			w := b[i/5*4:]
			if want := uint64(w[0])<<24 | uint64(w[1])<<16 | uint64(w[2])<<8 | uint64(w[3]); v != want {
				t.Fatalf("group %d of Z85Encode(%x) = %q is %d, want %d", i/5, b, enc[i:i+5], v, want)
			}
		}
		dec, err := Z85Decode(enc)
		if err != nil || !bytes.Equal(dec, b) {
			t.Fatalf("Z85Decode(Z85Encode(%x)) = %x, %v", b, dec, err)
		}
	})
}

// curveKeyErrText is the text of checkCurveKey's error for key with quote
// false, or "" when it accepts the key.
func curveKeyErrText(key string) string {
	if err := checkCurveKey("secret key", key, false); err != nil {
		return err.Error()
	}
	return ""
}

func FuzzCurveKey(f *testing.F) {
	f.Add("JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6") // pyzmq's example public key
	f.Add("D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs") // its secret key
	f.Add(strings.Repeat("0", 40))
	f.Add(strings.Repeat("#", 40)) // 85^5-1: overflows 32 bits
	f.Add(strings.Repeat("%", 40))
	f.Add(strings.Repeat("~", 40))
	f.Add(strings.Repeat("0", 39) + "\x00")
	f.Add("short")
	f.Add("")
	f.Fuzz(func(t *testing.T, key string) {
		_, derr := Z85Decode(key)
		valid := len(key) == 40 && derr == nil

		// Secret keys: accepted iff valid, and the error depends on the
		// key's length and validity only, so it cannot quote the key.
		text := curveKeyErrText(key)
		if (text == "") != valid {
			t.Fatalf("checkCurveKey(%q): %q; valid Z85 key: %v", key, text, valid)
		}
		if !valid {
			ref := strings.Repeat("0", len(key))
			if len(key) == 40 {
				ref = strings.Repeat("~", 40) // same length, invalid
			}
			if refText := curveKeyErrText(ref); text != refText {
				t.Fatalf("the error for secret key %q depends on its content: %q, for %q: %q", key, text, ref, refText)
			}
		}
		var cfg sockConfig
		if err := WithCurveServer(key).spec().apply(&cfg); (err == nil) != valid {
			t.Fatalf("WithCurveServer(%q): %v; valid: %v", key, err, valid)
		} else if err != nil && len(key) >= 5 && strings.Contains(err.Error(), key) {
			t.Fatalf("WithCurveServer's error quotes the secret key: %v", err)
		}
		// Public keys are quoted, so the error names the bad value.
		if err := checkCurveKey("public key", key, true); (err == nil) != valid {
			t.Fatalf("checkCurveKey(public %q): %v; valid: %v", key, err, valid)
		} else if err != nil && !strings.Contains(err.Error(), brief.Quote(key)) {
			t.Fatalf("checkCurveKey(public %q): %v does not name the key", key, err)
		}

		// libzmq decodes 40-character keys itself (zmq_curve_public): it
		// must agree with Z85Decode on validity and on the bytes, which
		// crypto/ecdh turns into the same public key. libzmq takes a C
		// string, so a NUL byte would cut the key short; and it decodes a
		// shorter key too, leaving the rest of the secret uninitialized:
		// that is why CurvePublicKey checks the key before libzmq sees it.
		if len(key) != 40 || strings.IndexByte(key, 0) >= 0 || !libzmq.Available {
			return
		}
		pub, cerr := libzmq.CurvePublic(key)
		if (cerr == nil) != valid {
			t.Fatalf("libzmq's zmq_curve_public(%q): %q, %v; Z85Decode says valid: %v (%v)", key, pub, cerr, valid, derr)
		}
		if !valid {
			if _, err := CurvePublicKey(key); err == nil {
				t.Fatalf("CurvePublicKey accepted invalid key %q", key)
			}
			return
		}
		raw, _ := Z85Decode(key)
		priv, err := ecdh.X25519().NewPrivateKey(raw)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Z85Encode(priv.PublicKey().Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if pub != want {
			t.Fatalf("secret key %q: libzmq derives public key %q, crypto/ecdh on Z85Decode's bytes %q", key, pub, want)
		}
		if got, err := CurvePublicKey(key); err != nil || got != want {
			t.Fatalf("CurvePublicKey(%q) = %q, %v; want %q", key, got, err, want)
		}
	})
}

// ---------------------------------------------------------------------------
// txZMQ REQ/REP envelopes

type fuzzRepFixture struct {
	f      *fuzzFactory
	rep    *Rep
	dealer *Dealer
	seq    int
}

// fuzzDealerID is the routing id of the fixture's DEALER: the first frame
// of everything the Rep receives from it.
const fuzzDealerID = "fuzz-dealer"

// envelopeRule is txZMQ's ZmqREPConnection rule: the envelope runs to the
// first empty frame, which must not be the first frame. It returns that
// frame's index, or -1 when the message has no envelope.
func envelopeRule(frames [][]byte) int {
	for i, f := range frames {
		if len(f) == 0 {
			if i == 0 {
				return -1
			}
			return i
		}
	}
	return -1
}

// checkRequest checks a request that Rep made of frames, whose empty
// delimiter is frame i.
func checkRequest(t *testing.T, q *Request, frames [][]byte, i int) {
	t.Helper()
	whole := append(append([][]byte(nil), q.envelope...), q.Frames...)
	switch {
	case SameFrames(whole, frames) != nil:
		t.Fatalf("envelope %q + parts %q do not reassemble to %q", q.envelope, q.Frames, frames)
	case len(q.envelope) != i+1 || len(q.envelope[i]) != 0:
		t.Fatalf("envelope %q of %q does not end at the first empty frame (%d)", q.envelope, frames, i)
	case !bytes.Equal(q.MsgID, frames[i-1]):
		t.Fatalf("request id %q, want the frame before the delimiter, %q", q.MsgID, frames[i-1])
	}
	for _, r := range q.envelope[:i] {
		if len(r) == 0 {
			t.Fatalf("envelope %q has an empty frame before its delimiter", q.envelope)
		}
	}
}

// checkDropped checks that the only background error reported is one
// EnvelopeError for frames.
func checkDropped(t *testing.T, ff *fuzzFactory, frames [][]byte) {
	t.Helper()
	reports := ff.takeReports()
	if len(reports) != 1 {
		t.Fatalf("message %q without an envelope: %d background errors reported (%v), want 1 EnvelopeError", frames, len(reports), reports)
	}
	var ee *EnvelopeError
	if !errors.As(reports[0], &ee) || ee.Socket != "REP" || SameFrames(ee.Msg.Frames, frames) != nil {
		t.Fatalf("message %q without an envelope: reported %#v, want an EnvelopeError of REP naming the message", frames, reports[0])
	}
}

func FuzzRepEnvelope(f *testing.F) {
	for _, frames := range [][]string{
		{"peer", "msgid", "", "body"}, // txZMQ's REQ through one ROUTER
		{"peer", "", "body"},          // plain REQ: the peer id is the request id
		{"peer", "proxy", "msgid", "", "a", "b"},
		{"peer", "msgid", ""}, // no parts
		{"peer", "msgid", "", "", "x"},
		{"", "msgid", "", "body"}, // empty first frame
		{"peer", "msgid", "body"}, // no delimiter
		{""},
		{"peer"},
		{},
		{"\x00", "", "\x00"},
	} {
		f.Add(fuzzEnc(frames...))
	}
	f.Add(append(fuzzEnc("peer", "id", ""), 255, 'x'))
	fx := NewFuzzFixture(f, func() (*fuzzRepFixture, func(), error) {
		ff, err := newFuzzFactory()
		if err != nil {
			return nil, nil, err
		}
		x := &fuzzRepFixture{f: ff}
		err = func() error {
			if x.rep, err = ff.NewRep(); err != nil {
				return err
			}
			if x.dealer, err = ff.NewDealer(WithRoutingID([]byte(fuzzDealerID))); err != nil {
				return err
			}
			ep, err := x.rep.Bind("inproc://fuzz-rep")
			if err != nil {
				return err
			}
			return x.dealer.Connect(ep)
		}()
		if err != nil {
			ff.Close()
			return nil, nil, err
		}
		return x, func() { ff.Close() }, nil
	})
	f.Fuzz(func(t *testing.T, data []byte) {
		frames := DecodeFuzzFrames(data)
		x := fx.Get(t)
		x.f.takeReports()

		// Directly: Rep.parse on frames as if a ROUTER had received them.
		i := envelopeRule(frames)
		before := x.rep.Stats()
		var q *Request
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("Rep.parse(%q) panicked: %v", frames, p)
				}
			}()
			q = x.rep.parse(Msg{Frames: frames})
		}()
		if i < 0 {
			if q != nil {
				t.Fatalf("Rep accepted %q, which has no envelope, as request %q + %q", frames, q.envelope, q.Frames)
			}
			checkDropped(t, x.f, frames)
			if got := x.rep.Stats(); got.MalformedEnvelopes != before.MalformedEnvelopes+1 || got.HandlerErrors != before.HandlerErrors {
				t.Fatalf("for a dropped message, MalformedEnvelopes went from %d to %d and HandlerErrors from %d to %d; want +1 and unchanged",
					before.MalformedEnvelopes, got.MalformedEnvelopes, before.HandlerErrors, got.HandlerErrors)
			}
		} else {
			if q == nil {
				t.Fatalf("Rep dropped %q, whose envelope ends at frame %d", frames, i)
			}
			checkRequest(t, q, frames, i)
			if r := x.f.takeReports(); len(r) != 0 {
				t.Fatalf("request %q: background errors %v", frames, r)
			}
			if got, ok := x.rep.take(q.ID); !ok || got != q {
				t.Fatalf("request %q is not pending under its ID %d", frames, q.ID)
			}
		}

		// Over the wire: a DEALER sends frames, the Rep sees them behind the
		// DEALER's routing id; a reply goes back with the envelope restored.
		// A well-formed request follows as a sentinel, so a dropped message
		// shows up as the sentinel arriving first.
		if len(frames) == 0 {
			return // a message has at least one frame
		}
		ctx, cancel := context.WithTimeout(context.Background(), fuzzWait)
		defer cancel()
		x.seq++
		sentinel := fmt.Sprintf("sentinel-%d", x.seq)
		if err := x.dealer.Send(ctx, Msg{Frames: frames}); err != nil {
			t.Fatalf("DEALER send %q: %v", frames, err)
		}
		if err := x.dealer.Send(ctx, NewMsgString(sentinel, "", "ping")); err != nil {
			t.Fatal(err)
		}
		wire := append([][]byte{[]byte(fuzzDealerID)}, frames...)
		q, err := x.rep.Recv(ctx)
		if err != nil {
			t.Fatalf("Rep.Recv after %q: %v", frames, err)
		}
		if i := envelopeRule(wire); i > 0 {
			checkRequest(t, q, wire, i)
			reply := fmt.Sprintf("reply-%d", x.seq)
			if err := q.Reply(ctx, []byte(reply)); err != nil {
				t.Fatal(err)
			}
			m, err := x.dealer.Recv(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := append(append([][]byte(nil), frames[:i]...), []byte(reply))
			if SameFrames(m.Frames, want) != nil {
				t.Fatalf("request %q: the DEALER got reply %q, want %q", frames, m.Frames, want)
			}
			if q, err = x.rep.Recv(ctx); err != nil {
				t.Fatal(err)
			}
		} else {
			checkDropped(t, x.f, wire)
		}
		if string(q.MsgID) != sentinel || len(q.Frames) != 1 || string(q.Frames[0]) != "ping" {
			t.Fatalf("after %q: got request %q + %q, want the sentinel %s", frames, q.envelope, q.Frames, sentinel)
		}
		if err := q.Reply(ctx, []byte("pong")); err != nil {
			t.Fatal(err)
		}
		if m, err := x.dealer.Recv(ctx); err != nil || m.String() != NewMsgString(sentinel, "", "pong").String() {
			t.Fatalf("sentinel reply: %v, %v", m, err)
		}
		if n := x.rep.Pending(); n != 0 {
			t.Fatalf("%d requests still pending after every request was answered", n)
		}
		if r := x.f.takeReports(); len(r) != 0 {
			t.Fatalf("unexpected background errors: %v", r)
		}
	})
}

// ---------------------------------------------------------------------------
// Pub/sub: topic framing, subscription matching, subscription messages

// fuzzMark starts the marker messages the pub/sub targets use to flush and
// synchronize; fuzzed topics never start with it (they are rewritten).
const fuzzMark = "\xff\xfeMARK"

func unmark(b []byte) []byte {
	if bytes.HasPrefix(b, []byte(fuzzMark)) {
		b = append([]byte{0xfd}, b[1:]...)
	}
	return b
}

type fuzzPubSub struct {
	f    *fuzzFactory
	pub  *Pub  // FuzzSplitTopic
	xpub *XPub // FuzzSubMatching: an XPub, whose subscription messages show when the publisher has a subscription
	ep   string
	sub  *Sub
	// marks counts the marker messages used to synchronize
	marks int
}

// newFuzzPubSub makes a publisher (a Pub, or with verbose an XPub that
// passes on every subscription message) and a Sub connected to it over
// inproc; with subscribeAll the Sub subscribes to everything.
func newFuzzPubSub(verbose, subscribeAll bool) (*fuzzPubSub, func(), error) {
	ff, err := newFuzzFactory()
	if err != nil {
		return nil, nil, err
	}
	x := &fuzzPubSub{f: ff}
	err = func() error {
		if verbose {
			if x.xpub, err = ff.NewXPub(WithXPubVerboser(true), WithSendHWM(100000)); err != nil {
				return err
			}
			x.ep, err = x.xpub.Bind("inproc://fuzz-pub")
		} else {
			if x.pub, err = ff.NewPub(WithSendHWM(100000)); err != nil {
				return err
			}
			x.ep, err = x.pub.Bind("inproc://fuzz-pub")
		}
		if err != nil {
			return err
		}
		return x.freshSub(subscribeAll)
	}()
	if err != nil {
		ff.Close()
		return nil, nil, err
	}
	return x, func() { ff.Close() }, nil
}

func (x *fuzzPubSub) send(ctx context.Context, m Msg) error {
	if x.xpub != nil {
		return x.xpub.Send(ctx, m)
	}
	return x.pub.Send(ctx, m)
}

// freshSub replaces the Sub with a new one, connected and known to the
// publisher. Unsubscribing everything need not reset a Sub (see
// FuzzSubMatching), so inputs that depend on its state get their own.
func (x *fuzzPubSub) freshSub(subscribeAll bool) error {
	if x.sub != nil {
		x.sub.Close()
		x.sub = nil
	}
	sub, err := x.f.NewSub(WithRecvHWM(100000))
	if err != nil {
		return err
	}
	x.sub = sub
	if subscribeAll {
		if err := sub.Subscribe(""); err != nil {
			return err
		}
	}
	if err := sub.Connect(x.ep); err != nil {
		return err
	}
	// Wait until the publisher has the subscriptions made so far.
	ctx, cancel := context.WithTimeout(context.Background(), fuzzWait)
	defer cancel()
	got, err := x.sync(ctx)
	if err == nil && len(got) != 0 {
		err = fmt.Errorf("a new Sub received %v", got)
	}
	return err
}

// sync subscribes a fresh marker, waits until the publisher has that
// subscription (and so every subscription change made before it), then
// sends the marker and receives until it arrives, so every message sent
// before has arrived too. It returns the other messages received
// meanwhile, in order.
func (x *fuzzPubSub) sync(ctx context.Context) ([]Msg, error) {
	x.marks++
	mark := fmt.Sprintf("%s%d", fuzzMark, x.marks)
	if err := x.sub.Subscribe(mark); err != nil {
		return nil, err
	}
	defer x.sub.Unsubscribe(mark)
	var got []Msg
	// recvMark receives until the marker, within wait.
	recvMark := func(wait time.Duration) (bool, error) {
		wctx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		for {
			m, err := x.sub.Recv(wctx)
			if err != nil {
				return false, nil
			}
			if len(m.Frames) > 0 && string(m.Frames[0]) == mark {
				return true, nil
			}
			if len(m.Frames) > 0 && bytes.HasPrefix(m.Frames[0], []byte(fuzzMark)) {
				continue // an earlier marker's late copy
			}
			got = append(got, m)
		}
	}
	if x.xpub != nil {
		// An XPub reads subscriptions in the order the Sub made them: once
		// it shows the marker's, it has applied every one before.
		for {
			m, err := x.xpub.Recv(ctx)
			if err != nil {
				return got, fmt.Errorf("the XPub never saw the subscription to %q: %w", mark, err)
			}
			if sub, p, ok := ParseSubscription(m); ok && sub && p == mark {
				break
			}
		}
		if err := x.xpub.Send(ctx, NewMsgString(mark)); err != nil {
			return got, err
		}
		if ok, _ := recvMark(fuzzWait); !ok {
			return got, fmt.Errorf("marker %q never arrived", mark)
		}
		return got, nil
	}
	// A Pub takes the subscription in when it next processes commands;
	// until then it drops the marker, so send it again, waiting longer
	// each time. (With subscriptions of its own the marker may also match
	// them; FuzzSplitTopic only ever subscribes to everything.)
	wait := 50 * time.Microsecond
	for {
		if err := x.pub.Send(ctx, NewMsgString(mark)); err != nil {
			return got, err
		}
		if ok, _ := recvMark(wait); ok {
			return got, nil
		}
		wait = min(2*wait, 5*time.Millisecond)
		if ctx.Err() != nil {
			return got, fmt.Errorf("marker %q never arrived: %w", mark, ctx.Err())
		}
	}
}

func FuzzSplitTopic(f *testing.F) {
	f.Add(fuzzEnc("tag\x00body"), []byte{0}, []byte("tag"), []byte("body"))
	f.Add(fuzzEnc("a\x00b\x00c"), []byte{0}, []byte("a"), []byte("b\x00c"))
	f.Add(fuzzEnc("tag", "body"), []byte{0}, []byte(""), []byte(""))
	f.Add(fuzzEnc("no separator"), []byte{0}, []byte("t\x00t"), []byte("x"))
	f.Add(fuzzEnc("a", "b", "c"), []byte("::"), []byte("topic"), []byte("::body::"))
	f.Add(fuzzEnc(), []byte{}, []byte("aa"), []byte("a"))
	f.Add(fuzzEnc("aaa"), []byte("aa"), []byte("a"), []byte("aa"))
	f.Add(fuzzEnc("\x00"), []byte{0}, []byte{}, []byte{0})
	fx := NewFuzzFixture(f, func() (*fuzzPubSub, func(), error) { return newFuzzPubSub(false, true) })
	f.Fuzz(func(t *testing.T, data, sep, topic, body []byte) {
		frames := DecodeFuzzFrames(data)
		split := func(m Msg, sep []byte) (tp string, b []byte, err error) {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("SplitTopic(%q, %q) panicked: %v", m.Frames, sep, p)
				}
			}()
			return SplitTopic(m, sep)
		}
		tp, b, err := split(Msg{Frames: frames}, sep)
		switch {
		case len(frames) == 2:
			// txZMQ's compatibility form [topic, body], whatever the separator.
			if err != nil || tp != string(frames[0]) || !bytes.Equal(b, frames[1]) {
				t.Fatalf("SplitTopic(%q): %q, %q, %v; want the two frames", frames, tp, b, err)
			}
		case len(frames) == 1 && len(sep) > 0 && bytes.Contains(frames[0], sep):
			i := bytes.Index(frames[0], sep)
			if err != nil || tp != string(frames[0][:i]) || !bytes.Equal(b, frames[0][i+len(sep):]) {
				t.Fatalf("SplitTopic(%q, %q): %q, %q, %v; want a split at the first separator (%d)", frames, sep, tp, b, err, i)
			}
		default:
			if err == nil || !errors.Is(err, ErrNotTopicFramed) {
				t.Fatalf("SplitTopic(%q, %q) = %q, %q, %v; want ErrNotTopicFramed", frames, sep, tp, b, err)
			}
		}

		// Publish's one-frame form topic ‖ sep ‖ body splits back into
		// topic and body exactly when the topic does not already contain
		// the separator (counting a separator that straddles its end).
		if len(sep) > 0 {
			frame := append(append(append([]byte(nil), topic...), sep...), body...)
			tp, b, err := split(NewMsg(frame), sep)
			i := bytes.Index(frame, sep)
			if err != nil || tp != string(frame[:i]) || !bytes.Equal(b, frame[i+len(sep):]) {
				t.Fatalf("SplitTopic(%q, %q) = %q, %q, %v", frame, sep, tp, b, err)
			}
			if exact := tp == string(topic) && bytes.Equal(b, body); exact != (i == len(topic)) {
				t.Fatalf("topic %q body %q sep %q: split gives %q, %q", topic, body, sep, tp, b)
			}
		}

		// On the wire, with txZMQ's default separator: Publish sends one
		// frame topic ‖ 0 ‖ body, RecvTopic splits it at the first zero.
		x := fx.Get(t)
		ctx, cancel := context.WithTimeout(context.Background(), fuzzWait)
		defer cancel()
		topic = unmark(topic)
		if err := x.pub.Publish(ctx, string(topic), body); err != nil {
			t.Fatal(err)
		}
		got, err := x.sync(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := append(append(append([]byte(nil), topic...), 0), body...)
		if len(got) != 1 || len(got[0].Frames) != 1 || !bytes.Equal(got[0].Frames[0], want) {
			t.Fatalf("Publish(%q, %q): the Sub received %v, want one frame %q", topic, body, got, want)
		}
		tp, b, err = x.sub.Split(got[0])
		i := bytes.IndexByte(topic, 0)
		if i < 0 {
			i = len(topic)
		}
		if err != nil || tp != string(want[:i]) || !bytes.Equal(b, want[i+1:]) {
			t.Fatalf("Sub.Split of %q = %q, %q, %v", want, tp, b, err)
		}
	})
}

// subOp is one step of a FuzzSubMatching script.
type subOp struct {
	kind        byte // 's'ubscribe, 'u'nsubscribe, 'p'ublish (one frame), 'm'ultipart publish
	a, b        []byte
	frame0      []byte // publish: the first frame, which subscriptions match
	description string
}

// subScript decodes a script: each op is a byte (its kind, mod 4) then
// short length-prefixed strings, so that prefixes and topics collide often.
func subScript(data []byte) []subOp {
	str := func(max int) []byte {
		if len(data) == 0 {
			return nil
		}
		n := min(int(data[0])%max, len(data)-1)
		s := data[1 : 1+n]
		data = data[1+n:]
		return append([]byte(nil), s...)
	}
	var ops []subOp
	for len(data) > 0 && len(ops) < 24 {
		k := data[0] % 4
		data = data[1:]
		switch k {
		case 0:
			ops = append(ops, subOp{kind: 's', a: str(5)})
		case 1:
			ops = append(ops, subOp{kind: 'u', a: str(5)})
		case 2:
			topic, body := unmark(str(6)), str(4)
			frame := append(append(append([]byte(nil), topic...), 0), body...)
			ops = append(ops, subOp{kind: 'p', a: topic, b: body, frame0: frame})
		case 3:
			topic, body := unmark(str(6)), str(4)
			ops = append(ops, subOp{kind: 'm', a: topic, b: body, frame0: topic})
		}
	}
	return ops
}

// FuzzSubMatching runs a script of Subscribe, Unsubscribe and publications
// (txZMQ's one-frame and two-frame forms) against a Sub and checks that
// it receives exactly what a model of libzmq's documented matching says:
// counted prefixes, matched against the first frame, in order. Each input
// gets a fresh Sub.
//
// On libzmq 4.3.4 it found that a SUB's ZMQ_UNSUBSCRIBE of a prefix that
// starts with byte 0x01 is taken as a subscription to the rest of the
// prefix (the cancel is read as an old-style subscription message, whose
// first byte is 1): Subscribe(""), Unsubscribe("\x01"), Unsubscribe("")
// still delivered everything. Sub.Unsubscribe now refuses such prefixes
// with ErrInvalidOption, and the model expects that.
func FuzzSubMatching(f *testing.F) {
	// op bytes: 0 subscribe, 1 unsubscribe, 2 Publish, 3 two-frame send;
	// each string is a length byte and that many bytes.
	f.Add([]byte("\x00\x03tag\x02\x03xyz\x03abc\x02\x04tag1\x02hi\x02\x04tag2\x00")) // txZMQ's test_send_recv
	f.Add([]byte("\x00\x00\x02\x01a\x00\x03\x01b\x01x"))                             // "" matches everything
	f.Add([]byte("\x00\x01a\x00\x01a\x01\x01a\x02\x01a\x00\x01\x01a\x02\x01a\x00"))  // counted subscriptions
	f.Add([]byte("\x00\x02a\x00\x02\x01a\x02b\x03\x02a\x00\x00"))                    // prefix across the separator
	f.Add([]byte("\x01\x01z\x02\x01z\x00\x00\x01z\x02\x01z\x00"))                    // unsubscribe first
	f.Add([]byte("\x00\x01\xff\x02\x05\xff\xfeMAR\x00\x03\x01\xff\x01q"))            // near the marker prefix
	f.Add([]byte("\x00\x00\x01\x01\x02\x01\x00\x02\x01x\x00"))                       // unsubscribe an unknown prefix, then everything
	f.Add([]byte("\x00\x02\x02a\x00\x02\x02a\x01\x02\x02a\x02\x03\x02a\x00"))        // prefixes that start with subscription bytes
	fx := NewFuzzFixture(f, func() (*fuzzPubSub, func(), error) { return newFuzzPubSub(true, false) })
	f.Fuzz(func(t *testing.T, data []byte) {
		ops := subScript(data)
		x := fx.Get(t)
		if err := x.freshSub(false); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), fuzzWait)
		defer cancel()
		// The model: a counted set of prefixes; a message is delivered iff
		// its first frame starts with a prefix counted at least once.
		count := map[string]int{}
		var want, received []Msg
		// A Pub filters with the subscriptions that reached it when it
		// sends, a Sub with its own when it reads. So that both agree with
		// the model, a marker round trip separates every run of
		// subscription changes from the publications around it.
		changed, published := false, false
		flush := func() {
			t.Helper()
			got, err := x.sync(ctx)
			if err != nil {
				t.Fatalf("sync: %v", err)
			}
			received = append(received, got...)
			changed, published = false, false
		}
		for _, op := range ops {
			if published && (op.kind == 's' || op.kind == 'u') || changed && (op.kind == 'p' || op.kind == 'm') {
				flush()
			}
			switch op.kind {
			case 's':
				if err := x.sub.Subscribe(string(op.a)); err != nil {
					t.Fatalf("Subscribe(%q): %v", op.a, err)
				}
				count[string(op.a)]++
				changed = true
			case 'u':
				err := x.sub.Unsubscribe(string(op.a))
				if len(op.a) > 0 && op.a[0] == 1 {
					if !errors.Is(err, ErrInvalidOption) {
						t.Fatalf("Unsubscribe(%q): %v, want ErrInvalidOption", op.a, err)
					}
					continue // refused: nothing changed
				}
				if err != nil {
					t.Fatalf("Unsubscribe(%q): %v", op.a, err)
				}
				if count[string(op.a)] > 0 {
					count[string(op.a)]--
				}
				changed = true
			case 'p', 'm':
				published = true
				// txZMQ's one-frame form (what Pub.Publish sends, see
				// FuzzSplitTopic) or its two-frame form.
				m := NewMsg(op.frame0)
				if op.kind == 'm' {
					m = NewMsg(op.a, op.b)
				}
				if err := x.send(ctx, m); err != nil {
					t.Fatal(err)
				}
				for p, n := range count {
					if n > 0 && bytes.HasPrefix(op.frame0, []byte(p)) {
						want = append(want, m)
						break
					}
				}
			}
		}
		flush()
		got := received
		if len(got) != len(want) || !func() bool {
			for i := range got {
				if SameFrames(got[i].Frames, want[i].Frames) != nil {
					return false
				}
			}
			return true
		}() {
			t.Fatalf("script %s: the Sub received %v, the prefix-matching model wants %v", subOpsString(ops), got, want)
		}
	})
}

func subOpsString(ops []subOp) string {
	var b strings.Builder
	for _, op := range ops {
		switch op.kind {
		case 's', 'u':
			fmt.Fprintf(&b, "%c(%q) ", op.kind, op.a)
		default:
			fmt.Fprintf(&b, "%c(%q, %q) ", op.kind, op.a, op.b)
		}
	}
	return b.String()
}

type fuzzXPubFixture struct {
	f    *fuzzFactory
	xpub *XPub
	ep   string
}

func FuzzParseSubscription(f *testing.F) {
	f.Add(fuzzEnc("\x01topic"), []byte("topic"))
	f.Add(fuzzEnc("\x00topic"), []byte(""))
	f.Add(fuzzEnc("\x01"), []byte("\x00"))
	f.Add(fuzzEnc("\x02x"), []byte("\x01"))
	f.Add(fuzzEnc(""), []byte("a\x00b"))
	f.Add(fuzzEnc("\x01a", "b"), []byte{0xff})
	f.Add(fuzzEnc(), []byte{})
	fx := NewFuzzFixture(f, func() (*fuzzXPubFixture, func(), error) {
		ff, err := newFuzzFactory()
		if err != nil {
			return nil, nil, err
		}
		x := &fuzzXPubFixture{f: ff}
		err = func() error {
			if x.xpub, err = ff.NewXPub(WithXPubVerboser(true)); err != nil {
				return err
			}
			x.ep, err = x.xpub.Bind("inproc://fuzz-xpub")
			return err
		}()
		if err != nil {
			ff.Close()
			return nil, nil, err
		}
		return x, func() { ff.Close() }, nil
	})
	f.Fuzz(func(t *testing.T, data, prefix []byte) {
		frames := DecodeFuzzFrames(data)
		parse := func(m Msg) (sub bool, p string, ok bool) {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("ParseSubscription(%q) panicked: %v", m.Frames, r)
				}
			}()
			return ParseSubscription(m)
		}
		isSub, p, ok := parse(Msg{Frames: frames})
		wantOK := len(frames) == 1 && len(frames[0]) > 0 && frames[0][0] <= 1
		switch {
		case ok != wantOK:
			t.Fatalf("ParseSubscription(%q): ok %v, want %v", frames, ok, wantOK)
		case ok && (isSub != (frames[0][0] == 1) || p != string(frames[0][1:])):
			t.Fatalf("ParseSubscription(%q) = %v, %q", frames, isSub, p)
		case !ok && (isSub || p != ""):
			t.Fatalf("ParseSubscription(%q) = %v, %q with ok false", frames, isSub, p)
		}

		// On the wire: what a Sub (setsockopt) and an XSub (a message) send
		// for Subscribe and Unsubscribe reaches an XPub as a message that
		// ParseSubscription reads back as the same prefix.
		// Each input gets its own Sub and XSub: a Sub's state can outlive
		// an unsubscription (see FuzzSubMatching).
		x := fx.Get(t)
		ctx, cancel := context.WithTimeout(context.Background(), fuzzWait)
		defer cancel()
		sub, err := x.f.NewSub()
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Close()
		xsub, err := x.f.NewXSub()
		if err != nil {
			t.Fatal(err)
		}
		defer xsub.Close()
		if err := sub.Connect(x.ep); err != nil {
			t.Fatal(err)
		}
		if err := xsub.Connect(x.ep); err != nil {
			t.Fatal(err)
		}
		expect := func(who string, subscribe bool) {
			t.Helper()
			m, err := x.xpub.Recv(ctx)
			if err != nil {
				t.Fatalf("%s: XPub.Recv: %v", who, err)
			}
			s, p, ok := ParseSubscription(m)
			if !ok || s != subscribe || p != string(prefix) {
				t.Fatalf("%s(%q): the XPub received %q, parsed as %v, %q, %v", who, prefix, m.Frames, s, p, ok)
			}
		}
		if err := sub.Subscribe(string(prefix)); err != nil {
			t.Fatal(err)
		}
		expect("Sub.Subscribe", true)
		if len(prefix) > 0 && prefix[0] == 1 {
			// Refused (libzmq would subscribe instead); drop it through
			// the XSub path's cancel below instead.
			if err := sub.Unsubscribe(string(prefix)); !errors.Is(err, ErrInvalidOption) {
				t.Fatalf("Sub.Unsubscribe(%q): %v, want ErrInvalidOption", prefix, err)
			}
			sub.Close()
			if m, err := x.xpub.Recv(ctx); err != nil || len(m.Frames) != 1 || !bytes.Equal(m.Frames[0], append([]byte{0}, prefix...)) {
				t.Fatalf("closing the Sub: the XPub received %v, %v; want the cancel of %q", m, err, prefix)
			}
		} else {
			if err := sub.Unsubscribe(string(prefix)); err != nil {
				t.Fatal(err)
			}
			expect("Sub.Unsubscribe", false)
		}
		if err := xsub.Subscribe(string(prefix)); err != nil {
			t.Fatal(err)
		}
		expect("XSub.Subscribe", true)
		if err := xsub.Unsubscribe(string(prefix)); err != nil {
			t.Fatal(err)
		}
		expect("XSub.Unsubscribe", false)
		if m, err := x.xpub.TryRecv(); err == nil {
			t.Fatalf("the XPub received a further message %q", m.Frames)
		}
	})
}
