package zmq_test

// Concurrency tests: lost wake-ups under load, many goroutines on one
// socket, cancellation, Close with parked callers, idle threads, and a
// ping-pong liveness watchdog.
//
// Parking is observed, not guessed: concParkedIn reads the goroutine dump and
// counts goroutines blocked in the engine's wait, which a caller only
// reaches after queueing itself as a waiter. There is no public event for
// "a caller is now parked", so this is polled; the only other polling is
// for goroutines to finish exiting (TestConcChurnParkCancelClose) and the
// load watchdog's ticker, which measures progress and never waits for it.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/internal/watchtest"
)

// concStall is how long a load test may go without any message arriving
// before it is declared stalled. Generous: it only bounds how long a
// failing run takes; a healthy run never comes near it.
const concStall = 10 * time.Second

// concPrompt bounds how long a parked call may take to return after its
// ctx is cancelled or its socket closed.
const concPrompt = 2 * time.Second

// concStacks returns the stacks of every goroutine.
func concStacks() []byte {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return buf[:n]
		}
		buf = make([]byte, 2*len(buf))
	}
}

// concParkedIn counts the goroutines started by function fn of this package
// (a test function or helper, e.g. "TestConcFIFOWaiters") that are parked
// in the engine (see parkedInEngine).
func concParkedIn(fn string) int {
	created := []byte("created by github.com/zmqx/zmq_test." + fn)
	n := 0
	for _, g := range bytes.Split(concStacks(), []byte("\n\n")) {
		if !parkedInEngine(g) {
			continue
		}
		i := bytes.Index(g, created)
		if i < 0 {
			continue
		}
		if rest := g[i+len(created):]; len(rest) > 0 && rest[0] != '.' && rest[0] != ' ' && rest[0] != '\n' {
			continue // a function whose name merely starts with fn
		}
		n++
	}
	return n
}

// parkedInEngine reports whether goroutine g (its stack, as runtime.Stack
// prints it) waits in an engine, which a caller reaches only after it has
// queued itself as a waiter: on a channel in the wait of either engine's
// socket, or in the netpoller: the libzmq engine's one waiter that watches
// the socket's fd, or a go engine receiver that reads the socket's only
// connection itself.
func parkedInEngine(g []byte) bool {
	header, _, _ := bytes.Cut(g, []byte("\n"))
	onChannel := bytes.Contains(header, []byte("[select")) &&
		(bytes.Contains(g, []byte("internal/libzmq.(*Socket).wait(")) || bytes.Contains(g, []byte("internal/gozmq.(*Socket).wait(")))
	inNetpoller := bytes.Contains(header, []byte("[IO wait")) &&
		(bytes.Contains(g, []byte("internal/libzmq.(*Socket).pollFor(")) || bytes.Contains(g, []byte("internal/gozmq.(*Socket).parkRecv(")))
	return onChannel || inNetpoller
}

// concWaitParked waits until at least n goroutines started by fn are parked
// in the engine (see concParkedIn).
func concWaitParked(t testing.TB, fn string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := concParkedIn(fn)
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d goroutines of %s parked after 30s\n%s", got, n, fn, concGoroutines())
		}
		time.Sleep(time.Millisecond) // polling an observable state, not standing in for an event
	}
}

// concGoroutines groups the goroutines that run this module's code by
// state, innermost module frame and creator: a compact dump for stall
// reports.
func concGoroutines() string {
	counts := map[string]int{}
	for _, g := range bytes.Split(concStacks(), []byte("\n\n")) {
		if !bytes.Contains(g, []byte("github.com/zmqx/zmq")) {
			continue
		}
		lines := strings.Split(string(g), "\n")
		state := lines[0]
		if i := strings.Index(state, "["); i >= 0 {
			state = state[i:]
		}
		var frames []string // the two innermost frames of this module
		creator := ""
		for _, l := range lines[1:] {
			if len(frames) < 2 && strings.HasPrefix(l, "github.com/zmqx/zmq") {
				if i := strings.LastIndex(l, "("); i > 0 && strings.HasSuffix(l, ")") {
					l = l[:i]
				}
				frames = append(frames, strings.TrimPrefix(l, "github.com/zmqx/zmq"))
			}
			if strings.HasPrefix(l, "created by ") {
				creator = strings.TrimPrefix(l, "created by ")
				if i := strings.Index(creator, " in goroutine"); i > 0 {
					creator = creator[:i]
				}
			}
		}
		counts[fmt.Sprintf("%s %s (created by %s)", state, strings.Join(frames, " ← "), creator)]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("goroutines running github.com/zmqx/zmq code:\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "  %4d × %s\n", counts[k], k)
	}
	return b.String()
}

// concThreads returns the number of OS threads of the process.
func concThreads(t testing.TB) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Threads:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no Threads: line in /proc/self/status")
	return 0
}

// concWithin waits for ch to yield a value, or fails after d.
func concWithin[T any](t testing.TB, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("%s: did not return concWithin %v\n%s", what, d, concGoroutines())
	}
	panic("unreachable")
}

func concSeqFrame(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, seq)
}

func concFrameSeq(f []byte) (uint64, error) {
	if len(f) != 8 {
		return 0, fmt.Errorf("frame of %d bytes, want an 8-byte sequence number", len(f))
	}
	return binary.BigEndian.Uint64(f), nil
}

// concLoad describes a load run: n messages numbered 0..n-1 are sent by
// senders goroutines and must come back, each exactly once, to receivers
// goroutines.
type concLoad struct {
	n, senders, receivers int
	// parkFirst makes the senders start only once every receiver is parked.
	parkFirst bool
	send      func(ctx context.Context, seq uint64) error
	recv      func(ctx context.Context) (uint64, error)
}

