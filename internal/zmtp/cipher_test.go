package zmtp

import (
	"bytes"
	"errors"
	"testing"
)

// toyMechanism has CURVE's shape without its cryptography: HELLO,
// WELCOME, INITIATE with metadata, READY with metadata, then every frame
// sealed in a MESSAGE command by toyCipher. It shows that an encrypting
// mechanism plugs in through Mechanism and Cipher alone.
type toyMechanism struct{ server bool }

func (toyMechanism) Name() string { return "TOY" }

func (m toyMechanism) Handshake(h *HandshakeConn) (Cipher, error) {
	expect := func(name string) (Command, error) {
		c, err := h.ReadCommand()
		if err == nil && c.Name != name {
			err = protoErr(CodeUnexpectedCommand, "got %s, want %s", c.Name, name)
		}
		return c, err
	}
	if m.server {
		c, err := expect(CmdHello)
		if err != nil {
			return nil, err
		}
		if err := h.Authenticate("TOY", c.Data); err != nil {
			return nil, err
		}
		h.WriteCommand(CommandBody(CmdWelcome))
		if c, err = expect(CmdInitiate); err != nil {
			return nil, err
		}
		if err := h.AcceptPeerMetadata(CmdInitiate, c.Data); err != nil {
			return nil, err
		}
		h.WriteCommand(CommandBody(CmdReady, h.LocalMetadata()))
		return toyCipher{key: 0x5A}, nil
	}
	h.WriteCommand(CommandBody(CmdHello, []byte("client-key")))
	if _, err := expect(CmdWelcome); err != nil {
		return nil, err
	}
	h.WriteCommand(CommandBody(CmdInitiate, h.LocalMetadata()))
	c, err := expect(CmdReady)
	if err != nil {
		return nil, err
	}
	return toyCipher{key: 0x5A}, h.AcceptPeerMetadata(CmdReady, c.Data)
}

// toyCipher seals a frame as "\x07MESSAGE", an inner flags octet (bit 0
// MORE, bit 1 COMMAND, as CURVE has them) and the body XORed with key.
type toyCipher struct{ key byte }

var toyPrefix = []byte("\x07MESSAGE")

func (c toyCipher) Seal(more, command bool, body []byte) ([]byte, error) {
	var flags byte
	if more {
		flags |= 1
	}
	if command {
		flags |= 2
	}
	out := append(append([]byte{}, toyPrefix...), flags)
	for _, b := range body {
		out = append(out, b^c.key)
	}
	return out, nil
}

func (c toyCipher) Open(body []byte) (more, command bool, data []byte, err error) {
	rest, ok := bytes.CutPrefix(body, toyPrefix)
	if !ok || len(rest) < 1 || rest[0] > 3 {
		return false, false, nil, protoErr(CodeCryptographic, "not a sealed frame")
	}
	data = make([]byte, len(rest)-1)
	for i, b := range rest[1:] {
		data[i] = b ^ c.key
	}
	return rest[0]&1 != 0, rest[0]&2 != 0, data, nil
}

func (toyCipher) Overhead() int { return len(toyPrefix) + 1 }

// roomyCipher claims more overhead than it adds.
type roomyCipher struct{ toyCipher }

func (roomyCipher) Overhead() int { return 64 }

func TestEncryptingMechanismPlugsIn(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			a, b := tr.pair(t)
			ca := &Config{SocketType: Dealer, Mechanism: toyMechanism{}}
			cb := &Config{SocketType: Router, Mechanism: toyMechanism{server: true}, ZAP: func(r ZAPRequest) (ZAPReply, error) {
				if r.Mechanism != "TOY" || string(r.Credentials[0]) != "client-key" {
					return ZAPReply{Status: 400}, nil
				}
				return ZAPReply{Status: 200, UserID: "toy-user"}, nil
			}}
			sa, sb, ea, eb := handshakeBoth(a, b, ca, cb)
			if ea != nil || eb != nil {
				t.Fatalf("handshake: %v / %v", ea, eb)
			}
			if sb.UserID != "toy-user" || sa.PeerType != Router || sb.PeerType != Dealer {
				t.Fatalf("sessions: user %q, peers %v %v", sb.UserID, sa.PeerType, sb.PeerType)
			}
			exchange(t, a, b, sa, sb)
		})
	}
}

