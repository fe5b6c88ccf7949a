package auth_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/auth"
)

// libzmq's reaction to a misbehaving ZAP handler, with a
// test double in place of our authenticator, as typed events.
func TestMisbehavingZAPHandlerFailsTheHandshake(t *testing.T) {
	type reply func(id []byte) [][]byte
	ok := func(status, user string) reply {
		return func(id []byte) [][]byte {
			return [][]byte{{}, []byte("1.0"), id, []byte(status), []byte("text"), []byte(user), {}}
		}
	}
	cases := []struct {
		name       string
		reply      reply // nil: close the handler without replying
		server     func(zmq.Event) bool
		client     func(zmq.Event) bool
		wantServer string
	}{
		{"bad version",
			func(id []byte) [][]byte {
				return [][]byte{{}, []byte("2.0"), id, []byte("200"), {}, {}, {}}
			},
			isProtocol(zmq.ProtocolErrorZAPBadVersion), nil, "ZAP bad version"},
		{"bad request id",
			func(id []byte) [][]byte { return ok("200", "u")(append([]byte("x"), id...)) },
			isProtocol(zmq.ProtocolErrorZAPBadRequestID), nil, "ZAP bad request id"},
		{"invalid status",
			ok("invalid_status", ""),
			isProtocol(zmq.ProtocolErrorZAPInvalidStatus), nil, "ZAP invalid status"},
		{"too many frames",
			func(id []byte) [][]byte { return append(ok("200", "u")(id), []byte("extra")) },
			isProtocol(zmq.ProtocolErrorZAPMalformedReply), nil, "ZAP malformed reply"},
		{"status 300",
			ok("300", ""), isAuth(300), nil, "auth 300"},
		{"status 500",
			ok("500", ""), isAuth(500), isAuth(500), "auth 500 on both sides"},
		{"no reply, handler gone",
			nil, isNoDetail(), nil, "no detail, at the handshake interval"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFactory(t)
			h := must[*zmq.Router](t)(f.NewRouter())
			if _, err := h.Bind(auth.Endpoint); err != nil {
				t.Fatal(err)
			}
			// A handler that never replies stalls the handshake until the
			// server's handshake interval.
			srv, sk := curveServer(t, f, zmq.WithHandshakeInterval(time.Second))
			c := dial(t, f, srv.ep, zmq.WithCurveClient(sk.Public, keyPair(t)))
			c.offer(t, "x")
			peer, req, err := h.RecvFrom(testCtx(t, eventWait))
			if err != nil {
				t.Fatal(err)
			}
			if len(req.Frames) < 3 {
				t.Fatalf("request %v", req)
			}
			if tc.reply == nil {
				h.Close()
			} else if err := h.SendTo(testCtx(t, eventWait), peer, tc.reply(req.Frames[2])...); err != nil {
				t.Fatal(err)
			}
			sev := srv.w.first(t, handshakeEvents)
			if !tc.server(sev) {
				t.Fatalf("server: %v, want %s", sev, tc.wantServer)
			}
			if tc.client != nil {
				if cev := c.w.first(t, handshakeEvents); !tc.client(cev) {
					t.Fatalf("client: %v", cev)
				}
			}
			srv.expectNothing(t, 50*time.Millisecond)
			cev := "none"
			if c.w.count(handshakeEvents) > 0 {
				cev = c.w.first(t, handshakeEvents).String()
			}
			t.Logf("%s: server %v; client %s", tc.name, sev, cev)
		})
	}
}

func isProtocol(want zmq.ProtocolError) func(zmq.Event) bool {
	return func(ev zmq.Event) bool {
		return ev.Type == zmq.EventHandshakeFailedProtocol && errors.Is(ev.Err(), want)
	}
}

func isAuth(status int) func(zmq.Event) bool {
	return func(ev zmq.Event) bool { return ev.Type == zmq.EventHandshakeFailedAuth && authStatus(ev) == status }
}

func isNoDetail() func(zmq.Event) bool {
	return func(ev zmq.Event) bool { return ev.Type == zmq.EventHandshakeFailedNoDetail }
}

