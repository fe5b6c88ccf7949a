package zmq_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/auth"
	"github.com/zmqx/zmq/internal/watchtest"
	"go.uber.org/goleak"
)

// silentPeer is a TCP listener that accepts connections and never reads
// or writes: a ZMTP peer that never answers the greeting, so messages
// queued for it stay queued.
type silentPeer struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

func newSilentPeer(t testing.TB) *silentPeer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &silentPeer{ln: ln}
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			p.conns = append(p.conns, c)
			p.mu.Unlock()
		}
	})
	return p
}

func (p *silentPeer) endpoint() string { return "tcp://" + p.ln.Addr().String() }

func (p *silentPeer) close() {
	p.ln.Close()
	p.wg.Wait()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
}

// fillQueue sends until the PUSH cannot take another message; the peer
// never takes any, so they stay queued. It returns how many were queued.
func fillQueue(t testing.TB, push *zmq.Push) int {
	t.Helper()
	ctx := testCtx(t, 30*time.Second)
	// Wait for the pipe to exist (libzmq makes it at connect time), then
	// fill it: TrySend fails with EAGAIN exactly when it is full.
	if err := push.Send(ctx, zmq.NewMsgString("first")); err != nil {
		t.Fatal(err)
	}
	n := 1
	for {
		err := push.TrySend(zmq.NewMsg(make([]byte, 1024)))
		if errors.Is(err, zmq.EAGAIN) {
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
}

// TestFactoryCloseReturnsWithinTheLinger: a PUSH with messages queued for a peer
// that never reads (a TCP peer that never answers the handshake, and an
// ipc address nobody listens on). Factory.Close must take at least the
// linger period (the messages get their chance) and return within it plus
// 2 s; with linger 0 it returns at once. With a Monitor and an
// authenticator running as well, Close still returns within the bound, and
// no goroutine and no fd of the factory is left afterwards.
func TestFactoryCloseReturnsWithinTheLinger(t *testing.T) {
	lingers := []struct {
		name string
		opt  []zmq.FactoryOption
		d    time.Duration
	}{
		{"linger0", []zmq.FactoryOption{zmq.WithDefaultLinger(0)}, 0},
		{"linger200ms", []zmq.FactoryOption{zmq.WithDefaultLinger(200 * time.Millisecond)}, 200 * time.Millisecond},
		{"default", nil, 100 * time.Millisecond}, // the package's documented default
	}
	for _, peer := range []string{"silent-tcp", "unreachable-ipc"} {
		t.Run(peer, func(t *testing.T) {
			for _, lg := range lingers {
				t.Run(lg.name, func(t *testing.T) {
					for _, extras := range []bool{false, true} {
						name := "plain"
						if extras {
							name = "monitor+auth"
						}
						t.Run(name, func(t *testing.T) {
							elapsed := closeWithQueue(t, peer, lg.opt, extras)
							t.Logf("%s/%s/%s: Factory.Close took %v (linger %v)", peer, lg.name, name, elapsed.Round(100*time.Microsecond), lg.d)
							if elapsed < lg.d-10*time.Millisecond {
								t.Errorf("Factory.Close took %v, less than the linger period %v: queued messages were not given their chance", elapsed, lg.d)
							}
							if elapsed > lg.d+2*time.Second {
								t.Errorf("Factory.Close took %v, want within linger %v + 2 s", elapsed, lg.d)
							}
						})
					}
				})
			}
		})
	}
}

// closeWithQueue makes a factory whose PUSH has messages queued for a
// peer that never takes them (peer "silent-tcp" or "unreachable-ipc"),
// optionally with a Monitor being read and an authenticator serving a
// ZAP-checked connection, then measures Factory.Close. Afterwards no
// goroutine and no fd made since the start may remain.
func closeWithQueue(t *testing.T, peer string, opts []zmq.FactoryOption, extras bool) time.Duration {
	t.Helper()
	errs := func(what string, err error) {
		t.Helper()
		checkNoEINTR(t, what, err)
		t.Errorf("%s: %v", what, err)
	}
	leakOpt := goleak.IgnoreCurrent()
	fdsBefore := watchtest.CountFDs()
	var silent *silentPeer
	ep := ""
	switch peer {
	case "silent-tcp":
		silent = newSilentPeer(t)
		ep = silent.endpoint()
	case "unreachable-ipc":
		ep = "ipc://" + filepath.Join(t.TempDir(), "nobody")
	default:
		t.Fatalf("unknown peer %q", peer)
	}
	f, err := zmq.NewFactory(opts...)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			f.Close()
		}
		if silent != nil {
			silent.close()
		}
	}()
	var monDone chan struct{}
	if extras {
		a, err := auth.Start(f)
		if err != nil {
			t.Fatal(err)
		}
		_ = a // closed by Factory.Close
		// One ZAP-checked exchange, so the authenticator has served.
		srv := must[*zmq.Pull](t)(f.NewPull(zmq.WithZAPDomain("rel")))
		cli := must[*zmq.Push](t)(f.NewPush())
		if err := cli.Connect(bind(t, srv, "tcp")); err != nil {
			t.Fatal(err)
		}
		ctx := testCtx(t, 30*time.Second)
		if err := cli.Send(ctx, zmq.NewMsgString("authenticated")); err != nil {
			t.Fatal(err)
		}
		if _, err := srv.Recv(ctx); err != nil {
			t.Fatal(err)
		}
	}
	push := must[*zmq.Push](t)(f.NewPush(zmq.WithSendHWM(50)))
	if extras {
		mon := must[*zmq.Monitor](t)(push.Monitor(zmq.EventAll))
		monDone = make(chan struct{})
		go func() {
			defer close(monDone)
			for {
				if _, err := mon.Recv(context.Background()); err != nil {
					if !errors.Is(err, zmq.ErrClosed) {
						errs("monitor recv", err)
					}
					return
				}
			}
		}()
	}
	if err := push.Connect(ep); err != nil {
		t.Fatal(err)
	}
	queued := fillQueue(t, push)
	if queued < 2 {
		t.Errorf("only %d messages queued", queued)
	}
	start := time.Now()
	err = f.Close()
	elapsed := time.Since(start)
	closed = true
	if err != nil {
		errs("Factory.Close", err)
	}
	if monDone != nil {
		select {
		case <-monDone:
		case <-time.After(promptLimit):
			t.Errorf("the monitor's reader did not return within %v of Factory.Close\n%s", promptLimit, allStacks())
		}
	}
	if silent != nil {
		silent.close()
		silent = nil
	}
	if err := goleak.Find(leakOpt); err != nil {
		t.Errorf("goroutines left after Factory.Close: %v", err)
	}
	if fds := watchtest.CountFDs(); fds > fdsBefore {
		t.Errorf("%d fds open after Factory.Close, %d before the factory", fds, fdsBefore)
	}
	return elapsed
}

