package zmq_test

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/zmqx/zmq"
)

// Benchmarks of the public API. Every benchmark builds its own factory and
// sockets, exchanges one message before the timer starts (so connection
// set-up is not measured), and joins every goroutine it started before it
// returns. They run with any -benchtime, including 1x.
//
// Allocations are counted over all goroutines, so for PushPull they are the
// sender's and the receiver's together, per message.

var benchSizes = []int{16, 256, 4096, 65536}

// BenchmarkPushPull measures one-way throughput: a sender goroutine sends
// b.N messages through a Push, the benchmark goroutine receives them from
// a Pull.
func BenchmarkPushPull(b *testing.B) {
	for _, tr := range transports {
		b.Run(tr, func(b *testing.B) {
			for _, size := range benchSizes {
				b.Run(strconv.Itoa(size), func(b *testing.B) { benchPushPull(b, tr, size) })
			}
		})
	}
}

// BenchmarkPushPullBatch is BenchmarkPushPull with the sender using
// SendBatch, 256 messages per call.
func BenchmarkPushPullBatch(b *testing.B) {
	for _, tr := range transports {
		b.Run(tr, func(b *testing.B) {
			for _, size := range benchSizes {
				b.Run(strconv.Itoa(size), func(b *testing.B) { benchPushPullSender(b, tr, size, 256, 1) })
			}
		})
	}
}

func benchPushPull(b *testing.B, tr string, size int) { benchPushPullSender(b, tr, size, 1, 1) }

// BenchmarkPushPullBatchBoth is BenchmarkPushPullBatch with the receiver
// also batching: RecvBatch, up to 256 messages per call.
func BenchmarkPushPullBatchBoth(b *testing.B) {
	for _, tr := range transports {
		b.Run(tr, func(b *testing.B) {
			for _, size := range []int{16, 256} {
				b.Run(strconv.Itoa(size), func(b *testing.B) { benchPushPullSender(b, tr, size, 256, 256) })
			}
		})
	}
}

// BenchmarkPushPullRecvInto is BenchmarkPushPull with the receiver reusing
// one Msg through RecvInto.
func BenchmarkPushPullRecvInto(b *testing.B) {
	for _, tr := range transports {
		b.Run(tr, func(b *testing.B) {
			for _, size := range benchSizes {
				b.Run(strconv.Itoa(size), func(b *testing.B) { benchPushPullSender(b, tr, size, 1, 0) })
			}
		})
	}
}

// benchPushPullSender sends b.N messages of size bytes, batch per call
// (batch 1 uses Send), and receives them in the benchmark goroutine,
// recvBatch per call (1 uses Recv, 0 RecvInto).
func benchPushPullSender(b *testing.B, tr string, size, batch, recvBatch int) {
	var wg sync.WaitGroup
	b.Cleanup(wg.Wait) // runs after the factory's Close, which ends a stuck sender
	f := newFactory(b)
	pull := must[*zmq.Pull](b)(f.NewPull())
	push := must[*zmq.Push](b)(f.NewPush())
	if err := push.Connect(bind(b, pull, tr)); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := zmq.NewMsg(make([]byte, size))
	// One message before the clock starts: the connection is up.
	if err := push.Send(ctx, m); err != nil {
		b.Fatal(err)
	}
	if _, err := pull.Recv(ctx); err != nil {
		b.Fatal(err)
	}

	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	wg.Add(1)
	go func() {
		defer wg.Done()
		if batch == 1 {
			for range b.N {
				if err := push.Send(ctx, m); err != nil {
					b.Error(err)
					return
				}
			}
			return
		}
		msgs := make([]zmq.Msg, batch)
		for i := range msgs {
			msgs[i] = m
		}
		for left := b.N; left > 0; left -= batch {
			if _, err := push.SendBatch(ctx, msgs[:min(batch, left)]); err != nil {
				b.Error(err)
				return
			}
		}
	}()
	got := make([]zmq.Msg, max(recvBatch, 1))
	for i := 0; i < b.N; {
		n := 1
		var err error
		switch recvBatch {
		case 0:
			err = pull.RecvInto(ctx, &got[0])
		case 1:
			got[0], err = pull.Recv(ctx)
		default:
			n, err = pull.RecvBatch(ctx, got[:min(recvBatch, b.N-i)])
		}
		if err != nil {
			b.Fatal(err)
		}
		for _, m := range got[:n] {
			if len(m.Frames) != 1 || len(m.Frames[0]) != size {
				b.Fatalf("message %d: %d frames, %d bytes; want 1 frame of %d", i, len(m.Frames), m.Len(), size)
			}
			i++
		}
	}
	b.StopTimer()
	wg.Wait()
}

