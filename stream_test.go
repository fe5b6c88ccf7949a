package zmq_test

// The raw STREAM socket: its peers are plain TCP (or unix-socket) programs,
// here net.Conn and net.Listener, or another STREAM socket. Every message
// is [routing id, body]; an empty body announces a connection or its end
// when received, and closes the connection when sent.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zmqx/zmq"
)

// newStream returns a STREAM socket of f.
func newStream(t testing.TB, f *zmq.Factory, opts ...zmq.SocketOption) *zmq.Socket {
	t.Helper()
	s, err := f.NewSocket(zmq.STREAM, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// streamInbox receives from a STREAM socket in the background for the
// rest of the test, so that a Recv is always waiting on it: a close the
// application asks for with [id, ""] reaches the connection only while the
// application keeps using the socket (libzmq acts on it the next time the
// socket is called), as any real STREAM server does by receiving.
type streamInbox struct {
	s  *zmq.Socket
	ch chan inboxItem
}

type inboxItem struct {
	m   zmq.Msg
	err error
}

// newStreamInbox starts receiving from s until the test ends.
func newStreamInbox(t testing.TB, s *zmq.Socket) *streamInbox {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	in := &streamInbox{s: s, ch: make(chan inboxItem, 1024)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			m, err := s.Recv(ctx)
			if ctx.Err() != nil {
				return
			}
			select {
			case in.ch <- inboxItem{m, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return in
}

// next returns the next message received, failing the test if none comes
// before ctx ends.
func (in *streamInbox) next(t testing.TB, ctx context.Context) zmq.Msg {
	t.Helper()
	select {
	case it := <-in.ch:
		if it.err != nil {
			t.Fatalf("STREAM recv: %v", it.err)
		}
		if len(it.m.Frames) != 2 || len(it.m.Frames[0]) == 0 {
			t.Fatalf("STREAM received %s, want [routing id, body]", it.m)
		}
		return it.m
	case <-ctx.Done():
		t.Fatalf("STREAM received nothing: %v", ctx.Err())
	}
	return zmq.Msg{}
}

// expectNotify receives a connect or disconnect notification, [id, ""],
// and returns its routing id.
func (in *streamInbox) expectNotify(t testing.TB, ctx context.Context) []byte {
	t.Helper()
	m := in.next(t, ctx)
	if len(m.Frames[1]) != 0 {
		t.Fatalf("STREAM received %s, want a notification [id, \"\"]", m)
	}
	return m.Frames[0]
}

// expectNotifyFrom receives a notification [id, ""] for the given id.
func (in *streamInbox) expectNotifyFrom(t testing.TB, ctx context.Context, id []byte) {
	t.Helper()
	if got := in.expectNotify(t, ctx); !bytes.Equal(got, id) {
		t.Fatalf("notification for id %q, want %q", got, id)
	}
}

// expectData receives data messages until each routing id in want has
// delivered exactly the bytes want holds for it, in order. A STREAM socket
// cuts the byte stream into messages as it pleases, so how many messages
// that takes is not checked; a notification, an unknown id or a byte too
// many fails the test.
func (in *streamInbox) expectData(t testing.TB, ctx context.Context, want map[string]string) {
	t.Helper()
	got := map[string][]byte{}
	pending := len(want)
	for id, w := range want {
		if len(w) == 0 {
			t.Fatalf("expectData: nothing expected from %q", id)
		}
	}
	for pending > 0 {
		m := in.next(t, ctx)
		id, body := string(m.Frames[0]), m.Frames[1]
		w, ok := want[id]
		switch {
		case !ok:
			t.Fatalf("STREAM received %s from unexpected id %q", m, id)
		case len(body) == 0:
			t.Fatalf("STREAM received a notification from %q while %q had come of %q", id, got[id], w)
		case len(got[id])+len(body) > len(w):
			t.Fatalf("STREAM received %q from %q, more than the %q expected", append(got[id], body...), id, w)
		}
		got[id] = append(got[id], body...)
		if len(got[id]) == len(w) {
			if string(got[id]) != w {
				t.Fatalf("STREAM received %q from %q, want %q", got[id], id, w)
			}
			pending--
		}
	}
}

// expectNothing checks that no message has been received.
func (in *streamInbox) expectNothing(t testing.TB) {
	t.Helper()
	select {
	case it := <-in.ch:
		t.Fatalf("STREAM unexpectedly received %s, %v", it.m, it.err)
	default:
	}
}

// streamSend sends [id, body] on s.
func streamSend(t testing.TB, ctx context.Context, s *zmq.Socket, id []byte, body string) {
	t.Helper()
	if err := s.Send(ctx, zmq.Msg{Frames: [][]byte{id, []byte(body)}}); err != nil {
		t.Fatalf("STREAM send %q to %q: %v", body, id, err)
	}
}

// streamClose asks s to close the connection of id: it sends [id, ""].
func streamClose(t testing.TB, ctx context.Context, s *zmq.Socket, id []byte) {
	t.Helper()
	if err := s.Send(ctx, zmq.Msg{Frames: [][]byte{id, {}}}); err != nil {
		t.Fatalf("STREAM send [%q, \"\"]: %v", id, err)
	}
}

// dialStream connects a plain client to a bound STREAM endpoint (tcp:// or
// ipc://) and closes it when the test ends.
func dialStream(t testing.TB, ep string) net.Conn {
	t.Helper()
	network, addr, ok := strings.Cut(ep, "://")
	if !ok {
		t.Fatalf("endpoint %q", ep)
	}
	if network == "ipc" {
		network = "unix"
	}
	c, err := net.DialTimeout(network, addr, waitLimit)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// writeConn writes s to c.
func writeConn(t testing.TB, c net.Conn, s string) {
	t.Helper()
	if err := c.SetWriteDeadline(time.Now().Add(waitLimit)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, s); err != nil {
		t.Fatalf("write %q: %v", s, err)
	}
}

// expectRead reads exactly len(want) bytes from c and checks them.
func expectRead(t testing.TB, c net.Conn, want string) {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(waitLimit)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len(want))
	if n, err := io.ReadFull(c, buf); err != nil {
		t.Fatalf("read: got %q, %v; want %q", buf[:n], err, want)
	}
	if string(buf) != want {
		t.Fatalf("read %q, want %q", buf, want)
	}
}

// expectEOF reads c to its end and checks that exactly want came first.
func expectEOF(t testing.TB, c net.Conn, want string) {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(waitLimit)); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read to EOF: %v after %d bytes", err, len(got))
	}
	if string(got) != want {
		t.Fatalf("read %d bytes before EOF (%.40q), want %d (%.40q)", len(got), got, len(want), want)
	}
}

// acceptConn accepts one connection on ln and closes it when the test ends.
func acceptConn(t testing.TB, ln net.Listener) net.Conn {
	t.Helper()
	if err := ln.(*net.TCPListener).SetDeadline(time.Now().Add(waitLimit)); err != nil {
		t.Fatal(err)
	}
	c, err := ln.Accept()
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// listenTCP listens on an ephemeral loopback port until the test ends.
func listenTCP(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// streamWithClient returns a STREAM socket bound on transport, receiving
// in the background, and a plain client connected to it.
func streamWithClient(t testing.TB, transport string, opts ...zmq.SocketOption) (*zmq.Socket, *streamInbox, net.Conn) {
	t.Helper()
	srv := newStream(t, newFactory(t), opts...)
	in := newStreamInbox(t, srv)
	return srv, in, dialStream(t, bind(t, srv, transport))
}

// streamServerConversation runs a whole conversation between a bound
// STREAM server and a plain client on transport: connect notification,
// data both ways, and a close by the server that the client reads as EOF
// after the last data the server sent.
func streamServerConversation(t *testing.T, transport string) {
	ctx := testCtx(t, 20*time.Second)
	srv, in, c := streamWithClient(t, transport)

	id := in.expectNotify(t, ctx)
	writeConn(t, c, "hello, server")
	in.expectData(t, ctx, map[string]string{string(id): "hello, server"})

	streamSend(t, ctx, srv, id, "hello, client")
	expectRead(t, c, "hello, client")

	// More data both ways on the same connection, and the same id.
	writeConn(t, c, "second")
	in.expectData(t, ctx, map[string]string{string(id): "second"})

	// The data sent just before the close reaches the client, then EOF.
	streamSend(t, ctx, srv, id, "goodbye")
	streamClose(t, ctx, srv, id)
	expectEOF(t, c, "goodbye")
}

// A plain TCP client of a bound STREAM socket: the server sees the
// connection as [id, ""], then the client's bytes as [id, data]; what the
// server sends as [id, data] reaches the client, and [id, ""] closes the
// connection after everything sent before it.
func TestStreamServerTCPClient(t *testing.T) {
	t.Parallel()
	streamServerConversation(t, "tcp")
}

// The same conversation over ipc, with a unix-socket client.
func TestStreamServerIPCClient(t *testing.T) {
	t.Parallel()
	streamServerConversation(t, "ipc")
}

// What the server sends right before closing reaches the client whole,
// even when it is far more than the socket buffers hold: the close waits
// for it.
func TestStreamServerCloseAfterLargeSend(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	srv, in, c := streamWithClient(t, "tcp")
	id := in.expectNotify(t, ctx)

	big := strings.Repeat("0123456789abcdef", 1<<18) // 4 MiB
	streamSend(t, ctx, srv, id, big)
	streamSend(t, ctx, srv, id, "the end")
	streamClose(t, ctx, srv, id)
	expectEOF(t, c, big+"the end")
}

// A client that closes its connection is announced by a disconnect
// notification with the id of its connect notification; the id is
// unknown from then on.
func TestStreamClientDisconnectNotification(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 20*time.Second)
	srv, in, c := streamWithClient(t, "tcp")

	id := in.expectNotify(t, ctx)
	writeConn(t, c, "bye")
	in.expectData(t, ctx, map[string]string{string(id): "bye"})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	in.expectNotifyFrom(t, ctx, id)

	eventually(t, "a send to the closed connection's id fails with ErrHostUnreachable", func() bool {
		err := srv.TrySend(zmq.Msg{Frames: [][]byte{id, []byte("anyone?")}})
		return errors.Is(err, zmq.ErrHostUnreachable)
	})
	in.expectNothing(t)
}

// WithStreamNotify(false): no message announces a connection or its end;
// the first message from a client is its data.
func TestStreamNotifyOff(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 20*time.Second)
	srv, in, c := streamWithClient(t, "tcp", zmq.WithStreamNotify(false))

	writeConn(t, c, "data first")
	m := in.next(t, ctx)
	id := m.Frames[0]
	if body := string(m.Frames[1]); body == "" || !strings.HasPrefix("data first", body) {
		t.Fatalf("first message %s, want data: the start of %q", m, "data first")
	} else if rest := strings.TrimPrefix("data first", body); rest != "" {
		in.expectData(t, ctx, map[string]string{string(id): rest})
	}
	streamSend(t, ctx, srv, id, "reply")
	expectRead(t, c, "reply")

	// The client leaves without a word: the server forgets the id, and
	// no message says so.
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a send to the closed connection's id fails with ErrHostUnreachable", func() bool {
		err := srv.TrySend(zmq.Msg{Frames: [][]byte{id, []byte("anyone?")}})
		return errors.Is(err, zmq.ErrHostUnreachable)
	})
	in.expectNothing(t)
}

// A STREAM socket that connects to a plain TCP server.
func TestStreamClientOfTCPServer(t *testing.T) {
	t.Parallel()
	// Closing by [id, ""] ends the server's connection: it reads EOF
	// after the data sent before. The socket does not connect again: the
	// id is gone.
	t.Run("close by STREAM", func(t *testing.T) {
		t.Parallel()
		f := newFactory(t)
		ctx := testCtx(t, 20*time.Second)
		ln := listenTCP(t)
		cli := newStream(t, f)
		in := newStreamInbox(t, cli)
		connectTo(t, cli, "tcp://"+ln.Addr().String())
		conn := acceptConn(t, ln)

		id := in.expectNotify(t, ctx)
		streamSend(t, ctx, cli, id, "request")
		expectRead(t, conn, "request")
		writeConn(t, conn, "response")
		in.expectData(t, ctx, map[string]string{string(id): "response"})

		streamSend(t, ctx, cli, id, "last words")
		streamClose(t, ctx, cli, id)
		expectEOF(t, conn, "last words")
		eventually(t, "a send to the closed connection's id fails with ErrHostUnreachable", func() bool {
			err := cli.TrySend(zmq.Msg{Frames: [][]byte{id, []byte("anyone?")}})
			return errors.Is(err, zmq.ErrHostUnreachable)
		})
	})
	// The server closing the accepted connection is announced by [id, ""]
	// with the id of the connect notification; the STREAM socket then
	// connects again, like any connecting ZeroMQ socket.
	t.Run("close by server", func(t *testing.T) {
		t.Parallel()
		f := newFactory(t)
		ctx := testCtx(t, 20*time.Second)
		ln := listenTCP(t)
		cli := newStream(t, f, zmq.WithReconnectInterval(10*time.Millisecond))
		in := newStreamInbox(t, cli)
		connectTo(t, cli, "tcp://"+ln.Addr().String())
		conn := acceptConn(t, ln)

		id := in.expectNotify(t, ctx)
		writeConn(t, conn, "welcome")
		in.expectData(t, ctx, map[string]string{string(id): "welcome"})
		if err := conn.Close(); err != nil {
			t.Fatal(err)
		}
		in.expectNotifyFrom(t, ctx, id)

		again := acceptConn(t, ln)
		id2 := in.expectNotify(t, ctx)
		streamSend(t, ctx, cli, id2, "back again")
		expectRead(t, again, "back again")
		writeConn(t, again, "welcome back")
		in.expectData(t, ctx, map[string]string{string(id2): "welcome back"})
	})
}

// A send to a routing id that names no connection fails with
// ErrHostUnreachable and sends nothing, whether it carries data or asks
// for a close; the socket goes on serving its real peers.
func TestStreamSendUnknownID(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 20*time.Second)
	srv, in, c := streamWithClient(t, "tcp")
	id := in.expectNotify(t, ctx)

	nobody := []byte("no such peer")
	for _, body := range []string{"data", ""} {
		err := srv.Send(ctx, zmq.Msg{Frames: [][]byte{nobody, []byte(body)}})
		if !errors.Is(err, zmq.ErrHostUnreachable) {
			t.Errorf("Send [%q, %q]: %v, want ErrHostUnreachable", nobody, body, err)
		}
		err = srv.TrySend(zmq.Msg{Frames: [][]byte{nobody, []byte(body)}})
		if !errors.Is(err, zmq.ErrHostUnreachable) {
			t.Errorf("TrySend [%q, %q]: %v, want ErrHostUnreachable", nobody, body, err)
		}
	}

	streamSend(t, ctx, srv, id, "still here")
	streamClose(t, ctx, srv, id)
	expectEOF(t, c, "still here")
}

