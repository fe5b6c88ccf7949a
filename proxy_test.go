package zmq_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/zmqx/zmq"
)

// XSUB sends subscriptions upstream as messages, and a Proxy between
// an XSUB frontend and an XPUB backend forwards them (and the data back).
func TestProxyForwardsSubscriptionsUpstream(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			f := newFactory(t)
			ctx := testCtx(t, 3*waitLimit)

			// XSUB subscribes upstream itself.
			upstream := must[*zmq.XPub](t)(f.NewXPub())
			xsub := must[*zmq.XSub](t)(f.NewXSub())
			connectTo(t, xsub, bind(t, upstream, tr))
			if err := xsub.Subscribe("x"); err != nil {
				t.Fatal(err)
			}
			m := recvMsg(t, upstream)
			if s, p, ok := zmq.ParseSubscription(m); !ok || !s || p != "x" {
				t.Fatalf("upstream XPUB received %s, want subscription \"x\"", m)
			}
			sendFrames(t, upstream, "y-filtered")
			sendFrames(t, upstream, "x1")
			expectFrames(t, xsub, "x1")
			if err := xsub.Unsubscribe("x"); err != nil {
				t.Fatal(err)
			}
			m = recvMsg(t, upstream)
			if s, p, ok := zmq.ParseSubscription(m); !ok || s || p != "x" {
				t.Fatalf("upstream XPUB received %s, want unsubscription \"x\"", m)
			}

			// top XPUB <- frontend XSUB | Proxy | backend XPUB <- SUB
			top := must[*zmq.XPub](t)(f.NewXPub())
			front := must[*zmq.XSub](t)(f.NewXSub())
			back := must[*zmq.XPub](t)(f.NewXPub())
			sub := must[*zmq.Sub](t)(f.NewSub())
			connectTo(t, front, bind(t, top, tr))
			connectTo(t, sub, bind(t, back, tr))
			pctx, stop := context.WithCancel(ctx)
			proxyDone := make(chan error, 1)
			go func() { proxyDone <- zmq.Proxy(pctx, front, back, nil) }()

			if err := sub.Subscribe("T"); err != nil {
				t.Fatal(err)
			}
			m = recvMsg(t, top)
			if s, p, ok := zmq.ParseSubscription(m); !ok || !s || p != "T" {
				t.Fatalf("top XPUB received %s through the proxy, want subscription \"T\"", m)
			}
			// The subscription passed the backend on its way up, so data
			// published now comes down.
			sendFrames(t, top, "U-filtered")
			sendFrames(t, top, "T1", "two frames")
			expectFrames(t, sub, "T1", "two frames")
			if err := sub.Unsubscribe("T"); err != nil {
				t.Fatal(err)
			}
			m = recvMsg(t, top)
			if s, p, ok := zmq.ParseSubscription(m); !ok || s || p != "T" {
				t.Fatalf("top XPUB received %s through the proxy, want unsubscription \"T\"", m)
			}

			stop()
			select {
			case err := <-proxyDone:
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("Proxy returned %v after cancel, want context.Canceled", err)
				}
			case <-time.After(waitLimit):
				t.Fatal("Proxy did not return after its ctx was cancelled")
			}
		})
	}
}
