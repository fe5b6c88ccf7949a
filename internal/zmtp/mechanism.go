package zmtp

// Mechanism is a ZMTP security mechanism: its name in the greeting, its
// command exchange during the handshake, and what it does to frames after.
//
// Handshake runs once per connection, after the greetings, on the
// goroutine that called the package's Handshake. Through h it writes and
// reads commands, sends this side's metadata, hands the peer's metadata
// back (exactly once, via AcceptPeerMetadata) and, on a server, asks the ZAP
// callback (Authenticate). It returns the Cipher that wraps every frame
// afterwards, or nil when frames travel in clear (NULL, PLAIN).
//
// A Mechanism value holds one side's configuration and may serve many
// connections, but per-connection state belongs in the Cipher it returns.
type Mechanism interface {
	// Name is the mechanism's name as the greeting carries it (at most 20
	// octets), e.g. "NULL".
	Name() string
	// Handshake runs the mechanism's command exchange over h.
	Handshake(h *HandshakeConn) (Cipher, error)
}

// Cipher wraps the frames of an encrypting mechanism after its handshake
// (CURVE's MESSAGE command). Every frame, commands included, travels as
// one outer frame whose body is what Seal returns; MORE and COMMAND travel
// inside it. The encoder sends the outer frame with flags 0; the decoder
// accepts it with or without the outer COMMAND bit.
type Cipher interface {
	// Seal returns the outer frame body carrying one frame (body with its
	// MORE and COMMAND flags). It may keep nothing that aliases body. The
	// result is valid until the next Seal, which may reuse its memory: the
	// encoder copies it out at once.
	Seal(more, command bool, body []byte) ([]byte, error)
	// Open returns the frame that an outer frame body carries. body may
	// alias the decoder's buffer, so the result must not keep it beyond the
	// next call unless it copies. Open may overwrite body and return data
	// that aliases it: the decoder has consumed body and never reads it
	// again, so data lives as long as a clear frame's body would. A body
	// that is not a valid sealed frame is a *ProtocolError
	// (CodeCryptographic for a box that does not open).
	Open(body []byte) (more, command bool, data []byte, err error)
	// Overhead is how many octets Seal adds to a frame at most; it lets the
	// decoder bound a sealed frame before reading it.
	Overhead() int
}

// Null is the NULL mechanism: no authentication, no encryption. Each side
// sends READY as soon as the greetings are done, without waiting for the
// peer's, as libzmq does. When Config.ZAPDomain is set, the ZAP callback is
// asked first and a refused peer gets ERROR instead of READY.
type Null struct{}

// Name returns "NULL".
func (Null) Name() string { return "NULL" }

// Handshake sends READY and reads the peer's.
func (Null) Handshake(h *HandshakeConn) (Cipher, error) {
	if h.cfg.ZAPDomain != "" {
		if err := h.Authenticate("NULL"); err != nil {
			return nil, err
		}
	}
	if err := h.WriteCommand(CommandBody(CmdReady, h.LocalMetadata())); err != nil {
		return nil, err
	}
	c, err := h.ReadCommand()
	if err != nil {
		return nil, err
	}
	if c.Name != CmdReady {
		return nil, protoErr(CodeUnexpectedCommand, "NULL handshake: got %s, want READY", c.Name)
	}
	return nil, h.AcceptPeerMetadata(CmdReady, c.Data)
}
