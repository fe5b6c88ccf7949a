// Command gothr is the Go side of bench/run.sh: the same roles, arguments
// and output as bench/c/thr.c, through the public zmq API, so that Go and C
// peers can be crossed.
//
//	gothr [flags] recv   <bind-endpoint> <count> <size>     Pull: receive count messages
//	gothr [flags] send   <connect-endpoint> <count> <size>  Push: send count messages
//	gothr [flags] rep    <bind-endpoint> <count> <size>     Rep: answer count requests
//	gothr [flags] req    <connect-endpoint> <count> <size>  Req: time count round trips
//	gothr [flags] router <bind-endpoint> <count> <size>     Router: echo count requests
//	gothr [flags] dealer <connect-endpoint> <count> <size>  Dealer: time count round trips
//	                                                        of [empty delimiter, payload]
//	gothr [flags] pub    <bind-endpoint> <count> <size> [subscribers]
//	                                                        XPub: wait for that many
//	                                                        subscriptions (default 4), then
//	                                                        publish count numbered messages
//	gothr [flags] sub    <connect-endpoint> <count> <size>  Sub: receive them, checking the
//	                                                        sequence numbers
//	gothr [flags] conn   <connect-endpoint> <count> <size>  Req: count connections one after
//	                                                        another, each a new socket that
//	                                                        makes one round trip (against rep)
//
// The binding roles print the endpoint they bound as the first line on
// stderr. recv prints "msgs_per_s=<f> mb_per_s=<f> cpu_ns_per_msg=<f>"
// (MB = 10^6 bytes), timed from the first message's arrival to the last's,
// so the rate is (count-1) messages over that span; the CPU time is the
// whole process's (every thread, libzmq's I/O thread included, user and
// system) over the same span. send prints "cpu_ns_per_msg=<f>": the
// process's CPU time from the first send until the factory has closed,
// which (linger -1) is once everything has been handed to the kernel, per
// message; with BENCH_HOLD set in the environment, it keeps its socket open
// until its standard input ends (see hold). req and dealer print
// "rtt_us_mean=<f> rtt_us_p50=<f> rtt_us_p99=<f>". conn prints
// "conns_per_s=<f> cpu_us_per_conn=<f>": connections (socket, handshake,
// one round trip, close with linger 0) per second over the whole run, and
// the process's CPU time per connection.
//
// Batching: -batch n makes send and pub send with SendBatch, n messages per
// call;
// -rbatch n makes recv and sub receive with RecvBatch into n messages per
// call (after the first message, which they take with Recv as without the
// flag, so the timing starts at the same point); -into makes them receive
// with RecvInto into one reused message instead. The other modes ignore
// these flags; the output is the same.
//
// CURVE: -curve makes recv and rep CURVE servers, with an authenticator
// that admits any client (auth.AllowAnyCurve), and send and conn their
// clients, with the key pairs of libzmq's documentation, as bench/c/thr.c
// does with THR_CURVE=1. The other modes ignore it.
//
// Fan-out: pub makes an XPub WithXPubNoDrop (a full subscriber makes the
// send wait instead of losing the message), WithXPubVerbose (every
// subscription reaches it, not only the first for a prefix) and
// WithSendHWM(fanHWM); it reads subscriptions off the XPub until the given
// number of subscribers have subscribed, then sends count messages of size
// bytes (size >= 8) whose first 8 bytes are the sequence number
// 0..count-1, little-endian, the rest zero. It prints "msgs_per_s=<f>
// cpu_ns_per_msg=<f>" from the first send until the factory has closed
// (everything delivered). sub subscribes to everything WithRecvHWM(fanHWM)
// and receives (linger 0) until the message numbered count-1 arrives, or until nothing
// has come for idleTimeout after the first message; it prints
// "msgs_per_s=<f> received=<n> lost=<n> gaps=<n> cpu_ns_per_msg=<f>", the
// rate and the CPU time per message timed from the first message's arrival
// to the last's, lost the numbers never seen, gaps the number of holes in
// the sequence.
package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/auth"
)

