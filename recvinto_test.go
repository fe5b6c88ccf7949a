package zmq_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/zmqx/zmq"
)

// recvIntoFrames is message i of TestRecvInto: one to three frames of
// varying sizes, every 50th with a frame larger than a receive batch's
// buffer, every 97th with more frames than one batch's frame table holds.
func recvIntoFrames(i int) [][]byte {
	n := 1 + i%3
	if i%97 == 5 {
		n = 1500
	}
	frames := make([][]byte, n)
	for j := range frames {
		size := (i*7 + j*13) % 300
		if i%50 == 7 && j == 0 {
			size = 100 << 10
		}
		frames[j] = bytes.Repeat([]byte{byte(i + j)}, size)
		if size >= 8 {
			copy(frames[j], fmt.Sprintf("%04d/%03d", i%10000, j%1000))
		}
	}
	return frames
}

func checkRecvInto(t *testing.T, how string, i int, m zmq.Msg) {
	t.Helper()
	if err := zmq.SameFrames(m.Frames, recvIntoFrames(i)); err != nil {
		t.Fatalf("message %d (%s): %v", i, how, err)
	}
}

// TestRecvInto mixes RecvInto with Recv and RecvBatch on one stream of
// multipart messages, large frames and long messages included. Every
// message must arrive whole and in order, and the messages that Recv and
// RecvBatch handed out must stay intact while RecvInto goes on reusing its
// buffers.
func TestRecvInto(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			pull, push := pushPull(t, tr)
			ctx := testCtx(t, 60*time.Second)
			total := scaled(2000, 4)
			go func() {
				for i := range total {
					if err := push.Send(ctx, zmq.Msg{Frames: recvIntoFrames(i)}); err != nil {
						t.Error(err)
						return
					}
				}
			}()
			kept := map[int]zmq.Msg{}
			var m zmq.Msg
			batch := make([]zmq.Msg, 3)
			for i := 0; i < total; {
				switch i % 5 {
				case 3:
					got, err := pull.Recv(ctx)
					if err != nil {
						t.Fatal(err)
					}
					checkRecvInto(t, "Recv", i, got)
					kept[i] = got
					i++
				case 4:
					n, err := pull.RecvBatch(ctx, batch[:min(len(batch), total-i)])
					if err != nil {
						t.Fatal(err)
					}
					for _, got := range batch[:n] {
						checkRecvInto(t, "RecvBatch", i, got)
						kept[i] = got
						i++
					}
				default:
					if err := pull.RecvInto(ctx, &m); err != nil {
						t.Fatal(err)
					}
					checkRecvInto(t, "RecvInto", i, m)
					i++
				}
			}
			for i, got := range kept {
				checkRecvInto(t, "kept, after the stream", i, got)
			}
			if st := pull.Stats(); st.MsgsIn != uint64(total) {
				t.Errorf("Stats().MsgsIn = %d, want %d", st.MsgsIn, total)
			}
		})
	}
}

