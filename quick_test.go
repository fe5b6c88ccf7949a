package zmq_test

import (
	"context"
	"testing"
	"time"

	"github.com/zmqx/zmq"
)

func TestQuickReqRep(t *testing.T) {
	f := newFactory(t)
	rep := must[*zmq.Rep](t)(f.NewRep())
	req := must[*zmq.Req](t)(f.NewReq())
	ep := bind(t, rep, "tcp")
	if err := req.Connect(ep); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t, 10*time.Second)
	done := make(chan error, 1)
	go func() {
		done <- rep.Serve(ctx, func(ctx context.Context, q *zmq.Request) (zmq.Msg, error) {
			return zmq.NewMsg(append([][]byte{[]byte("re")}, q.Frames...)...), nil
		})
	}()
	for i := 0; i < 100; i++ {
		m, err := req.Request(ctx, []byte("hi"))
		if err != nil || m.String() != `["re" "hi"]` {
			t.Fatal(m, err)
		}
	}
	rep.Close()
	<-done
}

func TestQuickPubSub(t *testing.T) {
	f := newFactory(t)
	sub := must[*zmq.Sub](t)(f.NewSub(zmq.WithSubscribe("a")))
	pub := must[*zmq.Pub](t)(f.NewPub())
	ep := bind(t, sub, "tcp")
	if err := pub.Connect(ep); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t, 10*time.Second)
	go func() {
		for ctx.Err() == nil {
			pub.Publish(ctx, "b", []byte("no"))
			pub.Publish(ctx, "a1", []byte("yes"))
			time.Sleep(time.Millisecond)
		}
	}()
	topic, body, err := sub.RecvTopic(ctx)
	if err != nil || string(topic) != "a1" || string(body) != "yes" {
		t.Fatal(string(topic), string(body), err)
	}
}
