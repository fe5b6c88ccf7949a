package gozmq

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/zmqx/zmq/internal/engine"
	"github.com/zmqx/zmq/internal/zmtp"
)

// rawPeer listens on loopback and hands each accepted connection, after
// a ZMTP handshake as typ, to serve.
func rawPeer(t *testing.T, typ zmtp.SocketType, serve func(net.Conn, *zmtp.Session)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			nc.SetDeadline(time.Now().Add(10 * time.Second))
			sess, err := zmtp.Handshake(nc, &zmtp.Config{SocketType: typ})
			if err == nil {
				serve(nc, sess)
			}
			nc.Close()
		}
	}()
	return "tcp://" + ln.Addr().String()
}

func TestPingIsAnsweredWithPong(t *testing.T) {
	e := newEngine(t)
	got := make(chan string, 1)
	ep := rawPeer(t, zmtp.Pull, func(nc net.Conn, sess *zmtp.Session) {
		buf, _ := sess.Encoder.AppendPing(nil, 0, []byte("ctx"))
		nc.Write(buf)
		for {
			f, err := sess.Decoder.Next()
			if err != nil {
				got <- err.Error()
				return
			}
			if f.Command {
				cmd, _ := zmtp.ParseCommand(f.Body)
				got <- cmd.Name + " " + string(cmd.Data)
				return
			}
		}
	})
	push := newSock(t, e, engine.PUSH)
	connect(t, push, ep)
	select {
	case m := <-got:
		if m != "PONG ctx" {
			t.Fatalf("peer got %q, want PONG with the context", m)
		}
	case <-ctxT(t).Done():
		t.Fatal("no PONG")
	}
}

func TestHeartbeatTimeoutDropsSilentPeer(t *testing.T) {
	for _, busy := range []bool{false, true} {
		t.Run(map[bool]string{false: "idle", true: "while-sending"}[busy], func(t *testing.T) {
			heartbeatTimeout(t, busy)
		})
	}
}

// heartbeatTimeout checks that a peer that answers nothing is dropped, also
// while messages keep the connection's writer busy.
func heartbeatTimeout(t *testing.T, busy bool) {
	e := newEngine(t)
	release := make(chan struct{})
	ep := rawPeer(t, zmtp.Pull, func(net.Conn, *zmtp.Session) { <-release }) // never answers
	t.Cleanup(func() { close(release) })
	push := newSock(t, e, engine.PUSH,
		opt(engine.OptHeartbeatIvl, engine.Int(20)), opt(engine.OptHeartbeatTimeout, engine.Int(50)))
	mon, err := push.Monitor(engine.EventDisconnected)
	if err != nil {
		t.Fatal(err)
	}
	defer mon.Close()
	connect(t, push, ep)
	stop := make(chan struct{})
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for busy {
			select {
			case <-stop:
				return
			default:
				push.TrySend([][]byte{[]byte("traffic")})
			}
		}
	}()
	ev, err := mon.Recv(ctxT(t))
	close(stop)
	<-sent
	if err != nil || ev.Type != engine.EventDisconnected {
		t.Fatalf("got %+v, %v; want a disconnect after the heartbeat timeout", ev, err)
	}
}

func TestProtocolErrorStopsReconnecting(t *testing.T) {
	e := newEngine(t)
	ep := rawPeer(t, zmtp.Pub, func(net.Conn, *zmtp.Session) {}) // PUB cannot talk to PUSH
	push := newSock(t, e, engine.PUSH, opt(engine.OptReconnectIvl, engine.Int(10)))
	mon, err := push.Monitor(engine.EventHandshakeFailedProtocol)
	if err != nil {
		t.Fatal(err)
	}
	defer mon.Close()
	connect(t, push, ep)
	if _, err := mon.Recv(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	push.mu.Lock()
	c := push.connecters[ep][0]
	push.mu.Unlock()
	select {
	case <-c.finished:
	case <-ctxT(t).Done():
		t.Fatal("the connecter is still trying after a protocol error")
	}
}

func TestReconnectIntervalHasJitter(t *testing.T) {
	e := newEngine(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ep := "tcp://" + ln.Addr().String()
	ln.Close() // nobody listens: every attempt fails
	push := newSock(t, e, engine.PUSH,
		opt(engine.OptReconnectIvl, engine.Int(10)), opt(engine.OptReconnectIvlMax, engine.Int(40)))
	mon, err := push.Monitor(engine.EventConnectRetried)
	if err != nil {
		t.Fatal(err)
	}
	defer mon.Close()
	connect(t, push, ep)
	// Intervals: base 10 plus up to 10 of jitter, doubling to at most 40.
	lows := []uint32{10, 20, 40, 40}
	for _, low := range lows {
		ev, err := mon.Recv(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		if ev.Value < low || ev.Value >= low+10 {
			t.Fatalf("retry after %d ms, want %d to %d", ev.Value, low, low+9)
		}
	}
}

func TestBindErrors(t *testing.T) {
	e := newEngine(t)
	a := newSock(t, e, engine.PULL)
	b := newSock(t, e, engine.PULL)
	ep := bindAny(t, a, "tcp")
	if _, err := b.Bind(ep); !errors.Is(err, errAddrInUse) {
		t.Fatalf("binding %s twice: %v, want EADDRINUSE", ep, err)
	}
	in := bindAny(t, a, "inproc")
	if _, err := b.Bind(in); !errors.Is(err, errAddrInUse) {
		t.Fatalf("binding %s twice: %v, want EADDRINUSE", in, err)
	}
	if err := a.Unbind("tcp://127.0.0.1:1"); !errors.Is(err, errNoEnt) {
		t.Fatalf("unbind of an unknown endpoint: %v, want ENOENT", err)
	}
	if err := a.Disconnect("inproc://nobody"); !errors.Is(err, errNoEnt) {
		t.Fatalf("disconnect of an unknown endpoint: %v, want ENOENT", err)
	}
	ipc := bindAny(t, a, "ipc")
	path := strings.TrimPrefix(ipc, "ipc://")
	if err := a.Unbind(ipc); err != nil {
		t.Fatal(err)
	}
	if _, err := net.Dial("unix", path); err == nil {
		t.Fatalf("%s still accepts connections after unbind", path)
	}
}
