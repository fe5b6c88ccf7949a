package zmtp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// transports connect two of our own ends: buffered in-memory pipes and
// loopback tcp, each with whole reads and with one octet per read.
var transports = []struct {
	name string
	pair func(t *testing.T) (io.ReadWriteCloser, io.ReadWriteCloser)
}{
	{"pipe", func(t *testing.T) (io.ReadWriteCloser, io.ReadWriteCloser) { return newBufPipe(t, 0) }},
	{"pipe-1-octet", func(t *testing.T) (io.ReadWriteCloser, io.ReadWriteCloser) { return newBufPipe(t, 1) }},
	{"tcp", func(t *testing.T) (io.ReadWriteCloser, io.ReadWriteCloser) { return tcpPair(t) }},
	{"tcp-1-octet", func(t *testing.T) (io.ReadWriteCloser, io.ReadWriteCloser) {
		c, s := tcpPair(t)
		return oneOctetReads{c}, oneOctetReads{s}
	}},
}

// handshakeBoth runs both handshakes at once. A side that fails closes
// its connection, as an engine would, so the other side cannot hang.
//
// Unless a config says otherwise, the read buffers are small, so that
// exchange's large frame is large without one-octet reads of it taking long.
func handshakeBoth(a, b io.ReadWriteCloser, ca, cb *Config) (sa, sb *Session, ea, eb error) {
	for _, c := range []*Config{ca, cb} {
		if c.ReadBufferSize == 0 {
			c.ReadBufferSize = 512
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if sb, eb = Handshake(b, cb); eb != nil {
			b.Close()
		}
	}()
	if sa, ea = Handshake(a, ca); ea != nil {
		a.Close()
	}
	<-done
	return sa, sb, ea, eb
}

func admitAll(r ZAPRequest) (ZAPReply, error) {
	return ZAPReply{Status: 200, UserID: "user:" + string(r.Credentials[0])}, nil
}

func refuseWith(status int) ZAPFunc {
	return func(ZAPRequest) (ZAPReply, error) { return ZAPReply{Status: status, Text: "no entry"}, nil }
}

// exchange sends a message each way, large frame included, and checks what
// arrives; commands go too where the version has them.
func exchange(t *testing.T, a, b io.ReadWriter, sa, sb *Session) {
	t.Helper()
	big := bytes.Repeat([]byte("0123456789abcdef"), 3*len(sb.Decoder.buf)/16+1) // past the read buffer
	for _, dir := range []struct {
		w io.Writer
		s *Session
		r *Session
	}{{a, sa, sb}, {b, sb, sa}} {
		out, err := dir.s.Encoder.AppendMessage(nil, []byte("hello"), nil, big)
		if err != nil {
			t.Fatal(err)
		}
		if dir.s.Version.hasCommands() {
			if out, err = dir.s.Encoder.AppendPing(out, 3*time.Second, []byte("ctx")); err != nil {
				t.Fatal(err)
			}
		}
		if out, err = dir.s.Encoder.AppendMessage(out, []byte("last")); err != nil {
			t.Fatal(err)
		}
		go dir.w.Write(out) // the peer's buffer need not take it all before we read
		want := []struct {
			body          []byte
			more, command bool
		}{{[]byte("hello"), true, false}, {nil, true, false}, {big, false, false}}
		if dir.s.Version.hasCommands() {
			want = append(want, struct {
				body          []byte
				more, command bool
			}{[]byte("\x04PING\x00\x1ectx"), false, true})
		}
		want = append(want, struct {
			body          []byte
			more, command bool
		}{[]byte("last"), false, false})
		for i, w := range want {
			f, err := dir.r.Decoder.Next()
			if err != nil {
				t.Fatalf("frame %d: %v", i, err)
			}
			if !bytes.Equal(f.Body, w.body) || f.More != w.more || f.Command != w.command {
				t.Fatalf("frame %d: got %d octets more %v command %v, want %d octets more %v command %v",
					i, len(f.Body), f.More, f.Command, len(w.body), w.more, w.command)
			}
		}
	}
}

func TestHandshakeVersionPairs(t *testing.T) {
	versions := []Version{ZMTP31, ZMTP30, ZMTP20}
	for _, tr := range transports {
		for _, va := range versions {
			for _, vb := range versions {
				t.Run(fmt.Sprintf("%s/%v-%v", tr.name, va, vb), func(t *testing.T) {
					a, b := tr.pair(t)
					ca := &Config{SocketType: Dealer, Identity: []byte("dealer-1"), announce: va}
					cb := &Config{SocketType: Router, announce: vb, Metadata: Metadata{{"X-App", []byte("test")}}}
					sa, sb, ea, eb := handshakeBoth(a, b, ca, cb)
					if ea != nil || eb != nil {
						t.Fatalf("handshake: %v / %v", ea, eb)
					}
					want := min(va, vb)
					if sa.Version != want || sb.Version != want {
						t.Errorf("versions %v / %v, want %v", sa.Version, sb.Version, want)
					}
					if sa.PeerType != Router || sb.PeerType != Dealer || string(sb.PeerIdentity) != "dealer-1" {
						t.Errorf("peer types %v / %v, identity %q", sa.PeerType, sb.PeerType, sb.PeerIdentity)
					}
					if app, ok := sa.Property("x-app"); want != ZMTP20 && (!ok || string(app) != "test") {
						t.Errorf("X-App %q %v", app, ok)
					}
					exchange(t, a, b, sa, sb)
				})
			}
		}
	}
}

func TestHandshakeMechanisms(t *testing.T) {
	plainClient := PlainClient{Username: "admin", Password: "secret"}
	cases := []struct {
		name        string
		client, srv Config
		// checks on success, or the errors expected on each side
		userID            string
		clientErr, srvErr func(error) bool
		clientWhy, srvWhy string
	}{
		{name: "NULL", client: Config{SocketType: Req}, srv: Config{SocketType: Rep}},
		{name: "NULL with ZAP admitting", client: Config{SocketType: Push},
			srv: Config{SocketType: Pull, ZAPDomain: "d", ZAP: func(r ZAPRequest) (ZAPReply, error) {
				if r.Mechanism != "NULL" || len(r.Credentials) != 0 {
					return ZAPReply{Status: 500}, nil
				}
				return ZAPReply{Status: 200, UserID: "anon"}, nil
			}}, userID: "anon"},
		{name: "NULL with ZAP refusing", client: Config{SocketType: Push},
			srv:       Config{SocketType: Pull, ZAPDomain: "d", ZAP: refuseWith(400)},
			clientErr: isAuth(400, true), clientWhy: "peer's ERROR 400",
			srvErr: isAuth(400, false), srvWhy: "local refusal 400"},
		{name: "NULL with ZAP domain but no authenticator", client: Config{SocketType: Push},
			srv:       Config{SocketType: Pull, ZAPDomain: "d"},
			clientErr: isConnErr, clientWhy: "connection closed",
			srvErr: isErr(ErrNoAuthenticator), srvWhy: "ErrNoAuthenticator"},
		{name: "PLAIN admitted", client: Config{SocketType: Dealer, Mechanism: plainClient},
			srv: Config{SocketType: Router, Mechanism: PlainServer{}, ZAP: admitAll}, userID: "user:admin"},
		{name: "PLAIN refused 400", client: Config{SocketType: Dealer, Mechanism: plainClient},
			srv:       Config{SocketType: Router, Mechanism: PlainServer{}, ZAP: refuseWith(400)},
			clientErr: isAuth(400, true), clientWhy: "peer's ERROR 400",
			srvErr: isAuth(400, false), srvWhy: "local refusal 400"},
		{name: "PLAIN refused 500", client: Config{SocketType: Dealer, Mechanism: plainClient},
			srv:       Config{SocketType: Router, Mechanism: PlainServer{}, ZAP: refuseWith(500)},
			clientErr: isAuth(500, true), clientWhy: "peer's ERROR 500",
			srvErr: isAuth(500, false), srvWhy: "local refusal 500"},
		{name: "PLAIN refused 300 sends no ERROR", client: Config{SocketType: Dealer, Mechanism: plainClient},
			srv:       Config{SocketType: Router, Mechanism: PlainServer{}, ZAP: refuseWith(300)},
			clientErr: isConnErr, clientWhy: "connection closed",
			srvErr: isAuth(300, false), srvWhy: "local refusal 300"},
		{name: "PLAIN server without authenticator", client: Config{SocketType: Dealer, Mechanism: plainClient},
			srv:       Config{SocketType: Router, Mechanism: PlainServer{}},
			clientErr: isConnErr, clientWhy: "connection closed",
			srvErr: isErr(ErrNoAuthenticator), srvWhy: "ErrNoAuthenticator"},
		{name: "PLAIN ZAP callback error", client: Config{SocketType: Dealer, Mechanism: plainClient},
			srv: Config{SocketType: Router, Mechanism: PlainServer{}, ZAP: func(ZAPRequest) (ZAPReply, error) {
				return ZAPReply{}, errors.New("handler down")
			}},
			clientErr: isConnErr, clientWhy: "connection closed",
			srvErr: func(err error) bool { return err != nil && strings.Contains(err.Error(), "handler down") }, srvWhy: "the callback's error"},
		{name: "mechanism mismatch", client: Config{SocketType: Dealer, Mechanism: plainClient},
			srv:       Config{SocketType: Router},
			clientErr: isMismatch(`"PLAIN"`, `"NULL"`), clientWhy: "mechanism mismatch naming both",
			srvErr: isMismatch(`"NULL"`, `"PLAIN"`), srvWhy: "mechanism mismatch naming both"},
		{name: "PLAIN refuses a ZMTP/2.0 peer", client: Config{SocketType: Dealer, announce: ZMTP20},
			srv:       Config{SocketType: Router, Mechanism: PlainServer{}, ZAP: admitAll},
			clientErr: isConnErr, clientWhy: "connection closed",
			srvErr: isMismatch(`"PLAIN"`, "ZMTP/2.0"), srvWhy: "refusal naming ZMTP/2.0"},
		{name: "ZAP domain refuses a ZMTP/2.0 peer", client: Config{SocketType: Dealer, announce: ZMTP20},
			srv:       Config{SocketType: Router, ZAPDomain: "d", ZAP: admitAll},
			clientErr: isConnErr, clientWhy: "connection closed",
			srvErr: isMismatch(`"NULL"`, "ZMTP/2.0"), srvWhy: "refusal naming ZMTP/2.0"},
		{name: "socket type mismatch", client: Config{SocketType: Push}, srv: Config{SocketType: Push},
			clientErr: isTypeMismatch, clientWhy: "type mismatch naming PUSH twice",
			srvErr: isTypeMismatch, srvWhy: "type mismatch naming PUSH twice"},
		{name: "socket type mismatch with ZMTP/2.0", client: Config{SocketType: Req, announce: ZMTP20}, srv: Config{SocketType: Pub},
			clientErr: isTypeMismatch, clientWhy: "type mismatch", srvErr: isTypeMismatch, srvWhy: "type mismatch"},
	}
	for _, tr := range transports {
		for _, tc := range cases {
			t.Run(tr.name+"/"+tc.name, func(t *testing.T) {
				a, b := tr.pair(t)
				sa, sb, ea, eb := handshakeBoth(a, b, &tc.client, &tc.srv)
				if tc.clientErr == nil {
					if ea != nil || eb != nil {
						t.Fatalf("handshake: %v / %v", ea, eb)
					}
					if sb.UserID != tc.userID {
						t.Errorf("user id %q, want %q", sb.UserID, tc.userID)
					}
					exchange(t, a, b, sa, sb)
					return
				}
				if !tc.clientErr(ea) {
					t.Errorf("client: got %v, want %s", ea, tc.clientWhy)
				}
				if !tc.srvErr(eb) {
					t.Errorf("server: got %v, want %s", eb, tc.srvWhy)
				}
			})
		}
	}
}

func isAuth(status int, remote bool) func(error) bool {
	return func(err error) bool {
		var ae *AuthError
		return errors.As(err, &ae) && ae.Status == status && ae.Remote == remote
	}
}

func isConnErr(err error) bool {
	var ce *ConnError
	return errors.As(err, &ce)
}

func isErr(target error) func(error) bool {
	return func(err error) bool { return errors.Is(err, target) }
}

func isMismatch(ours, theirs string) func(error) bool {
	return func(err error) bool {
		var pe *ProtocolError
		return errors.As(err, &pe) && pe.Code == CodeMechanismMismatch && strings.Contains(pe.Reason, "mechanism mismatch") &&
			strings.Index(pe.Reason, ours) >= 0 && strings.Index(pe.Reason, theirs) > strings.Index(pe.Reason, ours)
	}
}

func isTypeMismatch(err error) bool {
	var pe *ProtocolError
	return errors.As(err, &pe) && pe.Code == CodeInvalidMetadata && strings.Contains(pe.Reason, "socket type mismatch")
}
