package gozmq

import (
	"math/bits"
	"sync"
)

// keptRing is the largest ring an empty queue keeps. A larger one goes
// back to ringPools when the queue empties, so that an idle queue holds
// no large ring, while a queue busy again takes one back instead of
// allocating and growing it anew at every burst.
const keptRing = 64

// ringPools hold rings (all entries zero) by size: pool c has rings of
// 8<<c entries. What nobody takes back, the garbage collector frees.
var ringPools [56]sync.Pool

// ringClass is the pool of the smallest ring that holds n entries.
func ringClass(n int) int {
	if n <= 8 {
		return 0
	}
	return bits.Len(uint(n-1)) - 3
}

// getRing returns a ring of at least n entries, all zero.
func getRing(n int) []msg {
	c := ringClass(n)
	if r, ok := ringPools[c].Get().(*[]msg); ok {
		return *r
	}
	return make([]msg, 8<<c)
}

// putRing gives back a ring that getRing made; its entries must be zero.
func putRing(r []msg) {
	if c := ringClass(len(r)); len(r) > 0 && 8<<c == len(r) {
		ringPools[c].Put(&r)
	}
}
