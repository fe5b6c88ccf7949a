package zmq_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/zmqx/zmq"
)

// A message larger than the receiver's max message size, or one whose
// last frame is, is never delivered; the receiver drops that connection,
// the sender reconnects, and a normal message gets through again.
func TestOversizeMessageIsNeverDelivered(t *testing.T) {
	cases := []struct {
		name string
		msg  zmq.Msg
	}{
		{"one frame", zmq.NewMsg(bytes.Repeat([]byte("x"), 4096))},
		{"last frame of three", zmq.NewMsg([]byte("a"), []byte("b"), bytes.Repeat([]byte("x"), 4096))},
	}
	for _, tr := range []string{"ipc", "tcp"} {
		for _, c := range cases {
			t.Run(tr+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				f := newFactory(t)
				pull := must[*zmq.Pull](t)(f.NewPull(zmq.WithMaxMsgSize(1024)))
				mon := must[*zmq.Monitor](t)(pull.Monitor(zmq.EventDisconnected))
				defer mon.Close()
				push := must[*zmq.Push](t)(f.NewPush(zmq.WithReconnectInterval(50 * time.Millisecond)))
				pmon := must[*zmq.Monitor](t)(push.Monitor(zmq.EventHandshakeSucceeded))
				defer pmon.Close()
				if err := push.Connect(bind(t, pull, tr)); err != nil {
					t.Fatal(err)
				}
				ctx := testCtx(t, 10*time.Second)
				if _, err := pmon.Recv(ctx); err != nil {
					t.Fatal(err)
				}
				if err := push.Send(ctx, c.msg); err != nil {
					t.Fatal(err)
				}
				if _, err := mon.Recv(ctx); err != nil {
					t.Fatalf("no disconnect after the oversize message: %v", err)
				}
				// The sender reconnects; then a normal message gets through,
				// and nothing else arrives.
				if _, err := pmon.Recv(ctx); err != nil {
					t.Fatalf("the sender did not reconnect: %v", err)
				}
				if err := push.Send(ctx, zmq.NewMsgString("small")); err != nil {
					t.Fatal(err)
				}
				m, err := pull.Recv(ctx)
				if err != nil {
					t.Fatalf("nothing arrived after the reconnect: %v", err)
				}
				if m.String() != `["small"]` {
					t.Fatalf("got %d frames, %d bytes: the oversize message was delivered", len(m.Frames), m.Len())
				}
			})
		}
	}
}
