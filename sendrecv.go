package zmq

import (
	"context"
	"fmt"
	"iter"

	"github.com/zmqx/zmq/internal/engine"
)

// sendSide gives a pattern type raw whole-message sends.
type sendSide struct{ s *socket }

// Send sends m as one whole message. It waits while the socket cannot take
// it (high-water mark reached, or no peer yet for patterns that need one)
// until ctx ends or the socket closes; it never queues the message anywhere
// but in libzmq. A send that returns an error sent nothing: messages are
// never split. Safe for concurrent use; waiting senders go in arrival order.
//
// A nil error means that libzmq took the message, not that a peer got it:
// libzmq delivers it later, or loses it with its connection. That includes
// a message of several frames whose connection closes while it is being
// handed over: libzmq then discards the message and, on a Router always
// and on a Dealer, Push or raw REQ socket mostly, reports success. When
// libzmq refuses the rest of the message instead, as a Pair always does,
// Send fails with ErrMessageTorn. Either way no part of the message is
// delivered, and it may be sent again.
func (x sendSide) Send(ctx context.Context, m Msg) error { return x.s.send(ctx, "send", m.Frames) }

// SendBatch sends msgs in order, each one whole, moving as many as fit
// into each call into libzmq: for streams of small messages it is several
// times cheaper than one Send per message. It does what a Send of each
// message in turn would do, stopping at the first that fails: it waits
// like Send whenever the socket is full, and returns how many messages it
// sent; msgs[n:] were not sent when err is not nil. msgs[n] is the message
// that failed: with ErrMessageTorn it was cut off (see Send), with
// ErrEmptyMessage it has no frames (the messages before it were sent).
func (x sendSide) SendBatch(ctx context.Context, msgs []Msg) (n int, err error) {
	valid := len(msgs)
	for i, m := range msgs {
		if len(m.Frames) == 0 {
			valid = i
			break
		}
	}
	if valid > 0 {
		n, err = x.s.e.SendMany(ctx, valid, func(i int) [][]byte { return msgs[i].Frames })
		if err != nil {
			return n, opErr("send", x.s.kind, "", err)
		}
	}
	if valid < len(msgs) {
		return n, &OpError{Op: "send", Socket: x.s.kind, Err: ErrEmptyMessage}
	}
	return n, nil
}

// TrySend sends m if the socket can take it now, or fails with EAGAIN.
func (x sendSide) TrySend(m Msg) error { return x.s.trySend("send", m.Frames) }

// recvSide gives a pattern type the ways to consume messages.
type recvSide struct{ s *socket }

// Recv waits for the next whole message until ctx ends or the socket
// closes. A Recv that returns an error took no message. Safe for concurrent
// use; waiting receivers are served in arrival order.
func (x recvSide) Recv(ctx context.Context) (Msg, error) { return x.s.recv(ctx) }

// RecvBatch waits like Recv for the next message, then also takes the
// messages already received behind it, up to len(msgs), storing them in
// order in msgs[:n]. It never waits for more than the first: for streams of
// small messages it costs much less per message than one Recv each. With an
// empty msgs it returns 0 and no error at once.
func (x recvSide) RecvBatch(ctx context.Context, msgs []Msg) (n int, err error) {
	if len(msgs) == 0 {
		return 0, nil
	}
	n, err = x.s.e.RecvMany(ctx, len(msgs), func(i int, m engine.Message) { msgs[i] = toMsg(m) })
	return n, opErr("recv", x.s.kind, "", err)
}

// RecvInto waits like Recv and stores the message in *m, reusing m's
// memory: m.Frames and each frame's backing array are overwritten, and
// grown only when too small. A loop that passes the same m allocates
// nothing once m has held its largest message, whether messages arrive
// one by one or in bursts: they wait in a pooled buffer inside the socket
// until copied. Anything still referring to m's earlier frames sees them
// overwritten, so copy what must outlive the next call. A RecvInto that
// returns an error took no message and left m as it was.
func (x recvSide) RecvInto(ctx context.Context, m *Msg) error {
	if m == nil {
		return &OpError{Op: "recv", Socket: x.s.kind, Err: fmt.Errorf("%w: RecvInto into a nil *Msg", ErrInvalidOption)}
	}
	if err := x.s.e.RecvInto(ctx, &m.Frames, &m.meta); err != nil {
		return opErr("recv", x.s.kind, "", err)
	}
	return nil
}

// TryRecv returns the next message if one is there now, or fails with EAGAIN.
func (x recvSide) TryRecv() (Msg, error) { return x.s.tryRecv() }

// Messages returns an iterator over received messages for use with
// range. It yields each message with a nil error; when receiving fails
// (ctx ended, socket closed) it yields that error once and stops.
func (x recvSide) Messages(ctx context.Context) iter.Seq2[Msg, error] {
	return messages(ctx, x.s.recv)
}

// Serve calls h for each received message, one at a time, until ctx ends
// or the socket closes, and returns why it stopped. An error returned by h,
// or a panic in h, is counted in Stats.HandlerErrors and reported to the
// factory's error handler and logger as a *HandlerError; delivery goes on.
func (x recvSide) Serve(ctx context.Context, h Handler) error {
	return serve(ctx, x.s, x.s.recv, h)
}

func messages(ctx context.Context, recv func(context.Context) (Msg, error)) iter.Seq2[Msg, error] {
	return func(yield func(Msg, error) bool) {
		for {
			m, err := recv(ctx)
			if err != nil {
				yield(Msg{}, err)
				return
			}
			if !yield(m, nil) {
				return
			}
		}
	}
}
