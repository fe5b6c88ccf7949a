package zmtp

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Command names this package sends or recognises.
const (
	CmdReady     = "READY"
	CmdError     = "ERROR"
	CmdHello     = "HELLO"
	CmdWelcome   = "WELCOME"
	CmdInitiate  = "INITIATE"
	CmdPing      = "PING"
	CmdPong      = "PONG"
	CmdSubscribe = "SUBSCRIBE"
	CmdCancel    = "CANCEL"
)

// Command is a parsed command frame. The engine acts on PING, PONG,
// SUBSCRIBE and CANCEL and ignores every other name, as libzmq does.
type Command struct {
	Name string // the command name, e.g. "PING"
	Data []byte // what follows the name; aliases the frame body
	Body []byte // the whole frame body: name length, name, data
}

// knownName returns the constant for a recognised command name, so that
// parsing the commands that recur (PING, PONG, SUBSCRIBE...) allocates no
// string.
func knownName(b []byte) string {
	switch string(b) {
	case CmdReady:
		return CmdReady
	case CmdError:
		return CmdError
	case CmdHello:
		return CmdHello
	case CmdWelcome:
		return CmdWelcome
	case CmdInitiate:
		return CmdInitiate
	case CmdPing:
		return CmdPing
	case CmdPong:
		return CmdPong
	case CmdSubscribe:
		return CmdSubscribe
	case CmdCancel:
		return CmdCancel
	case "MESSAGE":
		return "MESSAGE"
	}
	return string(b)
}

// ParseCommand splits a command frame body into its name and data. The
// result aliases body.
func ParseCommand(body []byte) (Command, error) {
	if len(body) == 0 {
		return Command{}, protoErr(CodeMalformedCommand, "empty command frame")
	}
	n := int(body[0])
	if n == 0 || 1+n > len(body) {
		return Command{}, protoErr(CodeMalformedCommand, "command name of %d octets in a body of %d", n, len(body))
	}
	return Command{Name: knownName(body[1 : 1+n]), Data: body[1+n:], Body: body}, nil
}

// CommandBody builds a command frame body: the name (1 to 255 octets)
// preceded by its length, then the data pieces in order.
func CommandBody(name string, data ...[]byte) []byte {
	return appendCommandBody(nil, name, data...)
}

func appendCommandBody(dst []byte, name string, data ...[]byte) []byte {
	dst = append(dst, byte(len(name)))
	dst = append(dst, name...)
	for _, d := range data {
		dst = append(dst, d...)
	}
	return dst
}

// maxPingContext is the most context octets PING carries and PONG echoes.
const maxPingContext = 16

// maxTTL is the largest TTL a PING can carry: 65535 deciseconds.
const maxTTL = 65535 * 100 * time.Millisecond

// ParsePing returns the TTL and context of a PING's data. The context is
// returned whole; AppendPong keeps the first 16 octets, as libzmq does.
func ParsePing(data []byte) (ttl time.Duration, context []byte, err error) {
	if len(data) < 2 {
		return 0, nil, protoErr(CodeMalformedCommand, "PING with %d data octets, want at least 2 (TTL)", len(data))
	}
	ds := binary.BigEndian.Uint16(data)
	return time.Duration(ds) * 100 * time.Millisecond, data[2:], nil
}

// ParseError returns the reason an ERROR's data carries.
func ParseError(data []byte) (string, error) {
	if len(data) < 1 || int(data[0]) != len(data)-1 {
		return "", protoErr(CodeMalformedError, "ERROR with %d data octets does not hold one length-prefixed reason", len(data))
	}
	return string(data[1:]), nil
}

// errorAsRefusal turns a peer's ERROR reason into the error the handshake
// returns: an *AuthError when the reason is a ZAP status code, else a
// *ProtocolError quoting it.
func errorAsRefusal(reason string) error {
	if len(reason) == 3 && '3' <= reason[0] && reason[0] <= '5' &&
		reason[1] >= '0' && reason[1] <= '9' && reason[2] >= '0' && reason[2] <= '9' {
		status := int(reason[0]-'0')*100 + int(reason[1]-'0')*10 + int(reason[2]-'0')
		return &AuthError{Status: status, Remote: true}
	}
	return protoErr(CodeUnspecified, "peer sent ERROR %q", reason)
}

// ParseSubscription recognises a subscription change in f, which must be
// the first frame of a message (or a command): a SUBSCRIBE or CANCEL
// command (ZMTP 3.1) or a data frame whose first octet is 1 (subscribe) or
// 0 (cancel) followed by the topic (ZMTP 3.0 and 2.0). libzmq accepts both
// forms from any peer, and so does this. The topic aliases f.Body.
func ParseSubscription(f Frame) (topic []byte, subscribe, ok bool) {
	if f.Command {
		c, err := ParseCommand(f.Body)
		if err != nil {
			return nil, false, false
		}
		switch c.Name {
		case CmdSubscribe:
			return c.Data, true, true
		case CmdCancel:
			return c.Data, false, true
		}
		return nil, false, false
	}
	if len(f.Body) == 0 || f.Body[0] > 1 {
		return nil, false, false
	}
	return f.Body[1:], f.Body[0] == 1, true
}

func checkTTL(ttl time.Duration) error {
	if ttl < 0 || ttl > maxTTL {
		return fmt.Errorf("zmtp: PING TTL %v outside 0 to %v", ttl, maxTTL)
	}
	return nil
}
