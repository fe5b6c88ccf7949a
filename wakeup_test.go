package zmq_test

// No goroutine stays parked while its socket could serve it (a lost
// wake-up). TestMain runs the engine's watchdog over every test in this
// package; these three loads are each checked on their own: strict
// ping-pong, ROUTER echo under load, and PUSH held at the high-water mark,
// then drained.

import (
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/internal/libzmq"
)

// checkNoLostWakeUp runs load and fails the test if the watchdog reported anything
// meanwhile. It returns how many parked goroutines the watchdog probed, or
// -1 when no watchdog runs: it audits the libzmq engine's sockets, whose
// wake-ups come through libzmq's fd; the go engine's come from its own
// queues, and the load alone checks them (a lost wake-up there stalls it
// until the test's deadline).
func checkNoLostWakeUp(t *testing.T, load func()) int {
	t.Helper()
	if engineUnderTest(t) != zmq.EngineLibzmq {
		load()
		return -1
	}
	if !libzmq.WatchdogBuilt {
		t.Skip("the watchdog is compiled in only with -tags zmqwatchdog (make test sets it)")
	}
	// TestMain starts the watchdog; its first tick comes a quarter
	// threshold later.
	for deadline := time.Now().Add(2 * time.Second); libzmq.WatchdogCounters().Ticks == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the lost-wake-up watchdog is not running")
		}
		time.Sleep(time.Millisecond) // polling its counter, which has no other signal
	}
	before := libzmq.WatchdogCounters()
	load()
	after := libzmq.WatchdogCounters()
	if v := after.Violations - before.Violations; v != 0 {
		t.Errorf("%d goroutines stayed parked over %v while their socket was ready (details at the end of the run)", v, watchdogThreshold)
	}
	probes := after.Probes - before.Probes
	t.Logf("%s: watchdog ticks %d, probes %d, violations %d", t.Name(), after.Ticks-before.Ticks, probes, after.Violations-before.Violations)
	return int(probes)
}

// TestNoLostWakeUpInPingPong: strict ping-pong between two Pairs, where
// every message parks one side until the other answers.
func TestNoLostWakeUpInPingPong(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			f := newFactory(t)
			a := must[*zmq.Pair](t)(f.NewPair())
			b := must[*zmq.Pair](t)(f.NewPair())
			if err := a.Connect(bind(t, b, tr)); err != nil {
				t.Fatal(err)
			}
			n := scaled(30_000, 4)
			checkNoLostWakeUp(t, func() {
				stop := concEcho(t, b.Recv, b.Send)
				defer stop()
				ctx := testCtx(t, 2*time.Minute)
				for i := range n {
					if err := a.Send(ctx, zmq.NewMsg(concSeqFrame(uint64(i)))); err != nil {
						t.Fatalf("ping %d: %v", i, err)
					}
					m, err := a.Recv(ctx)
					if err != nil {
						t.Fatalf("pong %d: %v", i, err)
					}
					if seq, err := concFrameSeq(m.Frames[0]); err != nil || seq != uint64(i) {
						t.Fatalf("pong %d: got %v", i, m)
					}
				}
			})
		})
	}
}

// TestNoLostWakeUpInRouterEchoUnderLoad: four goroutines send and four receive on
// one Dealer; a mandatory Router with tiny high-water marks echoes, so
// both sides park and wake constantly.
func TestNoLostWakeUpInRouterEchoUnderLoad(t *testing.T) {
	for _, tr := range []string{"inproc", "tcp"} {
		t.Run(tr, func(t *testing.T) {
			checkNoLostWakeUp(t, func() { concDealerRouterEcho(t, tr, 4, scaled(100_000, 4)) })
		})
	}
}

// TestNoLostWakeUpAtHWMThenDrained: the consumer stops for several
// thresholds at a time, so the sender parks at the high-water mark long
// enough for the watchdog to probe it; each drain must wake it at once.
func TestNoLostWakeUpAtHWMThenDrained(t *testing.T) {
	const (
		hwm    = 10
		rounds = 4
		stall  = 3 * watchdogThreshold
		n      = 2_000
	)
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			f := newFactory(t)
			// Small kernel buffers and 1 KiB messages: over tcp and ipc the
			// sender must reach the mark, not fill megabytes of buffers.
			push := must[*zmq.Push](t)(f.NewPush(zmq.WithSendHWM(hwm), zmq.WithSendBuffer(4096)))
			pull := must[*zmq.Pull](t)(f.NewPull(zmq.WithRecvHWM(hwm), zmq.WithRecvBuffer(4096)))
			if err := push.Connect(bind(t, pull, tr)); err != nil {
				t.Fatal(err)
			}
			ctx := testCtx(t, 2*time.Minute)
			probes := checkNoLostWakeUp(t, func() {
				sent := make(chan error, 1)
				go func() {
					for i := range rounds * n {
						var b [1024]byte
						binary.BigEndian.PutUint64(b[:], uint64(i))
						if err := push.Send(ctx, zmq.NewMsg(b[:])); err != nil {
							sent <- fmt.Errorf("send %d: %w", i, err)
							return
						}
					}
					sent <- nil
				}()
				for i := range rounds * n {
					if i%n == 0 {
						time.Sleep(stall) // the point: hold the sender at the mark
					}
					m, err := pull.Recv(ctx)
					if err != nil {
						t.Fatalf("recv %d: %v", i, err)
					}
					if got := binary.BigEndian.Uint64(m.Frames[0]); got != uint64(i) {
						t.Fatalf("message %d carries sequence %d", i, got)
					}
				}
				if err := <-sent; err != nil {
					t.Fatal(err)
				}
			})
			if waits := push.Stats().SendWaits; waits < rounds {
				t.Errorf("the sender waited at the high-water mark %d times, want at least %d", waits, rounds)
			}
			if probes == 0 { // -1: no watchdog on this engine
				t.Errorf("the watchdog never probed the sender parked for %v at a time", stall)
			}
		})
	}
}
