//go:build cgo && unix

package libzmq

// waiter is one goroutine waiting for its turn in one direction.
// ch has capacity 1: a wake is never lost and never blocks the waker.
type waiter struct {
	ch         chan struct{}
	prev, next *waiter

	// key says what the waiter waits for, if the socket's readiness cannot
	// say it (see passTurnLocked).
	key []byte
	// woken is set when the waiter is signalled and cleared when it parks
	// again. These fields are guarded by the socket lock.
	woken bool
	audit audit // the watchdog's view of this waiter (watchdog.go)
}

// waitq is a FIFO of waiters. Only its head is ever woken, so goroutines
// are served in arrival order. All methods run under the socket lock.
type waitq struct {
	head, tail *waiter
	n          int
}

// push queues w, which is not queued anywhere.
func (q *waitq) push(w *waiter) {
	if q.tail == nil {
		q.head, q.tail = w, w
	} else {
		w.prev = q.tail
		q.tail.next = w
		q.tail = w
	}
	q.n++
}

func (q *waitq) remove(w *waiter) {
	if w.prev != nil {
		w.prev.next = w.next
	} else if q.head == w {
		q.head = w.next
	} else {
		return // not queued
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		q.tail = w.prev
	}
	w.prev, w.next = nil, nil
	q.n--
}

// waiterPool keeps a socket's waiters for reuse, so that parking allocates
// nothing. It keeps at most maxSpareWaiters: a burst of many goroutines
// waiting at once should not stay allocated after it. All methods run
// under the socket lock.
type waiterPool struct {
	free *waiter
	n    int
}

const maxSpareWaiters = 16

func (p *waiterPool) get() *waiter {
	w := p.free
	if w == nil {
		return &waiter{ch: make(chan struct{}, 1)}
	}
	p.free = w.next
	p.n--
	w.next = nil
	return w
}

// put takes back w, already removed from its queue. A wake that arrived
// after w stopped listening is dropped: nobody waits on w any more.
func (p *waiterPool) put(w *waiter) {
	if p.n == maxSpareWaiters {
		return
	}
	select {
	case <-w.ch:
	default:
	}
	*w = waiter{ch: w.ch, next: p.free}
	p.free = w
	p.n++
}
