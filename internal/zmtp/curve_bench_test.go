package zmtp

import (
	"strconv"
	"testing"

	"github.com/zmqx/zmq/internal/zmtp/curve"
)

// feed is a reader that serves what a benchmark round put in it.
type feed struct{ b []byte }

func (f *feed) Read(p []byte) (int, error) {
	n := copy(p, f.b)
	f.b = f.b[n:]
	return n, nil
}

// curveCodecs returns a client's sealing Encoder and a server's opening
// Decoder, which reads from in, after a handshake done in memory.
func curveCodecs(tb testing.TB) (enc *Encoder, dec *Decoder, in *feed) {
	tb.Helper()
	c, err := curve.NewClient(testServerKeys.Public, testClientKeys)
	if err != nil {
		tb.Fatal(err)
	}
	s := curve.NewServer(testServerKeys.Secret)
	hello, _ := c.Hello()
	welcome, err := s.Hello(hello)
	if err != nil {
		tb.Fatal(err)
	}
	if err := c.Welcome(welcome); err != nil {
		tb.Fatal(err)
	}
	initiate, _ := c.Initiate(nil)
	if _, _, err := s.Initiate(initiate); err != nil {
		tb.Fatal(err)
	}
	ready, serverSession, _ := s.Ready(nil)
	_, clientSession, err := c.Ready(ready)
	if err != nil {
		tb.Fatal(err)
	}
	in = &feed{}
	dec = NewDecoder(in, ZMTP31, 0, 0)
	dec.cipher = &curveCipher{session: serverSession}
	return &Encoder{version: ZMTP31, cipher: &curveCipher{session: clientSession}}, dec, in
}

// BenchmarkCurveFrame seals a frame with the client's Encoder and opens it
// with the server's Decoder, framing included, as an engine would.
func BenchmarkCurveFrame(b *testing.B) {
	for _, size := range []int{16, 1 << 10, 16 << 10, 64 << 10} {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			enc, dec, in := curveCodecs(b)
			data := make([]byte, size)
			var out []byte
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if out, err = enc.AppendFrame(out[:0], data, false); err != nil {
					b.Fatal(err)
				}
				in.b = out
				if f, err := dec.Next(); err != nil || len(f.Body) != size {
					b.Fatalf("%d octets, %v", len(f.Body), err)
				}
			}
		})
	}
}
