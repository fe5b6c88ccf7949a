package gozmq

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/zmqx/zmq/internal/engine"
)

func TestMsgSlabReturnsOnlyWhenEveryMessageIsBack(t *testing.T) {
	var c slabCarver
	var slabs []*msgSlab
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

func TestMsgSlabRefusesLargeMessages(t *testing.T) {
	var c slabCarver
	if _, _, _, ok := c.carve(1, maxCarved+1); ok {
		t.Errorf("a message of %d octets was carved from a slab", maxCarved+1)
	}
	if _, _, _, ok := c.carve(maxCarvedFrames+1, 1); ok {
		t.Errorf("a message of %d frames was carved from a slab", maxCarvedFrames+1)
	}
}

// A slab is filled again only once every message carved from it is back:
// a receiver that still holds one sees its bytes unchanged, however far
// the reader has gone on.
func TestMsgSlabNeverReusesMemoryStillHeld(t *testing.T) {
	type carved struct {
		data []byte
		s    *msgSlab
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
		n := 1 + i%maxCarved
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

// Small messages sent to several subscribers share carved memory, which
// comes back only when every copy is done with: each subscriber, whether
// it receives with Recv or RecvInto, in process or over tcp, gets every
// message intact.
func TestCarvedMessagesArriveIntactAtEverySubscriber(t *testing.T) {
	const count = 3000
	body := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, 1+i%maxCarved) }
	e := newEngine(t)
	pub := newSock(t, e, engine.XPUB, opt(engine.OptXPubNoDrop, engine.Bool(true)), opt(engine.OptXPubVerbose, engine.Bool(true)))
	inproc := bindAny(t, pub, "inproc")
	tcp := bindAny(t, pub, "tcp")
	type sub struct {
		s    *Socket
		into bool
	}
	subs := []sub{
		{newSock(t, e, engine.SUB), false},
		{newSock(t, e, engine.SUB), true},
		{newSock(t, e, engine.SUB), true},
	}
	connect(t, subs[0].s, inproc)
	connect(t, subs[1].s, inproc)
	connect(t, subs[2].s, tcp)
	for _, sb := range subs {
		if err := sb.s.SetOption(engine.OptSubscribe, engine.Bytes(nil)); err != nil {
			t.Fatal(err)
		}
	}
	for range subs {
		recv(t, pub) // a subscription notice each
	}
	errs := make(chan error, len(subs))
	for _, sb := range subs {
		go func() {
			ctx := ctxT(t)
			var frames [][]byte
			var meta engine.Metadata
			for i := range count {
				if sb.into {
					if err := sb.s.RecvInto(ctx, &frames, &meta); err != nil {
						errs <- err
						return
					}
				} else {
					m, err := sb.s.Recv(ctx)
					if err != nil {
						errs <- err
						return
					}
					frames = m.Frames
				}
				if len(frames) != 1 || !bytes.Equal(frames[0], body(i)) {
					errs <- fmt.Errorf("message %d arrived as %x", i, frames)
					return
				}
			}
			errs <- nil
		}()
	}
	for i := range count {
		if err := pub.Send(ctxT(t), [][]byte{body(i)}); err != nil {
			t.Fatal(err)
		}
	}
	for range subs {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
