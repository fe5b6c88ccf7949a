package gozmq

import (
	"sync"
	"sync/atomic"
)

// recvSlab is memory for many small messages that a connection's reader
// fills for a RecvInto receiver, which copies each out and gives it back.
// Once every message carved from a slab is given back, the slab is spare
// again, whole. Per-message pooled memory cost more: the reader
// takes it on one processor and the receiver gives it back on another, so
// sync.Pool steals between processors on nearly every message.
//
// out counts the messages not given back yet. The reader counts what it
// carves on its own and adds the count when it is done with the slab
// (seal); each give-back subtracts one. So out is negative while the
// reader still carves, and whoever brings it to zero after the seal, the
// reader or the last give-back, returns the slab.
type recvSlab struct {
	data   []byte
	tables [][]byte
	out    atomic.Int64
}

// spareSlabs holds empty slabs for any reader. A slab goes in and out once
// per many messages, so that where it was put back matters little, and a
// connection that goes idle keeps none.
var spareSlabs = sync.Pool{New: func() any {
	return &recvSlab{data: make([]byte, recvSlabBytes), tables: make([][]byte, recvSlabFrames)}
}}

const (
	// recvSlabBytes and recvSlabFrames size a slab: 256 messages of 16
	// octets, or 16 of 256.
	recvSlabBytes  = 4 << 10
	recvSlabFrames = 256
	// recvSlabbed and recvSlabbedFrames are the largest message, in
	// octets and in frames, carved from a slab.
	recvSlabbed       = 256
	recvSlabbedFrames = 8
)

// release gives back one message carved from s.
func (s *recvSlab) release() {
	if s.out.Add(-1) == 0 {
		spareSlabs.Put(s)
	}
}

// slabCarver is a reader's side: the slab it carves from now. Only the
// reader uses it.
type slabCarver struct {
	cur    *recvSlab
	off    int // octets of cur.data carved
	tabOff int // headers of cur.tables carved
	carved int64
}

// carve returns room for a message of nframes frames and n octets, and
// the slab it came from; ok is false when the message is too large for a
// slab.
func (c *slabCarver) carve(nframes, n int) (table [][]byte, data []byte, s *recvSlab, ok bool) {
	if n > recvSlabbed || nframes > recvSlabbedFrames {
		return nil, nil, nil, false
	}
	if c.cur == nil || c.off+n > len(c.cur.data) || c.tabOff+nframes > len(c.cur.tables) {
		c.seal()
		c.cur = spareSlabs.Get().(*recvSlab)
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

// seal gives up the current slab: it goes back once its messages all are,
// at once if they already are.
func (c *slabCarver) seal() {
	s := c.cur
	if s == nil {
		return
	}
	c.cur = nil
	if s.out.Add(c.carved) == 0 {
		spareSlabs.Put(s)
	}
	c.carved = 0
}
