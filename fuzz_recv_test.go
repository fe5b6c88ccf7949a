package zmq

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
)

// recvMixScript is FuzzRecvMix's input decoded: the messages to send, and
// for each receive call the way it receives.
type recvMixScript struct {
	msgs [][][]byte
	ways []byte // 0 Recv, 1 RecvInto, 2 RecvBatch of 3, 3 TryRecv
}

// Limits that keep one input quick.
const (
	recvMixMaxMsgs  = 48
	recvMixMaxBytes = 1 << 20
)

// decodeRecvMix reads, per message, a frame-count byte (1 to 4 frames; 255
// makes 1,100, more than one receive crossing's frame table), a size byte
// per frame (its size; 254 makes 70,000 bytes, more than a crossing's
// buffer) and a receive-way byte.
func decodeRecvMix(data []byte) recvMixScript {
	var sc recvMixScript
	total := 0
	next := func() (byte, bool) {
		if len(data) == 0 {
			return 0, false
		}
		b := data[0]
		data = data[1:]
		return b, true
	}
	for len(sc.msgs) < recvMixMaxMsgs {
		nb, ok := next()
		if !ok {
			break
		}
		n := 1 + int(nb%4)
		if nb == 255 {
			n = 1100
		}
		i := len(sc.msgs)
		frames := make([][]byte, n)
		for j := range frames {
			sb, _ := next()
			size := int(sb)
			if sb == 254 {
				size = 70000
			}
			if total+size > recvMixMaxBytes {
				size = 0
			}
			total += size
			frames[j] = bytes.Repeat([]byte{byte(i*31 + j)}, size)
			if size >= 8 {
				copy(frames[j], fmt.Sprintf("%03d/%04d", i, j))
			}
		}
		way, _ := next()
		sc.msgs = append(sc.msgs, frames)
		sc.ways = append(sc.ways, way%4)
	}
	return sc
}

// FuzzRecvMix sends a script's messages through an inproc PUSH/PULL and
// receives them mixing Recv, RecvInto (into one reused Msg), RecvBatch and
// TryRecv. Every message must arrive whole, in order and intact, and the
// messages handed out by Recv, RecvBatch and TryRecv must stay intact
// while RecvInto reuses its buffers and the socket's pooled ones.
func FuzzRecvMix(f *testing.F) {
	f.Add([]byte("\x00\x05\x01\x01\x05\x06\x00\x00\x10\x02\x02\x03\x04\x05\x03"))
	f.Add([]byte("\x00\xfe\x01\x00\x10\x00\x01\xfe\x07\x02"))              // large frames
	f.Add([]byte("\xff" + string(bytes.Repeat([]byte{3}, 1100)) + "\x01")) // a long message
	f.Add([]byte("\x00\x00\x01\x00\x00\x01\x00\x00\x02\x00\x00\x00"))      // empty frames
	fx := NewFuzzFixture(f, func() (*fuzzPushPull, func(), error) { return newFuzzPushPull() })
	f.Fuzz(func(t *testing.T, data []byte) {
		sc := decodeRecvMix(data)
		if len(sc.msgs) == 0 {
			return
		}
		x := fx.Get(t)
		ctx, cancel := context.WithTimeout(context.Background(), fuzzWait)
		defer cancel()
		batch := make([]Msg, len(sc.msgs))
		for i, frames := range sc.msgs {
			batch[i] = Msg{Frames: frames}
		}
		if n, err := x.push.SendBatch(ctx, batch); err != nil {
			t.Fatalf("SendBatch: %d sent, %v", n, err)
		}
		check := func(how string, i int, m Msg) {
			t.Helper()
			if err := SameFrames(m.Frames, sc.msgs[i]); err != nil {
				t.Fatalf("message %d (%s): %v", i, how, err)
			}
		}
		kept := map[int]Msg{}
		var into Msg
		for i := 0; i < len(sc.msgs); {
			switch sc.ways[i] {
			case 0:
				m, err := x.pull.Recv(ctx)
				if err != nil {
					t.Fatalf("Recv of message %d: %v", i, err)
				}
				check("Recv", i, m)
				kept[i] = m
				i++
			case 1:
				if err := x.pull.RecvInto(ctx, &into); err != nil {
					t.Fatalf("RecvInto of message %d: %v", i, err)
				}
				check("RecvInto", i, into)
				i++
			case 2:
				got := make([]Msg, 3)
				n, err := x.pull.RecvBatch(ctx, got[:min(3, len(sc.msgs)-i)])
				if err != nil {
					t.Fatalf("RecvBatch from message %d: %v", i, err)
				}
				for _, m := range got[:n] {
					check("RecvBatch", i, m)
					kept[i] = m
					i++
				}
			case 3:
				// The message may still be on its way inside libzmq:
				// TryRecv until it is there, each EAGAIN a real one.
				for {
					m, err := x.pull.TryRecv()
					if errors.Is(err, EAGAIN) {
						if ctx.Err() != nil {
							t.Fatalf("TryRecv of message %d: nothing before the deadline", i)
						}
						continue
					}
					if err != nil {
						t.Fatalf("TryRecv of message %d: %v", i, err)
					}
					check("TryRecv", i, m)
					kept[i] = m
					break
				}
				i++
			}
		}
		for i, m := range kept {
			check("kept until the end", i, m)
		}
		if m, err := x.pull.TryRecv(); !errors.Is(err, EAGAIN) {
			t.Fatalf("after the script, TryRecv = %q, %v; want EAGAIN", m.Strings(), err)
		}
	})
}

// fuzzPushPull is an inproc PUSH/PULL pair with room for a whole script.
type fuzzPushPull struct {
	push *Push
	pull *Pull
}

func newFuzzPushPull() (*fuzzPushPull, func(), error) {
	ff, err := newFuzzFactory()
	if err != nil {
		return nil, nil, err
	}
	fail := func(err error) (*fuzzPushPull, func(), error) {
		ff.Close()
		return nil, nil, err
	}
	pull, err := ff.NewPull(WithRecvHWM(0))
	if err != nil {
		return fail(err)
	}
	ep, err := pull.Bind("inproc://fuzz-recv-mix")
	if err != nil {
		return fail(err)
	}
	push, err := ff.NewPush(WithSendHWM(0))
	if err != nil {
		return fail(err)
	}
	if err := push.Connect(ep); err != nil {
		return fail(err)
	}
	return &fuzzPushPull{push: push, pull: pull}, func() { ff.Close() }, nil
}
