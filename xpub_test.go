package zmq_test

import (
	"testing"

	"github.com/zmqx/zmq"
)

// XPUB receives subscriptions as "\x01prefix" and unsubscriptions as
// "\x00prefix", duplicates filtered unless verbose, and the unsubscriptions
// of a subscriber that goes away.
func TestXPubReceivesSubscriptionMessages(t *testing.T) {
	expectSub := func(t *testing.T, x *zmq.XPub, subscribe bool, prefix string) {
		t.Helper()
		m := recvMsg(t, x)
		s, p, ok := zmq.ParseSubscription(m)
		if !ok || s != subscribe || p != prefix {
			t.Fatalf("XPUB received %s, want subscribe=%v %q", m, subscribe, prefix)
		}
		want := "\x00" + prefix
		if subscribe {
			want = "\x01" + prefix
		}
		if string(m.Frames[0]) != want {
			t.Fatalf("raw frame %q, want %q", m.Frames[0], want)
		}
	}
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			f := newFactory(t)
			xpub := must[*zmq.XPub](t)(f.NewXPub())
			ep := bind(t, xpub, tr)
			sub1 := must[*zmq.Sub](t)(f.NewSub())
			sub2 := must[*zmq.Sub](t)(f.NewSub())
			connectTo(t, sub1, ep)
			connectTo(t, sub2, ep)

			noErr(t, sub1.Subscribe("A"))
			expectSub(t, xpub, true, "A")
			// A duplicate (from the same or another subscriber) is filtered:
			// the next thing the XPUB sees is the subscription sent after it.
			noErr(t, sub1.Subscribe("A"))
			noErr(t, sub1.Subscribe("B"))
			expectSub(t, xpub, true, "B")
			noErr(t, sub2.Subscribe("A"))
			noErr(t, sub2.Subscribe("C"))
			expectSub(t, xpub, true, "C")
			// An unsubscribe that leaves other holders is filtered too.
			noErr(t, sub1.Unsubscribe("A"))
			noErr(t, sub1.Unsubscribe("A"))
			noErr(t, sub1.Subscribe("D"))
			expectSub(t, xpub, true, "D")
			noErr(t, sub1.Unsubscribe("D"))
			expectSub(t, xpub, false, "D")

			// sub2 goes away: what only it held is unsubscribed.
			if err := sub2.Close(); err != nil {
				t.Fatal(err)
			}
			gone := map[string]bool{}
			for range 2 {
				m := recvMsg(t, xpub)
				s, p, ok := zmq.ParseSubscription(m)
				if !ok || s {
					t.Fatalf("after a subscriber closed: XPUB received %s, want an unsubscription", m)
				}
				gone[p] = true
			}
			if !gone["A"] || !gone["C"] {
				t.Fatalf("after a subscriber closed: unsubscribed %v, want A and C", gone)
			}
			// sub1 still holds B.
			sendFrames(t, xpub, "B1")
			expectFrames(t, sub1, "B1")
		})
		t.Run(tr+"/verbose", func(t *testing.T) {
			t.Parallel()
			f := newFactory(t)
			xpub := must[*zmq.XPub](t)(f.NewXPub(zmq.WithXPubVerbose(true)))
			ep := bind(t, xpub, tr)
			sub1 := must[*zmq.Sub](t)(f.NewSub())
			sub2 := must[*zmq.Sub](t)(f.NewSub())
			connectTo(t, sub1, ep)
			connectTo(t, sub2, ep)
			noErr(t, sub1.Subscribe("A"))
			expectSub(t, xpub, true, "A")
			noErr(t, sub2.Subscribe("A"))
			expectSub(t, xpub, true, "A")
			noErr(t, sub1.Subscribe("A"))
			expectSub(t, xpub, true, "A")
		})
	}
}
