package auth_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/auth"
	"github.com/zmqx/zmq/internal/testpeer"
)

// engines returns the engines this build has: go always, libzmq with cgo.
func engines(t *testing.T) []zmq.Engine {
	t.Helper()
	es := []zmq.Engine{zmq.EngineGo}
	if f, err := zmq.NewFactory(zmq.WithEngine(zmq.EngineLibzmq)); err == nil {
		f.Close()
		es = append(es, zmq.EngineLibzmq)
	}
	return es
}

// pyClients connects one pyzmq PUSH after another, each as its JSON spec
// says (CURVE with certificate files, or PLAIN), and prints for each how
// its first handshake ended; a client that got in sends one message.
const pyClients = `
import json, sys, zmq, zmq.auth
from zmq.utils.monitor import recv_monitor_message
ctx = zmq.Context()
for spec in json.loads(sys.argv[1]):
    push = ctx.socket(zmq.PUSH)
    if spec["mech"] == "CURVE":
        server_public, _ = zmq.auth.load_certificate(spec["server_cert"])
        if spec.get("server_key"):
            server_public = spec["server_key"].encode()
        public, secret = zmq.auth.load_certificate(spec["client_cert"])
        push.curve_publickey, push.curve_secretkey, push.curve_serverkey = public, secret, server_public
    else:
        push.plain_username, push.plain_password = spec["user"].encode(), spec["password"].encode()
    mon = push.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_HANDSHAKE_FAILED_AUTH |
        zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL)
    push.connect(spec["endpoint"])
    out, linger = {"name": spec["name"], "event": 0, "value": 0}, 0
    if mon.poll(10000):
        ev = recv_monitor_message(mon)
        out["event"], out["value"] = ev["event"], ev["value"]
        if ev["event"] == zmq.EVENT_HANDSHAKE_SUCCEEDED:
            push.send(("hello from " + spec["name"]).encode())
            linger = 10000
    print(json.dumps(out), flush=True)
    push.disable_monitor()
    mon.close()
    push.close(linger=linger)
ctx.term()
`

// pyServers runs a pyzmq CURVE server and a PLAIN server behind pyzmq's
// ThreadAuthenticator (the client certificates in argv[1]; admin/secret),
// prints their endpoints, then each message with its user id until argv[2]
// messages came or 20 s passed.
const pyServers = `
import json, sys, zmq
from zmq.auth.thread import ThreadAuthenticator
clients, want = sys.argv[1], int(sys.argv[2])
ctx = zmq.Context()
auth = ThreadAuthenticator(ctx)
auth.start()
auth.configure_curve(domain="*", location=clients)
auth.configure_plain(domain="*", passwords={"admin": "secret"})
public, secret = zmq.curve_keypair()
curve = ctx.socket(zmq.PULL)
curve.curve_secretkey, curve.curve_publickey, curve.curve_server = secret, public, True
plain = ctx.socket(zmq.PULL)
plain.plain_server = True
out = {"server_key": public.decode()}
for name, s in (("curve", curve), ("plain", plain)):
    out[name] = "tcp://127.0.0.1:%d" % s.bind_to_random_port("tcp://127.0.0.1")
print(json.dumps(out), flush=True)
poller = zmq.Poller()
poller.register(curve, zmq.POLLIN)
poller.register(plain, zmq.POLLIN)
got = 0
while got < want:
    ready = dict(poller.poll(20000))
    if not ready:
        break
    for s in ready:
        msg = s.recv(copy=False)
        print(json.dumps({"body": msg.bytes.decode(), "user_id": msg.get("User-Id")}), flush=True)
        got += 1
for s in (curve, plain):
    s.close(linger=0)
auth.stop()
ctx.term()
`

type pyResult struct {
	Name  string `json:"name"`
	Event uint32 `json:"event"`
	Value uint32 `json:"value"`
}

