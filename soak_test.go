package zmq_test

// Soak tier: socket and factory churn, run by scripts/soak.sh
// under `go test -asan`, whose LeakSanitizer reports at exit any C memory
// (libzmq's or this package's) that is no longer referenced. It is skipped
// unless ZMQX_SOAK=1.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/auth"
	"github.com/zmqx/zmq/internal/watchtest"
)

// soakCounts are what the churn made.
type soakCounts struct {
	factories, sockets, monitors, msgs int
}

// TestSoakChurnLeaks opens and closes factories and sockets of every type,
// with bind, connect and traffic over inproc, ipc and tcp, a Monitor, a
// Proxy, CURVE with
// an authenticator and a raw STREAM peer, for ZMQX_SOAK_CHURN_ROUNDS
// rounds (default 1000). Sockets are closed one by one in some rounds and
// left to Factory.Close in others. Afterwards no goroutine and no fd may
// remain; under -asan, LeakSanitizer checks C memory when the test binary
// exits.
func TestSoakChurnLeaks(t *testing.T) {
	if os.Getenv("ZMQX_SOAK") != "1" {
		t.Skip("soak tier: set ZMQX_SOAK=1 (make soak runs it under go test -asan)")
	}
	rounds := envInt(t, "ZMQX_SOAK_CHURN_ROUNDS", 1000)
	leakOpt := goleak.IgnoreCurrent()
	fdsBefore := watchtest.CountFDs()
	dir := t.TempDir()
	var c soakCounts
	start := time.Now()
	for i := range rounds {
		if err := soakChurnRound(t, i, dir, &c); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
	}
	elapsed := time.Since(start)
	if err := goleak.Find(leakOpt); err != nil {
		t.Errorf("goroutines left after the churn: %v", err)
	}
	if fds := watchtest.CountFDs(); fds > fdsBefore {
		t.Errorf("%d fds open after the churn, %d before", fds, fdsBefore)
	}
	t.Logf("churn: %d rounds in %v: %d factories, %d sockets, %d monitors, %d messages", rounds,
		elapsed.Round(time.Millisecond), c.factories, c.sockets, c.monitors, c.msgs)
}

