package zmtp

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
)

// Config describes this side of a connection.
type Config struct {
	// SocketType is the local socket's type. The zero value is PAIR.
	SocketType SocketType
	// Identity is the local socket's identity (routing id), at most 255
	// octets; default none. REQ, DEALER and ROUTER send it in READY (empty
	// when unset), as libzmq does; ZMTP/2.0 peers get it as their identity
	// frame.
	Identity []byte
	// Metadata holds application properties sent after Socket-Type and
	// Identity; default none. Names are 1 to 255 octets of letters, digits
	// and "-_.+", and may not be Socket-Type or Identity.
	Metadata Metadata
	// Mechanism is the security mechanism; nil means NULL. A mechanism
	// other than NULL refuses ZMTP/2.0 peers, as libzmq does.
	Mechanism Mechanism
	// ZAP authenticates peers on a server: PLAIN and CURVE always ask it,
	// NULL asks it when ZAPDomain is set. Default nil: a handshake that
	// needs it fails with ErrNoAuthenticator.
	ZAP ZAPFunc
	// ZAPDomain is the ZAP domain passed to ZAP; default empty. Setting it
	// makes NULL authenticate too, and refuses ZMTP/2.0 peers.
	ZAPDomain string
	// PeerAddress is the address reported to ZAP. Default: the IP of the
	// connection's remote TCP address; empty for a Unix socket, as libzmq
	// reports ipc peers; the String of any other address.
	PeerAddress string
	// ReadBufferSize is the decoder's buffer size after the handshake;
	// default (0) 64 KiB. Sizes under 64 octets are raised to 64. During
	// the handshake the buffer is 1 KiB, so that a peer that connects and
	// stalls costs little.
	ReadBufferSize int
	// MaxMessageSize refuses messages (all frames together) and commands
	// larger than this many octets; default (0) no limit.
	MaxMessageSize int64

	// announce is the version this side claims (default 3.1). Only tests
	// lower it, to stand in for older peers.
	announce Version
}

// Session is the outcome of a successful handshake.
type Session struct {
	Version       Version    // the protocol spoken with the peer
	PeerType      SocketType // the peer's socket type
	PeerIdentity  []byte     // the identity the peer announced; empty if none
	Properties    Metadata   // every property of the peer's READY or INITIATE; none for ZMTP/2.0
	UserID        string     // the user id ZAP admitted the peer as; empty without ZAP
	ZAPProperties Metadata   // metadata from the ZAP reply
	// Decoder reads the rest of the connection. It already holds whatever
	// the peer sent after its handshake.
	Decoder *Decoder
	// Encoder writes the rest of the connection.
	Encoder *Encoder
}

// Property returns the value of the peer's property name (any ASCII case).
func (s *Session) Property(name string) ([]byte, bool) { return s.Properties.Get(name) }

// Handshake runs the ZMTP handshake on conn: greeting, then the
// mechanism's commands. The caller bounds it with a deadline on conn.
// Bytes the peer sent after its handshake stay buffered in the returned
// Session's Decoder, so the same conn must be read only through it.
func Handshake(conn io.ReadWriter, cfg *Config) (*Session, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	h := &HandshakeConn{cfg: cfg, conn: conn, mechanism: cfg.Mechanism, session: &Session{}}
	if h.mechanism == nil {
		h.mechanism = Null{}
	}
	var err error
	if h.localMetadata, err = cfg.validate(h.mechanism); err != nil {
		return nil, err
	}
	h.peerAddress = cfg.PeerAddress
	if h.peerAddress == "" {
		h.peerAddress = remoteAddress(conn)
	}
	h.dec = NewDecoder(conn, ZMTP31, handshakeBufferSize, cfg.MaxMessageSize)
	// A failed write does not stop the reads: the peer may have refused us
	// with an ERROR that is already on its way, and that is the better
	// report. The write error is returned at the end if nothing else is.
	h.dec.beforeBlock = func() { h.flush() }
	s, err := h.run()
	h.dec.beforeBlock = nil
	if err != nil {
		// Send what is pending (our greeting, READY, ERROR) so the peer
		// can tell why we hang up instead of seeing a bare close.
		h.flush()
		return nil, err
	}
	return s, nil
}

func (h *HandshakeConn) run() (*Session, error) {
	v, err := h.greet()
	if err != nil {
		return nil, err
	}
	s := h.session
	s.Version = v
	var cipher Cipher
	if v == ZMTP20 {
		err = h.finishV2()
	} else {
		h.dec.version = v
		cipher, err = h.mechanism.Handshake(h)
		if err == nil && !h.peerMetadataSeen {
			err = fmt.Errorf("zmtp: mechanism %s finished without the peer's metadata", h.mechanism.Name())
		}
	}
	if err != nil {
		return nil, err
	}
	if err := h.flush(); err != nil {
		return nil, err
	}
	h.dec.cipher = cipher
	size := h.cfg.ReadBufferSize
	if size == 0 {
		size = DefaultReadBufferSize
	}
	h.dec.setBufferSize(size)
	s.Decoder = h.dec
	s.Encoder = &Encoder{version: v, cipher: cipher}
	return s, nil
}

