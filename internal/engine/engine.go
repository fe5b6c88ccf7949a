// Package engine is the boundary between the public zmq package and the
// engines that serve its sockets: libzmq through cgo (internal/libzmq) and
// ZMTP in pure Go (internal/gozmq). The public package talks only to these
// interfaces, so nothing above them knows which engine serves a socket, and
// nothing above them knows libzmq's numbers.
//
// The verbs are whole-message ones: a message is sent or received with all
// its frames, or not at all. Every call that can wait takes a context and
// returns its error when it ends; Close wakes every waiter with ErrClosed.
package engine

import (
	"context"
	"errors"
)

// Engine is the engine of one Factory: a libzmq context, or the Go
// engine's namespace of sockets (its inproc endpoints). It is safe for
// concurrent use.
type Engine interface {
	// Name is "libzmq" or "go".
	Name() string
	// Version names the implementation and its version, e.g. "libzmq 4.3.4".
	Version() string
	// NewSocket creates a socket of type t. Options are set on it before
	// its first Bind or Connect.
	NewSocket(t SocketType) (Socket, error)
	// Close ends the engine once every socket of it has been closed. It
	// waits at most for the longest linger period among them.
	Close() error
}

// Config is what an engine is opened with.
type Config struct {
	// IOThreads is the number of libzmq I/O threads. The Go engine does
	// its I/O in the goroutines that ask for it and ignores it.
	IOThreads int
	// MaxSockets bounds how many sockets may be open at once; 0 is the
	// engine's default (libzmq's 1023).
	MaxSockets int
}

// Socket is one socket of an engine. It is safe for concurrent use.
type Socket interface {
	// SetOption sets option o to v (see Option for each one's kind).
	SetOption(o Option, v Value) error
	// Option reads the effective value of option o.
	Option(o Option) (Value, error)

	// Bind listens on endpoint and returns the endpoint actually bound
	// (wildcards resolved). On error nothing is left bound.
	Bind(endpoint string) (string, error)
	// Connect starts connecting to endpoint; the connection is made, and
	// re-made after failures, in the background.
	Connect(endpoint string) error
	// Unbind stops listening on an endpoint that Bind returned.
	Unbind(endpoint string) error
	// Disconnect drops the connection made by Connect(endpoint).
	Disconnect(endpoint string) error

	// Send sends one whole message, waiting while the socket cannot take
	// it, until ctx ends or the socket closes.
	Send(ctx context.Context, frames [][]byte) error
	// SendMany sends n messages in order (msg(i) gives the frames of
	// message i), waiting like Send whenever the socket is full. It
	// returns how many it sent.
	SendMany(ctx context.Context, n int, msg func(int) [][]byte) (int, error)
	// TrySend sends one whole message or fails with EAGAIN at once.
	TrySend(frames [][]byte) error

	// Recv receives one whole message, waiting until one arrives.
	Recv(ctx context.Context) (Message, error)
	// RecvMany waits like Recv for a first message, then also takes the
	// messages already received behind it, up to max in all, handing
	// each to put with its index. It returns how many it took.
	RecvMany(ctx context.Context, max int, put func(int, Message)) (int, error)
	// RecvInto receives like Recv into *frames and *meta, reusing the
	// frame table and each frame's backing array where large enough (see
	// CopyFrames). Two pointers rather than one *Message: they point into
	// the caller's own message, so that receiving allocates nothing.
	RecvInto(ctx context.Context, frames *[][]byte, meta *Metadata) error
	// TryRecv receives one whole message or fails with EAGAIN at once.
	TryRecv() (Message, error)

	// Monitor starts reporting the socket's events of the kinds in mask.
	// A socket has at most one monitor at a time.
	Monitor(mask EventType) (Monitor, error)
	// Stats returns a snapshot of the socket's counters.
	Stats() Stats
	// Close closes the socket: waiters get ErrClosed, queued messages get
	// the linger period. Idempotent; every call returns once the socket is
	// gone.
	Close() error
}

// Message is one whole message.
type Message struct {
	Frames [][]byte
	Metadata
}

// Metadata is the properties of the connection a message came from, when
// the socket asked for them (OptMessageMetadata).
type Metadata struct {
	// UserID is the user id an authenticator gave the peer.
	UserID string
	// PeerAddress is the peer's address.
	PeerAddress string
	// Props are the connection's other properties, nil if none were
	// captured (see OptMessageProperties).
	Props *Properties
}

// CopyFrames copies src into *dst, reusing dst's frame table and each
// frame's backing array (up to the table's capacity) where large enough.
// Frames of *dst are capped slices, so writing within them never reaches
// memory that another message shares.
func CopyFrames(dst *[][]byte, src [][]byte) { copyFrames(dst, nil, src) }

// CopyFramesAfter is CopyFrames of first followed by src: a received
// message and the routing id of its sender.
func CopyFramesAfter(dst *[][]byte, first []byte, src [][]byte) {
	copyFrames(dst, [][]byte{first}, src)
}

func copyFrames(dst *[][]byte, head, src [][]byte) {
	n := len(head) + len(src)
	frames := (*dst)[:cap(*dst)]
	if len(frames) < n {
		frames = append(frames, make([][]byte, n-len(frames))...)
	}
	for i, f := range head {
		frames[i] = append(frames[i][:0], f...)
	}
	for i, f := range src {
		j := len(head) + i
		frames[j] = append(frames[j][:0], f...)
	}
	*dst = frames[:n]
}

// AllocFrames returns an empty frame table with room for nframes frames
// and a buffer of n bytes, for a received message handed to its receiver
// to keep. Few small frames, the usual message of a request-reply
// exchange, share one allocation.
func AllocFrames(nframes, n int) ([][]byte, []byte) {
	switch {
	case nframes > 2 || n > 1024:
	case nframes == 1 && n <= 16:
		box := new(struct {
			table [1][]byte
			data  [16]byte
		})
		return box.table[:0:1], box.data[:n:n]
	case n <= 64:
		box := new(struct {
			table [2][]byte
			data  [64]byte
		})
		return box.table[:0:nframes], box.data[:n:n]
	case n <= 256:
		box := new(struct {
			table [2][]byte
			data  [256]byte
		})
		return box.table[:0:nframes], box.data[:n:n]
	default:
		box := new(struct {
			table [2][]byte
			data  [1024]byte
		})
		return box.table[:0:nframes], box.data[:n:n]
	}
	return make([][]byte, 0, nframes), make([]byte, n)
}

// Stats are a socket's counters.
type Stats struct {
	MsgsIn, BytesIn, MsgsOut, BytesOut uint64
	// SendWaits counts sends that found the socket unable to take the
	// message (high-water mark reached or no peer) and had to wait.
	SendWaits uint64
}

// ErrClosed is returned by every operation on a closed socket, and to
// every caller that was waiting when Close ran.
var ErrClosed = errors.New("socket closed")

// ErrTorn is returned by a send whose message was cut off: the engine took
// its first frames, then the connection they went to closed, so the rest
// could not follow. What was taken is discarded; no part of the message
// reaches any peer, and the message may be sent again.
var ErrTorn = errors.New("message cut off: its connection closed after its first frames were sent, and no part of it was delivered")

// ErrMonitorActive is returned by Monitor when the socket already has one.
var ErrMonitorActive = errors.New("socket already has a monitor")
