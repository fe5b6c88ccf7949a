package gozmq

import (
	"sync"
	"sync/atomic"

	"github.com/zmqx/zmq/internal/engine"
)

// msg is one whole message inside the engine.
type msg struct {
	frames [][]byte
	// backing is the pooled memory of frames, if they live in some;
	// slab the slab they were carved from, if they were (msgslab.go).
	backing *backing
	slab    *msgSlab
	// meta is the properties of the connection it came from, if any.
	meta *msgMeta
	// id is the routing id of the peer a ROUTER or STREAM received it
	// from, the message's first frame for its receiver. It is the pipe's
	// own (never written to), so a receive need not build a new frame
	// table: whoever hands the message out copies it (own, RecvInto).
	id []byte
	// sub marks a subscription change: one frame, 1 (subscribe) or 0
	// (cancel) followed by the topic. A connection to a ZMTP 3.1 peer sends
	// it as a SUBSCRIBE or CANCEL command.
	sub bool
	// shared says other receivers may hold the same frames (a PUB message
	// delivered to several subscribers): copy before handing out.
	shared bool
}

// msgMeta is the properties libzmq gives the messages of one connection;
// every message from it points to the same one.
type msgMeta struct {
	userID, peerAddr string
	props            *engine.Properties
}

// release gives m's memory back once its frames are copied out or no
// longer needed. Every holder of a message carved from a slab gives it
// back, shared or not (see Socket.pushAll); pooled memory that other
// receivers may hold stays.
func (m msg) release() {
	switch {
	case m.slab != nil:
		m.slab.release()
	case !m.shared:
		m.backing.release()
	}
}

func (m msg) size() int {
	n := len(m.id)
	for _, f := range m.frames {
		n += len(f)
	}
	return n
}

// chunkLen is how many messages a queue chunk holds.
const chunkLen = 32

// chunk is a piece of a queue: a queue is a list of them. Chunks come
// from a pool and go back when emptied, so an idle queue holds no memory
// and a busy one allocates none.
type chunk struct {
	msgs [chunkLen]msg
	next *chunk
}

var chunkPool = sync.Pool{New: func() any { return new(chunk) }}

// queue is one direction of a pipe: whole messages from a writer (a socket
// sending, or a connection's reader) to a reader (a socket receiving, or a
// connection's writer). It is bounded by its high-water mark, counted in
// whole messages (0: no bound).
//
// A receiving socket takes messages out with pop, which moves everything
// queued at once into a part of the queue that only the reader touches,
// under its own socket's lock: the queue's lock is taken once per batch,
// not once per message. Those messages still count for the bound until
// popped one by one.
//
// Its lock is a leaf: nothing else is locked while it is held, and the
// notifications run after it is released, so either side may call it with
// its own socket locked.
type queue struct {
	mu sync.Mutex
	// The messages: head.msgs[hpos:] and the chunks after it, up to
	// tail.msgs[:tpos]. head and tail are nil when the queue is empty.
	head, tail *chunk
	hpos, tpos int
	n          int
	headSeq    uint64 // how many messages have left the queue, ever
	hwm        int
	conflate   bool // keep only the last message
	// writerDone: no more messages will come; readerDone: nobody will read,
	// pushes fail and the contents are gone.
	writerDone, readerDone bool

	// The reader's part: messages moved out of the list above by pop and
	// not handed out yet, r.head.msgs[r.hpos:] on, r.n of them; touched by
	// the reader only. taken mirrors r.n for the writer's count.
	r     readerPart
	taken atomic.Int32
	// wantRoom says a writer found the queue full and waits for room: the
	// reader then reports room (writable) as it pops. A writer sets it
	// before it looks at taken, and the reader lowers taken before it
	// looks at wantRoom, so one of them always sees the other.
	wantRoom atomic.Bool

	// readable runs when the queue goes from empty to not empty, or the
	// writer is done; writable when a writer that found it full may find
	// room, or the reader is done. Either may be nil.
	readable, writable func()
	// ready, when set, is the list of a fair queue (fairqueue.go) that
	// this queue joins, as readyFor, when readable runs; queued says it
	// is on it.
	ready    *readyList
	readyFor *pipe
	queued   atomic.Bool
}

