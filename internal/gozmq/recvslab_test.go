package gozmq

import (
	"bytes"
	"testing"
)

func TestRecvSlabReturnsOnlyWhenEveryMessageIsBack(t *testing.T) {
	var c slabCarver
	var slabs []*recvSlab
	for range 3 {
		_, _, s, ok := c.carve(1, 16)
		if !ok {
			t.Fatal("a 16-octet message was not carved")
		}
		slabs = append(slabs, s)
	}
	s := slabs[0]
	if slabs[1] != s || slabs[2] != s {
		t.Fatal("three small messages did not share a slab")
	}
	s.release() // given back before the reader is done with the slab
	c.seal()
	if got := s.out.Load(); got != 2 {
		t.Fatalf("after 3 carved, 1 given back and the seal, %d are out, want 2", got)
	}
	s.release()
	s.release()
	if got := s.out.Load(); got != 0 {
		t.Fatalf("after every message is back, %d are out, want 0", got)
	}
}

func TestRecvSlabRefusesLargeMessages(t *testing.T) {
	var c slabCarver
	if _, _, _, ok := c.carve(1, recvSlabbed+1); ok {
		t.Errorf("a message of %d octets was carved from a slab", recvSlabbed+1)
	}
	if _, _, _, ok := c.carve(recvSlabbedFrames+1, 1); ok {
		t.Errorf("a message of %d frames was carved from a slab", recvSlabbedFrames+1)
	}
}

// A slab is filled again only once every message carved from it is back:
// a receiver that still holds one sees its bytes unchanged, however far
// the reader has gone on.
func TestRecvSlabNeverReusesMemoryStillHeld(t *testing.T) {
	type carved struct {
		data []byte
		s    *recvSlab
		fill byte
	}
	ch := make(chan carved, 1024)
	done := make(chan struct{})
	changed := 0
	go func() {
		defer close(done)
		for m := range ch {
			if !bytes.Equal(m.data, bytes.Repeat([]byte{m.fill}, len(m.data))) {
				changed++
			}
			m.s.release()
		}
	}()
	var c slabCarver
	for i := range 100_000 {
		n := 1 + i%recvSlabbed
		_, data, s, ok := c.carve(1, n)
		if !ok {
			t.Fatalf("a message of %d octets was not carved", n)
		}
		fill := byte(i)
		for j := range data {
			data[j] = fill
		}
		ch <- carved{data, s, fill}
	}
	c.seal()
	close(ch)
	<-done
	if changed > 0 {
		t.Errorf("%d of 100000 held messages changed before they were given back", changed)
	}
}