// The authenticator's replies conform to RFC 27, per policy, and
// malformed requests get a 500 or are dropped, without harm.
func TestRepliesFollowZAPPerPolicy(t *testing.T) {
	f := newFactory(t)
	a := startAuth(t, f)
	allowed, other := keyPair(t), keyPair(t)
	if err := a.AllowCurveKeys(allowed.Public); err != nil {
		t.Fatal(err)
	}
	if err := a.SetPasswords(map[string]string{"admin": "s3cret"}); err != nil {
		t.Fatal(err)
	}
	z := newZAPClient(t, f)

	ok := []struct {
		name           string
		req            [][]byte
		status, userID string
	}{
		{"CURVE allowed", request("\x00\x01\xff", "global", "127.0.0.1", "CURVE", rawKey(t, allowed.Public)), "200", allowed.Public},
		{"CURVE not allowed", request("2", "global", "127.0.0.1", "CURVE", rawKey(t, other.Public)), "400", ""},
		{"PLAIN right", request("3", "global", "127.0.0.1", "PLAIN", []byte("admin"), []byte("s3cret")), "200", "admin"},
		{"PLAIN wrong password", request("4", "global", "127.0.0.1", "PLAIN", []byte("admin"), []byte("guess")), "400", ""},
		{"PLAIN unknown user", request("5", "global", "127.0.0.1", "PLAIN", []byte("root"), []byte("s3cret")), "400", ""},
		{"PLAIN empty password", request("6", "global", "127.0.0.1", "PLAIN", []byte("admin"), []byte("")), "400", ""},
		{"NULL", request("7", "global", "127.0.0.1", "NULL"), "200", ""},
		{"GSSAPI", request("8", "global", "127.0.0.1", "GSSAPI", []byte("principal")), "400", ""},
		{"empty request id", request("", "global", "", "NULL"), "200", ""},
	}
	for _, tc := range ok {
		status, user := z.call(tc.req)
		if status != tc.status || user != tc.userID {
			t.Errorf("%s: status %s user %q; want %s %q", tc.name, status, user, tc.status, tc.userID)
		}
	}

	malformed := []struct {
		name string
		req  [][]byte
	}{
		{"version 2.0", append([][]byte{{}, []byte("2.0")}, request("m1", "global", "127.0.0.1", "NULL")[2:]...)},
		{"too few frames", request("m2", "global", "127.0.0.1", "NULL")[:5]},
		{"CURVE key of 31 bytes", request("m3", "global", "127.0.0.1", "CURVE", make([]byte, 31))},
		{"CURVE without key", request("m4", "global", "127.0.0.1", "CURVE")},
		{"PLAIN without password", request("m5", "global", "127.0.0.1", "PLAIN", []byte("admin"))},
		{"NULL with credentials", request("m6", "global", "127.0.0.1", "NULL", []byte("x"))},
		{"CURVE with two keys", request("m7", "global", "127.0.0.1", "CURVE", rawKey(t, allowed.Public), rawKey(t, allowed.Public))},
	}
	for _, tc := range malformed {
		if status, _ := z.call(tc.req); status != "500" {
			t.Errorf("%s: status %s, want 500", tc.name, status)
		}
	}

	// Requests with no envelope cannot be answered: they are dropped, and
	// the next request is answered as usual (replies come in order, so
	// the next reply proves the drop).
	for _, req := range [][][]byte{
		{[]byte("1.0"), []byte("d1")},      // no delimiter
		{{}, []byte("1.0")},                // no request id
		{[]byte("garbage")},                // one frame
		{bytes.Repeat([]byte("x"), 1<<16)}, // a large frame
	} {
		z.send(req...)
	}
	if status, _ := z.call(request("after", "global", "127.0.0.1", "NULL")); status != "200" {
		t.Fatalf("after dropped requests: status %s", status)
	}
	st := a.Stats()
	want := auth.Stats{Requests: uint64(len(ok) + len(malformed) + 5), Accepted: 5, Denied: 5, Malformed: uint64(len(malformed) + 4)}
	if st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}
}
