// Command gothr is the Go side of bench/run.sh: the same roles, arguments
// and output as bench/c/thr.c, through the public zmq API, so that Go and C
// peers can be crossed.
//
//	gothr [flags] recv <bind-endpoint> <count> <size>     Pull: receive count messages
//	gothr [flags] send <connect-endpoint> <count> <size>  Push: send count messages
//	gothr [flags] rep  <bind-endpoint> <count> <size>     Rep: answer count requests
//	gothr [flags] req  <connect-endpoint> <count> <size>  Req: time count round trips
//
// The binding roles print the endpoint they bound as the first line on
// stderr. recv prints "msgs_per_s=<f> mb_per_s=<f> cpu_ns_per_msg=<f>"
// (MB = 10^6 bytes), timed from the first message's arrival to the last's,
// so the rate is (count-1) messages over that span; the CPU time is the
// whole process's (every thread, libzmq's I/O thread included, user and
// system) over the same span. send prints "cpu_ns_per_msg=<f>": the
// process's CPU time from the first send until Close has delivered
// everything, per message. req prints "rtt_us_mean=<f> rtt_us_p50=<f>
// rtt_us_p99=<f>".
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/zmqx/zmq"
)

var (
	cpuProfile = flag.String("cpuprofile", "", "write a CPU profile of the measured loop to `file`")
	verbose    = flag.Bool("v", false, "print the socket's Stats on stderr at the end")
	batch      = flag.Int("batch", 1, "send with SendBatch, `n` messages per call (1: one Send per message)")
)

func main() {
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: gothr [flags] recv|send|rep|req <endpoint> <count> <size>")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 4 {
		flag.Usage()
		os.Exit(2)
	}
	mode, ep := flag.Arg(0), flag.Arg(1)
	count, err1 := strconv.Atoi(flag.Arg(2))
	size, err2 := strconv.Atoi(flag.Arg(3))
	if err1 != nil || err2 != nil || count < 1 || size < 0 {
		fmt.Fprintln(os.Stderr, "gothr: want count >= 1 and size >= 0")
		os.Exit(2)
	}
	run := map[string]func(*zmq.Factory, string, int, int) error{
		"recv": doRecv, "send": doSend, "rep": doRep, "req": doReq,
	}[mode]
	if run == nil {
		fmt.Fprintf(os.Stderr, "gothr: unknown mode %s\n", mode)
		os.Exit(2)
	}
	// Linger -1 everywhere, as in thr.c: Close delivers everything queued.
	f, err := zmq.NewFactory(zmq.WithDefaultLinger(-1))
	if err != nil {
		fail(err)
	}
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

// cpuTime is the CPU time of the whole process so far, user plus system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		fail(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func checkSize(m zmq.Msg, size int) error {
	if len(m.Frames) != 1 || len(m.Frames[0]) != size {
		return fmt.Errorf("got a %d-frame %d-byte message, want one %d-byte frame", len(m.Frames), m.Len(), size)
	}
	return nil
}

func doRecv(f *zmq.Factory, ep string, count, size int) error {
	pull, err := f.NewPull()
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
	for i := 1; i < count; i++ {
		m, err := pull.Recv(ctx)
		if err != nil {
			return err
		}
		if err := checkSize(m, size); err != nil {
			return err
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
	return pull.Close()
}

func doSend(f *zmq.Factory, ep string, count, size int) error {
	push, err := f.NewPush()
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
	err = push.Close() // linger -1: returns once everything is delivered
	cpu := cpuTime() - cpu0
	stop()
	fmt.Printf("cpu_ns_per_msg=%.1f\n", float64(cpu.Nanoseconds())/float64(count))
	stats(push)
	return err
}

func doRep(f *zmq.Factory, ep string, count, size int) error {
	rep, err := f.NewRep()
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
	return rep.Close()
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
	slices.Sort(rtt)
	fmt.Printf("rtt_us_mean=%.2f rtt_us_p50=%.2f rtt_us_p99=%.2f\n",
		sum/float64(count), rtt[count/2], rtt[count*99/100])
	stats(req)
	return req.Close()
}