// HandshakeConn is a connection during its handshake, as a Mechanism sees
// it. Writes are buffered and go out before any read that has to wait, so
// a peer that sends everything at once gets our answers in one write.
type HandshakeConn struct {
	cfg              *Config
	conn             io.Writer
	mechanism        Mechanism
	dec              *Decoder
	out              []byte
	writeErr         error // the first failed write; nothing is written after it
	localMetadata    []byte
	peerAddress      string
	session          *Session
	peerMetadataSeen bool
}

func (h *HandshakeConn) write(b []byte) { h.out = append(h.out, b...) }

// flush sends the buffered output.
func (h *HandshakeConn) flush() error {
	if h.writeErr != nil || len(h.out) == 0 {
		return h.writeErr
	}
	_, err := h.conn.Write(h.out)
	h.out = h.out[:0]
	if err != nil {
		h.writeErr = &ConnError{Op: "writing the handshake", Err: err}
	}
	return h.writeErr
}

// WriteCommand queues one command frame whose body (name length, name,
// data; see CommandBody) is given.
func (h *HandshakeConn) WriteCommand(body []byte) error {
	if len(body) == 0 || int(body[0]) == 0 || 1+int(body[0]) > len(body) {
		return fmt.Errorf("zmtp: command body of %d octets does not start with a name", len(body))
	}
	h.out = appendHeader(h.out, flagCommand, len(body))
	h.write(body)
	return nil
}

// libzmqZAPError is how libzmq's PLAIN mechanism (4.3.4, and every
// release since) spells ERROR, on both sides: a C escape slip makes the
// name-length octet and the E one octet, 0x5E, so the name reads "^RROR".
// Its PLAIN server refuses a client with it, and its PLAIN client takes
// nothing else for a refusal (a well-formed ERROR is an unexpected
// command to it). So it is read as ERROR from any peer, and a PLAIN
// server sends it (see Authenticate). libzmq's NULL and CURVE spell ERROR
// right.
var libzmqZAPError = []byte("\x5eRROR")

// ReadCommand reads the peer's next command. A data frame is a protocol
// error; an ERROR command comes back as the error it reports (an
// *AuthError for a ZAP status). The command aliases the decoder's buffer
// until the next read.
func (h *HandshakeConn) ReadCommand() (Command, error) {
	f, err := h.dec.Next()
	if err != nil {
		return Command{}, err
	}
	if !f.Command {
		return Command{}, protoErr(CodeUnexpectedCommand, "data frame of %d octets during the handshake", len(f.Body))
	}
	if data, ok := bytes.CutPrefix(f.Body, libzmqZAPError); ok {
		f.Body = CommandBody(CmdError, data)
	}
	c, err := ParseCommand(f.Body)
	if err != nil {
		return Command{}, err
	}
	if c.Name == CmdError {
		reason, err := ParseError(c.Data)
		if err != nil {
			return Command{}, err
		}
		return Command{}, errorAsRefusal(reason)
	}
	return c, nil
}

// LocalMetadata returns this side's encoded properties: Socket-Type,
// Identity for REQ, DEALER and ROUTER, then Config.Metadata.
func (h *HandshakeConn) LocalMetadata() []byte { return h.localMetadata }

// AcceptPeerMetadata parses the peer's properties, carried by the named
// command (READY or INITIATE), checks its socket type against ours and
// records them in the session. A mechanism calls it exactly once.
func (h *HandshakeConn) AcceptPeerMetadata(command string, data []byte) error {
	if h.peerMetadataSeen {
		return protoErr(CodeInvalidSequence, "%s carries the peer's metadata a second time", command)
	}
	h.peerMetadataSeen = true
	md, err := ParseMetadata(data)
	if err != nil {
		code := CodeMalformedCommand
		switch command {
		case CmdReady:
			code = CodeMalformedReady
		case CmdInitiate:
			code = CodeMalformedInitiate
		}
		return protoErr(code, "%s metadata: %v", command, err)
	}
	name, ok := md.Get(PropSocketType)
	if !ok {
		return protoErr(CodeInvalidMetadata, "%s metadata has no %s", command, PropSocketType)
	}
	t, ok := ParseSocketType(string(name))
	if !ok {
		return protoErr(CodeInvalidMetadata, "socket type mismatch: we are %s, peer is %q, which we do not know", h.cfg.SocketType, name)
	}
	if err := h.checkPeerType(t, true); err != nil {
		return err
	}
	if id, ok := md.Get(PropIdentity); ok {
		if len(id) > 255 {
			return protoErr(CodeInvalidMetadata, "peer identity of %d octets, at most 255 allowed", len(id))
		}
		h.session.PeerIdentity = id
	}
	h.session.Properties = md
	return nil
}

