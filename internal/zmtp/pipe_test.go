package zmtp

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// ZMTP peers both write their signature before reading anything (libzmq
// does), so over net.Pipe, whose writes wait for the reader, two peers
// would each wait in Write. bufPipe is net.Pipe with buffered writes: what
// a kernel socket buffer gives a tcp connection.
type bufPipe struct {
	mu     *sync.Mutex
	cond   *sync.Cond
	in     *[]byte // what the peer wrote to us
	out    *[]byte // what we write to the peer
	closed *bool
	chunk  int // at most this many octets per Read; 0: no limit
}

// newBufPipe returns two connected ends. They close themselves after
// limit, so a stuck handshake fails its test instead of hanging it.
func newBufPipe(t *testing.T, chunk int) (a, b *bufPipe) {
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	var ab, ba []byte
	closed := false
	a = &bufPipe{mu: &mu, cond: cond, in: &ba, out: &ab, closed: &closed, chunk: chunk}
	b = &bufPipe{mu: &mu, cond: cond, in: &ab, out: &ba, closed: &closed, chunk: chunk}
	timer := time.AfterFunc(10*time.Second, func() { a.Close() })
	t.Cleanup(func() { timer.Stop(); a.Close() })
	return a, b
}

func (p *bufPipe) Read(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(*p.in) == 0 && !*p.closed {
		p.cond.Wait()
	}
	if len(*p.in) == 0 {
		return 0, io.EOF
	}
	if p.chunk > 0 && len(b) > p.chunk {
		b = b[:p.chunk]
	}
	n := copy(b, *p.in)
	*p.in = (*p.in)[n:]
	return n, nil
}

func (p *bufPipe) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if *p.closed {
		return 0, io.ErrClosedPipe
	}
	*p.out = append(*p.out, b...)
	p.cond.Broadcast()
	return len(b), nil
}

// Close closes both ends: the peer reads EOF once it has read everything.
func (p *bufPipe) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	*p.closed = true
	p.cond.Broadcast()
	return nil
}

// oneOctetReads makes every Read of a connection return at most one octet.
type oneOctetReads struct{ net.Conn }

func (c oneOctetReads) Read(b []byte) (int, error) {
	if len(b) > 1 {
		b = b[:1]
	}
	return c.Conn.Read(b)
}

// tcpPair returns both ends of a loopback tcp connection.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type result struct {
		c   net.Conn
		err error
	}
	accepted := make(chan result, 1)
	go func() {
		c, err := ln.Accept()
		accepted <- result{c, err}
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	r := <-accepted
	if r.err != nil {
		client.Close()
		t.Fatal(r.err)
	}
	server = r.c
	deadline := time.Now().Add(10 * time.Second)
	for _, c := range []net.Conn{client, server} {
		c.SetDeadline(deadline)
		t.Cleanup(func() { c.Close() })
	}
	return client, server
}
