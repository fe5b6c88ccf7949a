package gozmq

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/zmqx/zmq/internal/engine"
)

func TestKeptSlabCarvesCappedSlices(t *testing.T) {
	var k keptSlab
	t1, d1 := k.alloc(2, 5)
	t2, d2 := k.alloc(1, 3)
	if len(t1) != 0 || cap(t1) != 2 || len(d1) != 5 || cap(d1) != 5 {
		t.Fatalf("first: table len %d cap %d, data len %d cap %d; want 0 2 5 5", len(t1), cap(t1), len(d1), cap(d1))
	}
	copy(d2, "abc")
	t2 = append(t2, d2)
	d1 = append(d1, "xyz"...) // past its cap: memory of its own
	t1 = append(t1, d1, d1, d1)
	if string(d2) != "abc" || len(t2) != 1 || string(t2[0]) != "abc" {
		t.Fatalf("appending to the first message changed the second: %q %q", d2, t2)
	}
}

func TestKeptSlabNeverReusesMemory(t *testing.T) {
	var k keptSlab
	var kept [][]byte
	// Enough messages to fill several byte slabs and table slabs.
	for i := range 3 * maxSlabFrames {
		table, data := k.alloc(1, 40)
		for j := range data {
			data[j] = byte(i)
		}
		kept = append(kept, append(table, data)[0])
	}
	for i, d := range kept {
		if !bytes.Equal(d, bytes.Repeat([]byte{byte(i)}, 40)) {
			t.Fatalf("message %d was overwritten by a later one", i)
		}
	}
}

func TestKeptSlabLeavesLargeMessagesTheirOwnMemory(t *testing.T) {
	var k keptSlab
	k.alloc(1, 1) // a slab started
	rest := len(k.data)
	if _, d := k.alloc(1, maxSlabbed+1); len(d) != maxSlabbed+1 {
		t.Fatalf("large message: %d octets, want %d", len(d), maxSlabbed+1)
	}
	if _, d := k.alloc(maxSlabbedFrames+1, 1); len(d) != 1 {
		t.Fatalf("message of many frames: %d octets, want 1", len(d))
	}
	if len(k.data) != rest {
		t.Fatalf("large messages took %d octets of the slab", rest-len(k.data))
	}
	var none *keptSlab
	if table, d := none.alloc(1, 3); cap(table) < 1 || len(d) != 3 {
		t.Fatalf("no slab: table cap %d, %d octets; want room for 1 frame and 3 octets", cap(table), len(d))
	}
}

// Small messages that Recv hands out share slabs; a receiver writing to
// its message and appending to its frames and frame table must not reach
// any other message.
func TestRecvKeptMessagesAreIndependent(t *testing.T) {
	for _, tr := range []string{"inproc", "tcp"} {
		t.Run(tr, func(t *testing.T) {
			e := newEngine(t)
			pull := newSock(t, e, engine.PULL)
			push := newSock(t, e, engine.PUSH)
			connect(t, push, bindAny(t, pull, tr))
			const n = 600 // more than a table slab holds
			for i := range n {
				if i%3 == 0 {
					send(t, push, fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", i))
				} else {
					send(t, push, fmt.Sprintf("m%d", i))
				}
			}
			got := make([]engine.Message, n)
			for i := range got {
				m, err := pull.Recv(ctxT(t))
				if err != nil {
					t.Fatalf("recv %d: %v", i, err)
				}
				got[i] = m
			}
			for i := range got {
				m := &got[i]
				for j, f := range m.Frames {
					for k := range f {
						f[k] = byte(i)
					}
					m.Frames[j] = append(f, byte(i), byte(i))
				}
				m.Frames = append(m.Frames, []byte{byte(i)})
			}
			for i, m := range got {
				frames := 2
				if i%3 == 0 {
					frames = 3
				}
				if len(m.Frames) != frames {
					t.Fatalf("message %d has %d frames, want %d", i, len(m.Frames), frames)
				}
				for _, f := range m.Frames {
					if !bytes.Equal(f, bytes.Repeat([]byte{byte(i)}, len(f))) {
						t.Fatalf("message %d was changed through another: frames %q", i, m.Frames)
					}
				}
			}
		})
	}
}

// Slabs start small and double up to a bound: a connection that got one
// message holds about a kilobyte, a stream's slabs stay bounded.
func TestKeptSlabStartsSmallAndGrowsToABound(t *testing.T) {
	var k keptSlab
	k.alloc(1, 16)
	if cap(k.data) > minSlabBytes || cap(k.tables) > minSlabFrames {
		t.Fatalf("after one message: slabs of %d octets and %d frames, want at most %d and %d",
			cap(k.data), cap(k.tables), minSlabBytes, minSlabFrames)
	}
	for range 10 * maxSlabFrames {
		k.alloc(1, 16)
		if cap(k.data) > maxSlabBytes || cap(k.tables) > maxSlabFrames {
			t.Fatalf("slabs of %d octets and %d frames, want at most %d and %d",
				cap(k.data), cap(k.tables), maxSlabBytes, maxSlabFrames)
		}
	}
	if k.nextBytes != maxSlabBytes || k.nextFrames != maxSlabFrames {
		t.Fatalf("a stream's slabs grew to %d octets and %d frames, want %d and %d",
			k.nextBytes, k.nextFrames, maxSlabBytes, maxSlabFrames)
	}
}