// readerPart is the messages a reader has moved out of the shared list.
type readerPart struct {
	head *chunk
	hpos int
	n    int
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

// setReady makes the queue join rl as p's when it becomes readable (rl
// nil: join nothing).
func (q *queue) setReady(rl *readyList, p *pipe) {
	q.mu.Lock()
	q.ready, q.readyFor = rl, p
	q.mu.Unlock()
}

func (q *queue) setWritable(f func()) {
	q.mu.Lock()
	q.writable = f
	q.mu.Unlock()
}

func (q *queue) fullLocked() bool {
	return q.hwm > 0 && q.n+int(q.taken.Load()) >= q.hwm && !q.conflate
}

// noRoomLocked reports whether a push must fail for lack of room; when it
// must, the reader will report room (see wantRoom).
func (q *queue) noRoomLocked() bool {
	if !q.fullLocked() {
		return false
	}
	q.wantRoom.Store(true)
	return q.fullLocked() // the reader may have popped meanwhile
}

// roomLocked returns the writable notification to run if a writer waits
// for room and there is some now.
func (q *queue) roomLocked() func() {
	if q.wantRoom.Load() && !q.fullLocked() {
		q.wantRoom.Store(false)
		return q.writable
	}
	return nil
}

// full reports whether a push would fail for lack of room; a caller that
// then waits is told (writable) when there may be room.
func (q *queue) full() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.noRoomLocked()
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
	} else if !force && q.noRoomLocked() {
		q.mu.Unlock()
		return pushFull
	}
	q.appendLocked(m)
	var f func()
	var rl *readyList
	var rp *pipe
	if q.n == 1 {
		f, rl, rp = q.readable, q.ready, q.readyFor
	}
	q.mu.Unlock()
	rl.add(q, rp)
	if f != nil {
		f()
	}
	return pushed
}

// pushMany appends the messages of ms in order until the queue is full,
// under one hold of its lock, and returns how many it took: all of them
// (pushed), fewer (pushFull), or none (pushClosed). A conflating queue
// keeps the last.
func (q *queue) pushMany(ms []msg) (int, pushResult) {
	q.mu.Lock()
	if q.readerDone {
		q.mu.Unlock()
		return 0, pushClosed
	}
	was := q.n
	n := 0
	if q.conflate {
		q.clearLocked()
		q.appendLocked(ms[len(ms)-1])
		n = len(ms)
	} else {
		for n < len(ms) && !q.noRoomLocked() {
			q.appendLocked(ms[n])
			n++
		}
	}
	var f func()
	var rl *readyList
	var rp *pipe
	if was == 0 && q.n > 0 {
		f, rl, rp = q.readable, q.ready, q.readyFor
	}
	q.mu.Unlock()
	rl.add(q, rp)
	if f != nil {
		f()
	}
	if n < len(ms) {
		return n, pushFull
	}
	return n, pushed
}

func (q *queue) appendLocked(m msg) {
	switch {
	case q.tail == nil:
		c := chunkPool.Get().(*chunk)
		q.head, q.tail, q.hpos, q.tpos = c, c, 0, 0
	case q.tpos == chunkLen:
		c := chunkPool.Get().(*chunk)
		q.tail.next = c
		q.tail, q.tpos = c, 0
	}
	q.tail.msgs[q.tpos] = m
	q.tpos++
	q.n++
}

// dropHeadLocked takes the first message of the shared list out and
// returns it. Its slot is cleared, so that a chunk goes back to the pool
// empty.
func (q *queue) dropHeadLocked() msg {
	m := q.head.msgs[q.hpos]
	q.head.msgs[q.hpos] = msg{}
	q.hpos++
	q.n--
	q.headSeq++
	switch {
	case q.n == 0:
		chunkPool.Put(q.head)
		q.head, q.tail, q.hpos, q.tpos = nil, nil, 0, 0
	case q.hpos == chunkLen:
		c := q.head
		q.head, q.hpos = c.next, 0
		c.next = nil
		chunkPool.Put(c)
	}
	return m
}