// soakChurnRound makes one factory, exercises every socket type on one
// transport and closes everything.
func soakChurnRound(t *testing.T, i int, dir string, c *soakCounts) (err error) {
	tr := transports[i%len(transports)]
	linger := []time.Duration{0, 10 * time.Millisecond}[i%2]
	f, err := zmq.NewFactory(zmq.WithDefaultLinger(linger))
	if err != nil {
		return err
	}
	c.factories++
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("Factory.Close: %w", cerr)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n := 0
	ep := func() string {
		n++
		switch tr {
		case "ipc":
			return "ipc://" + filepath.Join(dir, fmt.Sprintf("r%d-%d", i, n))
		case "tcp":
			return "tcp://127.0.0.1:*"
		}
		return fmt.Sprintf("inproc://soak-%d-%d", i, n)
	}
	closeOne := i%3 == 0 // close sockets one by one, else leave them to Factory.Close
	var closers []interface{ Close() error }
	track := func(s interface{ Close() error }) {
		c.sockets++
		closers = append(closers, s)
	}
	defer func() {
		if closeOne {
			for _, s := range closers {
				if cerr := s.Close(); cerr != nil && err == nil {
					err = fmt.Errorf("Close: %w", cerr)
				}
			}
		}
	}()
	// Frames of several sizes: small ones live inside libzmq's message,
	// larger ones are allocated.
	payload := func(k int) []byte { return bytes.Repeat([]byte{byte(k)}, []int{5, 40, 1024, 70 << 10}[k%4]) }
	msg := zmq.NewMsg(payload(i), payload(i+1), payload(i+2))

	// PUSH/PULL, with a Monitor on the PULL.
	pull, err := f.NewPull()
	if err != nil {
		return err
	}
	track(pull)
	mon, err := pull.Monitor(zmq.EventAll)
	if err != nil {
		return err
	}
	c.monitors++
	push, err := f.NewPush()
	if err != nil {
		return err
	}
	track(push)
	if err := soakConnect(pull, push, ep()); err != nil {
		return err
	}
	if err := push.Send(ctx, msg); err != nil {
		return err
	}
	if m, err := pull.Recv(ctx); err != nil || m.Len() != msg.Len() {
		return fmt.Errorf("PULL: %v, %v", m.Len(), err)
	}
	c.msgs++
	if tr != "inproc" { // inproc makes no connection events
		if _, err := mon.Recv(ctx); err != nil {
			return fmt.Errorf("monitor: %w", err)
		}
	}
	// Every other round leaves the Monitor, with events unread, to its
	// socket's Close (or the factory's): both orders must free everything.
	if i%2 == 0 {
		mon.Close()
	}

	// PUB/SUB and XPUB/XSUB.
	pub, err := f.NewPub()
	if err != nil {
		return err
	}
	track(pub)
	sub, err := f.NewSub(zmq.WithSubscribe("t"))
	if err != nil {
		return err
	}
	track(sub)
	if err := soakConnect(pub, sub, ep()); err != nil {
		return err
	}
	for {
		if err := pub.Publish(ctx, "t", payload(i)); err != nil {
			return err
		}
		rctx, rcancel := context.WithTimeout(ctx, 5*time.Millisecond)
		_, _, err := sub.RecvTopic(rctx)
		rcancel()
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return fmt.Errorf("SUB: %w", err)
		}
	}
	c.msgs++
	xpub, err := f.NewXPub()
	if err != nil {
		return err
	}
	track(xpub)
	xsub, err := f.NewXSub()
	if err != nil {
		return err
	}
	track(xsub)
	if err := soakConnect(xpub, xsub, ep()); err != nil {
		return err
	}
	if err := xsub.Subscribe(""); err != nil {
		return err
	}
	if m, err := xpub.Recv(ctx); err != nil {
		return fmt.Errorf("XPUB: %w", err)
	} else if ok, _, _ := zmq.ParseSubscription(m); !ok {
		return fmt.Errorf("XPUB received %v", m)
	}
	if err := xpub.Send(ctx, msg); err != nil {
		return err
	}
	if _, err := xsub.Recv(ctx); err != nil {
		return fmt.Errorf("XSUB: %w", err)
	}
	c.msgs += 2

	// Req/Rep (txZMQ's), and libzmq's strict REQ/REP.
	rep, err := f.NewRep()
	if err != nil {
		return err
	}
	track(rep)
	req, err := f.NewReq()
	if err != nil {
		return err
	}
	track(req)
	if err := soakConnect(rep, req, ep()); err != nil {
		return err
	}
	serveCtx, stopServe := context.WithCancel(ctx)
	defer stopServe()
	served := make(chan error, 1)
	go func() {
		served <- rep.Serve(serveCtx, func(_ context.Context, q *zmq.Request) (zmq.Msg, error) { return q.Msg, nil })
	}()
	reply, err := req.Request(ctx, msg.Frames...)
	stopServe()
	if serr := <-served; !errors.Is(serr, context.Canceled) {
		return fmt.Errorf("Rep.Serve: %v", serr)
	}
	if err != nil || reply.Len() != msg.Len() {
		return fmt.Errorf("Req: %v, %v", reply.Len(), err)
	}
	c.msgs++
	srep, err := f.NewSocket(zmq.REP)
	if err != nil {
		return err
	}
	track(srep)
	sreq, err := f.NewSocket(zmq.REQ)
	if err != nil {
		return err
	}
	track(sreq)
	if err := soakConnect(srep, sreq, ep()); err != nil {
		return err
	}
	if err := sreq.Send(ctx, msg); err != nil {
		return err
	}
	if m, err := srep.Recv(ctx); err != nil {
		return err
	} else if err := srep.Send(ctx, m); err != nil {
		return err
	}
	if _, err := sreq.Recv(ctx); err != nil {
		return err
	}
	c.msgs++

	// DEALER/ROUTER through a Proxy (ROUTER frontend, DEALER backend) to a
	// ROUTER that echoes.
	front, err := f.NewRouter()
	if err != nil {
		return err
	}
	track(front)
	back, err := f.NewDealer()
	if err != nil {
		return err
	}
	track(back)
	worker, err := f.NewRouter()
	if err != nil {
		return err
	}
	track(worker)
	client, err := f.NewDealer(zmq.WithRoutingID([]byte(fmt.Sprintf("client-%d", i))))
	if err != nil {
		return err
	}
	track(client)
	if err := soakConnect(front, client, ep()); err != nil {
		return err
	}
	if err := soakConnect(worker, back, ep()); err != nil {
		return err
	}
	proxyCtx, stopProxy := context.WithCancel(ctx)
	defer stopProxy()
	proxied := make(chan error, 1)
	go func() { proxied <- zmq.Proxy(proxyCtx, front, back, nil) }()
	if err := client.Send(ctx, msg); err != nil {
		return err
	}
	peer, m, err := worker.RecvFrom(ctx)
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	if err := worker.SendTo(ctx, peer, m.Frames...); err != nil {
		return err
	}
	if m, err := client.Recv(ctx); err != nil || m.Len() != msg.Len() {
		return fmt.Errorf("client: %v, %v", m.Len(), err)
	}
	stopProxy()
	if perr := <-proxied; !errors.Is(perr, context.Canceled) {
		return fmt.Errorf("Proxy: %v", perr)
	}
	c.msgs += 2

	// PAIR.
	a, err := f.NewPair()
	if err != nil {
		return err
	}
	track(a)
	b, err := f.NewPair()
	if err != nil {
		return err
	}
	track(b)
	if err := soakConnect(a, b, ep()); err != nil {
		return err
	}
	if err := b.Send(ctx, msg); err != nil {
		return err
	}
	if _, err := a.Recv(ctx); err != nil {
		return err
	}
	c.msgs++

	// On tcp: a STREAM socket with a raw TCP peer, and CURVE with an
	// authenticator.
	if tr != "tcp" {
		return nil
	}
	stream, err := f.NewSocket(zmq.STREAM)
	if err != nil {
		return err
	}
	track(stream)
	sep, err := stream.Bind("tcp://127.0.0.1:*")
	if err != nil {
		return err
	}
	conn, err := net.DialTimeout("tcp", sep[len("tcp://"):], 5*time.Second)
	if err != nil {
		return err
	}
	if _, err := conn.Write([]byte("raw bytes")); err != nil {
		conn.Close()
		return err
	}
	for got := false; !got; {
		m, err := stream.Recv(ctx) // [id, ""] on connect, then [id, data]
		if err != nil {
			conn.Close()
			return fmt.Errorf("STREAM: %w", err)
		}
		got = len(m.Frames) == 2 && len(m.Frames[1]) > 0
	}
	conn.Close()
	c.msgs++

	if i%4 == 3 {
		return soakCurve(ctx, f, payload(i), track, c)
	}
	return nil
}

