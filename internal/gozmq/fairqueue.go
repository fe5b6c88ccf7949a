package gozmq

import (
	"slices"
	"sync"
	"sync/atomic"
)

// fq receives from its pipes in turn, a whole message at a time. It
// looks only at the pipes that may have messages (active): a pipe leaves
// that list when its queue is found empty, and comes back when its queue
// becomes readable again (ready), so that a receive costs the same with
// ten thousand idle pipes as with one.
type fq struct {
	s      *Socket
	active []*pipe // in turn from cur; its pipes' fqActive is set
	cur    int
	ready  readyList
	done   []*pipe // scratch
}

// readyList is the pipes whose inbound queue became readable since their
// fair queue last looked. Its lock is a leaf: the queue's writer adds to
// it with its own locks released, the fair queue takes it under its
// socket's lock.
type readyList struct {
	mu    sync.Mutex
	pipes []*pipe
	spare []*pipe
	// some says pipes may not be empty: a receive that finds it false
	// skips the lock, which the connections' readers also take.
	some atomic.Bool
}

// add puts p, whose inbound queue is q, on the list unless it is already
// there; rl may be nil. The caller read rl and p under q's lock.
func (rl *readyList) add(q *queue, p *pipe) {
	if rl == nil || !q.queued.CompareAndSwap(false, true) {
		return
	}
	rl.mu.Lock()
	rl.pipes = append(rl.pipes, p)
	rl.some.Store(true)
	rl.mu.Unlock()
}

// take returns the pipes on the list and empties it; the slice is valid
// until the next call.
func (rl *readyList) take() []*pipe {
	if !rl.some.Load() {
		return nil
	}
	rl.mu.Lock()
	ps := rl.pipes
	rl.pipes = rl.spare[:0]
	rl.some.Store(false)
	rl.mu.Unlock()
	rl.spare = ps
	for _, p := range ps {
		p.in.queued.Store(false)
	}
	return ps
}

// add makes p one of f's pipes (fqMember).
func (f *fq) add(p *pipe) {
	p.fqMember = true
	p.in.setReady(&f.ready, p)
	f.activate(p) // it may hold messages already
}

func (f *fq) activate(p *pipe) {
	if !p.fqActive {
		p.fqActive = true
		f.active = append(f.active, p)
	}
}

func (f *fq) remove(p *pipe) {
	if p.fqMember {
		p.fqMember = false
		p.in.setReady(nil, nil)
	}
	if p.fqActive {
		f.deactivate(slices.Index(f.active, p))
	}
}

// deactivate takes active[i] off the active list, keeping the turn.
func (f *fq) deactivate(i int) {
	f.active[i].fqActive = false
	f.active = slices.Delete(f.active, i, i+1)
	if f.cur > i {
		f.cur--
	}
	if f.cur >= len(f.active) {
		f.cur = 0
	}
}

// recv pops the next message in turn and the pipe it came from, or
// EAGAIN. Pipes that are drained and will get nothing more are detached.
func (f *fq) recv() (msg, *pipe, error) {
	if ps := f.ready.take(); len(ps) > 0 {
		for _, p := range ps {
			if p.fqMember {
				f.activate(p)
			}
		}
		clear(ps)
	}
	var (
		m     msg
		from  *pipe
		found bool
	)
	for len(f.active) > 0 {
		if f.cur >= len(f.active) {
			f.cur = 0
		}
		p := f.active[f.cur]
		got, ok, done := p.in.pop()
		if ok {
			f.cur++
			m, from, found = got, p, true
			break
		}
		// Empty: it comes back when its queue becomes readable.
		f.deactivate(f.cur)
		if done {
			f.done = append(f.done, p)
		}
	}
	for _, p := range f.done {
		f.s.detachLocked(p)
	}
	clear(f.done)
	f.done = f.done[:0]
	if !found {
		return msg{}, nil, errAgain
	}
	return m, from, nil
}