// TestInteropPyzmqEachEngine: on each engine, CURVE and PLAIN with pyzmq
// peers both ways, with pyzmq's certificates. pyzmq clients: an approved
// one gets in with its user id; a refused one, one with the wrong server
// key and one facing a server without authenticator deliver nothing, and
// our server reports each as libzmq would. Our clients to pyzmq servers:
// approved ones get in, refused ones learn it with status 400.
func TestInteropPyzmqEachEngine(t *testing.T) {
	needPyzmq(t)
	for _, e := range engines(t) {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			t.Run("pyzmq clients", func(t *testing.T) { pyzmqClientsAgainst(t, e) })
			t.Run("pyzmq servers", func(t *testing.T) { pyzmqServersFor(t, e) })
		})
	}
}

func pyzmqClientsAgainst(t *testing.T, e zmq.Engine) {
	clients, strangers, servers := t.TempDir(), t.TempDir(), t.TempDir()
	testpeer.Run(t, pyCreateCerts, clients, "client")
	testpeer.Run(t, pyCreateCerts, strangers, "stranger")
	testpeer.Run(t, pyCreateCerts, servers, "server")
	serverKP := must[auth.Certificate](t)(auth.LoadCertificate(filepath.Join(servers, "server.key_secret")))
	clientKP := must[auth.Certificate](t)(auth.LoadCertificate(filepath.Join(clients, "client.key")))

	f := newFactory(t, zmq.WithEngine(e))
	a := startAuth(t, f)
	if err := a.AllowCurveDir(clients); err != nil {
		t.Fatal(err)
	}
	if err := a.SetPasswords(map[string]string{"admin": "secret"}); err != nil {
		t.Fatal(err)
	}
	curveSrv := newServer(t, f, zmq.WithCurveServer(serverKP.Secret))
	plainSrv := newServer(t, f, zmq.WithPlainServer())
	// Without authenticator: refused clients learn it at the handshake
	// interval, as with libzmq.
	bare := newFactory(t, zmq.WithEngine(e))
	noAuthSrv := newServer(t, bare, zmq.WithCurveServer(serverKP.Secret), zmq.WithHandshakeInterval(time.Second))

	other := keyPair(t)
	curve := func(name, ep, clientCert, serverKey string) map[string]string {
		return map[string]string{"name": name, "mech": "CURVE", "endpoint": ep, "server_cert": filepath.Join(servers, "server.key"),
			"client_cert": clientCert, "server_key": serverKey}
	}
	plain := func(name, password string) map[string]string {
		return map[string]string{"name": name, "mech": "PLAIN", "endpoint": plainSrv.ep, "user": "admin", "password": password}
	}
	specs := []map[string]string{
		curve("curve-approved", curveSrv.ep, filepath.Join(clients, "client.key_secret"), ""),
		curve("curve-stranger", curveSrv.ep, filepath.Join(strangers, "stranger.key_secret"), ""),
		curve("curve-wrong-server-key", curveSrv.ep, filepath.Join(clients, "client.key_secret"), other.Public),
		curve("curve-no-authenticator", noAuthSrv.ep, filepath.Join(clients, "client.key_secret"), ""),
		plain("plain-approved", "secret"),
		plain("plain-wrong-password", "guess"),
	}
	arg, err := json.Marshal(specs)
	if err != nil {
		t.Fatal(err)
	}
	lines := testpeer.Start(t, pyzmqTimeout, pyClients, string(arg))
	results := map[string]pyResult{}
	for range specs {
		if !lines.Scan() {
			t.Fatalf("pyzmq clients ended early: %v", lines.Err())
		}
		var r pyResult
		if err := json.Unmarshal(lines.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", lines.Text(), err)
		}
		results[r.Name] = r
	}
	succeeded := pyResult{Event: uint32(zmq.EventHandshakeSucceeded)}
	refused := pyResult{Event: uint32(zmq.EventHandshakeFailedAuth), Value: 400}
	for name, want := range map[string]pyResult{
		"curve-approved": succeeded, "plain-approved": succeeded,
		"curve-stranger": refused, "plain-wrong-password": refused,
	} {
		if got := results[name]; got.Event != want.Event || got.Value != want.Value {
			t.Errorf("pyzmq %s: event %#x value %d, want %#x %d", name, got.Event, got.Value, want.Event, want.Value)
		}
	}
	for _, name := range []string{"curve-wrong-server-key", "curve-no-authenticator"} {
		if results[name].Event == uint32(zmq.EventHandshakeSucceeded) {
			t.Errorf("pyzmq %s got in", name)
		}
	}

	if m := curveSrv.recv(t); m.Strings()[0] != "hello from curve-approved" || m.UserID() != clientKP.Public {
		t.Fatalf("CURVE server got %v from %q", m, m.UserID())
	}
	if m := plainSrv.recv(t); m.Strings()[0] != "hello from plain-approved" || m.UserID() != "admin" {
		t.Fatalf("PLAIN server got %v from %q", m, m.UserID())
	}
	curveSrv.expectNothing(t, 100*time.Millisecond)
	plainSrv.expectNothing(t, 100*time.Millisecond)
	noAuthSrv.expectNothing(t, 100*time.Millisecond)

	// Our servers saw each failure as libzmq reports it.
	has := func(w *watcher, what string, match func(zmq.Event) bool) {
		t.Helper()
		for _, ev := range w.all() {
			if match(ev) {
				return
			}
		}
		t.Errorf("no %s event; events: %v", what, w.all())
	}
	has(curveSrv.w, "refusal (400)", func(ev zmq.Event) bool { return authStatus(ev) == 400 })
	has(curveSrv.w, "cryptographic error", func(ev zmq.Event) bool {
		return ev.Type == zmq.EventHandshakeFailedProtocol && errors.Is(ev.Err(), zmq.ProtocolErrorCryptographic)
	})
	has(plainSrv.w, "refusal (400)", func(ev zmq.Event) bool { return authStatus(ev) == 400 })
	has(noAuthSrv.w, "no-handler (EFAULT)", func(ev zmq.Event) bool {
		return ev.Type == zmq.EventHandshakeFailedNoDetail && errors.Is(ev.Err(), syscall.EFAULT)
	})
}

