package auth_test

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/zmqx/zmq"
)

// Raw TCP peers throwing a ZMTP/1.0
// greeting with a message, an HTTP request, or random bytes at a CURVE
// server port leave it serving: a legitimate client's message arrives
// afterwards, the "sneaky" ZMTP/1.0 message never does, and the server
// closes the raw connections.
func TestGarbageAndDowngradeLeaveTheServerServing(t *testing.T) {
	f := newFactory(t)
	a := startAuth(t, f)
	ck := keyPair(t)
	if err := a.AllowCurveKeys(ck.Public); err != nil {
		t.Fatal(err)
	}
	srv, sk := curveServer(t, f, zmq.WithHandshakeInterval(time.Second))
	addr := strings.TrimPrefix(srv.ep, "tcp://")

	random := make([]byte, 4096)
	rand.Read(random)
	// ZMTP/1.0: an identity frame (length 1: flags only), then a message
	// frame (length 6: flags and "sneaky").
	zmtp10 := append([]byte{0x01, 0x00}, append([]byte{0x07, 0x00}, "sneaky"...)...)
	// ZMTP/2.0-style: signature, revision 1, socket type PUSH, then the
	// same message.
	zmtp20 := append([]byte{0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 0x01, 0x08, 0x00, 0x00}, append([]byte{0x00, 0x06}, "sneaky"...)...)
	// ZMTP/3.0 NULL greeting.
	null30 := make([]byte, 64)
	null30[0], null30[9], null30[10] = 0xff, 0x7f, 3
	copy(null30[12:], "NULL")
	inputs := []struct {
		name string
		data []byte
	}{
		{"ZMTP/1.0 greeting and message", zmtp10},
		{"ZMTP/2.0 greeting and message", zmtp20},
		{"ZMTP/3.0 NULL greeting", null30},
		{"HTTP GET", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")},
		{"4 KiB random", random},
		{"truncated greeting", null30[:11]},
	}
	for i, in := range inputs {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write(in.data); err != nil {
			conn.Close()
			t.Fatalf("%s: %v", in.name, err)
		}
		start := time.Now()
		c := dial(t, f, srv.ep, zmq.WithCurveClient(sk.Public, ck))
		body := fmt.Sprintf("legit %d", i)
		c.send(t, body)
		m := srv.recv(t)
		if m.Strings()[0] != body || m.UserID() != ck.Public {
			t.Fatalf("after %s: got %v from %q", in.name, m, m.UserID())
		}
		served := time.Since(start)
		// The server drops the raw peer: at once for a bad greeting, at
		// the handshake interval (1 s here) for a stalled one.
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = io.Copy(io.Discard, conn)
		closed := time.Since(start)
		conn.Close()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("after %s: the server did not close the raw connection: %v", in.name, err)
		}
		t.Logf("%s: legitimate message after %v; raw connection closed by the server after %v", in.name, served, closed)
		if served > time.Second {
			t.Errorf("after %s: the legitimate message took %v, want under 1 s", in.name, served)
		}
		c.push.Close()
	}
	srv.expectNothing(t, 100*time.Millisecond) // the sneaky messages never arrive
	st := a.Stats()
	if st.Denied != 0 || st.Accepted != uint64(len(inputs)) {
		t.Errorf("stats %+v, want %d accepted (the raw peers never reach the authenticator)", st, len(inputs))
	}
}

// The fail-closed promise says a CURVE, PLAIN or ZAP-domain socket admits
// no peer the authenticator has not approved. libzmq's inproc transport
// has no handshake at all, so such a socket bound on inproc admits any
// in-process peer: no encryption, no ZAP request, no monitor event, an
// empty UserID. The root package therefore refuses inproc endpoints on
// authenticating sockets; this test fails if a peer gets in that way.
func TestInprocCannotBypassAuthentication(t *testing.T) {
	f := newFactory(t)
	a := startAuth(t, f)
	sk := keyPair(t)
	pull := must[*zmq.Pull](t)(f.NewPull(zmq.WithCurveServer(sk.Secret)))
	if _, err := pull.Bind("inproc://gap-curve-server"); err != nil {
		if !errors.Is(err, zmq.ErrInvalidEndpoint) {
			t.Fatalf("Bind inproc on a CURVE server: got %v, want ErrInvalidEndpoint", err)
		}
		return
	}
	push := must[*zmq.Push](t)(f.NewPush()) // NULL, no key at all
	if err := push.Connect("inproc://gap-curve-server"); err != nil {
		t.Logf("Connect refused: %v", err)
		return
	}
	if err := push.Send(testCtx(t, eventWait), zmq.NewMsgString("unauthenticated")); err != nil {
		t.Fatal(err)
	}
	m, err := pull.Recv(testCtx(t, observeWindow/4))
	if err != nil {
		return // kept out: the gap is closed
	}
	t.Fatalf("a CURVE server bound on inproc delivered %v from a NULL in-process peer "+
		"(UserID %q, %d ZAP requests); inproc bypasses the handshake and the authenticator", m, m.UserID(), a.Stats().Requests)
}