// A STREAM message is an id and data: other shapes are refused with
// EINVAL and send nothing, and the messages after them are not thrown out
// of step.
func TestStreamRefusesMessagesOfOtherShapes(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 20*time.Second)
	srv, in, c := streamWithClient(t, "tcp")
	id := in.expectNotify(t, ctx)

	for _, frames := range [][][]byte{
		{id},
		{id, []byte("a"), []byte("b")},
	} {
		if err := srv.Send(ctx, zmq.Msg{Frames: frames}); !errors.Is(err, zmq.EINVAL) {
			t.Errorf("Send of %d frames: %v, want EINVAL", len(frames), err)
		}
		if err := srv.TrySend(zmq.Msg{Frames: frames}); !errors.Is(err, zmq.EINVAL) {
			t.Errorf("TrySend of %d frames: %v, want EINVAL", len(frames), err)
		}
	}
	streamSend(t, ctx, srv, id, "one")
	streamSend(t, ctx, srv, id, "two")
	streamClose(t, ctx, srv, id)
	expectEOF(t, c, "onetwo")
}

// Two clients get distinct routing ids, and what the server sends to one
// id reaches that client only.
func TestStreamTwoClientsDistinctIDs(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	ctx := testCtx(t, 20*time.Second)
	srv := newStream(t, f)
	in := newStreamInbox(t, srv)
	ep := bind(t, srv, "tcp")

	a := dialStream(t, ep)
	idA := in.expectNotify(t, ctx)
	b := dialStream(t, ep)
	idB := in.expectNotify(t, ctx)
	if bytes.Equal(idA, idB) {
		t.Fatalf("both clients have routing id %q", idA)
	}

	writeConn(t, a, "I am A")
	writeConn(t, b, "and I am B")
	in.expectData(t, ctx, map[string]string{string(idA): "I am A", string(idB): "and I am B"})

	// Answer in the other order; each client reads its own answer, and
	// nothing else before the server closes it.
	streamSend(t, ctx, srv, idB, "for B only")
	streamSend(t, ctx, srv, idA, "for A")
	streamClose(t, ctx, srv, idB)
	streamClose(t, ctx, srv, idA)
	expectEOF(t, a, "for A")
	expectEOF(t, b, "for B only")
}

