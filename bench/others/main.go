// Command others is bench/gothr for three Go ZeroMQ bindings: ours
// (github.com/zmqx/zmq), pebbe/zmq4 (cgo on libzmq, like ours) and
// go-zeromq/zmq4 (pure Go). It takes the same arguments and prints the
// same lines as bench/gothr and bench/c/thr.c, so bench/others/run.sh
// runs all of them alike:
//
//	others -lib ours|pebbe|gozeromq recv <bind-endpoint> <count> <size>     PULL: receive count messages
//	others -lib ours|pebbe|gozeromq send <connect-endpoint> <count> <size>  PUSH: send count messages
//	others -lib ours|pebbe|gozeromq rep  <bind-endpoint> <count> <size>     REP: echo count requests
//	others -lib ours|pebbe|gozeromq req  <connect-endpoint> <count> <size>  REQ: time count round trips
//
// The binding roles print the endpoint they bound as the first line on
// stderr. recv prints "msgs_per_s=<f> mb_per_s=<f> cpu_ns_per_msg=<f>"
// (MB = 10^6 bytes), timed from the first message's arrival to the last's,
// so the rate is (count-1) messages over that span; the CPU time is the
// whole process's (every thread, user and system) over the same span. send
// prints "cpu_ns_per_msg=<f>": the process's CPU time from the first send
// until the binding has delivered everything, per message. req prints
// "rtt_us_mean=<f> rtt_us_p50=<f> rtt_us_p99=<f>".
//
// Each binding lives in its own file (ours.go, pebbe.go, gozeromq.go),
// written as that binding's documentation shows, behind the small
// binding/socket interface below; the measuring loops here are shared, so
// only the bindings differ.
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"syscall"
	"time"
)

// hwm is the send and receive high-water mark, in messages, wherever a
// binding has one. It is libzmq's default and ours, which bench/gothr
// runs with, set explicitly so that every binding queues as much.
const hwm = 1000

// kind is a socket type; the four that the benchmark uses.
type kind int

const (
	push kind = iota
	pull
	req
	rep
)

// A binding makes sockets of one library.
type binding interface {
	// bind makes a socket of kind k, binds it to ep and returns it with the
	// endpoint actually bound (ep may have a wildcard port).
	bind(k kind, ep string) (socket, string, error)
	// connect makes a socket of kind k connected to ep.
	connect(k kind, ep string) (socket, error)
	// close releases what the binding holds besides its sockets (a libzmq
	// context). After it returns, everything sent has been delivered.
	close() error
}

// A socket sends and receives single-frame messages.
type socket interface {
	// send sends b: a message (push), a request (req), or the reply to
	// the request last received (rep). b may be reused once send returns.
	send(b []byte) error
	// recv receives a message (pull), the reply to the request last sent
	// (req) or the next request (rep). It fails on a multi-frame message.
	recv() ([]byte, error)
	// close closes the socket; with linger -1 where the binding has it.
	close() error
}

var bindings = map[string]func() (binding, error){
	"ours":     newOurs,
	"pebbe":    newPebbe,
	"gozeromq": newGoZeroMQ,
}

var lib = flag.String("lib", "ours", "the binding: ours, pebbe or gozeromq")

func main() {
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: others -lib ours|pebbe|gozeromq recv|send|rep|req <endpoint> <count> <size>")
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
		fmt.Fprintln(os.Stderr, "others: want count >= 1 and size >= 0")
		os.Exit(2)
	}
	run := map[string]func(binding, string, int, int) error{
		"recv": doRecv, "send": doSend, "rep": doRep, "req": doReq,
	}[mode]
	newBinding := bindings[*lib]
	if run == nil || newBinding == nil {
		fmt.Fprintf(os.Stderr, "others: unknown mode %q or library %q\n", mode, *lib)
		os.Exit(2)
	}
	b, err := newBinding()
	if err != nil {
		fail(err)
	}
	if err := run(b, ep, count, size); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "others: %s: %v\n", *lib, err)
	os.Exit(1)
}

