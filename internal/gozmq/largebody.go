package gozmq

import "unsafe"

// largeBodies is a connection reader's zmtp.BodyAllocator: a body too
// large for the decoder's buffer is read into pooled memory (backing.go),
// which goes back to the pool once a RecvInto has copied it out, so that
// a stream of large messages allocates nothing. A socket whose receiver
// keeps what it receives (Recv) gets memory of the body's own size
// instead, as the pool would never see it again.
type largeBodies struct {
	s *Socket
	// cur holds the body being read or last read, until taken; old the
	// one it outgrew, until the decoder frees it.
	cur, old *backing
	// read says a body was read since the last take: into cur, or into
	// memory of its own size when cur is nil.
	read bool
}

// Alloc gives room for the whole body when the pool has memory of its
// size at hand, and otherwise room for need octets, rounded up to a pool
// size (at most twice need).
func (l *largeBodies) Alloc(size, need int) []byte {
	l.old, l.cur = l.cur, nil
	l.read = true
	if l.s.recvKeeps.Load() {
		return make([]byte, 0, need)
	}
	if b := pooledBacking(size); b != nil {
		l.cur = b
		return b.data[:0]
	}
	l.cur = getBacking(need, 1)
	return l.cur.data[:0]
}

// Free gives back memory the decoder outgrew or gave up on.
func (l *largeBodies) Free(b []byte) {
	switch {
	case l.old != nil && sameMemory(b, l.old.data):
		l.old.release()
		l.old = nil
	case l.cur != nil && sameMemory(b, l.cur.data):
		l.cur.release()
		l.cur = nil
	}
}

// take tells where the body the decoder last returned lives: in its
// buffer (own false), or in memory of its own (own true), pooled memory
// (b) if it has some, which the caller now owns.
func (l *largeBodies) take() (b *backing, own bool) {
	b, own = l.cur, l.read
	l.cur, l.read = nil, false
	return b, own
}

func sameMemory(a, b []byte) bool {
	return cap(a) > 0 && cap(b) > 0 && unsafe.SliceData(a[:1]) == unsafe.SliceData(b[:1])
}
