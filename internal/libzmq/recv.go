//go:build cgo && unix

package libzmq

import (
	"bytes"
	"context"
	"sync"

	"github.com/zmqx/zmq/internal/engine"
	"github.com/zmqx/zmq/internal/libzmq/capi"
)

// scratch is where a receive crossing lands before its bytes are copied
// into one allocation of the right size.
type scratch struct {
	arena []byte
	words []uint64
	table [][]byte // frame table of messages kept in arena (RecvInto)
}

var scratchPool = sync.Pool{New: func() any {
	return &scratch{arena: make([]byte, scratchSize), words: make([]uint64, maxWords)}
}}

// Recv receives one whole message, waiting until one arrives.
func (s *Socket) Recv(ctx context.Context) (Message, error) {
	var m Message
	err := s.wait(ctx, &s.recvQ, capi.PollIn, nil, func() error {
		var err error
		m, err = s.recvLocked()
		return err
	})
	return m, err
}

// RecvMany waits like Recv for a first message, then, under the same lock,
// also takes the messages already out of libzmq behind it, up to max in
// all. put receives each with its index. It returns how many it took.
func (s *Socket) RecvMany(ctx context.Context, max int, put func(int, Message)) (int, error) {
	n := 0
	err := s.wait(ctx, &s.recvQ, capi.PollIn, nil, func() error {
		m, err := s.recvLocked()
		if err != nil {
			return err
		}
		put(0, m)
		for n = 1; n < max && len(s.ready) > 0; n++ {
			m, _ = s.recvLocked() // cannot fail: the message is already here
			put(n, m)
		}
		return nil
	})
	return n, err
}

// TryRecv receives one whole message or returns EAGAIN at once.
func (s *Socket) TryRecv() (Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Message{}, ErrClosed
	}
	var m Message
	_, err := s.tryUntilParkable(capi.PollIn, func() (err error) {
		m, err = s.recvLocked()
		return err
	})
	s.recheckIfWaitedLocked()
	return m, err
}

// RecvInto receives like Recv and copies the message into dst, reusing
// dst.Frames and each frame's backing array wherever they are large
// enough. Messages taken out of libzmq for RecvInto stay in a pooled
// scratch buffer until copied, so a caller that reuses dst allocates
// nothing.
func (s *Socket) RecvInto(ctx context.Context, frames *[][]byte, meta *engine.Metadata) error {
	return s.wait(ctx, &s.recvQ, capi.PollIn, nil, func() error {
		m, err := s.nextLocked(true)
		if err != nil {
			return err
		}
		engine.CopyFrames(frames, m.Frames)
		*meta = m.Metadata
		s.consumeNextLocked()
		return nil
	})
}

// recvLocked takes the next message, with memory of its own.
func (s *Socket) recvLocked() (Message, error) {
	m, err := s.nextLocked(false)
	if err != nil {
		return Message{}, err
	}
	if s.held != nil {
		// It lives in the scratch buffer, which goes back to the pool.
		var own Message
		copyMessage(&own, m)
		m = own
	}
	s.consumeNextLocked()
	return m, nil
}

// nextLocked returns the next message, taking a batch out of libzmq first
// if none is ready (borrow: see fillLocked). It stays first in s.ready
// until consumeNextLocked.
func (s *Socket) nextLocked(borrow bool) (Message, error) {
	if len(s.ready) == 0 {
		if err := s.fillLocked(borrow); err != nil && len(s.ready) == 0 {
			return Message{}, err
		}
	}
	return s.ready[0], nil
}

// consumeNextLocked counts the first ready message as received and removes
// it. Once none is left, the scratch buffer they were held in goes back to
// the pool.
func (s *Socket) consumeNextLocked() {
	for _, f := range s.ready[0].Frames {
		s.stats.BytesIn += uint64(len(f))
	}
	s.stats.MsgsIn++
	s.ready[0] = Message{}
	s.ready = s.ready[1:]
	if len(s.ready) > 0 {
		return
	}
	s.ready = s.readyBuf[:0] // reuse the backing array
	if s.held != nil {
		s.dropHeldLocked()
	}
}

// copyMessage copies m into dst, reusing dst's frame table and each frame's
// backing array (up to the table's capacity) when large enough. Frames of
// dst are capped slices, so writing within them never reaches memory that
// another message shares.
func copyMessage(dst *Message, m Message) {
	engine.CopyFrames(&dst.Frames, m.Frames)
	dst.Metadata = m.Metadata
}

// fillLocked takes up to maxBatchMsgs whole messages out of libzmq in as few
// crossings as possible, but no more than fit the scratch buffer plus one
// larger message: whatever is taken out no longer counts against the
// receive high-water mark, so it must stay small in bytes too. With borrow,
// the first crossing's messages stay in a scratch buffer (s.held) until
// they are copied out; otherwise all bytes of one crossing share one
// allocation.
func (s *Socket) fillLocked(borrow bool) error {
	if s.readyBuf == nil {
		// Small at first: it grows (and stays grown) only on busy sockets.
		s.readyBuf = make([]Message, 0, 8)
		s.ready = s.readyBuf
	}
	for {
		// Only the first crossing borrows: a message continued by a later
		// one (more than 1,024 frames, or a frame that did not fit) must
		// not overwrite the frames already in the buffer. Otherwise the
		// scratch space is used during this crossing only, so sockets share
		// it through a pool: an idle socket holds none.
		held := borrow && s.held == nil
		sc := scratchPool.Get().(*scratch)
		if held {
			s.held = sc
		}
		limit := maxBatchMsgs - len(s.ready)
		if s.oneByOne {
			limit = 1
		}
		frames, _, big, err := s.zs.Recv(sc.arena, sc.words, limit)
		s.takeFrames(sc, frames, big, held)
		if !held {
			scratchPool.Put(sc)
		}
		// A message is received whole under one lock: continue a message
		// that a full table or a large frame interrupted.
		if s.partial.Frames != nil && (err == nil || err == capi.EINTR) {
			continue
		}
		s.settleHeldLocked()
		return err
	}
}

