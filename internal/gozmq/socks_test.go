package gozmq

import (
	"encoding/binary"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"

	"github.com/zmqx/zmq/internal/engine"
)

// socksProxy runs a minimal SOCKS5 proxy (no authentication, CONNECT only)
// on loopback and returns its address and how many connections it made.
func socksProxy(t *testing.T) (string, func() int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		made  int
		wg    sync.WaitGroup
	)
	track := func(c net.Conn) {
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
	}
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	serve := func(c net.Conn) {
		buf := make([]byte, 262)
		if _, err := io.ReadFull(c, buf[:3]); err != nil {
			return
		}
		c.Write([]byte{5, 0})
		if _, err := io.ReadFull(c, buf[:5]); err != nil || buf[3] != 1 {
			return // IPv4 targets are all this test uses
		}
		if _, err := io.ReadFull(c, buf[5:10]); err != nil {
			return
		}
		ip := net.IP(buf[4:8])
		port := binary.BigEndian.Uint16(buf[8:10])
		up, err := net.Dial("tcp", net.JoinHostPort(ip.String(), strconv.Itoa(int(port))))
		if err != nil {
			c.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0})
			return
		}
		track(up)
		mu.Lock()
		made++
		mu.Unlock()
		c.Write([]byte{5, 0, 0, 1, 0, 0, 0, 0, 0, 0})
		wg.Add(1)
		go func() {
			defer wg.Done()
			io.Copy(up, c)
			up.Close()
		}()
		io.Copy(c, up)
		c.Close()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			track(c)
			wg.Add(1)
			go func() {
				defer wg.Done()
				serve(c)
			}()
		}
	}()
	return ln.Addr().String(), func() int {
		mu.Lock()
		defer mu.Unlock()
		return made
	}
}

func TestConnectThroughSocksProxy(t *testing.T) {
	proxy, made := socksProxy(t)
	e := newEngine(t)
	pull := newSock(t, e, engine.PULL)
	ep := bindAny(t, pull, "tcp")
	push := newSock(t, e, engine.PUSH, opt(engine.OptSocksProxy, engine.Bytes([]byte(proxy))))
	connect(t, push, ep)
	send(t, push, "via the proxy")
	if got := recv(t, pull); got[0] != "via the proxy" {
		t.Fatalf("got %q", got)
	}
	if n := made(); n != 1 {
		t.Fatalf("the proxy made %d connections, want 1", n)
	}
}