// Two STREAM sockets over tcp: each sees the connection as [id, ""] under
// its own id for the other, and bytes flow both ways; a close by one is
// announced to the other.
func TestStreamToStream(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	ctx := testCtx(t, 20*time.Second)
	srv := newStream(t, f)
	srvIn := newStreamInbox(t, srv)
	cli := newStream(t, f)
	cliIn := newStreamInbox(t, cli)
	connectTo(t, cli, bind(t, srv, "tcp"))

	toSrv := cliIn.expectNotify(t, ctx)
	toCli := srvIn.expectNotify(t, ctx)

	streamSend(t, ctx, cli, toSrv, "ping from client")
	srvIn.expectData(t, ctx, map[string]string{string(toCli): "ping from client"})
	streamSend(t, ctx, srv, toCli, "pong from server")
	cliIn.expectData(t, ctx, map[string]string{string(toSrv): "pong from server"})

	streamSend(t, ctx, srv, toCli, "closing")
	streamClose(t, ctx, srv, toCli)
	cliIn.expectData(t, ctx, map[string]string{string(toSrv): "closing"})
	cliIn.expectNotifyFrom(t, ctx, toSrv)
}

// A STREAM send waits at the high-water mark while the peer reads
// nothing, TrySend fails with EAGAIN, and both go on once the peer reads;
// no byte is lost.
func TestStreamSendWaitsForSlowPeer(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 60*time.Second)
	srv, in, c := streamWithClient(t, "tcp", zmq.WithSendHWM(4), zmq.WithSendBuffer(64<<10))
	id := in.expectNotify(t, ctx)

	chunk := bytes.Repeat([]byte("z"), 64<<10)
	msg := zmq.Msg{Frames: [][]byte{id, chunk}}
	sent := 0
	done := make(chan error, 1)
	for {
		// TrySend goes through until the pipe and the kernel's buffers
		// are full, then fails with EAGAIN.
		for {
			err := srv.TrySend(msg)
			if errors.Is(err, zmq.EAGAIN) {
				break
			}
			if err != nil {
				t.Fatalf("TrySend after %d bytes: %v", sent, err)
			}
			sent += len(chunk)
			if sent > 256<<20 {
				t.Fatalf("sent %d bytes to a peer that reads nothing without EAGAIN", sent)
			}
		}
		// A Send then waits (SendWaits counts it). libzmq's I/O thread
		// may still move bytes to the kernel after an EAGAIN: a Send that
		// goes through means more room, and filling goes on.
		waits := srv.Stats().SendWaits
		go func() { done <- srv.Send(ctx, msg) }()
		completed := false
		eventually(t, "a Send at the high-water mark waits or goes through", func() bool {
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("Send after %d bytes: %v", sent, err)
				}
				completed = true
				return true
			default:
				return srv.Stats().SendWaits > waits
			}
		})
		if !completed {
			break
		}
		sent += len(chunk)
		if sent > 256<<20 {
			t.Fatalf("sent %d bytes to a peer that reads nothing without a Send waiting", sent)
		}
	}

	// The peer reads: the waiting send completes.
	read := make(chan error, 1)
	go func() {
		if err := c.SetReadDeadline(time.Now().Add(waitLimit)); err != nil {
			read <- err
			return
		}
		n, err := io.CopyN(io.Discard, c, int64(sent+len(chunk)))
		if err == nil && n != int64(sent+len(chunk)) {
			err = io.ErrUnexpectedEOF
		}
		read <- err
	}()
	if err := <-done; err != nil {
		t.Fatalf("the waiting Send, once the peer reads: %v", err)
	}
	if err := <-read; err != nil {
		t.Fatalf("client read of %d bytes: %v", sent+len(chunk), err)
	}
	streamClose(t, ctx, srv, id)
	expectEOF(t, c, "")
}

// A STREAM connection has no handshake: the monitor sees it accepted and
// then disconnected, and never a successful handshake.
func TestStreamMonitorReportsNoHandshake(t *testing.T) {
	t.Parallel()
	f := newFactory(t)
	ctx := testCtx(t, 20*time.Second)
	srv := newStream(t, f)
	mon, err := srv.Monitor(zmq.EventAll)
	if err != nil {
		t.Fatal(err)
	}
	defer mon.Close()
	in := newStreamInbox(t, srv)
	c := dialStream(t, bind(t, srv, "tcp"))
	id := in.expectNotify(t, ctx)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	in.expectNotifyFrom(t, ctx, id)

	var seen []zmq.EventType
	for {
		ev, err := mon.Recv(ctx)
		if err != nil {
			t.Fatalf("monitor, after %v: %v", seen, err)
		}
		seen = append(seen, ev.Type)
		if ev.Type == zmq.EventHandshakeSucceeded {
			t.Fatalf("events %v: a handshake succeeded on a STREAM connection", seen)
		}
		if ev.Type == zmq.EventDisconnected {
			break
		}
	}
	if !slices.Contains(seen, zmq.EventAccepted) {
		t.Fatalf("events %v: no EventAccepted before EventDisconnected", seen)
	}
}