// settleHeldLocked makes sure the borrowed scratch buffer is kept only
// while ready messages point into it.
func (s *Socket) settleHeldLocked() {
	if s.held == nil {
		return
	}
	if s.partial.Frames != nil {
		// Stopped inside a message (the socket failed): what is kept of it
		// must not point into the buffer.
		var own Message
		copyMessage(&own, s.partial)
		s.partial = own
	}
	if len(s.ready) == 0 {
		s.dropHeldLocked()
	}
}

// dropHeldLocked returns the borrowed scratch buffer to the pool.
func (s *Socket) dropHeldLocked() {
	clear(s.held.table)
	s.held.table = s.held.table[:0]
	scratchPool.Put(s.held)
	s.held = nil
}

// takeFrames turns the frames of one crossing into ready messages (and the
// start of a partial one). With held, frames point into sc, and a large
// frame that ends its message points into libzmq's own message: that stays
// until the next crossing, which fillLocked makes only to finish a partial
// message or once the ready messages are gone. Otherwise frames are copied
// into one allocation.
func (s *Socket) takeFrames(sc *scratch, frames int, big []byte, held bool) {
	if frames == 0 {
		return // nothing came (EAGAIN): nothing to allocate
	}
	used := 0
	nframes := 0
	for _, w := range sc.words[:frames] {
		used += int(w & capi.SizeMask)
		if w&capi.Prop == 0 {
			nframes++
		}
	}
	var data, bigData []byte
	var table [][]byte
	if held {
		data = sc.arena[:used]
		bigData = big
		if big != nil && sc.words[frames-1]&capi.More != 0 {
			// The message goes on in the next crossing, which releases
			// libzmq's message: copy the frame out now.
			bigData = bytes.Clone(big)
		}
		if sc.table == nil {
			sc.table = make([][]byte, 0, maxWords)
		}
		table = sc.table[:0]
	} else {
		table, data = engine.AllocFrames(nframes, used+len(big))
		copy(data, sc.arena[:used])
		bigData = data[used:]
		copy(bigData, big)
	}
	start, off := 0, 0
	for i, w := range sc.words[:frames] {
		var b []byte
		if big != nil && i == frames-1 {
			b = bigData[:len(bigData):len(bigData)]
		} else {
			size := int(w & capi.SizeMask)
			b = data[off : off+size : off+size]
			off += size
		}
		switch {
		case w&capi.Prop != 0:
			s.takeProperty(int(w>>capi.PropShift&0x3f), b)
		default:
			table = append(table, b)
			if w&capi.More != 0 {
				continue
			}
			s.settlePropsLocked()
			m := s.partial
			if m.Frames == nil {
				m.Frames = table[start:len(table):len(table)]
			} else { // begun in an earlier crossing
				m.Frames = append(m.Frames, table[start:]...)
			}
			s.ready = append(s.ready, m)
			if cap(s.ready) > cap(s.readyBuf) {
				s.readyBuf = s.ready[:0]
			}
			s.partial = Message{}
			start = len(table)
		}
	}
	if start < len(table) {
		s.partial.Frames = append(s.partial.Frames, table[start:]...)
	}
	if held {
		sc.table = table
	}
}

// takeProperty records the value of the message's property number i (see
// applyPropertiesLocked).
func (s *Socket) takeProperty(i int, b []byte) {
	switch {
	case i == 0:
		s.partial.UserID = intern(&s.lastUserID, b)
	case i == 1:
		s.partial.PeerAddress = intern(&s.lastPeerAddress, b)
	case i-2 < len(s.propValues):
		s.propValues[i-2] = intern(&s.propValues[i-2], b)
		s.propSet[i-2] = true
	}
}

// settlePropsLocked gives the message being taken in the properties its
// property words carried: the last message's, when they are the same (as
// they are on every message of a connection), which allocates nothing.
func (s *Socket) settlePropsLocked() {
	n := 0
	for _, set := range s.propSet {
		if set {
			n++
		}
	}
	if n == 0 {
		return
	}
	if !s.sameAsLastProps(n) {
		names, values := make([]string, 0, n), make([]string, 0, n)
		for i, set := range s.propSet {
			if set {
				names = append(names, s.extraProps[i])
				values = append(values, s.propValues[i])
			}
		}
		s.lastProps = engine.NewProperties(names, values)
	}
	s.partial.Props = s.lastProps
	clear(s.propSet)
}

// sameAsLastProps reports whether the n properties set now are those of
// the last message.
func (s *Socket) sameAsLastProps(n int) bool {
	last := s.lastProps
	if last.Len() != n {
		return false
	}
	j := 0
	for i, set := range s.propSet {
		if !set {
			continue
		}
		if name, v := last.At(j); name != s.extraProps[i] || v != s.propValues[i] {
			return false
		}
		j++
	}
	return true
}

// intern returns b as a string, reusing *last when equal: a connection's
// user id and address repeat message after message.
func intern(last *string, b []byte) string {
	if string(b) != *last {
		*last = string(b)
	}
	return *last
}
