package auth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"testing"
	"time"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/auth"
	"github.com/zmqx/zmq/internal/testpeer"
)

// pyzmqTimeout bounds each Python peer's run.
const pyzmqTimeout = 60 * time.Second

// needPyzmq skips the test unless the system Python has pyzmq with its
// authenticator.
func needPyzmq(t *testing.T) {
	t.Helper()
	testpeer.RequirePython(t, "zmq", "zmq.auth", "zmq.auth.thread")
}

const pyCreateCerts = `
import sys, zmq.auth
zmq.auth.create_certificates(sys.argv[1], sys.argv[2])
`

const pyCurveClient = `
import sys, zmq, zmq.auth
endpoint, server_public_file, client_secret_file = sys.argv[1:4]
server_public, _ = zmq.auth.load_certificate(server_public_file)
client_public, client_secret = zmq.auth.load_certificate(client_secret_file)
ctx = zmq.Context()
push = ctx.socket(zmq.PUSH)
push.curve_publickey = client_public
push.curve_secretkey = client_secret
push.curve_serverkey = server_public
push.linger = 10000
push.connect(endpoint)
push.send(b"hello from pyzmq")
push.close()
ctx.term()
`

// A pyzmq CURVE client, with certificates made by
// zmq.auth.create_certificates, gets into our server through our
// authenticator, which loads the directory pyzmq wrote.
func TestInteropPyzmqClient(t *testing.T) {
	needPyzmq(t)
	clients, servers := t.TempDir(), t.TempDir()
	testpeer.Run(t, pyCreateCerts, clients, "client")
	testpeer.Run(t, pyCreateCerts, servers, "server")
	serverKP, err := auth.LoadCertificate(filepath.Join(servers, "server.key_secret"))
	if err != nil {
		t.Fatal(err)
	}
	clientKP, err := auth.LoadCertificate(filepath.Join(clients, "client.key"))
	if err != nil {
		t.Fatal(err)
	}

	f := newFactory(t)
	a := startAuth(t, f)
	if err := a.AllowCurveDir(clients); err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, f, zmq.WithCurveServer(serverKP.Secret))
	testpeer.Start(t, pyzmqTimeout, pyCurveClient, srv.ep, filepath.Join(servers, "server.key"), filepath.Join(clients, "client.key_secret"))
	m := srv.recv(t)
	if m.Strings()[0] != "hello from pyzmq" || m.UserID() != clientKP.Public {
		t.Fatalf("got %v from %q, want pyzmq's message from %q", m, m.UserID(), clientKP.Public)
	}
	if st := a.Stats(); st.Accepted != 1 || st.Denied != 0 {
		t.Errorf("stats %+v", st)
	}
}

const pyCurveServer = `
import json, sys, zmq, zmq.auth
from zmq.auth.thread import ThreadAuthenticator
clients = sys.argv[1]
ctx = zmq.Context()
auth = ThreadAuthenticator(ctx)
auth.start()
auth.configure_curve(domain="*", location=clients)
public, secret = zmq.curve_keypair()
pull = ctx.socket(zmq.PULL)
pull.curve_secretkey = secret
pull.curve_publickey = public
pull.curve_server = True
port = pull.bind_to_random_port("tcp://127.0.0.1")
print(json.dumps({"endpoint": "tcp://127.0.0.1:%d" % port, "server_key": public.decode()}), flush=True)
out = {}
if pull.poll(20000):
    msg = pull.recv(copy=False)
    out = {"body": msg.bytes.decode(), "user_id": msg.get("User-Id")}
print(json.dumps(out), flush=True)
pull.close(linger=0)
auth.stop()
ctx.term()
`

// Our CURVE client gets into a pyzmq CURVE server guarded by pyzmq's own
// ThreadAuthenticator, which loads our client's certificate written by
// WriteCertificate; a client whose certificate is not there is refused.
func TestInteropPyzmqServer(t *testing.T) {
	needPyzmq(t)
	clients := t.TempDir()
	kp, stranger := keyPair(t), keyPair(t)
	writeCert(t, clients, "goclient", kp)

	lines := testpeer.Start(t, pyzmqTimeout, pyCurveServer, clients)
	var hello struct {
		Endpoint  string `json:"endpoint"`
		ServerKey string `json:"server_key"`
	}
	if !lines.Scan() {
		t.Fatalf("pyzmq server said nothing: %v", lines.Err())
	}
	if err := json.Unmarshal(lines.Bytes(), &hello); err != nil {
		t.Fatalf("%s: %v", lines.Text(), err)
	}

	f := newFactory(t)
	refused := dial(t, f, hello.Endpoint, zmq.WithCurveClient(hello.ServerKey, stranger))
	refused.offer(t, "from a stranger")
	if ev := refused.w.first(t, handshakeEvents); authStatus(ev) != 400 {
		t.Fatalf("stranger: %v, want handshake-failed-auth 400", ev)
	}
	c := dial(t, f, hello.Endpoint, zmq.WithCurveClient(hello.ServerKey, kp))
	c.send(t, "hello from Go")
	if ev := c.w.first(t, handshakeEvents); ev.Type != zmq.EventHandshakeSucceeded {
		t.Fatalf("our client: %v", ev)
	}
	if !lines.Scan() {
		t.Fatalf("pyzmq server ended: %v", lines.Err())
	}
	var got struct {
		Body   string `json:"body"`
		UserID string `json:"user_id"`
	}
	if err := json.Unmarshal(lines.Bytes(), &got); err != nil {
		t.Fatalf("%s: %v", lines.Text(), err)
	}
	if got.Body != "hello from Go" || got.UserID != kp.Public {
		t.Fatalf("pyzmq received %+v, want our message from %q", got, kp.Public)
	}
}

