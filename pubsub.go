package zmq

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"syscall"

	"github.com/zmqx/zmq/internal/brief"
	"github.com/zmqx/zmq/internal/engine"
)

// Topics and subscription prefixes are strings throughout the package,
// and bodies are []byte: Publish, Subscribe, RecvTopic, Split, the
// TopicHandler and Publication all use these types. A topic may hold any
// bytes: a Go string is not required to be UTF-8.

// defaultTopicSep is txZMQ's separator between topic and body.
var defaultTopicSep = []byte{0}

// ErrNotTopicFramed is returned by RecvTopic for a message that is neither
// one frame holding the separator nor two frames [topic, body].
var ErrNotTopicFramed = errors.New("zmq: message is not in topic framing")

// TopicFraming is how a Pub puts a publication's topic and body on the
// wire (see WithTopicFraming). A Sub reads both forms.
type TopicFraming int

// Topic framings.
const (
	// OneFrame is txZMQ's form: one frame, topic ‖ separator ‖ body. It
	// is what txZMQ's ZmqSubConnection and this package's Sub read.
	OneFrame TopicFraming = iota
	// TwoFrames is [topic, body]: the form of the ZeroMQ guide's
	// examples, pyzmq's send_multipart/recv_multipart, pebbe/zmq4's
	// SendMessage and most programs written from them.
	TwoFrames
)

func (f TopicFraming) String() string {
	switch f {
	case OneFrame:
		return "OneFrame"
	case TwoFrames:
		return "TwoFrames"
	}
	return fmt.Sprintf("TopicFraming(%d)", int(f))
}

// Pub publishes messages to every connected Sub whose subscription matches
// (ZMQ_PUB, RFC 29). A Pub never waits: at a subscriber's high-water mark,
// libzmq drops that subscriber's copy. A Pub drops what it publishes
// before a subscriber's subscription has reached it: WaitSubscriptions
// waits for subscribers before the first publication.
type Pub struct {
	*socket
	sendSide
	recv    recvSide // the subscription notices (subscriptions.go)
	subs    subscriptionCount
	sep     []byte
	framing TopicFraming
}

// NewPub creates a Pub socket.
func (f *Factory) NewPub(opts ...PubOption) (*Pub, error) {
	sets := append(asOptions(opts), pubNotices)
	s, err := f.newSocket(engine.XPUB, "PUB", sets)
	if err != nil {
		return nil, err
	}
	return &Pub{socket: s, sendSide: sendSide{s}, recv: recvSide{s}, sep: topicSep(s.cfg), framing: s.cfg.framing}, nil
}

// Send sends m as one whole message (see Publish for topic framing). It
// never waits: a subscriber whose queue is full loses its copy.
func (p *Pub) Send(ctx context.Context, m Msg) error {
	err := p.sendSide.Send(ctx, m)
	p.afterPublish()
	return err
}

// SetOption changes options on the open socket (see Option).
func (p *Pub) SetOption(opts ...PubOption) error { return p.setOptions(asOptions(opts)) }

// Publish sends body under topic, in the form chosen with
// WithTopicFraming: by default txZMQ's one frame topic ‖ separator ‖ body
// (the separator is a zero byte unless set with WithTopicSeparator), or
// the two frames [topic, body]. Subscribers match their prefixes against
// the start of the first frame, so against the topic in either form.
func (p *Pub) Publish(ctx context.Context, topic string, body []byte) error {
	defer p.afterPublish()
	if p.framing == TwoFrames {
		return p.send(ctx, "publish", [][]byte{[]byte(topic), body})
	}
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
// It never waits.
func (s *Sub) Subscribe(prefix string) error {
	return opErr("subscribe", s.kind, "", s.setEngineOption(setting{opt: engine.OptSubscribe, val: engine.Bytes([]byte(prefix))}))
}

// Unsubscribe removes one earlier Subscribe of prefix. It never waits.
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
	return opErr("unsubscribe", s.kind, "", s.setEngineOption(setting{opt: engine.OptUnsubscribe, val: engine.Bytes([]byte(prefix))}))
}

// RecvTopic receives the next message and splits it into topic and body
// (see Split). A message that is not topic-framed is consumed and reported
// with an error wrapping ErrNotTopicFramed.
func (s *Sub) RecvTopic(ctx context.Context) (topic string, body []byte, err error) {
	m, err := s.Recv(ctx)
	if err != nil {
		return "", nil, err
	}
	return s.Split(m)
}

// Split splits a received message at the Sub's separator (see SplitTopic).
func (s *Sub) Split(m Msg) (topic string, body []byte, err error) { return SplitTopic(m, s.sep) }

