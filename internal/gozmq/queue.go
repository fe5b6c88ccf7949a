package gozmq

import (
	"sync"

	"github.com/zmqx/zmq/internal/engine"
)

// msg is one whole message inside the engine.
type msg struct {
	frames [][]byte
	// sub marks a subscription change: one frame, 1 (subscribe) or 0
	// (cancel) followed by the topic. A connection to a ZMTP 3.1 peer sends
	// it as a SUBSCRIBE or CANCEL command.
	sub bool
	// shared says other receivers may hold the same frames (a PUB message
	// delivered to several inproc subscribers): copy before handing out.
	shared bool
	// The properties of the connection it came from.
	userID, peerAddr string
	props            *engine.Properties
	// backing is the pooled memory of frames, if they live in some.
	backing *backing
}

func (m msg) size() int {
	n := 0
	for _, f := range m.frames {
		n += len(f)
	}
	return n
}

// queue is one direction of a pipe: whole messages from a writer (a socket
// sending, or a connection's reader) to a reader (a socket receiving, or a
// connection's writer). It is bounded by its high-water mark, counted in
// whole messages (0: no bound).
//
// Its lock is a leaf: nothing else is locked while it is held, and the
// notifications run after it is released, so either side may call it with
// its own socket locked.
type queue struct {
	mu       sync.Mutex
	buf      []msg // ring
	head, n  int
	headSeq  uint64 // how many messages have left the queue, ever
	hwm      int
	conflate bool // keep only the last message
	// writerDone: no more messages will come; readerDone: nobody will read,
	// pushes fail and the contents are gone.
	writerDone, readerDone bool
	// lastRing is the size of the ring given back when the queue last
	// emptied: the next burst takes one as large at once (ring.go).
	lastRing int

	// readable runs when the queue goes from empty to not empty, or the
	// writer is done; writable when it goes from full to not full, or the
	// reader is done. Either may be nil.
	readable, writable func()
}

func newQueue(hwm int, conflate bool) *queue {
	return &queue{hwm: hwm, conflate: conflate}
}

// setHooks replaces the notifications.
func (q *queue) setHooks(readable, writable func()) {
	q.mu.Lock()
	q.readable, q.writable = readable, writable
	q.mu.Unlock()
}

func (q *queue) setReadable(f func()) {
	q.mu.Lock()
	q.readable = f
	q.mu.Unlock()
}

func (q *queue) setWritable(f func()) {
	q.mu.Lock()
	q.writable = f
	q.mu.Unlock()
}

func (q *queue) fullLocked() bool {
	return q.hwm > 0 && q.n >= q.hwm && !q.conflate
}

// full reports whether a push would fail for lack of room.
func (q *queue) full() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.fullLocked()
}

// pushResult says what became of a push.
type pushResult int

const (
	pushed pushResult = iota
	pushFull
	pushClosed // the reader is gone
)

// push appends m unless the queue is full (force ignores the bound: for
// subscriptions and handshake-time control messages).
func (q *queue) push(m msg, force bool) pushResult {
	q.mu.Lock()
	if q.readerDone {
		q.mu.Unlock()
		return pushClosed
	}
	if q.conflate {
		q.clearLocked()
	} else if !force && q.fullLocked() {
		q.mu.Unlock()
		return pushFull
	}
	if q.n == len(q.buf) {
		q.growLocked()
	}
	q.buf[(q.head+q.n)%len(q.buf)] = m
	q.n++
	var f func()
	if q.n == 1 {
		f = q.readable
	}
	q.mu.Unlock()
	if f != nil {
		f()
	}
	return pushed
}

func (q *queue) growLocked() {
	size := max(2*len(q.buf), 8)
	if len(q.buf) == 0 {
		size = max(size, q.lastRing)
	}
	if q.hwm > 0 && size > q.hwm && q.n < q.hwm {
		size = q.hwm
	}
	nb := getRing(size)
	for i := range q.n {
		nb[i] = q.buf[(q.head+i)%len(q.buf)]
	}
	clear(q.buf)
	putRing(q.buf)
	q.buf, q.head = nb, 0
}

// emptiedLocked gives a large ring back once the queue is empty.
func (q *queue) emptiedLocked() {
	if q.n == 0 && len(q.buf) > keptRing {
		q.lastRing = len(q.buf)
		putRing(q.buf) // every entry was zeroed as it left
		q.buf, q.head = nil, 0
	}
}

func (q *queue) clearLocked() {
	for q.n > 0 {
		q.buf[q.head] = msg{}
		q.head = (q.head + 1) % len(q.buf)
		q.n--
		q.headSeq++
	}
}

// pop takes the first message. done says the queue is empty and nothing
// more will come.
func (q *queue) pop() (m msg, ok, done bool) {
	q.mu.Lock()
	if q.n == 0 {
		done = q.writerDone
		q.mu.Unlock()
		return msg{}, false, done
	}
	wasFull := q.fullLocked()
	m = q.buf[q.head]
	q.buf[q.head] = msg{}
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	q.headSeq++
	q.emptiedLocked()
	var f func()
	if wasFull && !q.fullLocked() {
		f = q.writable
	}
	q.mu.Unlock()
	if f != nil {
		f()
	}
	return m, true, false
}

// peekBatch appends up to max messages, or about maxBytes, from the head
// to dst without taking them out, and returns the sequence number of the
// first. A connection's writer takes them out (discard) once written, so
// that until then they count as queued: for the bound, and for linger.
func (q *queue) peekBatch(dst []msg, max, maxBytes int) ([]msg, uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	bytes := 0
	for i := 0; i < q.n && max > 0 && bytes < maxBytes; i++ {
		m := q.buf[(q.head+i)%len(q.buf)]
		dst = append(dst, m)
		bytes += m.size()
		max--
	}
	return dst, q.headSeq
}

// discard takes out the n messages peeked from sequence number first,
// those of them still queued (a conflating queue may have replaced them).
func (q *queue) discard(first uint64, n int) {
	q.mu.Lock()
	wasFull := q.fullLocked()
	for q.n > 0 && q.headSeq < first+uint64(n) {
		q.buf[q.head] = msg{}
		q.head = (q.head + 1) % len(q.buf)
		q.n--
		q.headSeq++
	}
	q.emptiedLocked()
	var f func()
	if wasFull && !q.fullLocked() {
		f = q.writable
	}
	q.mu.Unlock()
	if f != nil {
		f()
	}
}

// len returns how many messages wait.
func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// drained reports whether the queue is empty and its writer done.
func (q *queue) drained() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n == 0 && q.writerDone
}

// closeWriter says no more messages will come; the reader still gets the
// ones queued.
func (q *queue) closeWriter() {
	q.mu.Lock()
	if q.writerDone {
		q.mu.Unlock()
		return
	}
	q.writerDone = true
	f := q.readable
	q.mu.Unlock()
	if f != nil {
		f()
	}
}

// closeReader says nobody will read: the contents are dropped and pushes
// fail from now on.
func (q *queue) closeReader() {
	q.mu.Lock()
	if q.readerDone {
		q.mu.Unlock()
		return
	}
	q.readerDone = true
	q.clearLocked()
	putRing(q.buf)
	q.buf = nil
	f := q.writable
	q.mu.Unlock()
	if f != nil {
		f()
	}
}

// setHWM changes the bound; a raised bound wakes a waiting writer.
func (q *queue) setHWM(hwm int) {
	q.mu.Lock()
	wasFull := q.fullLocked()
	q.hwm = hwm
	var f func()
	if wasFull && !q.fullLocked() {
		f = q.writable
	}
	q.mu.Unlock()
	if f != nil {
		f()
	}
}
