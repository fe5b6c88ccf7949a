package gozmq

import (
	"context"
	"testing"

	"github.com/zmqx/zmq/internal/engine"
)

// BenchmarkPushPull measures one-way throughput of 16-byte messages.
func BenchmarkPushPull(b *testing.B) {
	for _, tr := range transports {
		b.Run(tr, func(b *testing.B) {
			e := newEngine(b)
			pull := newSock(b, e, engine.PULL)
			push := newSock(b, e, engine.PUSH)
			connect(b, push, bindAny(b, pull, tr))
			body := [][]byte{make([]byte, 16)}
			ctx := context.Background()
			done := make(chan error, 1)
			go func() {
				_, err := push.SendMany(ctx, b.N, func(int) [][]byte { return body })
				done <- err
			}()
			b.SetBytes(16)
			var dst engine.Message
			for range b.N {
				if err := pull.RecvInto(ctx, &dst.Frames, &dst.Metadata); err != nil {
					b.Fatal(err)
				}
			}
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkReqRepRoundTrip measures the latency of a request and its reply.
func BenchmarkReqRepRoundTrip(b *testing.B) {
	for _, tr := range transports {
		b.Run(tr, func(b *testing.B) {
			e := newEngine(b)
			rep := newSock(b, e, engine.REP)
			req := newSock(b, e, engine.REQ)
			connect(b, req, bindAny(b, rep, tr))
			ctx := context.Background()
			go func() {
				for {
					m, err := rep.Recv(ctx)
					if err != nil || rep.Send(ctx, m.Frames) != nil {
						return
					}
				}
			}()
			body := [][]byte{make([]byte, 16)}
			for range b.N {
				if err := req.Send(ctx, body); err != nil {
					b.Fatal(err)
				}
				if _, err := req.Recv(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