// checkPeerType records the peer's socket type if ours may talk to it.
func (h *HandshakeConn) checkPeerType(t SocketType, named bool) error {
	if !Compatible(h.cfg.SocketType, t) {
		peer := t.String()
		if !named && !t.Valid() {
			peer = fmt.Sprintf("type octet %d", uint8(t))
		}
		return protoErr(CodeInvalidMetadata, "socket type mismatch: we are %s, peer is %s", h.cfg.SocketType, peer)
	}
	h.session.PeerType = t
	return nil
}

// Authenticate asks Config.ZAP whether the peer may connect, with the
// mechanism's name and the credentials the peer presented. On 200 it
// records the user id and metadata in the session. On 400 or 500 it sends
// the peer ERROR with the status as reason (on 300 it sends nothing, as
// libzmq does) and returns an *AuthError; under PLAIN the ERROR is spelt
// as libzmq's PLAIN spells it (libzmqZAPError), the only form libzmq's
// PLAIN clients understand. Without a ZAP callback it returns
// ErrNoAuthenticator: nobody is admitted.
func (h *HandshakeConn) Authenticate(mechanism string, credentials ...[]byte) error {
	if h.cfg.ZAP == nil {
		return fmt.Errorf("%w (mechanism %s, ZAP domain %q)", ErrNoAuthenticator, mechanism, h.cfg.ZAPDomain)
	}
	creds := make([][]byte, len(credentials))
	for i, c := range credentials {
		creds[i] = append([]byte{}, c...)
	}
	reply, err := h.cfg.ZAP(ZAPRequest{
		Domain:      h.cfg.ZAPDomain,
		Address:     h.peerAddress,
		Identity:    append([]byte{}, h.cfg.Identity...),
		Mechanism:   mechanism,
		Credentials: creds,
	})
	if err != nil {
		return fmt.Errorf("zmtp: ZAP callback failed: %w", err)
	}
	switch reply.Status {
	case 200:
		h.session.UserID = reply.UserID
		h.session.ZAPProperties = reply.Metadata
		return nil
	case 300:
	case 400, 500:
		status := strconv.Itoa(reply.Status)
		reason := []byte{byte(len(status))}
		if mechanism == "PLAIN" {
			h.out = appendHeader(h.out, flagCommand, len(libzmqZAPError)+1+len(status))
			h.write(libzmqZAPError)
			h.write(reason)
			h.write([]byte(status))
		} else {
			_ = h.WriteCommand(CommandBody(CmdError, reason, []byte(status)))
		}
		_ = h.flush() // the refusal stands even if the peer is gone
	default:
		return fmt.Errorf("zmtp: ZAP callback returned status %d, want 200, 300, 400 or 500", reply.Status)
	}
	return &AuthError{Status: reply.Status, Text: reply.Text}
}

// validate checks the configuration before any byte is sent and returns
// the encoded local metadata.
func (cfg *Config) validate(m Mechanism) ([]byte, error) {
	if !cfg.SocketType.Valid() {
		return nil, fmt.Errorf("zmtp: unknown socket type %d", uint8(cfg.SocketType))
	}
	if len(cfg.Identity) > 255 {
		return nil, fmt.Errorf("zmtp: identity of %d octets, at most 255 allowed", len(cfg.Identity))
	}
	if n := len(m.Name()); n == 0 || n > mechanismSize {
		return nil, fmt.Errorf("zmtp: mechanism name %q has %d octets, want 1 to %d", m.Name(), n, mechanismSize)
	}
	if v, ok := m.(interface{ validate() error }); ok {
		if err := v.validate(); err != nil {
			return nil, err
		}
	}
	if cfg.ReadBufferSize < 0 {
		return nil, fmt.Errorf("zmtp: negative read buffer size %d", cfg.ReadBufferSize)
	}
	md := appendProperty(nil, PropSocketType, []byte(cfg.SocketType.String()))
	if cfg.SocketType.sendsIdentity() {
		md = appendProperty(md, PropIdentity, cfg.Identity)
	}
	for _, p := range cfg.Metadata {
		if err := validateName(p.Name); err != nil {
			return nil, err
		}
		if strings.EqualFold(p.Name, PropSocketType) || strings.EqualFold(p.Name, PropIdentity) {
			return nil, fmt.Errorf("zmtp: metadata property %q is set by the handshake itself", p.Name)
		}
		if uint64(len(p.Value)) > maxPropertyValue {
			return nil, fmt.Errorf("zmtp: metadata property %q has a value of %d octets, too long", p.Name, len(p.Value))
		}
		md = appendProperty(md, p.Name, p.Value)
	}
	return md, nil
}

// remoteAddress returns what ZAP is told of the peer's address: the IP of
// a TCP peer (as libzmq reports it, without the port), nothing for a Unix
// socket peer (libzmq has no address for one), else the address.
func remoteAddress(conn io.ReadWriter) string {
	c, ok := conn.(interface{ RemoteAddr() net.Addr })
	if !ok {
		return ""
	}
	switch a := c.RemoteAddr().(type) {
	case nil:
		return ""
	case *net.TCPAddr:
		if a == nil {
			return ""
		}
		return a.IP.String()
	case *net.UnixAddr:
		return ""
	default:
		return a.String()
	}
}