// TestRecvIntoReusesMemory checks that RecvInto writes into the frames it
// is given, growing only what is too small, and leaves m alone on error.
func TestRecvIntoReusesMemory(t *testing.T) {
	t.Parallel()
	pull, push := pushPull(t, "inproc")
	ctx := testCtx(t, 10*time.Second)
	for _, m := range []zmq.Msg{
		zmq.NewMsgString("a longer first frame", "and a second"),
		zmq.NewMsgString("short"),
		zmq.NewMsgString("two", "frames"),
		zmq.NewMsgString("a frame longer than any before it, so it must grow"),
	} {
		if err := push.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	var m zmq.Msg
	if err := pull.RecvInto(ctx, &m); err != nil {
		t.Fatal(err)
	}
	first, second := &m.Frames[0][:1][0], &m.Frames[1][:1][0]
	table := &m.Frames[:1][0]
	for _, want := range [][]string{{"short"}, {"two", "frames"}} {
		if err := pull.RecvInto(ctx, &m); err != nil {
			t.Fatal(err)
		}
		if got := m.Strings(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("RecvInto got %q, want %q", got, want)
		}
		if &m.Frames[0][:1][0] != first || &m.Frames[:1][0] != table {
			t.Fatalf("RecvInto of %q did not reuse the frame table and first frame", want)
		}
	}
	if &m.Frames[1][:1][0] != second {
		t.Fatal("RecvInto did not reuse the second frame, kept while a one-frame message passed")
	}
	if err := pull.RecvInto(ctx, &m); err != nil {
		t.Fatal(err)
	}
	if got := m.Strings(); len(got) != 1 || got[0] != "a frame longer than any before it, so it must grow" {
		t.Fatalf("RecvInto got %q", got)
	}
	before := m.Strings()
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := pull.RecvInto(short, &m); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("RecvInto on an empty socket: %v, want DeadlineExceeded", err)
	}
	if fmt.Sprint(m.Strings()) != fmt.Sprint(before) {
		t.Fatalf("a failed RecvInto changed m to %q", m.Strings())
	}
	err := pull.RecvInto(ctx, nil)
	if !errors.Is(err, zmq.ErrInvalidOption) || !bytes.Contains([]byte(err.Error()), []byte("nil *Msg")) {
		t.Fatalf("RecvInto(nil) = %v, want ErrInvalidOption naming the nil *Msg", err)
	}
}

// TestRecvIntoMetadata checks that RecvInto carries the connection's
// properties like Recv.
func TestRecvIntoMetadata(t *testing.T) {
	t.Parallel()
	pull, push := pushPull(t, "tcp", zmq.WithMessageMetadata(true))
	ctx := testCtx(t, 10*time.Second)
	var m zmq.Msg
	for i := range 3 {
		if err := push.Send(ctx, zmq.NewMsgString(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
		if err := pull.RecvInto(ctx, &m); err != nil {
			t.Fatal(err)
		}
		if m.PeerAddress() != "127.0.0.1" || m.Strings()[0] != fmt.Sprint(i) {
			t.Fatalf("RecvInto got %q from %q; want %d from 127.0.0.1", m.Strings(), m.PeerAddress(), i)
		}
	}
}

// TestRecvIntoAllocatesNothing counts allocations of RecvInto in a steady
// stream of messages already queued in the socket.
func TestRecvIntoAllocatesNothing(t *testing.T) {
	if raceEnabled {
		// sync.Pool drops items at random under the race detector. make
		// test runs this test without it.
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	pull, push := pushPull(t, "inproc", zmq.WithRecvHWM(0), zmq.WithSendHWM(0))
	ctx := testCtx(t, 10*time.Second)
	const runs, attempts = 5000, 3
	for i := range attempts*runs + 1 {
		if err := push.Send(ctx, zmq.NewMsg(make([]byte, 16+i%200), []byte("tail"))); err != nil {
			t.Fatal(err)
		}
	}
	// A garbage collection empties sync.Pools, and the first use of a pool
	// after one allocates: none may run from the first RecvInto on.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	var m zmq.Msg
	if err := pull.RecvInto(ctx, &m); err != nil { // sizes m for what follows
		t.Fatal(err)
	}
	m.Frames[0] = make([]byte, 0, 256)
	// Counted in total, not per run (testing.AllocsPerRun rounds down).
	// Receiving without the pooled buffer would cost two allocations per
	// batch taken out of libzmq, 40 or so per attempt, every attempt. The
	// count is process-wide, though: sync.Pool may allocate a little when
	// the goroutine moves to another P, and on a loaded machine the runtime
	// now and then starts an OS thread (about 7 allocations). So each
	// attempt is a fresh count, and one clean attempt is enough.
	var counts []uint64
	for range attempts {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range runs {
			if err := pull.RecvInto(ctx, &m); err != nil {
				t.Fatal(err)
			}
		}
		runtime.ReadMemStats(&after)
		n := after.Mallocs - before.Mallocs
		if n <= 4 {
			return
		}
		counts = append(counts, n)
	}
	t.Errorf("%d RecvInto calls made %v allocations in %d attempts, want none but sync.Pool's own", runs, counts, attempts)
}