const (
	fanHWM      = 1000            // pub's send and every sub's receive high-water mark
	idleTimeout = 5 * time.Second // sub: give up after this long without a message
	defaultSubs = 4               // pub: subscribers to wait for
)

// subscribers is pub's optional fifth argument.
var subscribers = defaultSubs

var (
	cpuProfile = flag.String("cpuprofile", "", "write a CPU profile of the measured loop to `file`")
	verbose    = flag.Bool("v", false, "print the socket's Stats on stderr at the end")
	batch      = flag.Int("batch", 1, "send and pub: send with SendBatch, `n` messages per call (1: one Send per message)")
	into       = flag.Bool("into", false, "recv and sub: receive with RecvInto into one reused message")
	rbatch     = flag.Int("rbatch", 1, "recv and sub: receive with RecvBatch, up to `n` messages per call (1: one Recv per message)")
	curve      = flag.Bool("curve", false, "recv, rep, send and conn: CURVE servers and clients, with libzmq's documented key pairs")
)

// The key pairs of libzmq's documentation (zmq_curve(7)), which
// bench/c/thr.c uses too.
var (
	curveServer = zmq.CurveKeyPair{Public: "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7", Secret: "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"}
	curveClient = zmq.CurveKeyPair{Public: "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID", Secret: "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs"}
)

// curveOpts returns the options of a CURVE server or client under -curve;
// a server's factory gets an authenticator that admits any client.
func curveOpts(f *zmq.Factory, server bool) ([]zmq.CommonOption, error) {
	if !*curve {
		return nil, nil
	}
	if !server {
		return []zmq.CommonOption{zmq.WithCurveClient(curveServer.Public, curveClient)}, nil
	}
	a, err := auth.Start(f)
	if err != nil {
		return nil, err
	}
	a.AllowAnyCurve()
	return []zmq.CommonOption{zmq.WithCurveServer(curveServer.Secret)}, nil
}

func main() {
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: gothr [flags] recv|send|rep|req|router|dealer|sub|conn <endpoint> <count> <size>")
		fmt.Fprintln(os.Stderr, "       gothr [flags] pub <endpoint> <count> <size> [subscribers]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() < 4 || flag.NArg() > 5 || (flag.NArg() == 5 && flag.Arg(0) != "pub") {
		flag.Usage()
		os.Exit(2)
	}
	mode, ep := flag.Arg(0), flag.Arg(1)
	count, err1 := strconv.Atoi(flag.Arg(2))
	size, err2 := strconv.Atoi(flag.Arg(3))
	var err3 error
	if flag.NArg() == 5 {
		subscribers, err3 = strconv.Atoi(flag.Arg(4))
	}
	if err1 != nil || err2 != nil || err3 != nil || count < 1 || size < 0 || subscribers < 1 {
		fmt.Fprintln(os.Stderr, "gothr: want count >= 1, size >= 0 and subscribers >= 1")
		os.Exit(2)
	}
	if (mode == "pub" || mode == "sub") && size < 8 {
		fmt.Fprintf(os.Stderr, "gothr: %s wants size >= 8 (the sequence number)\n", mode)
		os.Exit(2)
	}
	run := map[string]func(*zmq.Factory, string, int, int) error{
		"recv": doRecv, "send": doSend, "rep": doRep, "req": doReq,
		"router": doRouter, "dealer": doDealer, "pub": doPub, "sub": doSub, "conn": doConn,
	}[mode]
	if run == nil {
		fmt.Fprintf(os.Stderr, "gothr: unknown mode %s\n", mode)
		os.Exit(2)
	}
	// Linger -1 everywhere, as in thr.c: closing the factory delivers
	// everything queued.
	f, err := zmq.NewFactory(zmq.WithDefaultLinger(-1))
	if err != nil {
		fail(err)
	}
	// Every mode closes its socket and the factory itself; this Close
	// (idempotent) only covers an early return.
	err = run(f, ep, count, size)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gothr:", err)
	os.Exit(1)
}

