package curve

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Live tests: our handshake and MESSAGEs against libzmq 4.3.4 through pyzmq,
// over loopback TCP, with the minimal ZMTP peer of zmtp_test.go.

const python = "/usr/bin/python3" // the Debian one, which has pyzmq on libzmq 4.3.4

var pyzmqCheck = sync.OnceValue(func() error {
	return exec.Command(python, "-c", "import zmq, zmq.auth.thread; assert zmq.has('curve')").Run()
})

// startPython runs a test script, returns its stdout, and kills it when the
// test ends. Its stderr goes to the test log on failure.
func startPython(t *testing.T, script string, args ...string) (*exec.Cmd, *bufio.Reader) {
	t.Helper()
	if err := pyzmqCheck(); err != nil {
		t.Skipf("no pyzmq with CURVE at %s: %v", python, err)
	}
	cmd := exec.Command(python, append([]string{"testdata/" + script}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe() // the script ends when this closes
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("%s stderr:\n%s", script, stderr.String())
		}
	})
	return cmd, bufio.NewReader(stdout)
}

// startLibzmqServer starts a pyzmq REP echo server with CURVE, ZAP admitting
// only allowed, and heartbeats; it returns the server's address.
func startLibzmqServer(t *testing.T, server KeyPair, allowed Key, heartbeatIvl, heartbeatTimeout int) string {
	t.Helper()
	_, out := startPython(t, "rep_server.py", server.Secret.Z85(), allowed.Z85(),
		strconv.Itoa(heartbeatIvl), strconv.Itoa(heartbeatTimeout))
	line, err := out.ReadString('\n')
	if err != nil {
		t.Fatalf("reading the server's port: %v", err)
	}
	return net.JoinHostPort("127.0.0.1", strings.TrimSpace(line))
}

// dialAndHandshake connects to addr, greets, sends HELLO and INITIATE as a
// REQ socket and returns the connection with the client after INITIATE.
func dialAndInitiate(t *testing.T, addr string, serverKey Key, client KeyPair) (*zmtpConn, *Client) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	z := newZMTPConn(t, conn)
	if err := z.greet(false); err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(serverKey, client)
	if err != nil {
		t.Fatal(err)
	}
	hello, _ := c.Hello()
	if err := z.writeFrame(frameCommand, hello); err != nil {
		t.Fatal(err)
	}
	welcome, err := z.readCommand()
	if err != nil {
		t.Fatalf("waiting for WELCOME: %v", err)
	}
	if err := c.Welcome(welcome); err != nil {
		t.Fatal(err)
	}
	initiate, _ := c.Initiate(metadata("Socket-Type", "REQ"))
	if err := z.writeFrame(frameCommand, initiate); err != nil {
		t.Fatal(err)
	}
	return z, c
}

// liveClient completes a handshake with a libzmq REP server.
func liveClient(t *testing.T, addr string, serverKey Key, client KeyPair) (*zmtpConn, *Session) {
	t.Helper()
	z, c := dialAndInitiate(t, addr, serverKey, client)
	ready, err := z.readCommand()
	if err != nil {
		t.Fatalf("waiting for READY: %v", err)
	}
	if n := binary.BigEndian.Uint64(ready[6:14]); n != 1 {
		t.Errorf("libzmq's READY has short nonce %d, want 1", n)
	}
	meta, s, err := c.Ready(ready)
	if err != nil {
		t.Fatal(err)
	}
	props, err := parseMetadata(meta)
	if err != nil || props["Socket-Type"] != "REP" {
		t.Fatalf("libzmq's READY metadata %q (%v), want Socket-Type REP", meta, err)
	}
	return z, s
}

// peerLog follows what a live peer sends: its MESSAGE nonces must run on
// from first without a gap, PINGs are answered unless mute.
type peerLog struct {
	t         *testing.T
	z         *zmtpConn
	s         *Session
	nextNonce uint64
	pings     int
	pongs     []string // contexts of PONGs received
	mute      bool
}