func pyzmqServersFor(t *testing.T, e zmq.Engine) {
	clients := t.TempDir()
	kp, stranger := keyPair(t), keyPair(t)
	writeCert(t, clients, "goclient", kp)
	lines := testpeer.Start(t, pyzmqTimeout, pyServers, clients, "2")
	var eps struct {
		ServerKey string `json:"server_key"`
		Curve     string `json:"curve"`
		Plain     string `json:"plain"`
	}
	if !lines.Scan() {
		t.Fatalf("pyzmq servers said nothing: %v", lines.Err())
	}
	if err := json.Unmarshal(lines.Bytes(), &eps); err != nil {
		t.Fatalf("%s: %v", lines.Text(), err)
	}

	f := newFactory(t, zmq.WithEngine(e))
	for _, c := range []struct {
		name string
		ep   string
		opt  zmq.PushOption
	}{
		{"CURVE stranger", eps.Curve, zmq.WithCurveClient(eps.ServerKey, stranger)},
		{"PLAIN wrong password", eps.Plain, zmq.WithPlainClient("admin", "guess")},
	} {
		refused := dial(t, f, c.ep, c.opt)
		refused.offer(t, "from "+c.name)
		if ev := refused.w.first(t, handshakeEvents); authStatus(ev) != 400 {
			t.Fatalf("%s: %v, want handshake-failed-auth 400", c.name, ev)
		}
	}
	dial(t, f, eps.Curve, zmq.WithCurveClient(eps.ServerKey, kp)).send(t, "hello over CURVE")
	dial(t, f, eps.Plain, zmq.WithPlainClient("admin", "secret")).send(t, "hello over PLAIN")
	got := map[string]string{}
	for range 2 {
		if !lines.Scan() {
			t.Fatalf("pyzmq servers ended: %v; got %v", lines.Err(), got)
		}
		var m struct {
			Body   string `json:"body"`
			UserID string `json:"user_id"`
		}
		if err := json.Unmarshal(lines.Bytes(), &m); err != nil {
			t.Fatalf("%s: %v", lines.Text(), err)
		}
		got[m.Body] = m.UserID
	}
	want := map[string]string{"hello over CURVE": kp.Public, "hello over PLAIN": "admin"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("pyzmq received %v, want %v", got, want)
	}
}
