package zmq

import (
	"strconv"
	"strings"

	"github.com/zmqx/zmq/internal/engine"
)

// Msg is one whole ZeroMQ message: one or more frames, sent and received
// atomically. Frames received from a socket are owned by the caller.
type Msg struct {
	Frames [][]byte

	meta engine.Metadata
}

// UserID returns the user id that the authenticator gave the sending peer
// (ZAP, see WithCurveServer), or "" when there is none or the socket does
// not authenticate peers.
func (m Msg) UserID() string { return m.meta.UserID }

// PeerAddress returns the address of the connection the message came
// from, on sockets that authenticate peers or were made
// WithMessageMetadata(true); "" otherwise.
func (m Msg) PeerAddress() string { return m.meta.PeerAddress }

// Property returns the value of a property of the connection the message
// came from, and whether it has one: "User-Id" and "Peer-Address" as
// UserID and PeerAddress give them, and the properties the socket was made
// to capture with WithMessageProperties (all of them on the go engine).
// Names are compared without regard to case.
func (m Msg) Property(name string) (string, bool) {
	switch {
	case strings.EqualFold(name, "User-Id"):
		return m.meta.UserID, m.meta.UserID != ""
	case strings.EqualFold(name, "Peer-Address"):
		return m.meta.PeerAddress, m.meta.PeerAddress != ""
	}
	return m.meta.Props.Get(name)
}

// NewMsg returns a message made of frames. The frames are not copied.
func NewMsg(frames ...[]byte) Msg { return Msg{Frames: frames} }

// NewMsgString returns a message whose frames are the given strings.
func NewMsgString(frames ...string) Msg {
	m := Msg{Frames: make([][]byte, len(frames))}
	for i, f := range frames {
		m.Frames[i] = []byte(f)
	}
	return m
}

// Len returns the total size of the frames in bytes.
func (m Msg) Len() int {
	n := 0
	for _, f := range m.Frames {
		n += len(f)
	}
	return n
}

// Strings returns the frames as strings.
func (m Msg) Strings() []string {
	s := make([]string, len(m.Frames))
	for i, f := range m.Frames {
		s[i] = string(f)
	}
	return s
}

// String formats the message for people: its frames, quoted, in brackets.
func (m Msg) String() string {
	var b strings.Builder
	b.WriteByte('[')
	for i, f := range m.Frames {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Quote(string(f)))
	}
	b.WriteByte(']')
	return b.String()
}
