package gozmq

import (
	"math/bits"
	"sync"
)

// backing is the memory of a message the engine copied from a sender:
// all frames' bytes in one array, and the frame table. When the message's
// only reader is done with it (a RecvInto copied it out, a connection
// wrote it), it goes back to a pool for the next send, so that a steady
// stream of sends allocates nothing. A message handed to the user (Recv)
// keeps its memory: the user owns it.
type backing struct {
	data   []byte
	frames [][]byte
	class  int
}

const (
	minClassShift  = 6  // 64 B
	maxClassShift  = 20 // 1 MiB: larger messages are not pooled
	maxPooledTable = 64 // frames: a message of more is not pooled
	minTable       = 2  // frames a pooled table has room for at least
)

var backingPools [maxClassShift - minClassShift + 1]sync.Pool

// classOf returns the pool class of a message of n bytes, or -1.
func classOf(n int) int {
	if n > 1<<maxClassShift {
		return -1
	}
	shift := max(bits.Len(uint(n-1)), minClassShift)
	if n <= 1 {
		shift = minClassShift
	}
	return shift - minClassShift
}

// getBacking returns memory for nframes frames of n bytes in all.
func getBacking(n, nframes int) *backing {
	c := classOf(n)
	if c >= 0 && nframes <= maxPooledTable {
		if b, ok := backingPools[c].Get().(*backing); ok {
			b.data = b.data[:n]
			if cap(b.frames) < nframes {
				b.frames = make([][]byte, nframes)
			}
			b.frames = b.frames[:nframes]
			return b
		}
		return &backing{data: make([]byte, n, 1<<(c+minClassShift)), frames: make([][]byte, nframes, max(nframes, minTable)), class: c}
	}
	return &backing{data: make([]byte, n), frames: make([][]byte, nframes), class: -1}
}

// release returns b to its pool; nothing may use its memory afterwards.
func (b *backing) release() {
	if b == nil || b.class < 0 {
		return
	}
	clear(b.frames)
	backingPools[b.class].Put(b)
}

// pooledBacking returns pooled memory for n bytes in one frame, or nil
// when the pool has none at hand.
func pooledBacking(n int) *backing {
	c := classOf(n)
	if c < 0 {
		return nil
	}
	b, ok := backingPools[c].Get().(*backing)
	if !ok {
		return nil
	}
	b.data = b.data[:n]
	b.frames = b.frames[:1]
	return b
}