// SplitTopic splits a message in either of the forms a Pub publishes: two
// frames are [topic, body]; one frame is topic ‖ sep ‖ body, split at the
// first sep, as txZMQ's subscriber does. Any other message gives an error
// wrapping ErrNotTopicFramed. body shares the message's memory.
func SplitTopic(m Msg, sep []byte) (topic string, body []byte, err error) {
	switch len(m.Frames) {
	case 2:
		return string(m.Frames[0]), m.Frames[1], nil
	case 1:
		if len(sep) == 0 {
			return "", nil, fmt.Errorf("%w: empty separator", ErrNotTopicFramed)
		}
		if t, b, ok := bytes.Cut(m.Frames[0], sep); ok {
			return string(t), b, nil
		}
		return "", nil, fmt.Errorf("%w: no separator %s in the frame %s",
			ErrNotTopicFramed, brief.Quote(string(sep)), brief.Quote(string(m.Frames[0])))
	}
	return "", nil, fmt.Errorf("%w: %d frames, want 1 or 2", ErrNotTopicFramed, len(m.Frames))
}

// TopicHandler handles one publication (txZMQ's gotMessage(message, tag),
// with the arguments in topic, body order).
type TopicHandler func(ctx context.Context, topic string, body []byte) error

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

// Publication is one received publication, as Topics yields it.
type Publication struct {
	Topic string
	Body  []byte
}

// Topics returns an iterator over received publications, split into topic
// and body (see RecvTopic). It stops after yielding the first error.
func (s *Sub) Topics(ctx context.Context) iter.Seq2[Publication, error] {
	return func(yield func(Publication, error) bool) {
		for {
			t, b, err := s.RecvTopic(ctx)
			if !yield(Publication{Topic: t, Body: b}, err) || err != nil {
				return
			}
		}
	}
}

// XPub is a Pub that also receives its subscribers' subscriptions as
// messages: first byte 1 (subscribe) or 0 (unsubscribe), then the prefix
// (ZMQ_XPUB). Use ParseSubscription to read them.
//
// Made WithXPubManual(true), an XPub applies no subscription by itself:
// the application receives each one and decides what the subscriber gets
// with Subscribe and Unsubscribe, for instance to forward, narrow or
// refuse a subscription in a proxy.
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

// Subscribe subscribes a subscriber to prefix on an XPub made
// WithXPubManual(true) (ZMQ_SUBSCRIBE on an XPUB): the subscriber is the
// one whose subscription or unsubscription message the XPub received
// last. So call it after receiving that message and before receiving the
// next one, from the goroutine that receives. Before any subscription has
// been received it does nothing. Without manual mode it fails with an
// error wrapping ErrInvalidOption. It never waits.
func (p *XPub) Subscribe(prefix string) error {
	return p.manual("subscribe", engine.OptSubscribe, prefix)
}

// Unsubscribe removes prefix from the subscriptions of the subscriber that
// sent the last subscription message received, as Subscribe adds one.
func (p *XPub) Unsubscribe(prefix string) error {
	return p.manual("unsubscribe", engine.OptUnsubscribe, prefix)
}

func (p *XPub) manual(op string, o engine.Option, prefix string) error {
	err := p.e.SetOption(o, engine.Bytes([]byte(prefix)))
	if errors.Is(err, syscall.EINVAL) {
		// The only reason an XPUB refuses a subscription.
		return &OpError{Op: op, Socket: p.kind, Err: fmt.Errorf(
			"%w: an XPub applies subscriptions itself unless made WithXPubManual(true)", ErrInvalidOption)}
	}
	return opErr(op, p.kind, "", err)
}

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

// Subscribe sends a subscription for prefix to every publisher the XSub
// is connected to, and to those it connects to later. It never waits:
// an XSUB can always take a subscription (a publisher whose queue is full
// gets it again when it reconnects).
func (s *XSub) Subscribe(prefix string) error {
	return s.trySend("subscribe", [][]byte{append([]byte{1}, prefix...)})
}

// Unsubscribe sends an unsubscription for prefix upstream, as Subscribe
// sends a subscription.
func (s *XSub) Unsubscribe(prefix string) error {
	return s.trySend("unsubscribe", [][]byte{append([]byte{0}, prefix...)})
}

// ParseSubscription reads a subscription message as an XPub receives it.
// ok is false for a message that is not one.
func ParseSubscription(m Msg) (subscribe bool, prefix string, ok bool) {
	if len(m.Frames) != 1 || len(m.Frames[0]) == 0 || m.Frames[0][0] > 1 {
		return false, "", false
	}
	return m.Frames[0][0] == 1, string(m.Frames[0][1:]), true
}
