//go:build cgo && unix

package libzmq

import (
	"context"
	"syscall"

	"github.com/zmqx/zmq/internal/engine"
	"github.com/zmqx/zmq/internal/libzmq/capi"
)

// Send sends one whole message, waiting while the socket cannot take it.
func (s *Socket) Send(ctx context.Context, frames [][]byte) error {
	return s.wait(ctx, &s.sendQ, capi.PollOut, s.sendKey(frames), func() error { return s.sendLocked(frames) })
}

// sendKey returns what a send of frames waits for when it cannot go: on a
// ROUTER or STREAM socket, which route by the first frame, room at that
// peer; nil (room, whatever the message) on others.
func (s *Socket) sendKey(frames [][]byte) []byte {
	if (s.typ == engine.ROUTER || s.typ == engine.STREAM) && len(frames) > 0 {
		return frames[0]
	}
	return nil
}

// SendMany sends n messages (msg(i) gives the frames of message i) in
// order, packing as many whole messages as fit the staging buffer into each
// crossing into libzmq, and waiting whenever the socket is full. It returns
// how many it sent; messages from that index on were not sent.
func (s *Socket) SendMany(ctx context.Context, n int, msg func(int) [][]byte) (int, error) {
	sent := 0
	for sent < n {
		err := s.wait(ctx, &s.sendQ, capi.PollOut, s.sendKey(msg(sent)), func() error {
			k, err := s.sendManyLocked(msg, sent, n)
			sent += k
			if k > 0 && err == capi.EAGAIN {
				return nil // progress; the next round waits if still full
			}
			return err
		})
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// sendManyLocked sends messages from..n-1, as many per crossing as fit the
// staging buffer. It returns how many whole messages it sent and the error
// that stopped it (EAGAIN: the socket is full).
func (s *Socket) sendManyLocked(msg func(int) [][]byte, from, n int) (int, error) {
	if cap(s.stage) < stageLimit {
		s.stage = make([]byte, 0, stageLimit)
	}
	sent := 0
	for from+sent < n {
		first := msg(from + sent)
		if s.malformed(first) {
			return sent, syscall.EINVAL
		}
		if size(first) > stageLimit || len(first) > maxWords {
			if err := s.sendLocked(first); err != nil {
				return sent, err
			}
			sent++
			continue
		}
		buf, words := s.stage[:0], s.stageWords[:0]
		for j := from + sent; j < n; j++ {
			fr := msg(j)
			if s.malformed(fr) || len(buf)+size(fr) > stageLimit || len(words)+len(fr) > maxWords {
				break
			}
			buf, words = stage(buf, words, fr)
		}
		s.stageWords = words
		nf, err := s.zs.Send(buf, words)
		whole, bytes, wholeBytes := 0, 0, 0
		for _, w := range words[:nf] {
			bytes += int(w & capi.SizeMask)
			if w&capi.More == 0 {
				whole++
				wholeBytes = bytes
			}
		}
		s.stats.MsgsOut += uint64(whole)
		s.stats.BytesOut += uint64(wholeBytes)
		sent += whole
		if nf > 0 && words[nf-1]&capi.More != 0 { // stopped inside a message
			return sent, s.midMessageLocked(err, words[nf])
		}
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

func size(frames [][]byte) int {
	n := 0
	for _, f := range frames {
		n += len(f)
	}
	return n
}

// TrySend sends one whole message or returns EAGAIN at once.
func (s *Socket) TrySend(frames [][]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	_, err := s.tryUntilParkable(capi.PollOut, func() error { return s.sendLocked(frames) })
	s.recheckIfWaitedLocked()
	return err
}

// malformed reports whether frames cannot be a message of this socket:
// none, or on a STREAM socket other than an id and data. libzmq would take
// a STREAM message of one or three frames and pair the frames that follow
// wrongly, losing messages without a word.
func (s *Socket) malformed(frames [][]byte) bool {
	return len(frames) == 0 || s.typ == engine.STREAM && len(frames) != 2
}

// sendLocked hands one message to libzmq: all frames, or none when the
// first frame is refused.
func (s *Socket) sendLocked(frames [][]byte) error {
	if s.malformed(frames) {
		return syscall.EINVAL
	}
	total := 0
	for _, f := range frames {
		total += len(f)
	}
	var err error
	if total <= stageLimit && len(frames) <= maxWords {
		err = s.sendStaged(frames, total)
	} else {
		err = s.sendDirect(frames)
	}
	if err == nil {
		s.stats.MsgsOut++
		s.stats.BytesOut += uint64(total)
	}
	return err
}

// stage appends one message's frames to buf and their words (see batch.h)
// to words.
func stage(buf []byte, words []uint64, frames [][]byte) ([]byte, []uint64) {
	for i, f := range frames {
		buf = append(buf, f...)
		w := uint64(len(f))
		if i < len(frames)-1 {
			w |= capi.More
		}
		words = append(words, w)
	}
	return buf, words
}

func (s *Socket) sendStaged(frames [][]byte, total int) error {
	if cap(s.stage) < total {
		// Grow at least twice over: messages that grow a little at a time
		// should not cost an allocation each.
		s.stage = make([]byte, 0, min(max(total, 2*cap(s.stage), 256), stageLimit))
	}
	buf, words := stage(s.stage[:0], s.stageWords[:0], frames)
	s.stageWords = words
	n, err := s.zs.Send(buf, words)
	if n == 0 || err == nil {
		return err
	}
	return s.midMessageLocked(err, words[n])
}

func (s *Socket) sendDirect(frames [][]byte) error {
	for i, f := range frames {
		w := []uint64{uint64(len(f))}
		if i < len(frames)-1 {
			w[0] |= capi.More
		}
		if i == 0 {
			if _, err := s.zs.Send(f, w); err != nil {
				return err
			}
			continue
		}
		if err := s.finish(f, w); err != nil {
			return err
		}
	}
	return nil
}

// finish sends the remaining frames of a message whose first frames libzmq
// accepted.
func (s *Socket) finish(data []byte, words []uint64) error {
	n, err := s.zs.Send(data, words)
	if err != nil {
		return s.midMessageLocked(err, words[n])
	}
	return nil
}

// midMessageLocked handles err, which stopped a message after its first
// frames went out; refused is the word of the frame libzmq refused.
//
// libzmq counts its high-water mark in whole messages, so it refuses a
// later frame (EAGAIN) only when the connection the message goes to has
// closed: the message is torn. It is never retried: nothing is left to
// take the rest but the next peer, which would get a tail it never saw
// begin (a PAIR keeps refusing until a new peer comes, then accepts).
//
// A load-balancing socket (PUSH, DEALER, REQ) that refused a frame with
// more to follow then drops frames until the end of the message, which
// would swallow the caller's next message: one empty final frame ends the
// torn one, and libzmq drops it with the rest.
func (s *Socket) midMessageLocked(err error, refused uint64) error {
	if err != capi.EAGAIN {
		return err
	}
	if refused&capi.More != 0 && loadBalanced(s.typ) {
		s.zs.Send(nil, []uint64{0})
	}
	return ErrTorn
}

// loadBalanced reports whether socket type typ sends through libzmq's
// load balancer: REQ, DEALER, PUSH.
func loadBalanced(typ engine.SocketType) bool {
	return typ == engine.REQ || typ == engine.DEALER || typ == engine.PUSH
}