// cpuTime is the CPU time of the whole process so far, user plus system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		fail(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func checkSize(b []byte, size int) error {
	if len(b) != size {
		return fmt.Errorf("got a %d-byte message, want %d", len(b), size)
	}
	return nil
}

// closeAll closes s and then b, returning the first error among err and
// theirs.
func closeAll(err error, s socket, b binding) error {
	if e := s.close(); err == nil {
		err = e
	}
	if e := b.close(); err == nil {
		err = e
	}
	return err
}

// bindAnnounce binds a socket of kind k and prints the endpoint it bound
// as the first line on stderr, as gothr and thr do.
func bindAnnounce(b binding, k kind, ep string) (socket, error) {
	s, bound, err := b.bind(k, ep)
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(os.Stderr, bound)
	return s, nil
}

func doRecv(b binding, ep string, count, size int) error {
	s, err := bindAnnounce(b, pull, ep)
	if err != nil {
		return err
	}
	m, err := s.recv()
	if err == nil {
		err = checkSize(m, size)
	}
	if err != nil {
		return closeAll(err, s, b)
	}
	start, cpu0 := time.Now(), cpuTime()
	for i := 1; i < count; i++ {
		m, err := s.recv()
		if err == nil {
			err = checkSize(m, size)
		}
		if err != nil {
			return closeAll(fmt.Errorf("message %d: %w", i+1, err), s, b)
		}
	}
	elapsed, cpu := time.Since(start).Seconds(), cpuTime()-cpu0
	rate, cpuPerMsg := 0.0, 0.0
	if count > 1 && elapsed > 0 {
		rate = float64(count-1) / elapsed
		cpuPerMsg = float64(cpu.Nanoseconds()) / float64(count-1)
	}
	fmt.Printf("msgs_per_s=%.0f mb_per_s=%.2f cpu_ns_per_msg=%.1f\n", rate, rate*float64(size)/1e6, cpuPerMsg)
	return closeAll(nil, s, b)
}

func doSend(b binding, ep string, count, size int) error {
	s, err := b.connect(push, ep)
	if err != nil {
		return err
	}
	payload := make([]byte, size)
	cpu0 := cpuTime()
	for i := range count {
		if err := s.send(payload); err != nil {
			return closeAll(fmt.Errorf("message %d: %w", i+1, err), s, b)
		}
	}
	// Both closes: with the libzmq bindings the socket's close returns at
	// once and terminating the context waits until everything is delivered.
	err = closeAll(nil, s, b)
	fmt.Printf("cpu_ns_per_msg=%.1f\n", float64((cpuTime()-cpu0).Nanoseconds())/float64(count))
	return err
}

func doRep(b binding, ep string, count, size int) error {
	s, err := bindAnnounce(b, rep, ep)
	if err != nil {
		return err
	}
	for i := range count {
		q, err := s.recv()
		if err == nil {
			err = checkSize(q, size)
		}
		if err == nil {
			err = s.send(q)
		}
		if err != nil {
			return closeAll(fmt.Errorf("request %d: %w", i+1, err), s, b)
		}
	}
	return closeAll(nil, s, b)
}

func doReq(b binding, ep string, count, size int) error {
	s, err := b.connect(req, ep)
	if err != nil {
		return err
	}
	payload := make([]byte, size)
	rtt := make([]float64, count)
	sum := 0.0
	for i := range count {
		t0 := time.Now()
		err := s.send(payload)
		var m []byte
		if err == nil {
			m, err = s.recv()
		}
		rtt[i] = float64(time.Since(t0).Nanoseconds()) / 1e3
		sum += rtt[i]
		if err == nil {
			err = checkSize(m, size)
		}
		if err != nil {
			return closeAll(fmt.Errorf("request %d: %w", i+1, err), s, b)
		}
	}
	slices.Sort(rtt)
	fmt.Printf("rtt_us_mean=%.2f rtt_us_p50=%.2f rtt_us_p99=%.2f\n",
		sum/float64(count), rtt[count/2], rtt[count*99/100])
	return closeAll(nil, s, b)
}
