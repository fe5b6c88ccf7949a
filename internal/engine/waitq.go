package engine

// waiter is one goroutine waiting for its turn in one direction.
// ch has capacity 1: a wake is never lost and never blocks the waker.
type waiter struct {
	ch         chan struct{}
	prev, next *waiter

	// woken is set when the waiter is signalled and cleared when it parks
	// again. Both fields are guarded by the socket lock.
	woken bool
	audit audit // the watchdog's view of this waiter (watchdog.go)
}

// waitq is a FIFO of waiters. Only its head is ever woken, so goroutines
// are served in arrival order. All methods run under the socket lock.
type waitq struct {
	head, tail *waiter
	n          int
}

func (q *waitq) push() *waiter {
	w := &waiter{ch: make(chan struct{}, 1)}
	if q.tail == nil {
		q.head, q.tail = w, w
	} else {
		w.prev = q.tail
		q.tail.next = w
		q.tail = w
	}
	q.n++
	return w
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
