package zmq_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/auth"
)

// needBothEngines skips a test in a build without the libzmq engine.
func needBothEngines(t *testing.T) {
	t.Helper()
	f, err := zmq.NewFactory(zmq.WithEngine(zmq.EngineLibzmq))
	if err != nil {
		t.Skipf("no libzmq engine in this build: %v", err)
	}
	f.Close()
}

func engineFactory(t *testing.T, e zmq.Engine) *zmq.Factory {
	t.Helper()
	return newFactory(t, zmq.WithEngine(e), zmq.WithDefaultLinger(0))
}

func otherEngine(e zmq.Engine) zmq.Engine {
	if e == zmq.EngineGo {
		return zmq.EngineLibzmq
	}
	return zmq.EngineGo
}

const securityEvents = zmq.EventHandshakeSucceeded | zmq.EventHandshakeFailedNoDetail |
	zmq.EventHandshakeFailedProtocol | zmq.EventHandshakeFailedAuth

func firstEvent(t *testing.T, m *zmq.Monitor) zmq.Event {
	t.Helper()
	ev, err := m.Recv(testCtx(t, 10*time.Second))
	if err != nil {
		t.Fatalf("waiting for a handshake event: %v", err)
	}
	return ev
}

// TestSecurityAcrossEngines runs CURVE and PLAIN between the go engine and
// the libzmq engine in one process, with each engine as the server, on tcp
// and ipc: an approved client gets in both ways with its user id and
// address; a wrong server key, a refused client and a server without
// authenticator each deliver nothing and give the server the same monitor
// event, whichever engine serves.
func TestSecurityAcrossEngines(t *testing.T) {
	needBothEngines(t)
	serverKP := must[zmq.CurveKeyPair](t)(zmq.NewCurveKeyPair())
	clientKP := must[zmq.CurveKeyPair](t)(zmq.NewCurveKeyPair())
	strangerKP := must[zmq.CurveKeyPair](t)(zmq.NewCurveKeyPair())
	type mechanism struct {
		name   string
		server zmq.CommonOption
		client func(outcome string) zmq.CommonOption
		allow  func(a *auth.Authenticator) error
		userID string
	}
	mechanisms := []mechanism{
		{"CURVE", zmq.WithCurveServer(serverKP.Secret),
			func(outcome string) zmq.CommonOption {
				switch outcome {
				case "wrong server key":
					return zmq.WithCurveClient(strangerKP.Public, clientKP)
				case "refused":
					return zmq.WithCurveClient(serverKP.Public, strangerKP)
				}
				return zmq.WithCurveClient(serverKP.Public, clientKP)
			},
			func(a *auth.Authenticator) error { return a.AllowCurveKeys(clientKP.Public) },
			clientKP.Public},
		{"PLAIN", zmq.WithPlainServer(),
			func(outcome string) zmq.CommonOption {
				if outcome == "refused" {
					return zmq.WithPlainClient("admin", "guess")
				}
				return zmq.WithPlainClient("admin", "secret")
			},
			func(a *auth.Authenticator) error { return a.SetPasswords(map[string]string{"admin": "secret"}) },
			"admin"},
	}
	outcomes := []struct {
		name string
		want func(zmq.Event) bool
	}{
		{"admitted", func(ev zmq.Event) bool { return ev.Type == zmq.EventHandshakeSucceeded }},
		{"wrong server key", func(ev zmq.Event) bool {
			return ev.Type == zmq.EventHandshakeFailedProtocol && errors.Is(ev.Err(), zmq.ProtocolErrorCryptographic)
		}},
		{"refused", func(ev zmq.Event) bool {
			var ae *zmq.AuthError
			return ev.Type == zmq.EventHandshakeFailedAuth && errors.As(ev.Err(), &ae) && ae.Status == 400
		}},
		{"no authenticator", func(ev zmq.Event) bool {
			return ev.Type == zmq.EventHandshakeFailedNoDetail && errors.Is(ev.Err(), syscall.EFAULT)
		}},
	}
	for _, mech := range mechanisms {
		for _, serverEngine := range []zmq.Engine{zmq.EngineGo, zmq.EngineLibzmq} {
			for _, transport := range []string{"tcp", "ipc"} {
				for _, outcome := range outcomes {
					if outcome.name == "wrong server key" && mech.name != "CURVE" {
						continue
					}
					name := mech.name + "/" + string(serverEngine) + "-server/" + transport + "/" + outcome.name
					t.Run(name, func(t *testing.T) {
						t.Parallel()
						sf := engineFactory(t, serverEngine)
						cf := engineFactory(t, otherEngine(serverEngine))
						if outcome.name != "no authenticator" {
							a := must[*auth.Authenticator](t)(auth.Start(sf))
							t.Cleanup(func() { a.Close() })
							if err := mech.allow(a); err != nil {
								t.Fatal(err)
							}
						}
						router := must[*zmq.Socket](t)(sf.NewSocket(zmq.ROUTER, mech.server))
						mon := must[*zmq.Monitor](t)(router.Monitor(securityEvents))
						t.Cleanup(func() { mon.Close() })
						ep := bind(t, router, transport)
						dealer := must[*zmq.Socket](t)(cf.NewSocket(zmq.DEALER, mech.client(outcome.name),
							zmq.WithReconnectInterval(time.Second)))
						cmon := must[*zmq.Monitor](t)(dealer.Monitor(securityEvents))
						t.Cleanup(func() { cmon.Close() })
						if err := dealer.Connect(ep); err != nil {
							t.Fatal(err)
						}
						// A client turned away may have lost its only pipe by now:
						// libzmq drops it when the handshake fails, and a DEALER
						// with no pipe has nowhere to queue.
						if err := dealer.TrySend(zmq.NewMsgString("hello")); err != nil &&
							(outcome.name == "admitted" || !errors.Is(err, syscall.EAGAIN)) {
							t.Fatal(err)
						}
						if ev := firstEvent(t, mon); !outcome.want(ev) {
							t.Fatalf("server on %s: %v, want %s", serverEngine, ev, outcome.name)
						}
						if outcome.name == "refused" || outcome.name == "admitted" {
							// The client learns the same outcome.
							if ev := firstEvent(t, cmon); !outcome.want(ev) {
								t.Fatalf("client on %s: %v, want %s", otherEngine(serverEngine), ev, outcome.name)
							}
						}
						if outcome.name != "admitted" {
							if m, err := router.Recv(testCtx(t, 100*time.Millisecond)); err == nil {
								t.Fatalf("delivered %q (%s)", m.Strings(), outcome.name)
							}
							return
						}
						m, err := router.Recv(testCtx(t, 10*time.Second))
						if err != nil {
							t.Fatal(err)
						}
						addr := "127.0.0.1"
						if transport == "ipc" { // libzmq on Linux: the peer's credentials
							addr = ""
							if runtime.GOOS == "linux" {
								addr = fmt.Sprintf("localhost:%d:%d:%d", os.Getuid(), os.Getgid(), os.Getpid())
							}
						}
						if len(m.Frames) != 2 || string(m.Frames[1]) != "hello" || m.UserID() != mech.userID || m.PeerAddress() != addr {
							t.Fatalf("got %q from user %q at %q, want hello from %q at %q", m.Strings(), m.UserID(), m.PeerAddress(), mech.userID, addr)
						}
						sendStrings(t, router, string(m.Frames[0]), "welcome")
						expectStrings(t, dealer, "welcome")
					})
				}
			}
		}
	}
}