// BenchmarkReqRep measures round trips of 16-byte requests through a Req
// and a Rep that echoes them (Rep.Serve).
func BenchmarkReqRep(b *testing.B) {
	for _, tr := range []string{"inproc", "tcp"} {
		b.Run(tr+"/16", func(b *testing.B) { benchReqRep(b, tr, 16) })
	}
}

func benchReqRep(b *testing.B, tr string, size int) {
	var wg sync.WaitGroup
	b.Cleanup(wg.Wait)
	f := newFactory(b)
	rep := must[*zmq.Rep](b)(f.NewRep())
	req := must[*zmq.Req](b)(f.NewReq())
	if err := req.Connect(bind(b, rep, tr)); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() {
		cancel()
		wg.Wait()
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		rep.Serve(ctx, func(_ context.Context, q *zmq.Request) (zmq.Msg, error) {
			return q.Msg, nil
		})
	}()
	payload := make([]byte, size)
	if _, err := req.Request(ctx, payload); err != nil {
		b.Fatal(err)
	}

	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		m, err := req.Request(ctx, payload)
		if err != nil {
			b.Fatal(err)
		}
		if m.Len() != size {
			b.Fatalf("reply of %d bytes, want %d", m.Len(), size)
		}
	}
	b.StopTimer()
}

// BenchmarkDealerRouter measures round trips of 16-byte messages from a
// Dealer to a Router that echoes each one back to its sender.
func BenchmarkDealerRouter(b *testing.B) {
	for _, tr := range []string{"inproc", "tcp"} {
		b.Run(tr+"/16", func(b *testing.B) { benchDealerRouter(b, tr, 16, false) })
	}
}

// BenchmarkDealerRouterRecvInto is BenchmarkDealerRouter with both sides
// receiving into one reused Msg (RecvInto), the Router echoing the whole
// message, routing id included, with Send.
func BenchmarkDealerRouterRecvInto(b *testing.B) {
	for _, tr := range []string{"inproc", "tcp"} {
		b.Run(tr+"/16", func(b *testing.B) { benchDealerRouter(b, tr, 16, true) })
	}
}

func benchDealerRouter(b *testing.B, tr string, size int, into bool) {
	var wg sync.WaitGroup
	b.Cleanup(wg.Wait)
	f := newFactory(b)
	router := must[*zmq.Router](b)(f.NewRouter())
	dealer := must[*zmq.Dealer](b)(f.NewDealer())
	if err := dealer.Connect(bind(b, router, tr)); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() {
		cancel()
		wg.Wait()
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m zmq.Msg
		for {
			if into {
				if router.RecvInto(ctx, &m) != nil || router.Send(ctx, m) != nil {
					return
				}
				continue
			}
			peer, m, err := router.RecvFrom(ctx)
			if err != nil {
				return
			}
			if err := router.SendTo(ctx, peer, m.Frames...); err != nil {
				return
			}
		}
	}()
	m := zmq.NewMsg(make([]byte, size))
	var got zmq.Msg
	roundTrip := func() {
		if err := dealer.Send(ctx, m); err != nil {
			b.Fatal(err)
		}
		var err error
		if into {
			err = dealer.RecvInto(ctx, &got)
		} else {
			got, err = dealer.Recv(ctx)
		}
		if err != nil {
			b.Fatal(err)
		}
		if got.Len() != size {
			b.Fatalf("echo of %d bytes, want %d", got.Len(), size)
		}
	}
	roundTrip()

	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		roundTrip()
	}
	b.StopTimer()
}