const pyCreateCertsWithMetadata = `
import sys, zmq.auth
dir, name = sys.argv[1:3]
zmq.auth.create_certificates(dir, name, metadata=dict(kv.split("=", 1) for kv in sys.argv[3:]))
`

// pyCurveClientReport connects a CURVE client, reports how its handshake
// ended ("succeeded", or "failed EVENT STATUS") and, when it succeeded,
// sends one message naming the client.
const pyCurveClientReport = `
import sys, zmq, zmq.auth
from zmq.utils.monitor import recv_monitor_message
endpoint, server_public_file, client_secret_file, name = sys.argv[1:5]
server_public, _ = zmq.auth.load_certificate(server_public_file)
client_public, client_secret = zmq.auth.load_certificate(client_secret_file)
ctx = zmq.Context()
push = ctx.socket(zmq.PUSH)
push.curve_publickey = client_public
push.curve_secretkey = client_secret
push.curve_serverkey = server_public
mon = push.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_HANDSHAKE_FAILED_AUTH |
    zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL)
push.connect(endpoint)
linger = 0
if not mon.poll(20000):
    print("timeout", flush=True)
else:
    ev = recv_monitor_message(mon)
    if ev["event"] == zmq.EVENT_HANDSHAKE_SUCCEEDED:
        push.send(b"hello from " + name.encode())
        linger = 10000
        print("succeeded", flush=True)
    else:
        print("failed", ev["event"], ev["value"], flush=True)
push.disable_monitor()
mon.close()
push.close(linger=linger)
ctx.term()
`

// A Decider admits pyzmq CURVE clients by the metadata of their
// certificates, which pyzmq's create_certificates wrote and
// LoadCertificate kept, and passes it on as connection metadata; pyzmq
// reads the server certificate WriteCertificate wrote, metadata and all.
func TestInteropDeciderWithPyzmqCertificateMetadata(t *testing.T) {
	needPyzmq(t)
	clients, servers := t.TempDir(), t.TempDir()
	testpeer.Run(t, pyCreateCertsWithMetadata, clients, "admin", "role=admin", "team=blue team")
	testpeer.Run(t, pyCreateCertsWithMetadata, clients, "guest", "role=guest")
	serverKP := keyPair(t)
	serverPublic, _, err := auth.WriteCertificate(servers, "server",
		auth.Certificate{CurveKeyPair: serverKP, Metadata: map[string]string{"owner": `the "go" test`}})
	if err != nil {
		t.Fatal(err)
	}

	roles := map[string]map[string]string{} // public key: certificate metadata
	for name, want := range map[string]map[string]string{
		"admin": {"role": "admin", "team": "blue team"}, // pyzmq writes values unquoted
		"guest": {"role": "guest"},
	} {
		cert, err := auth.LoadCertificate(filepath.Join(clients, name+".key_secret"))
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(cert.Metadata, want) {
			t.Fatalf("metadata of pyzmq's %s certificate: %q, want %q", name, cert.Metadata, want)
		}
		roles[cert.Public] = cert.Metadata
	}

	f := newFactory(t)
	a := startAuth(t, f)
	a.SetDecider(func(_ context.Context, q *auth.Request) auth.Decision {
		md := roles[q.CurveKey]
		if q.Mechanism != "CURVE" || md["role"] != "admin" {
			return auth.Decision{Status: auth.StatusDenied, StatusText: "admins only"}
		}
		return auth.Decision{Status: auth.StatusOK, UserID: md["role"], Metadata: map[string]string{"Team": md["team"]}}
	})
	srv := newServer(t, f, zmq.WithCurveServer(serverKP.Secret), zmq.WithMessageProperties("Team"))

	guest := testpeer.Start(t, pyzmqTimeout, pyCurveClientReport, srv.ep, serverPublic, filepath.Join(clients, "guest.key_secret"), "guest")
	if !guest.Scan() || guest.Text() != fmt.Sprintf("failed %d 400", zmq.EventHandshakeFailedAuth) {
		t.Fatalf("pyzmq guest: %q, %v; want its handshake refused with 400", guest.Text(), guest.Err())
	}
	admin := testpeer.Start(t, pyzmqTimeout, pyCurveClientReport, srv.ep, serverPublic, filepath.Join(clients, "admin.key_secret"), "admin")
	if !admin.Scan() || admin.Text() != "succeeded" {
		t.Fatalf("pyzmq admin: %q, %v; want its handshake to succeed", admin.Text(), admin.Err())
	}
	m := srv.recv(t)
	if m.UserID() != "admin" || m.Strings()[0] != "hello from admin" {
		t.Fatalf("got %v from %q, want the admin's message", m, m.UserID())
	}
	if team, ok := m.Property("Team"); !ok || team != "blue team" {
		t.Fatalf("Property(\"Team\") = %q, %v; want the certificate's \"blue team\" that the Decider attached", team, ok)
	}
	if st := a.Stats(); st.Accepted != 1 || st.Denied != 1 {
		t.Errorf("stats %+v, want 1 accepted and 1 denied", st)
	}
}