// next returns the next frame the peer sends, answering its PINGs (unless
// mute) and recording its PONGs on the way.
func (p *peerLog) next() (flags byte, data []byte, err error) {
	flags, data, nonce, err := p.z.recvMessage(p.s)
	if err != nil {
		return 0, nil, err
	}
	if nonce != p.nextNonce {
		p.t.Errorf("peer MESSAGE short nonce %d, want %d", nonce, p.nextNonce)
	}
	p.nextNonce = nonce + 1
	if flags&FlagCommand == 0 {
		return flags, data, nil
	}
	switch {
	case bytes.HasPrefix(data, []byte("\x04PING")) && len(data) >= 7:
		p.pings++
		if !p.mute {
			err = p.z.sendMessage(p.s, FlagCommand, append([]byte("\x04PONG"), data[7:]...))
		}
	case bytes.HasPrefix(data, []byte("\x04PONG")):
		p.pongs = append(p.pongs, string(data[5:]))
	default:
		p.t.Errorf("unexpected command inside MESSAGE: %q", data)
	}
	return flags, data, err
}

// command waits for the next command, failing the test on data.
func (p *peerLog) command(what string) {
	p.t.Helper()
	flags, data, err := p.next()
	if err != nil || flags&FlagCommand == 0 {
		p.t.Fatalf("waiting for %s: data %q, %v", what, data, err)
	}
}

// message returns the next whole message of data frames.
func (p *peerLog) message() ([]string, error) {
	var frames []string
	for {
		flags, data, err := p.next()
		if err != nil {
			return nil, err
		}
		if flags&FlagCommand != 0 {
			continue
		}
		frames = append(frames, string(data))
		if flags&FlagMore == 0 {
			return frames, nil
		}
	}
}

func TestLiveOurClientWithLibzmqServer(t *testing.T) {
	server, client := GenerateKeyPair(), GenerateKeyPair()
	addr := startLibzmqServer(t, server, client.Public, 100, 400)
	z, s := liveClient(t, addr, server.Public, client)
	peer := &peerLog{t: t, z: z, s: s, nextNonce: 2} // libzmq's server: READY 1, then MESSAGE 2...

	request := func(body string) {
		t.Helper()
		// REQ envelope: an empty delimiter frame, then the body.
		if err := z.sendMessage(s, FlagMore, nil); err != nil {
			t.Fatal(err)
		}
		if err := z.sendMessage(s, 0, []byte(body)); err != nil {
			t.Fatal(err)
		}
		reply, err := peer.message()
		if err != nil {
			t.Fatalf("waiting for the reply to %q: %v", body, err)
		}
		if len(reply) != 2 || reply[0] != "" || reply[1] != body {
			t.Fatalf("reply %q, want [\"\" %q]", reply, body)
		}
	}
	request("hello")
	request(strings.Repeat("long ", 100)) // a LONG frame each way

	// libzmq PINGs every 100 ms and drops the link 400 ms after a PING
	// that nothing answers; answering five spans more than that.
	for peer.pings < 5 {
		peer.command("PINGs")
	}
	// Our own PING, with a context, comes back as PONG.
	if err := z.sendMessage(s, FlagCommand, []byte("\x04PING\x00\x00ctx")); err != nil {
		t.Fatal(err)
	}
	for len(peer.pongs) == 0 {
		peer.command("the PONG to our PING")
	}
	if peer.pongs[0] != "ctx" {
		t.Errorf("libzmq's PONG context %q, want ctx", peer.pongs[0])
	}
	request("still here")
}

func TestLiveLibzmqDropsUsWhenWeDoNotAnswerPings(t *testing.T) {
	server, client := GenerateKeyPair(), GenerateKeyPair()
	addr := startLibzmqServer(t, server, client.Public, 100, 400)
	z, s := liveClient(t, addr, server.Public, client)
	peer := &peerLog{t: t, z: z, s: s, nextNonce: 2, mute: true}
	var err error
	for err == nil {
		var flags byte
		var data []byte
		if flags, data, err = peer.next(); err == nil && flags&FlagCommand == 0 {
			t.Fatalf("got data %q, want the connection closed", data)
		}
	}
	if peer.pings == 0 || !isClosed(err) {
		t.Fatalf("after %d PINGs: %v, want the connection closed after a PING", peer.pings, err)
	}
}

func TestLiveLibzmqServerRefusesAClientZAPDoesNotKnow(t *testing.T) {
	server, client, stranger := GenerateKeyPair(), GenerateKeyPair(), GenerateKeyPair()
	addr := startLibzmqServer(t, server, client.Public, 0, 0)
	z, _ := dialAndInitiate(t, addr, server.Public, stranger)
	body, err := z.readCommand()
	if err != nil {
		t.Fatalf("waiting for ERROR: %v", err)
	}
	reason, err := ParseError(body)
	if err != nil || reason != "400" {
		t.Fatalf("libzmq answered %q: reason %q, %v; want ERROR 400", body, reason, err)
	}
}