// TestCurveHeartbeatsAndSubscriptionsAcrossEngines: under CURVE between
// the two engines, a SUB's subscription reaches the PUB and heartbeats
// are answered both ways, so an idle connection with a short heartbeat
// timeout stays up.
func TestCurveHeartbeatsAndSubscriptionsAcrossEngines(t *testing.T) {
	needBothEngines(t)
	serverKP := must[zmq.CurveKeyPair](t)(zmq.NewCurveKeyPair())
	clientKP := must[zmq.CurveKeyPair](t)(zmq.NewCurveKeyPair())
	for _, pubEngine := range []zmq.Engine{zmq.EngineGo, zmq.EngineLibzmq} {
		t.Run(string(pubEngine)+"-pub", func(t *testing.T) {
			t.Parallel()
			pf, sf := engineFactory(t, pubEngine), engineFactory(t, otherEngine(pubEngine))
			a := must[*auth.Authenticator](t)(auth.Start(pf))
			t.Cleanup(func() { a.Close() })
			a.AllowAnyCurve()
			hb := []zmq.CommonOption{zmq.WithHeartbeatInterval(20 * time.Millisecond), zmq.WithHeartbeatTimeout(100 * time.Millisecond)}
			pub := must[*zmq.Socket](t)(pf.NewSocket(zmq.PUB, zmq.WithCurveServer(serverKP.Secret), hb[0], hb[1]))
			sub := must[*zmq.Socket](t)(sf.NewSocket(zmq.SUB, zmq.WithCurveClient(serverKP.Public, clientKP), hb[0], hb[1],
				zmq.WithSubscribe("news")))
			var mons []*zmq.Monitor
			for _, s := range []*zmq.Socket{pub, sub} {
				m := must[*zmq.Monitor](t)(s.Monitor(zmq.EventDisconnected | zmq.EventHandshakeFailedProtocol))
				t.Cleanup(func() { m.Close() })
				mons = append(mons, m)
			}
			if err := sub.Connect(bind(t, pub, "tcp")); err != nil {
				t.Fatal(err)
			}
			ctx := testCtx(t, 10*time.Second)
			for {
				sendStrings(t, pub, "sport")
				sendStrings(t, pub, "news 1")
				if m, err := sub.TryRecv(); err == nil {
					if m.Strings()[0] != "news 1" {
						t.Fatalf("SUB got %q", m.Strings())
					}
					break
				}
				select {
				case <-ctx.Done():
					t.Fatal("the subscription never took effect")
				case <-time.After(5 * time.Millisecond):
				}
			}
			for _, m := range mons { // many heartbeat timeouts, idle
				wctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
				ev, err := m.Recv(wctx)
				cancel()
				if err == nil {
					t.Fatalf("%v while idle with heartbeats under CURVE", ev)
				}
			}
			sendStrings(t, pub, "news 2")
			for {
				m, err := sub.Recv(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if s := m.Strings()[0]; s == "news 2" {
					break
				} else if s != "news 1" {
					t.Fatalf("SUB got %q", s)
				}
			}
		})
	}
}