func (q *queue) clearLocked() {
	for q.n > 0 {
		q.dropHeadLocked()
	}
}

// pop takes the first message; only the reader calls it. done says the
// queue is empty and nothing more will come.
func (q *queue) pop() (m msg, ok, done bool) {
	if q.r.n == 0 {
		if ok, done := q.takeAll(); !ok {
			return msg{}, false, done
		}
	}
	r := &q.r
	m = r.head.msgs[r.hpos]
	r.head.msgs[r.hpos] = msg{}
	r.hpos++
	r.n--
	if r.n == 0 {
		r.head.next = nil
		chunkPool.Put(r.head)
		r.head, r.hpos = nil, 0
	} else if r.hpos == chunkLen {
		c := r.head
		r.head, r.hpos = c.next, 0
		c.next = nil
		chunkPool.Put(c)
	}
	q.taken.Add(-1)
	if q.wantRoom.Load() {
		q.mu.Lock()
		f := q.roomLocked()
		q.mu.Unlock()
		if f != nil {
			f()
		}
	}
	return m, true, false
}

// takeAll moves the whole shared list into the reader's part (which is
// empty), and reports whether there was anything, and if not whether
// anything more will come.
func (q *queue) takeAll() (ok, done bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n == 0 {
		return false, q.writerDone
	}
	q.r = readerPart{head: q.head, hpos: q.hpos, n: q.n}
	q.taken.Add(int32(q.n))
	q.headSeq += uint64(q.n)
	q.head, q.tail, q.hpos, q.tpos, q.n = nil, nil, 0, 0, 0
	return true, false
}

// peek calls fn with up to max messages from the head, in order, without
// taking them out, until fn returns false (having taken that message);
// it returns the sequence number of the first and how many fn was given.
// A connection's writer takes them out (discard) once written, so that
// until then they count as queued: for the bound, and for linger. fn runs
// under the queue's lock: it must be quick and must not call the queue. A
// queue read with peek is never read with pop.
func (q *queue) peek(max int, fn func(*msg) bool) (uint64, int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	c, i := q.head, q.hpos
	for n < q.n && n < max {
		if i == chunkLen {
			c, i = c.next, 0
		}
		n++
		if !fn(&c.msgs[i]) {
			break
		}
		i++
	}
	return q.headSeq, n
}

// discard takes out the n messages peeked from sequence number first,
// those of them still queued (a conflating queue may have replaced them).
func (q *queue) discard(first uint64, n int) {
	q.mu.Lock()
	for q.n > 0 && q.headSeq < first+uint64(n) {
		q.dropHeadLocked()
	}
	f := q.roomLocked()
	q.mu.Unlock()
	if f != nil {
		f()
	}
}

// len returns how many messages wait.
func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n + int(q.taken.Load())
}

// drained reports whether the queue is empty and its writer done.
func (q *queue) drained() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n == 0 && q.taken.Load() == 0 && q.writerDone
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
	f, rl, rp := q.readable, q.ready, q.readyFor
	q.mu.Unlock()
	rl.add(q, rp)
	if f != nil {
		f()
	}
}

// closeReader says nobody will read: the contents are dropped and pushes
// fail from now on. Only the reader calls it, or whoever owns the queue
// once its reader is gone.
func (q *queue) closeReader() {
	for q.r.n > 0 {
		q.pop()
	}
	q.mu.Lock()
	if q.readerDone {
		q.mu.Unlock()
		return
	}
	q.readerDone = true
	q.clearLocked()
	f := q.writable
	q.mu.Unlock()
	if f != nil {
		f()
	}
}

// setHWM changes the bound; a raised bound wakes a waiting writer.
func (q *queue) setHWM(hwm int) {
	q.mu.Lock()
	q.hwm = hwm
	f := q.roomLocked()
	q.mu.Unlock()
	if f != nil {
		f()
	}
}
