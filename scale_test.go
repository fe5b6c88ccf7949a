package zmq_test

import (
	"context"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zmqx/zmq"
)

// BenchmarkScaleIdleSockets parks a receiver on each of n Dealer sockets,
// connected to one Router over inproc and over tcp (loopback), and
// reports, beside each other, the OS threads of the process, the heap and
// the goroutine stacks per idle connected socket (over tcp, both ends of
// its connection are in the process), and the round-trip latency (p50, p99) of a message the Router
// sends to a random one of them, which echoes it. The sockets use file
// descriptors (libzmq's and the netpoller's duplicate, a tcp connection's
// two ends), so n is bounded by RLIMIT_NOFILE; it is raised when the
// process may, and a size that does not fit is skipped with the reason
// (10,000 sockets over tcp need about 20,500 descriptors on the go engine,
// more on the libzmq engine).
//
//	go test -run '^$' -bench ScaleIdleSockets -benchtime 2000x .
func BenchmarkScaleIdleSockets(b *testing.B) {
	for _, tr := range []string{"inproc", "tcp"} {
		for _, n := range []int{1, 1000, 9000, 10000} {
			b.Run(tr+"/"+strconv.Itoa(n), func(b *testing.B) { benchScale(b, tr, n) })
		}
	}
}

func benchScale(b *testing.B, tr string, n int) {
	need := uint64(2*n + 500)
	if tr != "inproc" {
		// A connection's two ends; on the libzmq engine, each socket's
		// mailbox and the netpoller's duplicates besides.
		need = uint64(2*n + 500)
		if engineUnderTest(b) == zmq.EngineLibzmq {
			need = uint64(5*n + 500)
		}
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < need {
		want := syscall.Rlimit{Cur: max(need, lim.Cur), Max: max(need, lim.Max)}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
			b.Skipf("%d sockets need %d file descriptors; RLIMIT_NOFILE is %d and cannot be raised: %v", n, need, lim.Cur, err)
		}
	}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f := newFactory(b, zmq.WithMaxSockets(n+16))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	router := must[*zmq.Router](b)(f.NewRouter(zmq.WithRouterMandatory(true)))
	ep := bind(b, router, tr)
	ids := make([][]byte, n)
	done := make(chan struct{}, n)
	for i := range n {
		ids[i] = []byte("d" + strconv.Itoa(i))
		d := must[*zmq.Dealer](b)(f.NewDealer(zmq.WithRoutingID(ids[i])))
		if err := d.Connect(ep); err != nil {
			b.Fatal(err)
		}
		go func() {
			defer func() { done <- struct{}{} }()
			for {
				m, err := d.Recv(ctx)
				if err != nil {
					return
				}
				if err := d.Send(ctx, m); err != nil {
					return
				}
			}
		}()
	}
	// Every dealer must be known to the router before timing starts.
	for _, id := range ids {
		for router.TrySendTo(id, []byte("warm-up")) != nil {
			runtime.Gosched()
		}
		if _, _, err := router.RecvFrom(ctx); err != nil {
			b.Fatal(err)
		}
	}
	var after runtime.MemStats
	// Twice: what idle connections gave back to sync.Pools is freed only
	// by the second collection.
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	threads := osThreads()

	rtts := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if err := router.SendTo(ctx, ids[rand.IntN(n)], []byte("ping")); err != nil {
			b.Fatal(err)
		}
		if _, _, err := router.RecvFrom(ctx); err != nil {
			b.Fatal(err)
		}
		rtts = append(rtts, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(rtts)
	b.ReportMetric(float64(threads), "threads")
	b.ReportMetric(float64(after.HeapAlloc-min(before.HeapAlloc, after.HeapAlloc))/float64(n), "heapB/socket")
	b.ReportMetric(float64(after.StackInuse-min(before.StackInuse, after.StackInuse))/float64(n), "stackB/socket")
	b.ReportMetric(float64(rtts[len(rtts)/2].Microseconds()), "p50_us")
	b.ReportMetric(float64(rtts[len(rtts)*99/100].Microseconds()), "p99_us")
	cancel()
	for range n {
		<-done
	}
}

// osThreads returns the OS threads of this process.
func osThreads() int {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}