// concRunLoad runs spec and fails the test on a lost, duplicated or corrupt
// message, or on a stall: no message received for concStall. A failure
// message always says how many messages were sent and received.
func concRunLoad(t *testing.T, spec concLoad) {
	t.Helper()
	n := int64(spec.n)
	ctx, fail := context.WithCancelCause(testCtx(t, 3*time.Minute))
	defer fail(nil)
	recvCtx, recvStop := context.WithCancel(ctx)
	defer recvStop()

	seen := make([]atomic.Uint32, spec.n)
	var next, sent, received atomic.Int64
	var stallReport atomic.Value
	var wg sync.WaitGroup
	for range spec.receivers {
		wg.Add(1)
		go func() { // not wg.Go: parkFirst recognises these by their creator
			defer wg.Done()
			for {
				seq, err := spec.recv(recvCtx)
				if err != nil {
					if recvCtx.Err() == nil {
						fail(fmt.Errorf("recv: %w", err))
					}
					return
				}
				if seq >= uint64(n) {
					fail(fmt.Errorf("received sequence number %d, only %d were sent", seq, n))
					return
				}
				if c := seen[seq].Add(1); c != 1 {
					fail(fmt.Errorf("message %d received %d times", seq, c))
					return
				}
				if received.Add(1) == n {
					recvStop()
				}
			}
		}()
	}
	if spec.parkFirst {
		concWaitParked(t, "concRunLoad", spec.receivers)
	}
	for range spec.senders {
		wg.Go(func() {
			for {
				seq := next.Add(1) - 1
				if seq >= n {
					return
				}
				if err := spec.send(ctx, uint64(seq)); err != nil {
					if ctx.Err() == nil {
						fail(fmt.Errorf("send %d: %w", seq, err))
					}
					return
				}
				sent.Add(1)
			}
		})
	}
	// The watchdog: progress is any received message.
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		last, lastAt := received.Load(), time.Now()
		for {
			select {
			case <-recvCtx.Done():
				return
			case <-tick.C:
			}
			if r := received.Load(); r != last {
				last, lastAt = r, time.Now()
				continue
			}
			if time.Since(lastAt) > concStall {
				stallReport.Store(concGoroutines())
				fail(fmt.Errorf("stalled: no message received for %v", concStall))
				return
			}
		}
	}()
	wg.Wait()
	recvStop()
	<-watchDone
	if err := context.Cause(ctx); err != nil {
		rep, _ := stallReport.Load().(string)
		t.Fatalf("%v: received %d of %d messages (sent %d)\n%s", err, received.Load(), n, sent.Load(), rep)
	}
	missing := 0
	for i := range seen {
		if seen[i].Load() != 1 {
			missing++
		}
	}
	if missing != 0 || received.Load() != n {
		t.Fatalf("received %d of %d messages, %d missing", received.Load(), n, missing)
	}
}

