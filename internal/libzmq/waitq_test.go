//go:build cgo && unix

package libzmq

import "testing"

// TestWaiterPool checks that a reused waiter comes back clean: no wake left
// in its channel from before, no links, no watchdog state; and that the
// pool keeps no more than maxSpareWaiters.
func TestWaiterPool(t *testing.T) {
	var p waiterPool
	var q waitq
	w := p.get()
	q.push(w)
	w.woken = true
	w.ch <- struct{}{} // a wake that came after w stopped listening
	q.remove(w)
	p.put(w)
	again := p.get()
	if again != w {
		t.Fatal("get after put allocated a new waiter")
	}
	if len(again.ch) != 0 || again.woken || again.audit.takeProbe() != nil || again.prev != nil || again.next != nil {
		t.Fatalf("reused waiter not clean: %d wakes queued, woken %v, probe %v, links %p %p",
			len(again.ch), again.woken, again.audit.takeProbe(), again.prev, again.next)
	}

	many := make([]*waiter, 3*maxSpareWaiters)
	for i := range many {
		many[i] = p.get()
	}
	for _, w := range many {
		p.put(w)
	}
	if p.n != maxSpareWaiters {
		t.Fatalf("pool keeps %d waiters, want %d", p.n, maxSpareWaiters)
	}
	kept := 0
	for w := p.free; w != nil; w = w.next {
		kept++
	}
	if kept != maxSpareWaiters {
		t.Fatalf("free list holds %d waiters, want %d", kept, maxSpareWaiters)
	}
}