// profile starts the CPU profile, if asked for, and returns its stop.
func profile() func() {
	if *cpuProfile == "" {
		return func() {}
	}
	out, err := os.Create(*cpuProfile)
	if err != nil {
		fail(err)
	}
	if err := pprof.StartCPUProfile(out); err != nil {
		fail(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := out.Close(); err != nil {
			fail(err)
		}
	}
}

type binder interface {
	Bind(string) (string, error)
}

func announce(s binder, ep string) error {
	bound, err := s.Bind(ep)
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, bound)
	return nil
}

func stats(s interface{ Stats() zmq.Stats }) {
	if *verbose {
		fmt.Fprintf(os.Stderr, "stats: %+v\n", s.Stats())
	}
}

// finish closes s, then the factory, which terminates the libzmq context:
// with linger -1 that waits until everything s had queued is delivered.
func finish(f *zmq.Factory, s io.Closer) error {
	err := s.Close()
	if ferr := f.Close(); err == nil {
		err = ferr
	}
	return err
}

// hold waits, when BENCH_HOLD is set, until standard input ends: a sender
// over ipc keeps its connection open until the receiver is done, because a
// libzmq 4.3 receiver over ipc loses what it has not read yet when its
// peer goes away.
func hold() {
	if os.Getenv("BENCH_HOLD") != "" {
		io.Copy(io.Discard, os.Stdin)
	}
}

func checkSize(m zmq.Msg, size int) error {
	if len(m.Frames) != 1 || len(m.Frames[0]) != size {
		return fmt.Errorf("got a %d-frame %d-byte message, want one %d-byte frame", len(m.Frames), m.Len(), size)
	}
	return nil
}

func doRecv(f *zmq.Factory, ep string, count, size int) error {
	opts, err := curveOpts(f, true)
	if err != nil {
		return err
	}
	pull, err := f.NewPull(asOptions[zmq.PullOption](opts)...)
	if err != nil {
		return err
	}
	if err := announce(pull, ep); err != nil {
		return err
	}
	ctx := context.Background()
	stop := profile()
	m, err := pull.Recv(ctx)
	if err != nil {
		return err
	}
	if err := checkSize(m, size); err != nil {
		return err
	}
	start, cpu0 := time.Now(), cpuTime()
	if *into || *rbatch <= 1 {
		for i := 1; i < count; i++ {
			if *into {
				err = pull.RecvInto(ctx, &m)
			} else {
				m, err = pull.Recv(ctx)
			}
			if err != nil {
				return err
			}
			if err := checkSize(m, size); err != nil {
				return err
			}
		}
	} else {
		msgs := make([]zmq.Msg, *rbatch)
		for got := 1; got < count; {
			// Never more than the messages still due.
			n, err := pull.RecvBatch(ctx, msgs[:min(len(msgs), count-got)])
			if err != nil {
				return err
			}
			for _, m := range msgs[:n] {
				if err := checkSize(m, size); err != nil {
					return err
				}
			}
			got += n
		}
	}
	elapsed, cpu := time.Since(start).Seconds(), cpuTime()-cpu0
	stop()
	rate, cpuPerMsg := 0.0, 0.0
	if count > 1 && elapsed > 0 {
		rate = float64(count-1) / elapsed
		cpuPerMsg = float64(cpu.Nanoseconds()) / float64(count-1)
	}
	fmt.Printf("msgs_per_s=%.0f mb_per_s=%.2f cpu_ns_per_msg=%.1f\n", rate, rate*float64(size)/1e6, cpuPerMsg)
	stats(pull)
	return finish(f, pull)
}