// TestFactoryCloseTwice: Close succeeds, a second Close succeeds too, and
// afterwards the factory and its sockets refuse work with ErrClosed.
func TestFactoryCloseTwice(t *testing.T) {
	t.Parallel()
	f, err := zmq.NewFactory()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	push := must[*zmq.Push](t)(f.NewPush())
	bind(t, push, "tcp")
	if err := f.Close(); err != nil {
		t.Fatalf("first Close: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	select {
	case <-f.Done():
	default:
		t.Fatal("Done not closed after Close returned")
	}
	checkClosedFactory(t, f)
	if err := push.TrySend(zmq.NewMsgString("x")); !errors.Is(err, zmq.ErrClosed) {
		t.Fatalf("TrySend on a socket of a closed factory: %v, want ErrClosed", err)
	}
	if err := push.Close(); err != nil {
		t.Fatalf("Close of a socket already closed by its factory: %v", err)
	}
}

// TestFactoryCloseConcurrentWakesWaiters closes a factory from several goroutines at
// once while its sockets have callers waiting in them: every Close returns
// nil once the factory is closed, every waiter gets ErrClosed.
func TestFactoryCloseConcurrentWakesWaiters(t *testing.T) {
	t.Parallel()
	f, err := zmq.NewFactory()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx := testCtx(t, 20*time.Second)

	pull := must[*zmq.Pull](t)(f.NewPull())
	bind(t, pull, "ipc")
	rep := must[*zmq.Rep](t)(f.NewRep())
	req := must[*zmq.Req](t)(f.NewReq())
	if err := req.Connect(bind(t, rep, "tcp")); err != nil {
		t.Fatal(err)
	}
	got := make(chan struct{}, 1)
	errs := make(chan error, 3)
	go func() {
		errs <- rep.Serve(ctx, func(ctx context.Context, q *zmq.Request) (zmq.Msg, error) {
			got <- struct{}{}
			return zmq.Msg{}, zmq.ErrReplyLater // never answered
		})
	}()
	go func() {
		_, err := pull.Recv(ctx)
		errs <- err
	}()
	go func() {
		_, err := req.Request(ctx, []byte("never answered"))
		errs <- err
	}()
	select {
	case <-got: // the request is in flight
	case <-ctx.Done():
		t.Fatal("the request never reached the Rep")
	}

	const closers = 8
	start := make(chan struct{})
	closeErrs := make(chan error, closers)
	for range closers {
		go func() {
			<-start
			closeErrs <- f.Close()
		}()
	}
	close(start)
	for range closers {
		if err := <-closeErrs; err != nil {
			t.Errorf("concurrent Close: %v", err)
		}
	}
	select {
	case <-f.Done():
	default:
		t.Fatal("Done not closed after every Close returned")
	}
	for range 3 {
		if err := <-errs; !errors.Is(err, zmq.ErrClosed) {
			t.Errorf("caller waiting while the factory closed: %v, want ErrClosed", err)
		}
	}
	checkClosedFactory(t, f)
	if _, err := req.Request(ctx, []byte("after")); !errors.Is(err, zmq.ErrClosed) {
		t.Errorf("Request after Close: %v, want ErrClosed", err)
	}
	if p := req.Pending(); p != 0 {
		t.Errorf("Req.Pending() = %d after Close failed its request", p)
	}
}

// TestFactoryClosesWhenItsContextEnds: the factory closes itself when the
// context given to CloseWhenDone ends (txZMQ's registerForShutdown), waking
// its sockets' callers with ErrClosed; a later explicit Close is harmless.
func TestFactoryClosesWhenItsContextEnds(t *testing.T) {
	t.Parallel()
	f, err := zmq.NewFactory()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	life, stop := context.WithCancel(context.Background())
	defer stop()
	f.CloseWhenDone(life)

	pull := must[*zmq.Pull](t)(f.NewPull())
	bind(t, pull, "tcp")
	recvErr := make(chan error, 1)
	go func() {
		_, err := pull.Recv(context.Background())
		recvErr <- err
	}()
	select {
	case <-f.Done():
		t.Fatal("factory closed before its context ended")
	default:
	}

	stop()
	select {
	case <-f.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("factory not closed 10s after its context ended")
	}
	select {
	case err := <-recvErr:
		if !errors.Is(err, zmq.ErrClosed) {
			t.Fatalf("Recv waiting while the factory closed: %v, want ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Recv still waiting 10s after the factory closed")
	}
	checkClosedFactory(t, f)
	if err := f.Close(); err != nil {
		t.Fatalf("explicit Close after CloseWhenDone closed the factory: %v", err)
	}
}

// TestFactoryCloseRacesCloseWhenDone: an explicit Close before, or at the
// same time as, the end of the CloseWhenDone context is harmless too.
func TestFactoryCloseRacesCloseWhenDone(t *testing.T) {
	t.Run("CloseFirst", func(t *testing.T) {
		t.Parallel()
		f, err := zmq.NewFactory()
		if err != nil {
			t.Fatal(err)
		}
		life, stop := context.WithCancel(context.Background())
		defer stop()
		f.CloseWhenDone(life)
		bind(t, must[*zmq.Pub](t)(f.NewPub()), "inproc")
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		stop() // must not close again, nor fail
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		checkClosedFactory(t, f)
	})
	t.Run("Concurrent", func(t *testing.T) {
		t.Parallel()
		for range 20 {
			f, err := zmq.NewFactory()
			if err != nil {
				t.Fatal(err)
			}
			life, stop := context.WithCancel(context.Background())
			f.CloseWhenDone(life)
			f.CloseWhenDone(life) // registering twice is harmless too
			pull := must[*zmq.Pull](t)(f.NewPull())
			bind(t, pull, "ipc")
			var wg sync.WaitGroup
			errs := make(chan error, 4)
			wg.Go(stop)
			for range 4 {
				wg.Go(func() { errs <- f.Close() })
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatalf("Close racing CloseWhenDone: %v", err)
				}
			}
			<-f.Done()
			if _, err := pull.TryRecv(); !errors.Is(err, zmq.ErrClosed) {
				t.Fatalf("TryRecv after the factory closed: %v, want ErrClosed", err)
			}
		}
	})
}

// checkClosedFactory checks that a closed factory makes no new socket.
func checkClosedFactory(t *testing.T, f *zmq.Factory) {
	t.Helper()
	if s, err := f.NewPull(); !errors.Is(err, zmq.ErrClosed) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("NewPull on a closed factory: %v, want ErrClosed", err)
	}
	if s, err := f.NewReq(); !errors.Is(err, zmq.ErrClosed) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("NewReq on a closed factory: %v, want ErrClosed", err)
	}
}
