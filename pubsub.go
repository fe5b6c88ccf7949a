package zmq

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/zmqx/zmq/internal/brief"
	"github.com/zmqx/zmq/internal/engine"
	"iter"
	"strings"
)

// defaultTopicSep is txZMQ's separator between topic and body.
var defaultTopicSep = []byte{0}

// ErrNotTopicFramed is returned by RecvTopic for a message that is neither
// one frame holding the separator nor two frames [topic, body].
var ErrNotTopicFramed = errors.New("zmq: message is not in topic framing")

// Pub publishes messages to every connected Sub whose subscription matches
// (ZMQ_PUB, RFC 29). A Pub never waits: at a subscriber's high-water mark,
// libzmq drops that subscriber's copy.
type Pub struct {
	*socket
	sendSide
	sep []byte
}

// NewPub creates a Pub socket.
func (f *Factory) NewPub(opts ...PubOption) (*Pub, error) {
	s, err := f.newSocket(engine.PUB, "PUB", asOptions(opts))
	if err != nil {
		return nil, err
	}
	return &Pub{socket: s, sendSide: sendSide{s}, sep: topicSep(s.cfg)}, nil
}

// SetOption changes options on the open socket (see Option).
func (p *Pub) SetOption(opts ...PubOption) error { return p.setOptions(asOptions(opts)) }

// Publish sends body under topic in txZMQ's wire format: one frame
// topic ‖ separator ‖ body (the separator is a zero byte unless set with
// WithTopicSeparator). Subscribers match their prefixes against the topic.
func (p *Pub) Publish(ctx context.Context, topic string, body []byte) error {
	frame := make([]byte, 0, len(topic)+len(p.sep)+len(body))
	frame = append(append(append(frame, topic...), p.sep...), body...)
	return p.send(ctx, "publish", [][]byte{frame})
}

func topicSep(c sockConfig) []byte {
	if c.topicSep != nil {
		return c.topicSep
	}
	return defaultTopicSep
}

// Sub receives the messages of the publishers it connects to whose topics
// match one of its subscriptions (ZMQ_SUB, RFC 29). A new Sub subscribes to
// nothing: call Subscribe (or use WithSubscribe), "" for everything.
type Sub struct {
	*socket
	recvSide
	sep []byte
}

// NewSub creates a Sub socket.
func (f *Factory) NewSub(opts ...SubOption) (*Sub, error) {
	s, err := f.newSocket(engine.SUB, "SUB", asOptions(opts))
	if err != nil {
		return nil, err
	}
	return &Sub{socket: s, recvSide: recvSide{s}, sep: topicSep(s.cfg)}, nil
}

// SetOption changes options on the open socket (see Option).
func (s *Sub) SetOption(opts ...SubOption) error { return s.setOptions(asOptions(opts)) }

// Subscribe adds a subscription: messages whose first frame starts with
// prefix are delivered. "" matches everything. Subscriptions count: after
// subscribing twice to a prefix it takes two Unsubscribe calls to drop it.
func (s *Sub) Subscribe(prefix string) error {
	return opErr("subscribe", s.kind, "", s.e.SetOption(engine.OptSubscribe, engine.Bytes([]byte(prefix))))
}

// Unsubscribe removes one earlier Subscribe of prefix.
//
// A prefix that starts with byte 0x01 is refused with an error wrapping
// ErrInvalidOption: libzmq 4.3.4's SUB mistakes such a cancel for a
// subscription to the rest of the prefix (Unsubscribe("\x01") would
// subscribe to everything). An XSub can unsubscribe it.
func (s *Sub) Unsubscribe(prefix string) error {
	if strings.HasPrefix(prefix, "\x01") {
		return &OpError{Op: "unsubscribe", Socket: s.kind, Err: fmt.Errorf(
			"%w: Unsubscribe(%s): libzmq's SUB would take a prefix starting with byte 0x01 for a subscription to the rest of it; use an XSub",
			ErrInvalidOption, brief.Quote(prefix))}
	}
	return opErr("unsubscribe", s.kind, "", s.e.SetOption(engine.OptUnsubscribe, engine.Bytes([]byte(prefix))))
}

// RecvTopic receives the next message and splits it into topic and body
// (see Split). A message that is not topic-framed is consumed and reported
// with an error wrapping ErrNotTopicFramed.
func (s *Sub) RecvTopic(ctx context.Context) (topic, body []byte, err error) {
	m, err := s.Recv(ctx)
	if err != nil {
		return nil, nil, err
	}
	return s.Split(m)
}

