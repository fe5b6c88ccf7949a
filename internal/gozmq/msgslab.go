package gozmq

import (
	"sync"
	"sync/atomic"
)

// msgSlab is memory for many small messages, filled by one goroutine and
// given back, each once copied out or written, by another: a connection's
// reader fills them for a RecvInto receiver, a sending socket for the
// connection writers and inproc receivers it sends to. Once every message
// carved from a slab is given back, the slab is spare again, whole.
// Per-message pooled memory cost more: it is taken on one processor and
// given back on another, so sync.Pool steals between processors on nearly
// every message.
//
// out counts the messages not given back yet. The filler counts what it
// carves on its own and adds the count when it is done with the slab
// (seal); each give-back subtracts one. So out is negative while the
// filler still carves, and whoever brings it to zero after the seal, the
// filler or the last give-back, returns the slab. A message sent to
// several pipes counts once per pipe (share). A message never given back
// (one dropped on the way) only keeps its slab from coming back: the
// garbage collector takes it.
type msgSlab struct {
	data   []byte
	tables [][]byte
	out    atomic.Int64
	step   int // its size step: spareSlabs[step]
}

// Slabs come in size steps: step k holds minSlabData<<k octets and
// minSlabTables<<k frame headers. A filler starts at the smallest and
// takes the next step with each new slab, so that a socket that sent or
// received a few messages and went quiet keeps about a kilobyte, and a
// busy one soon carves up to 128 messages per slab.
const (
	minSlabData   = 512
	minSlabTables = 16
	slabSteps     = 4 // up to 4 KiB and 128 headers
	// maxCarved and maxCarvedFrames are the largest message, in octets
	// and in frames, carved from a slab.
	maxCarved       = 256
	maxCarvedFrames = 8
)

// spareSlabs holds empty slabs for any filler, per size step. A slab goes
// in and out once per many messages, so where it was put back matters
// little.
var spareSlabs [slabSteps]sync.Pool

func newSlab(step int) *msgSlab {
	if s, ok := spareSlabs[step].Get().(*msgSlab); ok {
		return s
	}
	return &msgSlab{data: make([]byte, minSlabData<<step), tables: make([][]byte, minSlabTables<<step), step: step}
}

// release gives back one message carved from s.
func (s *msgSlab) release() {
	if s.out.Add(-1) == 0 {
		spareSlabs[s.step].Put(s)
	}
}

// slabCarver is a filler's side: the slab it carves from now. Only its
// filler uses it.
type slabCarver struct {
	cur    *msgSlab
	next   int // the size step of the next slab
	off    int // octets of cur.data carved
	tabOff int // headers of cur.tables carved
	carved int64
}

// carve returns room for a message of nframes frames and n octets, and
// the slab it came from; ok is false when the message is too large for a
// slab.
func (c *slabCarver) carve(nframes, n int) (table [][]byte, data []byte, s *msgSlab, ok bool) {
	if n > maxCarved || nframes > maxCarvedFrames {
		return nil, nil, nil, false
	}
	if c.cur == nil || c.off+n > len(c.cur.data) || c.tabOff+nframes > len(c.cur.tables) {
		c.seal()
		c.cur = newSlab(c.next)
		c.next = min(c.next+1, slabSteps-1)
		c.off, c.tabOff = 0, 0
	}
	s = c.cur
	data = s.data[c.off : c.off+n : c.off+n]
	table = s.tables[c.tabOff : c.tabOff : c.tabOff+nframes]
	c.off += n
	c.tabOff += nframes
	c.carved++
	return table, data, s, true
}

// share counts extra more holders of a message carved from s (one sent
// to several pipes), each of which gives it back.
func (c *slabCarver) share(s *msgSlab, extra int) {
	if s == c.cur {
		c.carved += int64(extra)
		return
	}
	// Sealed: the message is not given back yet, so out is at least one
	// and stays above zero.
	s.out.Add(int64(extra))
}

// seal gives up the current slab: it goes back once its messages all are,
// at once if they already are.
func (c *slabCarver) seal() {
	s := c.cur
	if s == nil {
		return
	}
	c.cur = nil
	if s.out.Add(c.carved) == 0 {
		spareSlabs[s.step].Put(s)
	}
	c.carved = 0
}
