package zmq_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
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

// TestRecvIntoAllocatesNothing counts the allocations of sending and
// receiving with RecvInto, small messages and messages larger than a
// receive batch's buffer (which RecvInto copies straight out of libzmq's
// message, and which the go engine reads into pooled memory), each sent
// just before it is received, and, for small ones, also many already
// queued (so that receive batches are full); over inproc and over tcp.
func TestRecvIntoAllocatesNothing(t *testing.T) {
	if raceEnabled {
		// sync.Pool drops items at random under the race detector. make
		// test runs this test without it.
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	small := func(i int) zmq.Msg { return zmq.NewMsg(make([]byte, 16+i%200), []byte("tail")) }
	large := func(i int) zmq.Msg { return zmq.NewMsg(make([]byte, 100<<10+i)) }
	for _, tc := range []struct {
		name      string
		runs      int
		msg       func(i int) zmq.Msg
		queued    bool
		router    bool // a Router receives from a Dealer, not a Pull from a Push
		transport string
		opts      []zmq.CommonOption
	}{
		{"small", 2000, small, false, false, "inproc", nil},
		{"small queued", 5000, small, true, false, "inproc", nil},
		{"large", 200, large, false, false, "inproc", nil},
		{"small tcp", 2000, small, false, false, "tcp", nil},
		{"small queued tcp", 5000, small, true, false, "tcp", nil},
		{"large tcp", 200, large, false, false, "tcp", nil},
		{"router small", 2000, small, false, true, "inproc", nil},
		{"router small queued tcp", 5000, small, true, true, "tcp", nil},
		{"router small tcp", 2000, small, false, true, "tcp", nil},
		{"router large tcp", 200, large, false, true, "tcp", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if n, counts := recvIntoAllocs(t, tc.runs, tc.msg, tc.queued, tc.router, tc.transport, tc.opts...); n > poolSlack(tc.runs) {
				t.Errorf("%d RecvInto calls made %v allocations in 3 attempts, want none but sync.Pool's own (at most %d)", tc.runs, counts, poolSlack(tc.runs))
			}
		})
	}
	// A connection's properties are the same on every message: they are
	// kept once, not copied per message, so asking for them costs no
	// allocation.
	t.Run("properties", func(t *testing.T) {
		plain, _ := recvIntoAllocs(t, 2000, small, false, false, "tcp")
		with, counts := recvIntoAllocs(t, 2000, small, false, false, "tcp", zmq.WithMessageProperties("Socket-Type", "Identity"))
		if with > plain+4 {
			t.Errorf("2000 RecvInto calls of a socket capturing properties made %v allocations in 3 attempts, %d without", counts, plain)
		}
	})
}

// poolSlack is how many allocations runs receives may make without
// allocating per message: sync.Pool's own, when many pooled buffers come
// back in one burst and its internal lists grow (seen up to 50 in 5,000 on
// the go engine). One allocation per message would be runs of them.
func poolSlack(runs int) uint64 { return uint64(max(4, runs/50)) }

// recvIntoAllocs counts the allocations of runs RecvInto calls and returns
// the smallest of three counts, and all three.
func recvIntoAllocs(t *testing.T, runs int, msg func(int) zmq.Msg, queued, router bool, transport string, opts ...zmq.CommonOption) (uint64, []uint64) {
	opts = append([]zmq.CommonOption{zmq.WithRecvHWM(0), zmq.WithSendHWM(0)}, opts...)
	var pull interface {
		RecvInto(context.Context, *zmq.Msg) error
	}
	var push interface {
		Send(context.Context, zmq.Msg) error
	}
	if router {
		pull, push = dealerToRouter(t, transport, opts...)
	} else {
		pull, push = pushPull(t, transport, opts...)
	}
	ctx := testCtx(t, 10*time.Second)
	const attempts = 3
	msgs := make([]zmq.Msg, runs)
	for i := range msgs {
		msgs[i] = msg(i)
	}
	send := func(m zmq.Msg) {
		if err := push.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if queued {
		for range attempts + 1 { // the sizing pass below takes one round
			for _, m := range msgs {
				send(m)
			}
		}
	}
	// A garbage collection empties sync.Pools, and the first use of a pool
	// after one allocates: none may run from the first RecvInto on.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	// One pass first sizes m, the sockets' buffers and the ctx registration
	// for what follows.
	var m zmq.Msg
	for _, sent := range msgs {
		if !queued {
			send(sent)
		}
		if err := pull.RecvInto(ctx, &m); err != nil {
			t.Fatal(err)
		}
	}
	// Counted in total, not per run (testing.AllocsPerRun rounds down).
	// Receiving without the pooled buffer would cost one allocation per
	// message received alone and two per batch of queued ones; copying a
	// large frame out of libzmq one per message. The count is
	// process-wide, though: sync.Pool may allocate a little when the
	// goroutine moves to another P, and on a loaded machine the runtime now
	// and then starts an OS thread (about 7 allocations). So each attempt
	// is a fresh count, and one clean attempt is enough.
	var counts []uint64
	for range attempts {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for _, sent := range msgs {
			if !queued {
				send(sent)
			}
			if err := pull.RecvInto(ctx, &m); err != nil {
				t.Fatal(err)
			}
		}
		runtime.ReadMemStats(&after)
		counts = append(counts, after.Mallocs-before.Mallocs)
	}
	return slices.Min(counts), counts
}
