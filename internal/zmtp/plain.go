package zmtp

import "fmt"

// PlainClient is the client side of the PLAIN mechanism: it sends a user
// name and password in clear (HELLO), then its metadata (INITIATE), and
// reads the server's metadata (READY). A refusing server answers ERROR,
// which the handshake returns as an *AuthError.
type PlainClient struct {
	Username string // at most 255 octets; may be empty
	Password string // at most 255 octets; may be empty
}

// Name returns "PLAIN".
func (PlainClient) Name() string { return "PLAIN" }

func (m PlainClient) validate() error {
	if len(m.Username) > 255 || len(m.Password) > 255 {
		return fmt.Errorf("zmtp: PLAIN user name (%d octets) and password (%d octets) must each be at most 255 octets",
			len(m.Username), len(m.Password))
	}
	return nil
}

// Handshake runs HELLO, WELCOME, INITIATE, READY as the client.
func (m PlainClient) Handshake(h *HandshakeConn) (Cipher, error) {
	hello := CommandBody(CmdHello, []byte{byte(len(m.Username))}, []byte(m.Username),
		[]byte{byte(len(m.Password))}, []byte(m.Password))
	if err := h.WriteCommand(hello); err != nil {
		return nil, err
	}
	c, err := h.ReadCommand()
	if err != nil {
		return nil, err
	}
	if c.Name != CmdWelcome {
		return nil, protoErr(CodeUnexpectedCommand, "PLAIN client: got %s, want WELCOME", c.Name)
	}
	if len(c.Data) != 0 {
		return nil, protoErr(CodeMalformedWelcome, "PLAIN WELCOME with %d data octets, want none", len(c.Data))
	}
	if err := h.WriteCommand(CommandBody(CmdInitiate, h.LocalMetadata())); err != nil {
		return nil, err
	}
	if c, err = h.ReadCommand(); err != nil {
		return nil, err
	}
	if c.Name != CmdReady {
		return nil, protoErr(CodeUnexpectedCommand, "PLAIN client: got %s, want READY", c.Name)
	}
	return nil, h.AcceptPeerMetadata(CmdReady, c.Data)
}

// PlainServer is the server side of the PLAIN mechanism. Every HELLO goes
// to Config.ZAP; without a ZAP callback nobody is admitted
// (ErrNoAuthenticator).
type PlainServer struct{}

// Name returns "PLAIN".
func (PlainServer) Name() string { return "PLAIN" }

// Handshake runs HELLO, WELCOME, INITIATE, READY as the server.
func (PlainServer) Handshake(h *HandshakeConn) (Cipher, error) {
	c, err := h.ReadCommand()
	if err != nil {
		return nil, err
	}
	if c.Name != CmdHello {
		return nil, protoErr(CodeUnexpectedCommand, "PLAIN server: got %s, want HELLO", c.Name)
	}
	user, password, err := parsePlainHello(c.Data)
	if err != nil {
		return nil, err
	}
	if err := h.Authenticate("PLAIN", user, password); err != nil {
		return nil, err
	}
	if err := h.WriteCommand(CommandBody(CmdWelcome)); err != nil {
		return nil, err
	}
	if c, err = h.ReadCommand(); err != nil {
		return nil, err
	}
	if c.Name != CmdInitiate {
		return nil, protoErr(CodeUnexpectedCommand, "PLAIN server: got %s, want INITIATE", c.Name)
	}
	if err := h.AcceptPeerMetadata(CmdInitiate, c.Data); err != nil {
		return nil, err
	}
	return nil, h.WriteCommand(CommandBody(CmdReady, h.LocalMetadata()))
}

// parsePlainHello splits HELLO's data into user name and password, each a
// length octet and that many octets, with nothing after.
func parsePlainHello(data []byte) (user, password []byte, err error) {
	bad := func(what string) error {
		return protoErr(CodeMalformedHello, "PLAIN HELLO with %d data octets: %s", len(data), what)
	}
	if len(data) < 1 || 1+int(data[0]) > len(data) {
		return nil, nil, bad("user name overruns")
	}
	user, rest := data[1:1+int(data[0])], data[1+int(data[0]):]
	if len(rest) < 1 || 1+int(rest[0]) > len(rest) {
		return nil, nil, bad("password overruns")
	}
	password, rest = rest[1:1+int(rest[0])], rest[1+int(rest[0]):]
	if len(rest) != 0 {
		return nil, nil, bad(fmt.Sprintf("%d trailing octets", len(rest)))
	}
	return user, password, nil
}