// soakCurve runs one CURVE exchange approved by an authenticator.
func soakCurve(ctx context.Context, f *zmq.Factory, body []byte, track func(interface{ Close() error }), c *soakCounts) error {
	server, err := zmq.NewCurveKeyPair()
	if err != nil {
		return err
	}
	client, err := zmq.NewCurveKeyPair()
	if err != nil {
		return err
	}
	a, err := auth.Start(f)
	if err != nil {
		return err
	}
	track(a)
	if err := a.AllowCurveKeys(client.Public); err != nil {
		return err
	}
	pull, err := f.NewPull(zmq.WithCurveServer(server.Secret))
	if err != nil {
		return err
	}
	track(pull)
	push, err := f.NewPush(zmq.WithCurveClient(server.Public, client))
	if err != nil {
		return err
	}
	track(push)
	if err := soakConnect(pull, push, "tcp://127.0.0.1:*"); err != nil {
		return err
	}
	if err := push.Send(ctx, zmq.NewMsg(body)); err != nil {
		return err
	}
	m, err := pull.Recv(ctx)
	if err != nil {
		return fmt.Errorf("CURVE PULL: %w", err)
	}
	if m.UserID() != client.Public {
		return fmt.Errorf("CURVE PULL: user id %q, want %q", m.UserID(), client.Public)
	}
	c.msgs++
	return nil
}

type soakBinder interface {
	Bind(string) (string, error)
}

type soakConnecter interface {
	Connect(string) error
}

// soakConnect binds s on ep and connects c to what was bound.
func soakConnect(s soakBinder, c soakConnecter, ep string) error {
	bound, err := s.Bind(ep)
	if err != nil {
		return err
	}
	return c.Connect(bound)
}