func doSend(f *zmq.Factory, ep string, count, size int) error {
	opts, err := curveOpts(f, false)
	if err != nil {
		return err
	}
	push, err := f.NewPush(asOptions[zmq.PushOption](opts)...)
	if err != nil {
		return err
	}
	if err := push.Connect(ep); err != nil {
		return err
	}
	ctx := context.Background()
	// Send copies the frames into libzmq before it returns, so one
	// message value serves every send.
	m := zmq.NewMsg(make([]byte, size))
	stop := profile()
	cpu0 := cpuTime()
	if *batch <= 1 {
		for range count {
			if err := push.Send(ctx, m); err != nil {
				return err
			}
		}
	} else {
		msgs := make([]zmq.Msg, *batch)
		for i := range msgs {
			msgs[i] = m
		}
		for left := count; left > 0; left -= *batch {
			if _, err := push.SendBatch(ctx, msgs[:min(*batch, left)]); err != nil {
				return err
			}
		}
	}
	hold()
	err = finish(f, push) // linger -1: returns once everything is delivered
	cpu := cpuTime() - cpu0
	stop()
	fmt.Printf("cpu_ns_per_msg=%.1f\n", float64(cpu.Nanoseconds())/float64(count))
	stats(push)
	return err
}

func doRep(f *zmq.Factory, ep string, count, size int) error {
	opts, err := curveOpts(f, true)
	if err != nil {
		return err
	}
	rep, err := f.NewRep(asOptions[zmq.RepOption](opts)...)
	if err != nil {
		return err
	}
	if err := announce(rep, ep); err != nil {
		return err
	}
	ctx := context.Background()
	stop := profile()
	for range count {
		q, err := rep.Recv(ctx)
		if err != nil {
			return err
		}
		if err := checkSize(q.Msg, size); err != nil {
			return err
		}
		if err := q.Reply(ctx, q.Frames...); err != nil {
			return err
		}
	}
	stop()
	stats(rep)
	return finish(f, rep)
}

func doReq(f *zmq.Factory, ep string, count, size int) error {
	req, err := f.NewReq()
	if err != nil {
		return err
	}
	if err := req.Connect(ep); err != nil {
		return err
	}
	ctx := context.Background()
	payload := make([]byte, size)
	rtt := make([]float64, count)
	sum := 0.0
	stop := profile()
	for i := range count {
		t0 := time.Now()
		m, err := req.Request(ctx, payload)
		if err != nil {
			return err
		}
		rtt[i] = float64(time.Since(t0).Nanoseconds()) / 1e3
		sum += rtt[i]
		if err := checkSize(m, size); err != nil {
			return err
		}
	}
	stop()
	printRTT(rtt, sum)
	stats(req)
	return finish(f, req)
}

// doConn makes count connections one after another: a new Req for each,
// one round trip, then Close with linger 0.
func doConn(f *zmq.Factory, ep string, count, size int) error {
	opts, err := curveOpts(f, false)
	if err != nil {
		return err
	}
	opts = append(opts, zmq.WithLinger(0))
	ctx := context.Background()
	payload := make([]byte, size)
	stop := profile()
	start, cpu0 := time.Now(), cpuTime()
	for range count {
		req, err := f.NewReq(asOptions[zmq.ReqOption](opts)...)
		if err != nil {
			return err
		}
		if err := req.Connect(ep); err != nil {
			return err
		}
		m, err := req.Request(ctx, payload)
		if err != nil {
			return err
		}
		if err := checkSize(m, size); err != nil {
			return err
		}
		if err := req.Close(); err != nil {
			return err
		}
	}
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	stop()
	fmt.Printf("conns_per_s=%.1f cpu_us_per_conn=%.1f\n", float64(count)/elapsed.Seconds(),
		float64(cpu.Microseconds())/float64(count))
	return f.Close()
}

func printRTT(rtt []float64, sum float64) {
	count := len(rtt)
	slices.Sort(rtt)
	fmt.Printf("rtt_us_mean=%.2f rtt_us_p50=%.2f rtt_us_p99=%.2f\n",
		sum/float64(count), rtt[count/2], rtt[count*99/100])
}

