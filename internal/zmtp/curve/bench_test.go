package curve

import (
	"strconv"
	"testing"
)

// BenchmarkSealOpen seals a frame on one side and opens it on the other,
// with reused buffers, as an engine would.
func BenchmarkSealOpen(b *testing.B) {
	tr := handshake(b, nil)
	for _, size := range []int{16, 256, 4 << 10, 64 << 10} {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			data := make([]byte, size)
			sealBuf := make([]byte, 0, MessageOverhead+2*size+1)
			openBuf := make([]byte, 0, size+MessageOverhead)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				m := tr.clientSession.Seal(sealBuf, FlagMore, data)
				if _, _, err := tr.serverSession.Open(openBuf, m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHandshake runs a whole handshake, both sides: key generation for
// the transient pairs and every precomputation included.
func BenchmarkHandshake(b *testing.B) {
	srv, cli := docServer(b), docClient(b)
	meta := metadata("Socket-Type", "DEALER")
	b.ReportAllocs()
	for b.Loop() {
		c, err := NewClient(srv.Public, cli)
		if err != nil {
			b.Fatal(err)
		}
		s := NewServer(srv.Secret)
		hello, _ := c.Hello()
		welcome, err := s.Hello(hello)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Welcome(welcome); err != nil {
			b.Fatal(err)
		}
		initiate, _ := c.Initiate(meta)
		if _, _, err := s.Initiate(initiate); err != nil {
			b.Fatal(err)
		}
		ready, _, _ := s.Ready(meta)
		if _, _, err := c.Ready(ready); err != nil {
			b.Fatal(err)
		}
	}
}