// Split splits a received message at the Sub's separator (see SplitTopic).
func (s *Sub) Split(m Msg) (topic, body []byte, err error) { return SplitTopic(m, s.sep) }

// SplitTopic splits a message the way txZMQ's subscriber does: two frames
// are [topic, body]; one frame is topic ‖ sep ‖ body, split at the first
// sep. Any other message gives an error wrapping ErrNotTopicFramed.
func SplitTopic(m Msg, sep []byte) (topic, body []byte, err error) {
	switch len(m.Frames) {
	case 2:
		return m.Frames[0], m.Frames[1], nil
	case 1:
		if len(sep) == 0 {
			return nil, nil, fmt.Errorf("%w: empty separator", ErrNotTopicFramed)
		}
		if t, b, ok := bytes.Cut(m.Frames[0], sep); ok {
			return t, b, nil
		}
		return nil, nil, fmt.Errorf("%w: no separator %q in %s", ErrNotTopicFramed, sep, m)
	}
	return nil, nil, fmt.Errorf("%w: %d frames in %s", ErrNotTopicFramed, len(m.Frames), m)
}

// TopicHandler handles one publication (txZMQ's gotMessage(message, tag),
// with the arguments in topic, body order).
type TopicHandler func(ctx context.Context, topic, body []byte) error

// ServeTopics is Serve for topic-framed messages: h gets each message
// split into topic and body. A message that is not topic-framed is
// reported as a handler error and skipped.
func (s *Sub) ServeTopics(ctx context.Context, h TopicHandler) error {
	if h == nil {
		return fmt.Errorf("%w: nil TopicHandler", ErrInvalidOption)
	}
	return serve(ctx, s.socket, s.socket.recv, func(ctx context.Context, m Msg) error {
		topic, body, err := s.Split(m)
		if err != nil {
			return err
		}
		return h(ctx, topic, body)
	})
}

// Topics returns an iterator over received publications, split into topic
// and body. It stops after yielding the first error.
func (s *Sub) Topics(ctx context.Context) iter.Seq2[[2][]byte, error] {
	return func(yield func([2][]byte, error) bool) {
		for {
			t, b, err := s.RecvTopic(ctx)
			if !yield([2][]byte{t, b}, err) || err != nil {
				return
			}
		}
	}
}

// XPub is a Pub that also receives its subscribers' subscriptions as
// messages: first byte 1 (subscribe) or 0 (unsubscribe), then the prefix
// (ZMQ_XPUB). Use ParseSubscription to read them.
type XPub struct {
	*socket
	sendSide
	recvSide
}

// NewXPub creates an XPub socket.
func (f *Factory) NewXPub(opts ...XPubOption) (*XPub, error) {
	s, err := f.newSocket(engine.XPUB, "XPUB", asOptions(opts))
	if err != nil {
		return nil, err
	}
	return &XPub{s, sendSide{s}, recvSide{s}}, nil
}

// SetOption changes options on the open socket (see Option).
func (p *XPub) SetOption(opts ...XPubOption) error { return p.setOptions(asOptions(opts)) }

// XSub is a Sub whose subscriptions are messages it sends upstream
// (ZMQ_XSUB): use Subscribe/Unsubscribe or send them raw.
type XSub struct {
	*socket
	sendSide
	recvSide
}

// NewXSub creates an XSub socket.
func (f *Factory) NewXSub(opts ...XSubOption) (*XSub, error) {
	s, err := f.newSocket(engine.XSUB, "XSUB", asOptions(opts))
	if err != nil {
		return nil, err
	}
	return &XSub{s, sendSide{s}, recvSide{s}}, nil
}

// SetOption changes options on the open socket (see Option).
func (s *XSub) SetOption(opts ...XSubOption) error { return s.setOptions(asOptions(opts)) }

// Subscribe sends a subscription for prefix upstream.
func (s *XSub) Subscribe(ctx context.Context, prefix string) error {
	return s.send(ctx, "subscribe", [][]byte{append([]byte{1}, prefix...)})
}

// Unsubscribe sends an unsubscription for prefix upstream.
func (s *XSub) Unsubscribe(ctx context.Context, prefix string) error {
	return s.send(ctx, "unsubscribe", [][]byte{append([]byte{0}, prefix...)})
}

// ParseSubscription reads a subscription message as an XPub receives it.
// ok is false for a message that is not one.
func ParseSubscription(m Msg) (subscribe bool, prefix []byte, ok bool) {
	if len(m.Frames) != 1 || len(m.Frames[0]) == 0 || m.Frames[0][0] > 1 {
		return false, nil, false
	}
	return m.Frames[0][0] == 1, m.Frames[0][1:], true
}
