package zmtp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
)

// lit is literal text inside wire(); plain strings there are hex.
type lit string

// wire builds bytes from hex strings ("04 29 05"), lit text and []byte.
func wire(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch p := p.(type) {
		case string:
			h, err := hex.DecodeString(strings.ReplaceAll(p, " ", ""))
			if err != nil {
				panic("bad hex " + p)
			}
			b = append(b, h...)
		case lit:
			b = append(b, p...)
		case []byte:
			b = append(b, p...)
		default:
			panic("wire: unexpected part")
		}
	}
	return b
}

// zeros returns n zero octets.
func zeros(n int) []byte { return make([]byte, n) }

// signature returns a libzmq signature for an identity of idLen octets.
func signature(idLen int) []byte {
	return wire("ff 00 00 00 00 00 00 00", []byte{byte(idLen + 1)}, "7f")
}

// greetingRest returns what libzmq sends after the signature of a 3.x
// greeting: major, minor, mechanism, as-server 0, filler.
func greetingRest(minor byte, mech string) []byte {
	m := make([]byte, 20)
	copy(m, mech)
	return wire([]byte{3, minor}, m, "00", zeros(31))
}

// errWouldBlock is returned by scriptConn when the handshake waits for the
// peer while the peer waits for us: a deadlock against a real peer.
var errWouldBlock = errors.New("handshake waits for bytes the peer sends only after hearing from us")

// scriptConn plays a recorded peer. Everything the peer sends is known in
// advance; what we write is recorded. With staged set, the peer behaves as
// libzmq does: it sends its 10-octet signature at once, its major version
// only after reading our 10 octets, the rest only after our 11th.
type scriptConn struct {
	peer   []byte
	pos    int
	chunk  int // at most this many octets per Read; 0: no limit
	staged bool
	hang   bool // once the script runs dry, wait (errWouldBlock) instead of closing
	out    bytes.Buffer
	reads  int
}

func (c *scriptConn) Read(p []byte) (int, error) {
	avail := len(c.peer)
	if c.staged {
		switch {
		case c.out.Len() < 10:
			avail = min(avail, 10)
		case c.out.Len() < 11:
			avail = min(avail, 11)
		}
	}
	if c.pos >= avail {
		if c.pos >= len(c.peer) && !c.hang {
			return 0, io.EOF
		}
		return 0, errWouldBlock
	}
	if c.chunk > 0 && len(p) > c.chunk {
		p = p[:c.chunk]
	}
	n := copy(p, c.peer[c.pos:avail])
	c.pos += n
	c.reads++
	return n, nil
}

func (c *scriptConn) Write(p []byte) (int, error) { return c.out.Write(p) }

// chunkings are the ways a script delivers the peer's bytes: all at once,
// one octet per read, and a few octets per read.
var chunkings = []struct {
	name  string
	chunk int
}{{"whole", 0}, {"1-octet", 1}, {"7-octet", 7}}

// readAll decodes frames until the script runs dry.
func readAll(t *testing.T, d *Decoder) []Frame {
	t.Helper()
	var fs []Frame
	for {
		f, err := d.Next()
		if errors.Is(err, io.EOF) {
			return fs
		}
		if err != nil {
			t.Fatalf("decoding: %v", err)
		}
		f.Body = append([]byte{}, f.Body...)
		fs = append(fs, f)
	}
}

func frameString(fs []Frame) string {
	var sb strings.Builder
	for _, f := range fs {
		switch {
		case f.Command:
			sb.WriteString("cmd:")
		case f.More:
			sb.WriteString("more:")
		}
		sb.WriteString(hex.EncodeToString(f.Body))
		sb.WriteString(" ")
	}
	return sb.String()
}
