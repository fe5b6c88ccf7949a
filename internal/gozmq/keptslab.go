package gozmq

import "github.com/zmqx/zmq/internal/engine"

// keptSlab carves the memory of small messages that their receiver keeps
// (Recv) out of larger slabs: frame bodies out of a byte slab, frame
// tables out of a slab of frame headers. A stream of small messages then
// costs two allocations per slab rather than one per message, which is
// most of the receiving side's garbage collection work at small sizes.
//
// A slab is never reused: what was carved from it belongs to its receiver
// for good. A full slab is left to the messages carved from it and a new
// one started, twice as large up to a bound; it is freed when the last of
// them is. Slabs start small, so that a connection that received a few
// messages and went idle holds about a kilobyte, not a full slab. The
// price is what a retained message pins: one small message kept alive
// keeps its byte slab (at most maxSlabBytes) and table slab (at most
// maxSlabFrames headers) alive, 4 KiB + 6 KiB at most, whatever became of
// its neighbours.
//
// Carved slices are capped (three-index slicing), so a receiver that
// appends to a frame or to its frame table gets memory of its own rather
// than writing over its neighbour's.
//
// A keptSlab is used by one goroutine at a time: a connection's reader,
// or whoever holds its socket's lock.
type keptSlab struct {
	data   []byte   // the rest of the current byte slab
	tables [][]byte // the rest of the current table slab
	// The sizes of the next slabs, doubling from minSlabBytes and
	// minSlabFrames; 0 before the first.
	nextBytes, nextFrames int
}

const (
	// minSlabBytes and maxSlabBytes bound the size of a byte slab.
	minSlabBytes = 512
	maxSlabBytes = 4 << 10
	// minSlabFrames and maxSlabFrames bound the number of frame headers
	// in a table slab (24 octets each on 64-bit platforms: 6 KiB at most).
	minSlabFrames = 16
	maxSlabFrames = 256
	// maxSlabbed is the largest message, in octets over all its frames,
	// carved from a slab; larger ones get memory of their own.
	maxSlabbed = 256
	// maxSlabbedFrames is the most frames a message carved from a slab
	// has.
	maxSlabbedFrames = 8
)

// alloc returns an empty frame table with room for nframes frames and a
// buffer of n octets, for a received message its receiver keeps, like
// engine.AllocFrames, which it falls back on for a large message or a nil
// k.
func (k *keptSlab) alloc(nframes, n int) ([][]byte, []byte) {
	if k == nil || n > maxSlabbed || nframes > maxSlabbedFrames {
		return engine.AllocFrames(nframes, n)
	}
	if len(k.data) < n {
		k.nextBytes = min(max(2*k.nextBytes, minSlabBytes), maxSlabBytes)
		k.data = make([]byte, k.nextBytes)
	}
	if len(k.tables) < nframes {
		k.nextFrames = min(max(2*k.nextFrames, minSlabFrames), maxSlabFrames)
		k.tables = make([][]byte, k.nextFrames)
	}
	data := k.data[:n:n]
	k.data = k.data[n:]
	table := k.tables[:0:nframes]
	k.tables = k.tables[nframes:]
	return table, data
}
