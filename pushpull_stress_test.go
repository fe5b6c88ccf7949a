package zmq_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zmqx/zmq"
)

// TestPushPullKeepsOrderAcrossConsumerStalls sends 1,000,000 sequence-numbered 64-byte
// messages per transport (500,000 under the race detector) with
// SNDHWM=RCVHWM=100 and a consumer that stops reading for 200 ms five
// times: zero lost, duplicated or reordered, and the sender waited at the
// high-water mark.
func TestPushPullKeepsOrderAcrossConsumerStalls(t *testing.T) {
	n := scaled(1_000_000, 2) // never below 100,000
	// The soak tier (scripts/soak.sh) runs 50,000,000.
	n = envInt(t, "ZMQX_SOAK_SEQUENCE_MSGS", n)
	const hwm = 100
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			f := newFactory(t)
			push, pull := seqPushPull(t, f, tr, hwm)
			// 3 minutes, or 20 µs a message for long runs: only a hang
			// reaches it (the watchdog catches a stall after stallLimit).
			r := runSequence(testCtx(t, max(3*time.Minute, time.Duration(n)*20*time.Microsecond)), push, pull, n, n/5, 200*time.Millisecond)
			reportSequence(t, tr, r)
			t.Logf("%s: %d × 64 B, HWM %d, %d consumer stalls of 200 ms: %s; %s; sender waited at the HWM %d times (race detector: %v)",
				tr, n, hwm, r.stalls, r.check, r.rate(), r.sendWaits, raceEnabled)
			if r.sendWaits < 100 {
				t.Errorf("%s: the sender waited at the high-water mark %d times, want at least 100 (no backpressure seen)", tr, r.sendWaits)
			}
		})
	}
}

// seqFrameHeader is the size of the header of each frame of a multipart
// message: sequence number (8 bytes), frame index (4), CRC-32 of the
// payload (4); the payload follows.
const seqFrameHeader = 16

// randomFrameSize draws a frame size between seqFrameHeader and 1 MiB,
// log-uniformly, so that most frames are small and some are large.
func randomFrameSize(r *rand.Rand) int {
	return max(seqFrameHeader, r.IntN(1<<(r.IntN(20)+1))) // 16 B .. 1 MiB
}

// TestPushPullMultipartArrivesWholeAndInOrder sends 3-frame messages
// whose frames have random sizes up to 1 MiB, each frame tagged with its
// message's sequence number and index and checksummed. Frames must never
// interleave, and every message must arrive once, whole and in order.
func TestPushPullMultipartArrivesWholeAndInOrder(t *testing.T) {
	n := scaled(2_000, 2)
	const hwm = 100
	seed := uint64(time.Now().UnixNano())
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			f := newFactory(t)
			push, pull := seqPushPull(t, f, tr, hwm)
			ctx, fail := context.WithCancelCause(testCtx(t, 3*time.Minute))
			defer fail(nil)
			var progress atomic.Int64
			watchDone := make(chan struct{})
			go func() { defer close(watchDone); progressWatchdog(ctx, fail, &progress, "multipart run") }()

			rng := rand.New(rand.NewPCG(seed, 1))
			pool := make([]byte, 2<<20)
			for i := range pool {
				pool[i] = byte(rng.Uint32())
			}
			// Sizes and payload offsets: the receiver needs neither, it
			// checks each frame against the header the frame carries.
			sizes := rand.New(rand.NewPCG(seed, 2))
			waitsBefore := push.Stats().SendWaits
			sendDone := make(chan error, 1)
			start := time.Now()
			go func() {
				var frames [3][]byte
				for i := range frames {
					frames[i] = make([]byte, 1<<20)
				}
				for seq := range n {
					m := zmq.Msg{Frames: make([][]byte, 3)}
					for i := range 3 {
						size := randomFrameSize(sizes)
						fr := frames[i][:size]
						payload := fr[seqFrameHeader:]
						off := sizes.IntN(len(pool) - len(payload) + 1)
						copy(payload, pool[off:])
						binary.BigEndian.PutUint64(fr, uint64(seq))
						binary.BigEndian.PutUint32(fr[8:], uint32(i))
						binary.BigEndian.PutUint32(fr[12:], crc32.ChecksumIEEE(payload))
						m.Frames[i] = fr
					}
					if err := push.Send(ctx, m); err != nil {
						sendDone <- fmt.Errorf("send %d: %w", seq, err)
						return
					}
				}
				sendDone <- nil
			}()
			check := newSeqCheck(n)
			var bytes int64
			var stalled time.Duration
			stallEvery := n / 4
			var recvErr error
			for i := range n {
				if i > 0 && i%stallEvery == 0 {
					t0 := time.Now()
					time.Sleep(200 * time.Millisecond) // the deliberate consumer stall
					stalled += time.Since(t0)
				}
				m, err := pull.Recv(ctx)
				if err != nil {
					recvErr = fmt.Errorf("recv after %d messages: %w", i, err)
					break
				}
				progress.Add(1)
				if len(m.Frames) != 3 {
					check.bad++
					check.anomaly("message %d has %d frames", i, len(m.Frames))
					continue
				}
				var seq uint64
				ok := true
				for fi, fr := range m.Frames {
					bytes += int64(len(fr))
					if len(fr) < seqFrameHeader {
						check.anomaly("message %d frame %d: %d bytes", i, fi, len(fr))
						ok = false
						break
					}
					s := binary.BigEndian.Uint64(fr)
					if fi == 0 {
						seq = s
					} else if s != seq {
						check.anomaly("message %d: frame %d belongs to message %d, frame 0 to %d (interleaved)", i, fi, s, seq)
						ok = false
					}
					if idx := binary.BigEndian.Uint32(fr[8:]); idx != uint32(fi) {
						check.anomaly("message %d: frame %d carries index %d", i, fi, idx)
						ok = false
					}
					if sum := crc32.ChecksumIEEE(fr[seqFrameHeader:]); sum != binary.BigEndian.Uint32(fr[12:]) {
						check.anomaly("message %d frame %d (%d bytes): checksum mismatch", i, fi, len(fr))
						ok = false
					}
				}
				if !ok {
					check.bad++
					continue
				}
				check.see(seq)
			}
			elapsed := time.Since(start)
			if recvErr != nil {
				fail(recvErr)
			}
			sendErr := <-sendDone
			cause := context.Cause(ctx)
			fail(nil)
			<-watchDone
			reportSequence(t, "multipart "+tr, seqResult{n: n, check: check, sendErr: sendErr, recvErr: recvErr, cause: cause,
				received: progress.Load(), sentMsgs: int64(push.Stats().MsgsOut)})
			t.Logf("multipart %s: %d × 3 frames, %.1f MiB (random sizes 16 B..1 MiB, seed %d), HWM %d: %s; %.0f MiB/s excluding %v of consumer stalls; sender waited %d times",
				tr, n, float64(bytes)/(1<<20), seed, hwm, check, float64(bytes)/(1<<20)/(elapsed-stalled).Seconds(),
				stalled.Round(time.Millisecond), push.Stats().SendWaits-waitsBefore)
		})
	}
}