// concEcho runs recv→send in a goroutine until stopped; stop waits for it.
func concEcho(t *testing.T, recv func(context.Context) (zmq.Msg, error), send func(context.Context, zmq.Msg) error) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			m, err := recv(ctx)
			if err == nil {
				err = send(ctx, m)
			}
			if err != nil {
				if ctx.Err() == nil {
					t.Errorf("echo: %v", err)
				}
				return
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// concRoundTrips counts the round trips of the load tests; TestConcZSummary
// reports the total.
var concRoundTrips atomic.Int64

// TestConcDealerRouterEcho: four
// goroutines send and four receive on the same Dealer at once, a Router
// echoes; the Router is mandatory so that it waits at the high-water mark
// instead of dropping. Small HWMs make every side park often.
func TestConcDealerRouterEcho(t *testing.T) {
	for _, tr := range []string{"inproc", "tcp"} {
		for _, hwm := range []int{1000, 4} {
			t.Run(fmt.Sprintf("%s/hwm%d", tr, hwm), func(t *testing.T) {
				n := scaled(200_000, 4)
				if hwm < 100 {
					n = scaled(100_000, 4)
				}
				concDealerRouterEcho(t, tr, hwm, n)
				concRoundTrips.Add(int64(n))
			})
		}
	}
}

// concDealerRouterEcho sends n messages from four goroutines on one Dealer
// while four others receive them back from an echoing mandatory Router;
// both have high-water marks of hwm.
func concDealerRouterEcho(t *testing.T, tr string, hwm, n int) {
	f := newFactory(t)
	router := must[*zmq.Router](t)(f.NewRouter(zmq.WithRouterMandatory(true), zmq.WithSendHWM(hwm), zmq.WithRecvHWM(hwm)))
	dealer := must[*zmq.Dealer](t)(f.NewDealer(zmq.WithSendHWM(hwm), zmq.WithRecvHWM(hwm)))
	if err := dealer.Connect(bind(t, router, tr)); err != nil {
		t.Fatal(err)
	}
	concEchoLoad(t, dealer, router, n, 4, 4)
}

// concSide is a socket that sends and receives whole messages.
type concSide interface {
	Send(context.Context, zmq.Msg) error
	Recv(context.Context) (zmq.Msg, error)
}

// concEchoLoad sends n sequence-numbered one-frame messages from senders
// goroutines on client while receivers goroutines take them back, as
// server echoes them (see concRunLoad for what fails the test).
func concEchoLoad(t *testing.T, client, server concSide, n, senders, receivers int) {
	t.Helper()
	stop := concEcho(t, server.Recv, server.Send)
	defer stop()
	concRunLoad(t, concLoad{
		n: n, senders: senders, receivers: receivers,
		send: func(ctx context.Context, seq uint64) error {
			return client.Send(ctx, zmq.NewMsg(concSeqFrame(seq)))
		},
		recv: func(ctx context.Context) (uint64, error) {
			m, err := client.Recv(ctx)
			if err != nil {
				return 0, err
			}
			if len(m.Frames) != 1 {
				return 0, fmt.Errorf("reply has %d frames: %v", len(m.Frames), m)
			}
			return concFrameSeq(m.Frames[0])
		},
	})
}

// TestConcPairEcho: four goroutines send and four receive on one Pair;
// the other Pair echoes.
func TestConcPairEcho(t *testing.T) {
	for _, tr := range []string{"inproc", "tcp"} {
		t.Run(tr, func(t *testing.T) {
			n := scaled(100_000, 4)
			f := newFactory(t)
			a := must[*zmq.Pair](t)(f.NewPair(zmq.WithSendHWM(16), zmq.WithRecvHWM(16)))
			b := must[*zmq.Pair](t)(f.NewPair(zmq.WithSendHWM(16), zmq.WithRecvHWM(16)))
			if err := a.Connect(bind(t, b, tr)); err != nil {
				t.Fatal(err)
			}
			concEchoLoad(t, a, b, n, 4, 4)
			concRoundTrips.Add(int64(n))
		})
	}
}

// TestConcSendWhileRecvWaits is the exact pattern of the serious bug: one
// goroutine sends while another waits to receive on the same socket, so
// the sender's libzmq calls are the ones that consume the fd's edge meant
// for the receiver. A send HWM of 1 makes the sender park on nearly every
// message.
func TestConcSendWhileRecvWaits(t *testing.T) {
	for _, tr := range []string{"inproc", "tcp"} {
		t.Run(tr, func(t *testing.T) {
			n := scaled(100_000, 4)
			f := newFactory(t)
			router := must[*zmq.Router](t)(f.NewRouter(zmq.WithRouterMandatory(true)))
			dealer := must[*zmq.Dealer](t)(f.NewDealer(zmq.WithSendHWM(1)))
			if err := dealer.Connect(bind(t, router, tr)); err != nil {
				t.Fatal(err)
			}
			concEchoLoad(t, dealer, router, n, 1, 1)
			concRoundTrips.Add(int64(n))
		})
	}
}

// concSingleProc runs the rest of the test with GOMAXPROCS=1, which keeps the
// netpoller from harvesting an fd edge between two libzmq calls made by
// one goroutine: the window of the lost wake-up becomes deterministic.
func concSingleProc(t *testing.T) {
	prev := runtime.GOMAXPROCS(1)
	t.Cleanup(func() { runtime.GOMAXPROCS(prev) })
}

// concPairs returns a bound and a connected Pair over inproc with the
// smallest queues (the pipe holds two messages).
func concPairs(t *testing.T, f *zmq.Factory) (a, b *zmq.Pair) {
	t.Helper()
	opts := []zmq.PairOption{zmq.WithSendHWM(1), zmq.WithRecvHWM(1), zmq.WithLinger(0)}
	a = must[*zmq.Pair](t)(f.NewPair(opts...))
	b = must[*zmq.Pair](t)(f.NewPair(opts...))
	// a connects: an inproc connecter has its pipe at once, so a can fill it.
	if err := a.Connect(bind(t, b, "inproc")); err != nil {
		t.Fatal(err)
	}
	return a, b
}

// concFill sends to a until its queue is full and returns how many it took.
func concFill(t *testing.T, a interface{ TrySend(zmq.Msg) error }) int {
	t.Helper()
	n := 0
	for {
		err := a.TrySend(zmq.NewMsgString("fill"))
		if errors.Is(err, zmq.EAGAIN) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n == 0 {
		t.Fatal("the socket took no message at all")
	}
	return n
}

// TestConcRecvWakeupWhileSendParks: a receiver is parked on socket A; a
// message arrives for it, and in the same instant another goroutine's Send
// on A finds the queue full and parks. The Send's libzmq calls consume the
// fd's edge, so whoever makes them must wake the receiver. With
// GOMAXPROCS=1 the netpoller cannot see the edge first.
func TestConcRecvWakeupWhileSendParks(t *testing.T) {
	concSingleProc(t)
	for iter := range 10 {
		f := newFactory(t)
		a, b := concPairs(t, f)
		concFill(t, a)
		got := make(chan error, 1)
		go func() {
			_, err := a.Recv(context.Background())
			got <- err
		}()
		concWaitParked(t, "TestConcRecvWakeupWhileSendParks", 1)

		sctx, scancel := context.WithCancel(context.Background())
		sent := make(chan error, 1)
		go func() {
			if err := b.TrySend(zmq.NewMsgString("for the receiver")); err != nil {
				sent <- err
				return
			}
			sent <- a.Send(sctx, zmq.NewMsgString("does not fit"))
		}()
		select {
		case err := <-got:
			if err != nil {
				t.Fatalf("iteration %d: Recv: %v", iter, err)
			}
		case <-time.After(concPrompt):
			scancel()
			start := time.Now()
			err := concWithin(t, got, concPrompt, "Recv after the parked Send was cancelled")
			t.Fatalf("iteration %d: lost wake-up: a message was queued for the parked Recv while another goroutine's Send parked on the same socket, and Recv did not return concWithin %v; it returned (%v) %v after that Send was cancelled",
				iter, concPrompt, err, time.Since(start).Round(time.Microsecond))
		}
		scancel()
		if err := <-sent; !errors.Is(err, context.Canceled) {
			t.Fatalf("iteration %d: parked Send: got %v, want context.Canceled", iter, err)
		}
		f.Close()
	}
}

// TestConcSendWakeupWhileRecvParks is the mirror image: a Send is parked
// at the HWM; the peer drains, and in the same instant another goroutine's
// Recv on the same socket finds nothing and parks, consuming the edge that
// announced room to send.
func TestConcSendWakeupWhileRecvParks(t *testing.T) {
	concSingleProc(t)
	for iter := range 10 {
		f := newFactory(t)
		a, b := concPairs(t, f)
		k := concFill(t, a)
		sent := make(chan error, 1)
		go func() { sent <- a.Send(context.Background(), zmq.NewMsgString("parked")) }()
		concWaitParked(t, "TestConcSendWakeupWhileRecvParks", 1)

		rctx, rcancel := context.WithCancel(context.Background())
		got := make(chan error, 1)
		go func() {
			for range k {
				if _, err := b.TryRecv(); err != nil {
					got <- err
					return
				}
			}
			_, err := a.Recv(rctx)
			got <- err
		}()
		select {
		case err := <-sent:
			if err != nil {
				t.Fatalf("iteration %d: Send: %v", iter, err)
			}
		case <-time.After(concPrompt):
			rcancel()
			start := time.Now()
			err := concWithin(t, sent, concPrompt, "Send after the parked Recv was cancelled")
			t.Fatalf("iteration %d: lost wake-up: the peer made room for the parked Send while another goroutine's Recv parked on the same socket, and Send did not return concWithin %v; it returned (%v) %v after that Recv was cancelled",
				iter, concPrompt, err, time.Since(start).Round(time.Microsecond))
		}
		rcancel()
		if err := <-got; !errors.Is(err, context.Canceled) {
			t.Fatalf("iteration %d: parked Recv: got %v, want context.Canceled", iter, err)
		}
		f.Close()
	}
}

// TestConc1000Receivers: 1,000 goroutines receive on one Pull while a
// producer sends; every message arrives exactly once.
func TestConc1000Receivers(t *testing.T) {
	for _, tr := range []string{"inproc", "tcp"} {
		t.Run(tr, func(t *testing.T) {
			n := scaled(100_000, 5)
			f := newFactory(t)
			pull := must[*zmq.Pull](t)(f.NewPull())
			push := must[*zmq.Push](t)(f.NewPush())
			if err := push.Connect(bind(t, pull, tr)); err != nil {
				t.Fatal(err)
			}
			concRunLoad(t, concLoad{
				n: n, senders: 1, receivers: 1000, parkFirst: true,
				send: func(ctx context.Context, seq uint64) error {
					return push.Send(ctx, zmq.NewMsg(concSeqFrame(seq)))
				},
				recv: func(ctx context.Context) (uint64, error) {
					m, err := pull.Recv(ctx)
					if err != nil {
						return 0, err
					}
					return concFrameSeq(m.Frames[0])
				},
			})
		})
	}
}

// TestConc1000Senders: 1,000 goroutines send three-frame messages on one
// Push, every frame tagged with the sender and its sequence number; the
// receiver sees whole messages (no interleaved frames) and each sender's
// messages in order. A small HWM keeps most senders parked.
func TestConc1000Senders(t *testing.T) {
	for _, tr := range []string{"inproc", "tcp"} {
		t.Run(tr, func(t *testing.T) {
			const senders = 1000
			per := scaled(50, 5)
			f := newFactory(t)
			pull := must[*zmq.Pull](t)(f.NewPull())
			push := must[*zmq.Push](t)(f.NewPush(zmq.WithSendHWM(10)))
			if err := push.Connect(bind(t, pull, tr)); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			frame := func(id, seq, part int) []byte {
				return fmt.Appendf(nil, "s%04d:m%04d:p%d", id, seq, part)
			}
			var wg sync.WaitGroup
			for id := range senders {
				wg.Go(func() {
					for seq := range per {
						m := zmq.NewMsg(frame(id, seq, 0), frame(id, seq, 1), frame(id, seq, 2))
						if err := push.Send(ctx, m); err != nil {
							if ctx.Err() == nil {
								t.Errorf("sender %d, message %d: %v", id, seq, err)
							}
							return
						}
					}
				})
			}
			defer wg.Wait()
			defer cancel()
			next := make([]int, senders)
			total := senders * per
			for i := range total {
				rctx, rcancel := context.WithTimeout(ctx, concStall)
				m, err := pull.Recv(rctx)
				rcancel()
				if err != nil {
					t.Fatalf("received %d of %d messages, then: %v\n%s", i, total, err, concGoroutines())
				}
				if len(m.Frames) != 3 {
					t.Fatalf("message %d has %d frames: %v", i, len(m.Frames), m)
				}
				var id, seq, part int
				if _, err := fmt.Sscanf(string(m.Frames[0]), "s%04d:m%04d:p%d", &id, &seq, &part); err != nil || id < 0 || id >= senders {
					t.Fatalf("message %d: bad first frame %q", i, m.Frames[0])
				}
				for p := range 3 {
					if want := frame(id, seq, p); !bytes.Equal(m.Frames[p], want) {
						t.Fatalf("message %d: frame %d is %q, want %q (interleaved frames?)", i, p, m.Frames[p], want)
					}
				}
				if seq != next[id] {
					t.Fatalf("sender %d: got its message %d, want %d (out of order)", id, seq, next[id])
				}
				next[id]++
			}
			if _, err := pull.TryRecv(); !errors.Is(err, zmq.EAGAIN) {
				t.Fatalf("after all %d messages: TryRecv = %v, want EAGAIN", total, err)
			}
		})
	}
}

// TestConcFIFOWaiters: receivers that park one after another on an empty
// socket get the messages in the order they arrived.
func TestConcFIFOWaiters(t *testing.T) {
	const k = 50
	f := newFactory(t)
	pull := must[*zmq.Pull](t)(f.NewPull())
	push := must[*zmq.Push](t)(f.NewPush())
	if err := push.Connect(bind(t, pull, "inproc")); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t, time.Minute)
	got := make([]string, k)
	var wg sync.WaitGroup
	for i := range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := pull.Recv(ctx)
			if err != nil {
				t.Errorf("waiter %d: %v", i, err)
				return
			}
			got[i] = string(m.Frames[0])
		}()
		// The next waiter starts only once this one is queued.
		concWaitParked(t, "TestConcFIFOWaiters", i+1)
	}
	for i := range k {
		if err := push.Send(ctx, zmq.NewMsgString(strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	for i := range k {
		if got[i] != strconv.Itoa(i) {
			t.Fatalf("waiter %d (parked %d-th) got message %q, want %q; all: %q", i, i+1, got[i], strconv.Itoa(i), got)
		}
	}
}

// TestConcRecvCancelPrompt: a Recv (and a Send) parked on a socket that
// cannot serve it returns context.Canceled promptly once cancelled.
func TestConcRecvCancelPrompt(t *testing.T) {
	f := newFactory(t)
	pull := must[*zmq.Pull](t)(f.NewPull())
	dealer := must[*zmq.Dealer](t)(f.NewDealer()) // no peer: Send waits too
	bind(t, pull, "tcp")
	for iter := range 20 {
		ctx, cancel := context.WithCancel(context.Background())
		errs := make(chan error, 3)
		go func() { _, err := pull.Recv(ctx); errs <- err }()
		go func() { _, err := dealer.Recv(ctx); errs <- err }()
		go func() { errs <- dealer.Send(ctx, zmq.NewMsgString("x")) }()
		concWaitParked(t, "TestConcRecvCancelPrompt", 3)
		cancel()
		for range 3 {
			err := concWithin(t, errs, concPrompt, fmt.Sprintf("iteration %d: parked call after cancel", iter))
			if err != context.Canceled {
				t.Fatalf("iteration %d: got %v, want context.Canceled", iter, err)
			}
		}
	}
}

// TestConcCancelledRecvDoesNotConsume is pyzmq's test_recv_cancel: two
// Recv queue up, the first is cancelled, one message is sent: the second
// gets it.
func TestConcCancelledRecvDoesNotConsume(t *testing.T) {
	f := newFactory(t)
	pull := must[*zmq.Pull](t)(f.NewPull())
	push := must[*zmq.Push](t)(f.NewPush())
	if err := push.Connect(bind(t, pull, "tcp")); err != nil {
		t.Fatal(err)
	}
	ctx1, cancel1 := context.WithCancel(context.Background())
	ctx2 := testCtx(t, 30*time.Second)
	type res struct {
		m   zmq.Msg
		err error
	}
	r1, r2 := make(chan res, 1), make(chan res, 1)
	go func() { m, err := pull.Recv(ctx1); r1 <- res{m, err} }()
	concWaitParked(t, "TestConcCancelledRecvDoesNotConsume", 1)
	go func() { m, err := pull.Recv(ctx2); r2 <- res{m, err} }()
	concWaitParked(t, "TestConcCancelledRecvDoesNotConsume", 2)
	cancel1()
	if r := concWithin(t, r1, concPrompt, "cancelled Recv"); r.err != context.Canceled {
		t.Fatalf("cancelled Recv: got %v %v, want context.Canceled", r.m, r.err)
	}
	if err := push.Send(ctx2, zmq.NewMsgString("only")); err != nil {
		t.Fatal(err)
	}
	if r := concWithin(t, r2, concStall, "second Recv"); r.err != nil || r.m.String() != `["only"]` {
		t.Fatalf("second Recv: got %v %v, want [\"only\"]", r.m, r.err)
	}
}

// TestConcCancelRaceExactlyOnce cancels a parked Recv at the moment a
// message arrives, many times: the message goes either to the cancelled
// caller (which then returns it) or to the next one, never to both and
// never to nobody.
func TestConcCancelRaceExactlyOnce(t *testing.T) {
	f := newFactory(t)
	pull := must[*zmq.Pull](t)(f.NewPull())
	push := must[*zmq.Push](t)(f.NewPush())
	if err := push.Connect(bind(t, pull, "inproc")); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t, 2*time.Minute)
	iters := scaled(500, 5)
	for iter := range iters {
		ctx1, cancel1 := context.WithCancel(ctx)
		ctx2, cancel2 := context.WithCancel(ctx)
		type res struct {
			m   zmq.Msg
			err error
		}
		r1, r2 := make(chan res, 1), make(chan res, 1)
		go func() { m, err := pull.Recv(ctx1); r1 <- res{m, err} }()
		concWaitParked(t, "TestConcCancelRaceExactlyOnce", 1)
		go func() { m, err := pull.Recv(ctx2); r2 <- res{m, err} }()
		concWaitParked(t, "TestConcCancelRaceExactlyOnce", 2)
		want := strconv.Itoa(iter)
		go cancel1()
		if err := push.Send(ctx, zmq.NewMsgString(want)); err != nil {
			t.Fatal(err)
		}
		first := concWithin(t, r1, concPrompt, fmt.Sprintf("iteration %d: first Recv", iter))
		switch {
		case first.err == nil:
			if s := string(first.m.Frames[0]); s != want {
				t.Fatalf("iteration %d: first Recv got %q, want %q", iter, s, want)
			}
			// The second must still be parked with nothing to take.
			cancel2()
			if r := concWithin(t, r2, concPrompt, "second Recv"); r.err != context.Canceled {
				t.Fatalf("iteration %d: message delivered twice? second Recv got %v %v", iter, r.m, r.err)
			}
		case first.err == context.Canceled:
			r := concWithin(t, r2, concStall, fmt.Sprintf("iteration %d: second Recv after the first was cancelled", iter))
			if r.err != nil || string(r.m.Frames[0]) != want {
				t.Fatalf("iteration %d: second Recv got %v %v, want %q", iter, r.m, r.err, want)
			}
			cancel2()
		default:
			t.Fatalf("iteration %d: first Recv: %v", iter, first.err)
		}
		cancel1()
	}
}

// TestConcCancelledSendNotDelivered: Sends parked at the HWM, some
// cancelled; when a raw peer drains, exactly the messages of the Sends
// that returned nil arrive, each whole.
func TestConcCancelledSendNotDelivered(t *testing.T) {
	f := newFactory(t)
	push := must[*zmq.Push](t)(f.NewPush(zmq.WithSendHWM(1)))
	peer := must[*zmq.Socket](t)(f.NewSocket(zmq.PULL, zmq.WithRecvHWM(1)))
	if err := push.Connect(bind(t, peer, "inproc")); err != nil {
		t.Fatal(err)
	}
	filled := concFill(t, push)
	ctx := testCtx(t, time.Minute)
	const k = 6
	errs := make([]chan error, k)
	cancels := make([]context.CancelFunc, k)
	msg := func(i int) zmq.Msg {
		return zmq.NewMsgString(fmt.Sprintf("m%d:0", i), fmt.Sprintf("m%d:1", i), fmt.Sprintf("m%d:2", i))
	}
	for i := range k {
		sctx, cancel := context.WithCancel(ctx)
		cancels[i] = cancel
		errs[i] = make(chan error, 1)
		go func() { errs[i] <- push.Send(sctx, msg(i)) }()
		concWaitParked(t, "TestConcCancelledSendNotDelivered", i+1)
	}
	// Cancel every other one, the head of the queue included.
	for i := 0; i < k; i += 2 {
		cancels[i]()
		if err := concWithin(t, errs[i], concPrompt, fmt.Sprintf("cancelled Send %d", i)); err != context.Canceled {
			t.Fatalf("cancelled Send %d: got %v, want context.Canceled", i, err)
		}
	}
	var want []string
	for range filled {
		want = append(want, `["fill"]`)
	}
	for i := 1; i < k; i += 2 {
		want = append(want, msg(i).String())
	}
	var got []string
	for range want {
		m, err := peer.Recv(ctx)
		if err != nil {
			t.Fatalf("after %d messages %q: %v", len(got), got, err)
		}
		got = append(got, m.String())
	}
	for i := 1; i < k; i += 2 {
		if err := concWithin(t, errs[i], concStall, fmt.Sprintf("Send %d", i)); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	for _, c := range cancels {
		c()
	}
	if m, err := peer.TryRecv(); !errors.Is(err, zmq.EAGAIN) {
		t.Fatalf("an extra message arrived: %v %v", m, err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("peer received\n  %q\nwant\n  %q", got, want)
	}
}

// TestConcCancelSendRaceExactlyOnce cancels parked three-frame Sends while
// the peer drains, many times: the peer receives exactly the messages whose
// Send returned nil, each whole.
func TestConcCancelSendRaceExactlyOnce(t *testing.T) {
	f := newFactory(t)
	ctx := testCtx(t, 2*time.Minute)
	iters := scaled(300, 5)
	const k = 8
	for iter := range iters {
		// Fresh sockets each time: right after a drain, TrySend may still
		// see a full queue (see TestConcTrySendAfterPeerDrains), so filling
		// is only exact on a new pipe.
		push := must[*zmq.Push](t)(f.NewPush(zmq.WithSendHWM(1), zmq.WithLinger(0)))
		peer := must[*zmq.Socket](t)(f.NewSocket(zmq.PULL, zmq.WithRecvHWM(1), zmq.WithLinger(0)))
		if err := push.Connect(bind(t, peer, "inproc")); err != nil {
			t.Fatal(err)
		}
		filled := concFill(t, push)
		var wg sync.WaitGroup
		ok := make([]bool, k)
		cancels := make([]context.CancelFunc, k)
		for i := range k {
			sctx, cancel := context.WithCancel(ctx)
			cancels[i] = cancel
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := push.Send(sctx, zmq.NewMsgString(fmt.Sprintf("%d:%d:a", iter, i), fmt.Sprintf("%d:%d:b", iter, i), fmt.Sprintf("%d:%d:c", iter, i)))
				switch {
				case err == nil:
					ok[i] = true
				case err != context.Canceled:
					t.Errorf("iteration %d, Send %d: %v", iter, i, err)
				}
			}()
		}
		concWaitParked(t, "TestConcCancelSendRaceExactlyOnce", k)
		// Cancel half while the peer drains.
		for i := 0; i < k; i += 2 {
			go cancels[i]()
		}
		received := map[string]bool{}
		fills := 0
		drain := func(m zmq.Msg) {
			if m.String() == `["fill"]` {
				fills++
				return
			}
			if len(m.Frames) != 3 {
				t.Fatalf("iteration %d: partial message %v", iter, m)
			}
			id := strings.TrimSuffix(string(m.Frames[0]), ":a")
			if string(m.Frames[1]) != id+":b" || string(m.Frames[2]) != id+":c" {
				t.Fatalf("iteration %d: torn message %v", iter, m)
			}
			if received[id] {
				t.Fatalf("iteration %d: %s received twice", iter, id)
			}
			received[id] = true
		}
		// Drain while Sends are parked or cancelled: until every Send has
		// returned, wait for messages; then take what is left.
		sendsDone := make(chan struct{})
		go func() { wg.Wait(); close(sendsDone) }()
	drainLoop:
		for {
			rctx, rcancel := context.WithCancel(ctx)
			type res struct {
				m   zmq.Msg
				err error
			}
			r := make(chan res, 1)
			go func() { m, err := peer.Recv(rctx); r <- res{m, err} }()
			select {
			case x := <-r:
				rcancel()
				if x.err != nil {
					t.Fatal(x.err)
				}
				drain(x.m)
			case <-sendsDone:
				rcancel()
				if x := <-r; x.err == nil {
					drain(x.m)
				}
				break drainLoop
			case <-time.After(concStall):
				rcancel()
				<-r
				t.Fatalf("iteration %d: no progress for %v\n%s", iter, concStall, concGoroutines())
			}
		}
		for {
			m, err := peer.TryRecv()
			if errors.Is(err, zmq.EAGAIN) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			drain(m)
		}
		for _, c := range cancels {
			c()
		}
		if fills != filled {
			t.Fatalf("iteration %d: %d fill messages arrived, want %d", iter, fills, filled)
		}
		for i := range k {
			id := fmt.Sprintf("%d:%d", iter, i)
			if ok[i] != received[id] {
				t.Fatalf("iteration %d: Send %d returned ok=%v but delivered=%v", iter, i, ok[i], received[id])
			}
		}
		push.Close()
		peer.Close()
	}
}

// TestConcTrySendAfterPeerDrains: once the peer has drained a full queue,
// the socket can take a message again (ZMQ_EVENTS reports POLLOUT), so
// TrySend must not fail with EAGAIN. libzmq's non-blocking zmq_send
// processes pending commands (here: the peer's activate_write) only when
// about a millisecond has passed since it last did, so a TrySend that does
// not consult ZMQ_EVENTS after EAGAIN reports a full queue that is not.
func TestConcTrySendAfterPeerDrains(t *testing.T) {
	f := newFactory(t)
	for iter := range 20 {
		a, b := concPairs(t, f)
		k := concFill(t, a)
		for i := range k {
			if _, err := b.TryRecv(); err != nil {
				t.Fatalf("iteration %d: draining message %d of %d: %v", iter, i, k, err)
			}
		}
		if err := a.TrySend(zmq.NewMsgString("there is room")); err != nil {
			t.Fatalf("iteration %d: TrySend after the peer drained all %d queued messages: %v (a Send would not wait: the socket can take the message)", iter, k, err)
		}
		a.Close()
		b.Close()
	}
}

// TestConcClosePendingCallers: 100 goroutines parked in Recv and 100 in
// Send at the HWM; the sockets are closed by several goroutines at once.
// Every parked caller returns ErrClosed promptly, every Close returns,
// and Close stays idempotent.
func TestConcClosePendingCallers(t *testing.T) {
	f := newFactory(t)
	pull := must[*zmq.Pull](t)(f.NewPull())
	bind(t, pull, "tcp")
	push := must[*zmq.Push](t)(f.NewPush(zmq.WithSendHWM(1)))
	peer := must[*zmq.Socket](t)(f.NewSocket(zmq.PULL, zmq.WithRecvHWM(1)))
	if err := push.Connect(bind(t, peer, "inproc")); err != nil {
		t.Fatal(err)
	}
	concFill(t, push)
	ctx := testCtx(t, time.Minute)
	const n = 100
	errs := make(chan error, 2*n)
	for range n {
		go func() { _, err := pull.Recv(ctx); errs <- err }()
		go func() { errs <- push.Send(ctx, zmq.NewMsgString("at hwm")) }()
	}
	concWaitParked(t, "TestConcClosePendingCallers", 2*n)

	closeErrs := make(chan error, 20)
	for range 10 {
		go func() { closeErrs <- pull.Close() }()
		go func() { closeErrs <- push.Close() }()
	}
	for i := range 2 * n {
		err := concWithin(t, errs, concPrompt, fmt.Sprintf("parked caller %d after Close", i))
		if !errors.Is(err, zmq.ErrClosed) {
			t.Fatalf("parked caller %d: got %v, want ErrClosed", i, err)
		}
	}
	for i := range 20 {
		if err := concWithin(t, closeErrs, concPrompt, fmt.Sprintf("Close call %d", i)); err != nil {
			t.Fatalf("Close call %d: %v", i, err)
		}
	}
	if err := pull.Close(); err != nil {
		t.Fatalf("Close again: %v", err)
	}
	if _, err := pull.Recv(ctx); !errors.Is(err, zmq.ErrClosed) {
		t.Fatalf("Recv after Close: %v", err)
	}
	if err := push.Send(ctx, zmq.NewMsgString("x")); !errors.Is(err, zmq.ErrClosed) {
		t.Fatalf("Send after Close: %v", err)
	}
	if _, err := pull.TryRecv(); !errors.Is(err, zmq.ErrClosed) {
		t.Fatalf("TryRecv after Close: %v", err)
	}
}

// TestConcFactoryClosePendingCallers: Factory.Close with callers parked on
// several of its sockets; they all return ErrClosed and both of two
// concurrent Close calls return.
func TestConcFactoryClosePendingCallers(t *testing.T) {
	f := newFactory(t)
	pull := must[*zmq.Pull](t)(f.NewPull())
	push := must[*zmq.Push](t)(f.NewPush())
	dealer := must[*zmq.Dealer](t)(f.NewDealer())
	router := must[*zmq.Router](t)(f.NewRouter())
	bind(t, pull, "tcp")
	bind(t, router, "inproc")
	ctx := testCtx(t, time.Minute)
	const each = 10
	errs := make(chan error, 5*each)
	for range each {
		go func() { _, err := pull.Recv(ctx); errs <- err }()
		go func() { errs <- push.Send(ctx, zmq.NewMsgString("x")) }()
		go func() { _, err := dealer.Recv(ctx); errs <- err }()
		go func() { errs <- dealer.Send(ctx, zmq.NewMsgString("x")) }()
		go func() { _, err := router.Recv(ctx); errs <- err }()
	}
	concWaitParked(t, "TestConcFactoryClosePendingCallers", 5*each)
	closed := make(chan error, 2)
	go func() { closed <- f.Close() }()
	go func() { closed <- f.Close() }()
	for i := range 5 * each {
		if err := concWithin(t, errs, concPrompt, fmt.Sprintf("parked caller %d after Factory.Close", i)); !errors.Is(err, zmq.ErrClosed) {
			t.Fatalf("parked caller %d: got %v, want ErrClosed", i, err)
		}
	}
	for i := range 2 {
		if err := concWithin(t, closed, concPrompt, fmt.Sprintf("Factory.Close call %d", i)); err != nil {
			t.Fatalf("Factory.Close call %d: %v", i, err)
		}
	}
	if _, err := f.NewPull(); !errors.Is(err, zmq.ErrClosed) {
		t.Fatalf("NewPull on a closed factory: %v", err)
	}
}

// concChildEnv makes a re-executed test binary run the body of a test
// that may abort the process (a libzmq assertion), so that the abort is
// reported as that test's failure instead of killing the whole run.
const concChildEnv = "ZMQX_CONC_CHILD"

// TestConcNewSocketRacesFactoryClose: goroutines keep creating sockets
// while the factory closes. Every creation must either succeed (and the
// socket be closed by Factory.Close or its owner) or fail with ErrClosed;
// none may reach libzmq's context after zmq_ctx_term freed it. The body
// runs in a child process because the failure mode is an abort.
func TestConcNewSocketRacesFactoryClose(t *testing.T) {
	if os.Getenv(concChildEnv) == t.Name() {
		concNewSocketRacesFactoryCloseChild(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.timeout=60s")
	cmd.Env = append(os.Environ(), concChildEnv+"="+t.Name())
	out, err := cmd.CombinedOutput()
	if err != nil {
		if len(out) > 4000 {
			out = append([]byte("…"), out[len(out)-4000:]...)
		}
		t.Fatalf("child process (NewPull racing Factory.Close): %v\n%s", err, out)
	}
}

func concNewSocketRacesFactoryCloseChild(t *testing.T) {
	iters := scaled(500, 5)
	other := map[string]int{}
	var mu sync.Mutex
	for range iters {
		f, err := zmq.NewFactory()
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for {
					p, err := f.NewPull()
					if err != nil {
						if !errors.Is(err, zmq.ErrClosed) {
							mu.Lock()
							other[err.Error()]++
							mu.Unlock()
						}
						return
					}
					select {
					case <-f.Done():
						// Created before Close started (or Close would have
						// refused it), so Close must have closed it.
						if _, err := p.TryRecv(); !errors.Is(err, zmq.ErrClosed) {
							mu.Lock()
							other["a socket outlived Factory.Close: "+fmt.Sprint(err)]++
							mu.Unlock()
						}
					default:
					}
					p.Close()
				}
			})
		}
		f.Close()
		wg.Wait()
	}
	if len(other) > 0 {
		t.Errorf("%d iterations of 4 goroutines creating sockets while the factory closes; failures other than ErrClosed: %v", iters, other)
	}
}

// TestConcChurnParkCancelClose creates sockets, parks a caller on each and
// ends it by cancel, Close or both at once, many times; afterwards the
// goroutine count and the open fds are back where they started.
func TestConcChurnParkCancelClose(t *testing.T) {
	goroutinesBefore := runtime.NumGoroutine()
	fdsBefore := watchtest.CountFDs()
	f, err := zmq.NewFactory()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	iters := scaled(1000, 5)
	for i := range iters {
		var s interface {
			Close() error
			Bind(string) (string, error)
		}
		var call func(context.Context) error
		if i%2 == 0 {
			p := must[*zmq.Pull](t)(f.NewPull())
			s, call = p, func(ctx context.Context) error { _, err := p.Recv(ctx); return err }
		} else {
			d := must[*zmq.Dealer](t)(f.NewDealer())
			s, call = d, func(ctx context.Context) error { return d.Send(ctx, zmq.NewMsgString("x")) }
		}
		tr := "inproc"
		if i%4 == 1 {
			tr = "tcp"
		}
		bind(t, s, tr)
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { errc <- call(ctx) }()
		if i%3 != 2 { // otherwise race the end against the park
			concWaitParked(t, "TestConcChurnParkCancelClose", 1)
		}
		mode := i % 3
		switch mode {
		case 0:
			cancel()
		case 1:
			s.Close()
		case 2:
			go cancel()
			s.Close()
		}
		err := concWithin(t, errc, concPrompt, fmt.Sprintf("iteration %d (mode %d)", i, mode))
		switch {
		case mode == 0 && err != context.Canceled,
			mode == 1 && !errors.Is(err, zmq.ErrClosed),
			mode == 2 && err != context.Canceled && !errors.Is(err, zmq.ErrClosed):
			t.Fatalf("iteration %d (mode %d): got %v", i, mode, err)
		}
		cancel()
		if err := s.Close(); err != nil {
			t.Fatalf("iteration %d: Close: %v", i, err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// Goroutines that sent their result may still be on their way out.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > goroutinesBefore && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > goroutinesBefore {
		t.Errorf("%d goroutines after %d iterations, %d before\n%s", g, iters, goroutinesBefore, concGoroutines())
	}
	if fds := watchtest.CountFDs(); fds > fdsBefore {
		t.Errorf("%d open fds after %d iterations and Factory.Close, %d before", fds, iters, fdsBefore)
	}
}

// TestConcIdleThreads parks a Recv on each of 1,000 sockets and counts the
// process's OS threads: parked sockets cost no thread. The limit applies to
// the threads added since the test started, because the Go runtime keeps
// the threads earlier tests of this process made.
func TestConcIdleThreads(t *testing.T) {
	const n = 1000
	before := concThreads(t)
	f := newFactory(t)
	ctx := testCtx(t, 2*time.Minute)
	errs := make(chan error, n)
	for range n {
		p := must[*zmq.Pull](t)(f.NewPull())
		bind(t, p, "inproc")
		go func() { _, err := p.Recv(ctx); errs <- err }()
	}
	concWaitParked(t, "TestConcIdleThreads", n)
	threads := concThreads(t)
	t.Logf("threads with %d parked sockets: %d (%d before the factory existed; GOMAXPROCS=%d)", n, threads, before, runtime.GOMAXPROCS(0))
	if threads-before >= 60 {
		t.Errorf("threads with %d parked sockets: %d, %d more than before; want fewer than 60 more", n, threads, threads-before)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := concWithin(t, errs, concPrompt, fmt.Sprintf("Recv %d after Factory.Close", i)); !errors.Is(err, zmq.ErrClosed) {
			t.Fatalf("Recv %d: %v", i, err)
		}
	}
}

// TestConcPingPongWatchdog is strict ping-pong where the
// reply is known to be in flight once the request is sent, so each
// iteration's receive gets its own 2 s deadline; a lost wake-up fails with
// the iteration number.
func TestConcPingPongWatchdog(t *testing.T) {
	run := func(t *testing.T, n int, a concSide, echo func() (stop func())) {
		stop := echo()
		defer stop()
		for i := range n {
			ctx, cancel := context.WithTimeout(context.Background(), concPrompt)
			err := a.Send(ctx, zmq.NewMsg(concSeqFrame(uint64(i))))
			var m zmq.Msg
			if err == nil {
				m, err = a.Recv(ctx)
			}
			cancel()
			if err != nil {
				t.Fatalf("iteration %d of %d: %v (no reply concWithin %v while the request was in flight)\n%s", i, n, err, concPrompt, concGoroutines())
			}
			if seq, err := concFrameSeq(m.Frames[len(m.Frames)-1]); err != nil || seq != uint64(i) {
				t.Fatalf("iteration %d: got reply %v", i, m)
			}
		}
		concRoundTrips.Add(int64(n))
	}
	for _, tr := range []string{"inproc", "tcp"} {
		t.Run("pair/"+tr, func(t *testing.T) {
			f := newFactory(t)
			a := must[*zmq.Pair](t)(f.NewPair())
			b := must[*zmq.Pair](t)(f.NewPair())
			if err := a.Connect(bind(t, b, tr)); err != nil {
				t.Fatal(err)
			}
			run(t, scaled(100_000, 4), a, func() func() { return concEcho(t, b.Recv, b.Send) })
		})
		t.Run("dealer-router/"+tr, func(t *testing.T) {
			f := newFactory(t)
			d := must[*zmq.Dealer](t)(f.NewDealer())
			r := must[*zmq.Router](t)(f.NewRouter())
			if err := d.Connect(bind(t, r, tr)); err != nil {
				t.Fatal(err)
			}
			run(t, scaled(50_000, 4), d, func() func() { return concEcho(t, r.Recv, r.Send) })
		})
	}
}

// TestConcZSummary runs last (tests run in source order) and reports how
// many round trips the load tests made.
func TestConcZSummary(t *testing.T) {
	t.Logf("round trips in the concurrency load tests: %d (race detector: %v)", concRoundTrips.Load(), raceEnabled)
}

// TestConcRouterMandatoryManyPeers: goroutines send to many peers of a
// mandatory Router whose peers read at different speeds, so sends keep
// waiting for full peers while others have room. Every message arrives,
// each sender's messages to a peer in order: no send stays stranded behind
// a waiter for another peer, and none is lost to a missed wake-up.
func TestConcRouterMandatoryManyPeers(t *testing.T) {
	const (
		peers   = 6
		senders = 12
	)
	per := scaled(1500, 3)
	f := newFactory(t)
	router := must[*zmq.Router](t)(f.NewRouter(zmq.WithRouterMandatory(true), zmq.WithSendHWM(2)))
	ep := bind(t, router, "inproc")
	ctx := testCtx(t, 2*time.Minute)
	dealers := make([]*zmq.Dealer, peers)
	for p := range peers {
		id := fmt.Sprint("peer", p)
		dealers[p] = must[*zmq.Dealer](t)(f.NewDealer(zmq.WithRoutingID([]byte(id)), zmq.WithRecvHWM(2)))
		if err := dealers[p].Connect(ep); err != nil {
			t.Fatal(err)
		}
		if err := dealers[p].Send(ctx, zmq.NewMsgString("hi")); err != nil {
			t.Fatal(err)
		}
		expectMsg(t, ctx, router.Recv, id, "hi")
	}
	var wg sync.WaitGroup
	// Sender s sends its messages to peers s%peers and (s+1)%peers in turn.
	for s := range senders {
		wg.Go(func() {
			for i := range per {
				p := (s + i%2) % peers
				if err := router.SendTo(ctx, []byte(fmt.Sprint("peer", p)), []byte(fmt.Sprintf("s%d:%d", s, i))); err != nil {
					t.Errorf("sender %d, message %d: %v\n%s", s, i, err, concGoroutines())
					return
				}
			}
		})
	}
	// Peer p reads; the odd ones pause now and then, so their queues fill.
	want := senders * per / peers
	errs := make(chan error, peers)
	for p := range peers {
		go func() {
			next := map[int]int{}
			for n := range want {
				if p%2 == 1 && n%100 == 0 {
					time.Sleep(time.Millisecond) // the point: a slow peer
				}
				m, err := dealers[p].Recv(ctx)
				if err != nil {
					errs <- fmt.Errorf("peer %d, message %d of %d: %w", p, n, want, err)
					return
				}
				var s, i int
				if _, err := fmt.Sscanf(string(m.Frames[0]), "s%d:%d", &s, &i); err != nil {
					errs <- fmt.Errorf("peer %d: bad message %q", p, m.Frames[0])
					return
				}
				if i < next[s] {
					errs <- fmt.Errorf("peer %d: from sender %d got %d after %d", p, s, i, next[s])
					return
				}
				next[s] = i + 1
			}
			errs <- nil
		}()
	}
	for range peers {
		if err := <-errs; err != nil {
			t.Errorf("%v\n%s", err, concGoroutines())
		}
	}
	wg.Wait()
}