// doRouter echoes every request, [empty, payload] after the routing id,
// back to its sender as it came.
func doRouter(f *zmq.Factory, ep string, count, size int) error {
	r, err := f.NewRouter()
	if err != nil {
		return err
	}
	if err := announce(r, ep); err != nil {
		return err
	}
	ctx := context.Background()
	stop := profile()
	for range count {
		peer, m, err := r.RecvFrom(ctx)
		if err != nil {
			return err
		}
		if len(m.Frames) != 2 || len(m.Frames[0]) != 0 {
			return fmt.Errorf("got a %d-frame request, want [id, empty, payload]", len(m.Frames)+1)
		}
		if len(m.Frames[1]) != size {
			return fmt.Errorf("got a %d-byte frame, want %d", len(m.Frames[1]), size)
		}
		if err := r.SendTo(ctx, peer, m.Frames...); err != nil {
			return err
		}
	}
	stop()
	stats(r)
	return finish(f, r)
}

// doDealer sends every request as [empty, payload], the envelope a Req
// would add, and expects it back the same.
func doDealer(f *zmq.Factory, ep string, count, size int) error {
	d, err := f.NewDealer()
	if err != nil {
		return err
	}
	if err := d.Connect(ep); err != nil {
		return err
	}
	ctx := context.Background()
	// Send copies the frames into libzmq before it returns, so one
	// message value serves every request.
	q := zmq.NewMsg([]byte{}, make([]byte, size))
	rtt := make([]float64, count)
	sum := 0.0
	stop := profile()
	for i := range count {
		t0 := time.Now()
		if err := d.Send(ctx, q); err != nil {
			return err
		}
		m, err := d.Recv(ctx)
		if err != nil {
			return err
		}
		rtt[i] = float64(time.Since(t0).Nanoseconds()) / 1e3
		sum += rtt[i]
		if len(m.Frames) != 2 || len(m.Frames[0]) != 0 {
			return fmt.Errorf("reply %s does not start with an empty frame", m)
		}
		if len(m.Frames[1]) != size {
			return fmt.Errorf("got a %d-byte frame, want %d", len(m.Frames[1]), size)
		}
	}
	stop()
	printRTT(rtt, sum)
	stats(d)
	return finish(f, d)
}

func doPub(f *zmq.Factory, ep string, count, size int) error {
	p, err := f.NewXPub(zmq.WithSendHWM(fanHWM), zmq.WithXPubNoDrop(true), zmq.WithXPubVerbose(true))
	if err != nil {
		return err
	}
	if err := announce(p, ep); err != nil {
		return err
	}
	ctx := context.Background()
	// Every subscriber subscribes once: wait until they all have.
	for seen := 0; seen < subscribers; {
		m, err := p.Recv(ctx)
		if err != nil {
			return err
		}
		if sub, _, ok := zmq.ParseSubscription(m); ok && sub {
			seen++
		}
	}
	// Send copies the frames into libzmq before it returns, so the same
	// buffers serve every call: one, or with -batch one per message of a
	// SendBatch call.
	msgs := make([]zmq.Msg, max(*batch, 1))
	for i := range msgs {
		msgs[i] = zmq.NewMsg(make([]byte, size))
	}
	stop := profile()
	start, cpu0 := time.Now(), cpuTime()
	for sent := 0; sent < count; {
		n := min(len(msgs), count-sent)
		for i, m := range msgs[:n] {
			binary.LittleEndian.PutUint64(m.Frames[0], uint64(sent+i))
		}
		if n == 1 {
			err = p.Send(ctx, msgs[0])
		} else {
			_, err = p.SendBatch(ctx, msgs[:n])
		}
		if err != nil {
			return err
		}
		sent += n
	}
	err = finish(f, p) // linger -1: returns once everything is delivered
	elapsed, cpu := time.Since(start).Seconds(), cpuTime()-cpu0
	stop()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(count) / elapsed
	}
	fmt.Printf("msgs_per_s=%.0f cpu_ns_per_msg=%.1f\n", rate, float64(cpu.Nanoseconds())/float64(count))
	stats(p)
	return err
}

