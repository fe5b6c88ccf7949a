package gozmq

import (
	"slices"
	"testing"
)

func TestQueueBoundCountsWholeMessages(t *testing.T) {
	q := newQueue(2, false)
	big := msg{frames: [][]byte{make([]byte, 1000), []byte("b")}}
	if q.push(big, false) != pushed || q.push(big, false) != pushed {
		t.Fatal("a queue of two messages refused one of the first two")
	}
	if got := q.push(big, false); got != pushFull {
		t.Fatalf("third push: %v, want full", got)
	}
	if q.push(big, true) != pushed {
		t.Fatal("a forced push was refused")
	}
}

func TestQueueNotifiesOnEdges(t *testing.T) {
	q := newQueue(1, false)
	var readable, writable int
	q.setHooks(func() { readable++ }, func() { writable++ })
	q.push(msg{frames: [][]byte{nil}}, false)
	q.push(msg{frames: [][]byte{nil}}, false) // full: refused, no notice
	if readable != 1 {
		t.Fatalf("readable notices %d, want 1", readable)
	}
	q.pop()
	if writable != 1 {
		t.Fatalf("writable notices %d, want 1 after room appeared", writable)
	}
}

func TestQueueConflateKeepsLast(t *testing.T) {
	q := newQueue(1, true)
	for _, s := range []string{"a", "b", "c"} {
		if q.push(msg{frames: [][]byte{[]byte(s)}}, false) != pushed {
			t.Fatal("a conflating queue refused a message")
		}
	}
	m, ok, _ := q.pop()
	if !ok || string(m.frames[0]) != "c" || q.len() != 0 {
		t.Fatalf("got %q (ok %v, left %d), want only the last", m.frames, ok, q.len())
	}
}

func TestQueueDoneAfterWriterCloses(t *testing.T) {
	q := newQueue(0, false)
	q.push(msg{frames: [][]byte{[]byte("x")}}, false)
	q.closeWriter()
	if _, ok, done := q.pop(); !ok || done {
		t.Fatal("a queued message was lost when the writer closed")
	}
	if _, ok, done := q.pop(); ok || !done {
		t.Fatal("an empty queue whose writer closed is not done")
	}
	q2 := newQueue(0, false)
	q2.closeReader()
	if q2.push(msg{frames: [][]byte{nil}}, false) != pushClosed {
		t.Fatal("a push after the reader left was accepted")
	}
}

// An emptied queue holds no chunk, whether it was read with pop (the
// reader's part) or with peek and discard (a connection's writer), and a
// burst larger than a chunk comes out in order.
func TestQueueEmptiedHoldsNoChunk(t *testing.T) {
	q := newQueue(1000, false)
	fill := func(n int) {
		for i := range n {
			if q.push(msg{frames: [][]byte{{byte(i)}}}, false) != pushed {
				t.Fatalf("push %d refused", i)
			}
		}
	}
	fill(700)
	for i := range 700 {
		if m, ok, _ := q.pop(); !ok || m.frames[0][0] != byte(i) {
			t.Fatalf("pop %d: %v %v", i, m.frames, ok)
		}
	}
	if q.head != nil || q.tail != nil || q.r.head != nil {
		t.Fatal("a queue emptied by pop still holds a chunk")
	}
	fill(100)
	seen := 0
	for q.len() > 0 {
		first, n := q.peek(chunkLen+3, func(m *msg) bool {
			if m.frames[0][0] != byte(seen) {
				t.Fatalf("peek gave %d, want %d", m.frames[0][0], seen)
			}
			seen++
			return true
		})
		q.discard(first, n)
	}
	if seen != 100 || q.head != nil || q.tail != nil {
		t.Fatalf("peeked %d of 100; a queue emptied by discard holds a chunk: %v", seen, q.head != nil)
	}
}

// A fair queue of many pipes finds the few that have messages, takes
// them in turn, and finds a pipe again once its queue, found empty,
// becomes readable.
func TestFairQueueLooksAtReadyPipesOnly(t *testing.T) {
	s := &Socket{}
	f := &fq{s: s}
	pipes := make([]*pipe, 1000)
	for i := range pipes {
		pipes[i] = &pipe{s: s, in: newQueue(0, false)}
		f.add(pipes[i])
	}
	if _, _, err := f.recv(); err != errAgain {
		t.Fatalf("recv from empty pipes: %v", err)
	}
	if len(f.active) != 0 {
		t.Fatalf("%d pipes found empty are still looked at", len(f.active))
	}
	for _, i := range []int{7, 500, 999} {
		for k := range 2 {
			pipes[i].in.push(msg{frames: [][]byte{{byte(i % 256), byte(k)}}}, false)
		}
	}
	var got [][2]int
	for {
		m, p, err := f.recv()
		if err != nil {
			break
		}
		if len(f.active) > 3 {
			t.Fatalf("%d pipes looked at, 3 have messages", len(f.active))
		}
		got = append(got, [2]int{slices.Index(pipes, p), int(m.frames[0][1])})
	}
	want := [][2]int{{7, 0}, {500, 0}, {999, 0}, {7, 1}, {500, 1}, {999, 1}}
	if !slices.Equal(got, want) {
		t.Fatalf("received (pipe, seq) %v, want %v", got, want)
	}
	f.remove(pipes[500])
	pipes[500].in.push(msg{frames: [][]byte{{0}}}, false)
	pipes[7].in.push(msg{frames: [][]byte{{1}}}, false)
	if m, p, err := f.recv(); err != nil || p != pipes[7] || m.frames[0][0] != 1 {
		t.Fatalf("after a push to a removed pipe and one to pipe 7: %v from %p, want pipe 7", err, p)
	}
	if _, _, err := f.recv(); err != errAgain {
		t.Fatalf("a removed pipe was received from: %v", err)
	}
}