func TestSealedFraming(t *testing.T) {
	enc := &Encoder{version: ZMTP31, cipher: toyCipher{key: 0x5A}}
	ping, err := enc.AppendPing(nil, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The outer frame of a sealed command has flags 0: libzmq 4.3.4 drops
	// a MESSAGE whose outer frame has the COMMAND bit.
	if ping[0] != 0x00 || !bytes.Equal(ping[2:2+8], toyPrefix) || ping[10] != 2 {
		t.Errorf("sealed PING %x", ping)
	}
	msg, _ := enc.AppendMessage(nil, []byte("a"), []byte("b"))
	if msg[0] != 0x00 || msg[10] != 1 || msg[12] != 0x00 || msg[22] != 0 {
		t.Errorf("sealed message %x", msg)
	}
	if _, err := enc.AppendHeader(nil, 10, false); err == nil {
		t.Error("AppendHeader under a cipher succeeded")
	}

	// The decoder takes the outer frame with or without the COMMAND bit.
	withCommandBit := append([]byte{}, ping...)
	withCommandBit[0] = flagCommand
	d := NewDecoder(&scriptConn{peer: wire(ping, withCommandBit, msg)}, ZMTP31, 0, 0)
	d.cipher = toyCipher{key: 0x5A}
	if got := frameString(readAll(t, d)); got != "cmd:0450494e470000 cmd:0450494e470000 more:61 62 " {
		t.Errorf("decoded %s", got)
	}

	// A frame that does not open is the cipher's error, and sticks.
	d = NewDecoder(&scriptConn{peer: wire("00 03", lit("bad"))}, ZMTP31, 0, 0)
	d.cipher = toyCipher{}
	if _, err := d.Next(); !protoCode(CodeCryptographic)(err) {
		t.Fatalf("unsealed frame: %v", err)
	}

	// The size limit applies to what is inside, and bounds the outer
	// frame by the cipher's overhead before it is read.
	sealed := func(n int) []byte { b, _ := enc.AppendFrame(nil, make([]byte, n), false); return b }
	d = NewDecoder(&scriptConn{peer: wire(sealed(100), sealed(101))}, ZMTP31, 0, 100)
	d.cipher = toyCipher{key: 0x5A}
	if f, err := d.Next(); err != nil || len(f.Body) != 100 {
		t.Fatalf("100 octets under a 100 limit: %v", err)
	}
	if _, err := d.Next(); !protoCode(CodeUnspecified, "sealed frame of 110", "100", "overhead of 9")(err) {
		t.Fatalf("101 octets under a 100 limit: %v", err)
	}
	// A cipher whose overhead varies is checked again once the frame is open.
	d = NewDecoder(&scriptConn{peer: wire(sealed(101))}, ZMTP31, 0, 100)
	d.cipher = roomyCipher{toyCipher{key: 0x5A}}
	if _, err := d.Next(); !protoCode(CodeUnspecified, "frame of 101 octets exceeds the maximum message size of 100")(err) {
		t.Fatalf("101 octets under a 100 limit, opened: %v", err)
	}
	d = NewDecoder(&scriptConn{peer: wire("02 00 00 00 00 00 00 10 00"), hang: true}, ZMTP31, 0, 100)
	d.cipher = toyCipher{}
	if _, err := d.Next(); !protoCode(CodeUnspecified, "4096")(err) || errors.Is(err, errWouldBlock) {
		t.Fatalf("oversized sealed frame: %v", err)
	}
}