func doSub(f *zmq.Factory, ep string, count, size int) error {
	// Linger 0: a Sub has nothing to deliver, but once the publisher has
	// gone it queues its subscription for the reconnection, which linger
	// -1 would wait for forever.
	s, err := f.NewSub(zmq.WithLinger(0), zmq.WithRecvHWM(fanHWM), zmq.WithSubscribe(""))
	if err != nil {
		return err
	}
	if err := s.Connect(ep); err != nil {
		return err
	}
	stop := profile()
	m, err := s.Recv(context.Background()) // no time limit for the first
	if err != nil {
		return err
	}
	if err := checkSize(m, size); err != nil {
		return err
	}
	start, cpu0 := time.Now(), cpuTime()
	// From now on, give up after idleTimeout without a message: a watchdog
	// looks at the count every idleTimeout/50 and cancels the receive when
	// it has not moved for idleTimeout; lastMove is then (to within a tick)
	// when the last message came.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got atomic.Int64
	var lastMove time.Time
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		tick := time.NewTicker(idleTimeout / 50)
		defer tick.Stop()
		seen, moved := int64(-1), time.Now()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-tick.C:
				if n := got.Load(); n != seen {
					seen, moved = n, now
				} else if now.Sub(moved) >= idleTimeout {
					lastMove = moved
					cancel()
					return
				}
			}
		}
	}()
	var br *batchRecv // nil: one Recv per message
	if *rbatch > 1 {
		br = &batchRecv{r: s, buf: make([]zmq.Msg, *rbatch)}
	}
	var next, lost, gaps uint64
	last := uint64(count - 1)
	received, idle := 0, false
	for {
		seq := binary.LittleEndian.Uint64(m.Frames[0])
		received++
		got.Store(int64(received))
		if seq < next {
			return fmt.Errorf("message %d after %d", seq, next-1)
		}
		if seq > next {
			gaps++
			lost += seq - next
		}
		next = seq + 1
		if seq >= last {
			break
		}
		switch {
		case *into:
			err = s.RecvInto(ctx, &m)
		case br != nil:
			m, err = br.recv(ctx)
		default:
			m, err = s.Recv(ctx)
		}
		if err != nil {
			if ctx.Err() != nil { // only the watchdog has cancelled it yet
				idle = true
				break
			}
			return err
		}
		if err := checkSize(m, size); err != nil {
			return err
		}
	}
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	cancel()
	<-watched
	stop()
	if idle {
		elapsed = lastMove.Sub(start)
	}
	if next <= last { // the tail never came
		gaps++
		lost += last + 1 - next
	}
	rate, cpuPerMsg := 0.0, 0.0
	if received > 1 && elapsed > 0 {
		rate = float64(received-1) / elapsed.Seconds()
		cpuPerMsg = float64(cpu.Nanoseconds()) / float64(received-1)
	}
	fmt.Printf("msgs_per_s=%.0f received=%d lost=%d gaps=%d cpu_ns_per_msg=%.1f\n", rate, received, lost, gaps, cpuPerMsg)
	stats(s)
	return finish(f, s)
}

// batchRecv hands out the messages of RecvBatch calls one at a time.
type batchRecv struct {
	r interface {
		RecvBatch(context.Context, []zmq.Msg) (int, error)
	}
	buf  []zmq.Msg
	i, n int // buf[i:n] are received and not handed out yet
}

func (b *batchRecv) recv(ctx context.Context) (zmq.Msg, error) {
	if b.i == b.n {
		n, err := b.r.RecvBatch(ctx, b.buf)
		if err != nil {
			return zmq.Msg{}, err
		}
		b.i, b.n = 0, n
	}
	m := b.buf[b.i]
	b.buf[b.i] = zmq.Msg{}
	b.i++
	return m, nil
}

// asOptions turns options common to every socket type into the options
// of one type T.
func asOptions[T zmq.Option](opts []zmq.CommonOption) []T {
	out := make([]T, len(opts))
	for i, o := range opts {
		out[i] = any(o).(T)
	}
	return out
}
