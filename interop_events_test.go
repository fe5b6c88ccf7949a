package zmq_test

import (
	"testing"
	"time"

	"github.com/zmqx/zmq"
)

// TestInteropPeerRoutableAtHandshakeEvent: as with libzmq, when a socket's
// monitor reports a successful handshake the peer is already attached, so
// a ROUTER made mandatory can address it at once, whether the ROUTER
// connected or accepted. Programs (and the matrix's ROUTER-ROUTER and
// round-robin scenarios) use the event to know a peer is there. The
// window it guards is narrow: the loop gives it many tries.
func TestInteropPeerRoutableAtHandshakeEvent(t *testing.T) {
	for _, routerBinds := range []bool{false, true} {
		name := "router-connects"
		if routerBinds {
			name = "router-binds"
		}
		t.Run(name, func(t *testing.T) {
			for i := range 300 {
				f := newFactory(t)
				router := must[*zmq.Router](t)(f.NewRouter(zmq.WithRouterMandatory(true)))
				peer := must[*zmq.Dealer](t)(f.NewDealer(zmq.WithRoutingID([]byte("peer"))))
				mon := must[*zmq.Monitor](t)(router.Monitor(zmq.EventHandshakeSucceeded))
				binder, connecter := interopEndpointer(peer), interopEndpointer(router)
				if routerBinds {
					binder, connecter = router, peer
				}
				if err := connecter.Connect(bind(t, binder, "ipc")); err != nil {
					t.Fatal(err)
				}
				if _, err := mon.Recv(testCtx(t, 10*time.Second)); err != nil {
					t.Fatal(err)
				}
				if err := router.TrySendTo([]byte("peer"), []byte("hello")); err != nil {
					t.Fatalf("attempt %d: send to the peer just reported by the handshake event: %v", i, err)
				}
				m, err := peer.Recv(testCtx(t, 10*time.Second))
				if err != nil || len(m.Frames) != 1 || string(m.Frames[0]) != "hello" {
					t.Fatalf("attempt %d: peer got %s, %v", i, m, err)
				}
				if err := f.Close(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
