package curve

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"testing"
	"time"
)

// A minimal ZMTP 3.0 peer for the live tests: the whole 64-octet greeting
// at once (libzmq accepts that), then frames. Just enough to carry the
// CURVE commands; the real ZMTP layer lives elsewhere.

const (
	frameMore    = 0x01
	frameLong    = 0x02
	frameCommand = 0x04
	maxTestFrame = 1 << 20
)

type zmtpConn struct {
	conn net.Conn
	r    *bufio.Reader
}

func newZMTPConn(t *testing.T, conn net.Conn) *zmtpConn {
	t.Helper()
	t.Cleanup(func() { conn.Close() })
	// A bound on a stuck peer, so that a failure is reported rather than
	// hanging the test binary; no step waits on it in a passing run.
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	return &zmtpConn{conn: conn, r: bufio.NewReader(conn)}
}

// greet sends our CURVE greeting and checks the peer's.
func (z *zmtpConn) greet(asServer bool) error {
	var g [64]byte
	g[0], g[9], g[10], g[11] = 0xff, 0x7f, 3, 0
	copy(g[12:32], "CURVE")
	if asServer {
		g[32] = 1
	}
	if _, err := z.conn.Write(g[:]); err != nil {
		return err
	}
	var peer [64]byte
	if _, err := io.ReadFull(z.r, peer[:]); err != nil {
		return fmt.Errorf("reading the peer's greeting: %w", err)
	}
	if peer[0] != 0xff || peer[9]&1 != 1 || peer[10] < 3 {
		return fmt.Errorf("peer greeting is not ZMTP 3: % x", peer[:12])
	}
	if mech := string(peer[12:32]); mech != "CURVE"+string(make([]byte, 15)) {
		return fmt.Errorf("peer mechanism %q, want CURVE", mech)
	}
	return nil
}

func (z *zmtpConn) writeFrame(flags byte, body []byte) error {
	var hdr []byte
	if len(body) > 255 {
		hdr = binary.BigEndian.AppendUint64([]byte{flags | frameLong}, uint64(len(body)))
	} else {
		hdr = []byte{flags, byte(len(body))}
	}
	_, err := z.conn.Write(append(hdr, body...))
	return err
}

func (z *zmtpConn) readFrame() (flags byte, body []byte, err error) {
	if flags, err = z.r.ReadByte(); err != nil {
		return 0, nil, err
	}
	var size uint64
	if flags&frameLong != 0 {
		var b [8]byte
		if _, err = io.ReadFull(z.r, b[:]); err != nil {
			return 0, nil, err
		}
		size = binary.BigEndian.Uint64(b[:])
	} else {
		b, err := z.r.ReadByte()
		if err != nil {
			return 0, nil, err
		}
		size = uint64(b)
	}
	if size > maxTestFrame {
		return 0, nil, fmt.Errorf("frame of %d octets", size)
	}
	body = make([]byte, size)
	_, err = io.ReadFull(z.r, body)
	return flags, body, err
}

// readCommand reads a frame that must be a command.
func (z *zmtpConn) readCommand() ([]byte, error) {
	flags, body, err := z.readFrame()
	if err != nil {
		return nil, err
	}
	if flags&frameCommand == 0 {
		return nil, fmt.Errorf("frame with flags %#x where a command was due: %q", flags, body)
	}
	return body, nil
}

// sendMessage seals one frame into a MESSAGE and sends it with outer flags
// 0, as libzmq 4.3.4 needs.
func (z *zmtpConn) sendMessage(s *Session, flags byte, data []byte) error {
	return z.writeFrame(0, s.Seal(nil, flags, data))
}

// recvMessage reads and opens one MESSAGE. libzmq 4.3.4 frames MESSAGE
// without the outer COMMAND or MORE bits (only LONG, by size); the test
// holds it to that.
func (z *zmtpConn) recvMessage(s *Session) (flags byte, data []byte, nonce uint64, err error) {
	outer, body, err := z.readFrame()
	if err != nil {
		return 0, nil, 0, err
	}
	if outer&(frameMore|frameCommand) != 0 {
		return 0, nil, 0, fmt.Errorf("MESSAGE in a frame with outer flags %#x, want neither MORE nor COMMAND", outer)
	}
	data, flags, err = s.Open(nil, body)
	if err != nil {
		return 0, nil, 0, err
	}
	return flags, data, binary.BigEndian.Uint64(body[8:16]), nil
}
