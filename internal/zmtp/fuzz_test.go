package zmtp

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// captureSeeds are whole peer streams recorded from libzmq and JeroMQ.
func captureSeeds() [][]byte {
	null := wire(signature(0), nullGreet31)
	return [][]byte{
		wire(null, readyRouter, envelopeWorld),
		wire(signature(6), nullGreet31, readyDealerA, envelopeHello),
		wire(null, readySub, "04 0b 09", lit("SUBSCRIBE"), lit("A"), "04 08 06", lit("CANCEL"), lit("A")),
		wire(null, readyPub, "01 06", lit("Atopic"), "00 04", lit("body"), "04 07 04", lit("PING"), "00 0f"),
		wire(signature(0), "01 08", "00 00", "01 05", lit("part1"), "00 05", lit("part2")),
		wire(signature(0), plainGreet31, helloAdmin, initiateReq),
		wire(signature(0), plainGreet31, welcome, readyRep),
	}
}

// memBudget bounds what decoding data may allocate: a few times what
// arrived plus the buffer and one chunk, whatever sizes the frames declare.
func memBudget(data []byte, bufSize int) uint64 {
	return uint64(8*len(data) + 4*bufSize + 64<<10)
}

// checkSticky requires that once Next fails it keeps failing the same way.
func checkSticky(t *testing.T, d *Decoder, err error) {
	for range 2 {
		if f, again := d.Next(); again != err || f.Body != nil {
			t.Fatalf("error not sticky: %v, then %v (%d octets)", err, again, len(f.Body))
		}
	}
}

func FuzzDecoder(f *testing.F) {
	for _, s := range captureSeeds() {
		frames := s[min(64, len(s)):] // past a 3.x greeting; the 2.0 capture keeps a little of its own
		f.Add(frames, uint8(31), uint16(0), uint8(0), uint16(0))
		f.Add(frames, uint8(20), uint16(100), uint8(1), uint16(64))
	}
	f.Add(wire("02 00 00 01 00 00 00 00 00 41 42"), uint8(31), uint16(0), uint8(3), uint16(64))
	f.Add(wire("05 02 01 41"), uint8(30), uint16(0), uint8(0), uint16(0))
	f.Fuzz(func(t *testing.T, data []byte, version uint8, maxSize uint16, chunk uint8, bufSize uint16) {
		v := []Version{ZMTP20, ZMTP30, ZMTP31}[int(version)%3]
		size := max(int(bufSize), minReadBufferSize)
		var total int64
		var err error
		var d *Decoder
		used := allocated(func() {
			d = NewDecoder(&scriptConn{peer: data, chunk: int(chunk)}, v, size, int64(maxSize))
			for {
				var fr Frame
				if fr, err = d.Next(); err != nil {
					break
				}
				if maxSize > 0 && !fr.Command && int64(len(fr.Body)) > int64(maxSize) {
					t.Fatalf("frame of %d octets under a %d limit", len(fr.Body), maxSize)
				}
				if fr.Command {
					if !v.hasCommands() {
						t.Fatal("command frame from a ZMTP/2.0 peer")
					}
					if fr.More {
						t.Fatal("command with MORE")
					}
					ParseCommand(fr.Body)
				}
				total += int64(len(fr.Body))
			}
		})
		if total > int64(len(data)) {
			t.Fatalf("decoded %d body octets out of %d", total, len(data))
		}
		if used > memBudget(data, size) {
			t.Fatalf("allocated %d octets for %d input", used, len(data))
		}
		var pe *ProtocolError
		var ce *ConnError
		if !errors.As(err, &pe) && !errors.As(err, &ce) {
			t.Fatalf("untyped error %v", err)
		}
		checkSticky(t, d, err)
	})
}

func FuzzHandshake(f *testing.F) {
	for i, s := range captureSeeds() {
		f.Add(s, uint8(i), uint8(0))
		f.Add(s, uint8(i), uint8(1))
	}
	f.Fuzz(func(t *testing.T, data []byte, setup uint8, chunk uint8) {
		cfg := Config{SocketType: SocketType(setup % 11), ReadBufferSize: 128, Identity: []byte("me")}
		switch setup / 11 % 4 {
		case 1:
			cfg.Mechanism = PlainServer{}
			cfg.ZAP = admitAll
		case 2:
			cfg.Mechanism = PlainClient{Username: "admin", Password: "secret"}
		case 3:
			cfg.ZAPDomain = "d"
			cfg.ZAP = refuseWith(400)
		}
		var s *Session
		var err error
		used := allocated(func() { s, err = Handshake(&scriptConn{peer: data, chunk: int(chunk)}, &cfg) })
		if used > memBudget(data, cfg.ReadBufferSize) {
			t.Fatalf("allocated %d octets for %d input", used, len(data))
		}
		var pe *ProtocolError
		var ae *AuthError
		var ce *ConnError
		switch {
		case err == nil:
			if !Compatible(cfg.SocketType, s.PeerType) || len(s.PeerIdentity) > 255 {
				t.Fatalf("admitted peer %v with identity of %d octets", s.PeerType, len(s.PeerIdentity))
			}
			for {
				if _, err = s.Decoder.Next(); err != nil {
					checkSticky(t, s.Decoder, err)
					break
				}
			}
		case errors.As(err, &pe), errors.As(err, &ae), errors.As(err, &ce):
		default:
			t.Fatalf("untyped error %v", err)
		}
	})
}

func FuzzMetadata(f *testing.F) {
	f.Add(readyDealerA[8:])
	f.Add(initiateReq[12:])
	f.Add(wire("0b", lit("Socket-Type"), "7f ff ff ff", lit("DEALER")))
	f.Add(wire("00 00 00 00 00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var md Metadata
		var err error
		used := allocated(func() { md, err = ParseMetadata(data) })
		if used > memBudget(data, 0) {
			t.Fatalf("allocated %d octets for %d input", used, len(data))
		}
		if err != nil {
			return
		}
		// What parses re-encodes to the same octets.
		var again []byte
		for _, p := range md {
			again = appendProperty(again, p.Name, p.Value)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("re-encoded %x, parsed from %x", again, data)
		}
		for _, p := range md {
			if _, ok := md.Get(p.Name); !ok {
				t.Fatalf("Get(%q) does not find its property", p.Name)
			}
		}
	})
}

// The fuzz seeds also run as plain tests; this keeps one of them honest:
// a capture decodes cleanly to EOF.
func TestCaptureSeedDecodes(t *testing.T) {
	s := captureSeeds()[0]
	d := NewDecoder(&scriptConn{peer: s[64:]}, ZMTP31, 0, 0)
	fs := readAll(t, d)
	if len(fs) != 3 {
		t.Fatalf("%d frames", len(fs))
	}
	if _, err := d.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last frame: %v", err)
	}
}