func TestLiveLibzmqServerClosesOnTheWrongServerKey(t *testing.T) {
	server, client := GenerateKeyPair(), GenerateKeyPair()
	addr := startLibzmqServer(t, server, client.Public, 0, 0)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	z := newZMTPConn(t, conn)
	if err := z.greet(false); err != nil {
		t.Fatal(err)
	}
	c, _ := NewClient(GenerateKeyPair().Public, client)
	hello, _ := c.Hello()
	if err := z.writeFrame(frameCommand, hello); err != nil {
		t.Fatal(err)
	}
	if _, body, err := z.readFrame(); !isClosed(err) {
		t.Fatalf("libzmq answered a HELLO for another server with %q, %v; want the connection closed", body, err)
	}
}

func TestLiveLibzmqClientWithOurServer(t *testing.T) {
	server, client := GenerateKeyPair(), GenerateKeyPair()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	requests := []string{"one", strings.Repeat("two ", 100), "three"}
	cmd, out := startPython(t, "req_client.py", append([]string{port, server.Public.Z85(),
		client.Public.Z85(), client.Secret.Z85(), "100"}, requests...)...)

	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	z := newZMTPConn(t, conn)
	if err := z.greet(true); err != nil {
		t.Fatal(err)
	}
	srv := NewServer(server.Secret)
	hello, err := z.readCommand()
	if err != nil {
		t.Fatal(err)
	}
	if n := binary.BigEndian.Uint64(hello[helloNonceAt:]); len(hello) != 200 || n != 1 {
		t.Errorf("libzmq's HELLO is %d octets with short nonce %d, want 200 and 1", len(hello), n)
	}
	welcome, err := srv.Hello(hello)
	if err != nil {
		t.Fatal(err)
	}
	if err := z.writeFrame(frameCommand, welcome); err != nil {
		t.Fatal(err)
	}
	initiate, err := z.readCommand()
	if err != nil {
		t.Fatal(err)
	}
	if n := binary.BigEndian.Uint64(initiate[initiateNonceAt:]); n != 2 {
		t.Errorf("libzmq's INITIATE short nonce %d, want 2", n)
	}
	key, meta, err := srv.Initiate(initiate)
	if err != nil {
		t.Fatal(err)
	}
	if key != client.Public {
		t.Errorf("the server learned client key %s, want %s", key.Z85(), client.Public.Z85())
	}
	if props, err := parseMetadata(meta); err != nil || props["Socket-Type"] != "REQ" {
		t.Errorf("libzmq's INITIATE metadata %q (%v), want Socket-Type REQ", meta, err)
	}
	ready, s, err := srv.Ready(metadata("Socket-Type", "REP"))
	if err != nil {
		t.Fatal(err)
	}
	if err := z.writeFrame(frameCommand, ready); err != nil {
		t.Fatal(err)
	}

	peer := &peerLog{t: t, z: z, s: s, nextNonce: 3} // libzmq's client: HELLO 1, INITIATE 2, MESSAGE 3...
	for i, want := range requests {
		req, err := peer.message()
		if err != nil {
			t.Fatalf("waiting for request %d: %v", i, err)
		}
		if len(req) != 2 || req[0] != "" || req[1] != want {
			t.Fatalf("request %q, want [\"\" %q]", req, want)
		}
		if i == 0 {
			// Hold the first reply until the client's heartbeat has
			// shown up twice (and been answered).
			for peer.pings < 2 {
				peer.command("the client's PINGs")
			}
		}
		for j, frame := range req {
			flags := FlagMore
			if j == len(req)-1 {
				flags = 0
			}
			if err := z.sendMessage(s, flags, []byte(frame)); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := io.ReadAll(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the pyzmq client failed: %v", err)
	}
	if want := strings.Join(requests, "\n") + "\n"; string(got) != want {
		t.Fatalf("the pyzmq client printed %q, want %q", got, want)
	}
}

// isClosed reports whether err is the peer closing the connection.
func isClosed(err error) bool {
	var op *net.OpError
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		(errors.As(err, &op) && !op.Timeout()) || errors.Is(err, os.ErrClosed)
}
