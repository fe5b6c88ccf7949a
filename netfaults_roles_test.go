//go:build linux

package zmq_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/auth"
)

// The roles that TestNetworkFaultsChild runs inside a namespace.

// hostChild is the running role's view of its parent.
type hostChild struct {
	t      *testing.T
	ctx    context.Context // ends when the parent closes stdin
	params map[string]string
	cmds   chan string
	out    sync.Mutex
	wg     sync.WaitGroup
}

var hostRoles = map[string]func(*testing.T, *hostChild){
	"echo-router":       hostRoleEchoRouter,
	"dealer":            hostRoleDealer,
	"seq-push":          hostRoleSeqPush,
	"seq-pull":          hostRoleSeqPull,
	"hold-rep":          hostRoleHoldRep,
	"hold-req":          hostRoleHoldReq,
	"seq-pub":           hostRoleSeqPub,
	"seq-sub":           hostRoleSeqSub,
	"curve-pull":        hostRoleCurvePull,
	"curve-push":        hostRoleCurvePush,
	"curve-echo-router": hostRoleCurveEchoRouter,
	"curve-dealer":      hostRoleCurveDealer,
	"raw-tcp":           hostRoleRawTCP,
	"epgm-pub":          hostRoleEPGMPub,
	"epgm-sub":          hostRoleEPGMSub,
}

// TestNetworkFaultsChild is a role of TestNetworkFaults, run inside a namespace.
func TestNetworkFaultsChild(t *testing.T) {
	role := os.Getenv(hostRoleEnv)
	if role == "" {
		t.Skip("helper of TestNetworkFaults: runs only when re-executed by it inside a network namespace")
	}
	fn := hostRoles[role]
	if fn == nil {
		t.Fatalf("unknown network-faults role %q", role)
	}
	c := &hostChild{t: t, cmds: make(chan string, 64)}
	if err := json.Unmarshal([]byte(os.Getenv(hostParamsEnv)), &c.params); err != nil {
		t.Fatalf("%s: %v", hostParamsEnv, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.ctx = ctx
	// Before the factories close (t.Cleanup): end and wait for every
	// goroutine of the role.
	defer func() {
		cancel()
		c.wg.Wait()
	}()
	go func() {
		defer cancel()
		defer close(c.cmds)
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			c.cmds <- sc.Text()
		}
	}()
	fn(t, c)
}

// say writes a report line.
func (c *hostChild) say(format string, args ...any) {
	line := hostReportPrefix + fmt.Sprintf(format, args...) + "\n"
	c.out.Lock()
	defer c.out.Unlock()
	os.Stdout.WriteString(line)
}

// next returns the next command, or false once the parent is done.
func (c *hostChild) next() (string, bool) {
	select {
	case cmd, ok := <-c.cmds:
		return cmd, ok
	case <-c.ctx.Done():
		return "", false
	}
}

// serveCommands runs handle for each command until the parent is done.
func (c *hostChild) serveCommands(handle func(cmd string)) {
	for {
		cmd, ok := c.next()
		if !ok {
			return
		}
		handle(cmd)
	}
}

// spawn runs fn in a goroutine that the role waits for before its
// factories close.
func (c *hostChild) spawn(fn func()) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		fn()
	}()
}

func (c *hostChild) param(k string) string {
	v, ok := c.params[k]
	if !ok {
		c.t.Fatalf("missing parameter %q", k)
	}
	return v
}

func (c *hostChild) dur(k string) time.Duration {
	d, err := time.ParseDuration(c.param(k))
	if err != nil {
		c.t.Fatalf("parameter %s: %v", k, err)
	}
	return d
}

// opts returns the common socket options the parameters ask for.
func (c *hostChild) opts() []zmq.CommonOption {
	var o []zmq.CommonOption
	if _, ok := c.params["hbivl"]; ok {
		o = append(o, zmq.WithHeartbeatInterval(c.dur("hbivl")), zmq.WithHeartbeatTimeout(c.dur("hbtimeout")))
	}
	if _, ok := c.params["reconnect"]; ok {
		o = append(o, zmq.WithReconnectInterval(c.dur("reconnect")))
	}
	if _, ok := c.params["connecttimeout"]; ok {
		o = append(o, zmq.WithConnectTimeout(c.dur("connecttimeout")))
	}
	if _, ok := c.params["handshake"]; ok {
		o = append(o, zmq.WithHandshakeInterval(c.dur("handshake")))
	}
	return o
}

// hostAs converts common options to a pattern's option type.
func hostAs[O any](opts []zmq.CommonOption, more ...O) []O {
	out := make([]O, 0, len(opts)+len(more))
	for _, o := range opts {
		out = append(out, any(o).(O))
	}
	return append(out, more...)
}

type hostMonitorable interface {
	Monitor(zmq.EventType) (*zmq.Monitor, error)
}

// watch reports every event of s as "event sock=... type=... t=... value=...
// ep=...", followed by what extra returns.
func (c *hostChild) watch(name string, s hostMonitorable, extra func() string) {
	mon, err := s.Monitor(zmq.EventAll)
	if err != nil {
		c.t.Fatalf("monitor %s: %v", name, err)
	}
	c.spawn(func() {
		defer mon.Close()
		for {
			ev, err := mon.Recv(c.ctx)
			if err != nil {
				return
			}
			x := ""
			if extra != nil {
				x = " " + extra()
			}
			c.say("event sock=%s type=%s t=%d value=%d ep=%s%s", name, ev.Type, time.Now().UnixNano(), ev.Value, ev.Endpoint, x)
		}
	})
}

func hostSeqMsg(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// hostSeqTrack checks a stream of sequence numbers.
type hostSeqTrack struct {
	c        *hostChild
	anyStart bool // the first number seen starts the stream (late subscriber)

	mu                         sync.Mutex
	started                    bool
	next                       uint64 // one past the highest number seen
	received, lost, dups, late int64
	seen                       map[uint64]bool
	armed                      bool
	want                       uint64
	reached                    chan struct{}
}

func newHostSeqTrack(c *hostChild, anyStart bool) *hostSeqTrack {
	return &hostSeqTrack{c: c, anyStart: anyStart, seen: map[uint64]bool{}, armed: true}
}

func (s *hostSeqTrack) add(seq uint64) {
	now := time.Now().UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started && s.anyStart {
		s.next = seq
	}
	s.started = true
	switch {
	case s.seen[seq]:
		s.dups++
		s.c.say("dup seq=%d t=%d", seq, now)
		return
	case seq == s.next:
		s.next++
	case seq > s.next:
		s.lost += int64(seq - s.next)
		s.c.say("gap from=%d to=%d t=%d", s.next, seq, now)
		s.next = seq + 1
	default: // below the highest, not seen: came late
		s.late++
		s.lost--
		s.c.say("late seq=%d t=%d", seq, now)
	}
	s.seen[seq] = true
	s.received++
	if s.armed {
		s.armed = false
		s.c.say("first seq=%d t=%d", seq, now)
	}
	if s.reached != nil && s.next >= s.want {
		close(s.reached)
		s.reached = nil
	}
}

func (s *hostSeqTrack) arm() {
	s.mu.Lock()
	s.armed = true
	s.mu.Unlock()
}

func (s *hostSeqTrack) stats(verb string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.c.say("%s received=%d lost=%d dups=%d late=%d next=%d t=%d", verb, s.received, s.lost, s.dups, s.late, s.next, time.Now().UnixNano())
}

// expect waits until every number below want was seen or given up on.
func (s *hostSeqTrack) expect(want uint64, d time.Duration) bool {
	s.mu.Lock()
	if s.next >= want {
		s.mu.Unlock()
		return true
	}
	ch := make(chan struct{})
	s.want, s.reached = want, ch
	s.mu.Unlock()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ch:
		return true
	case <-timer.C:
	case <-s.c.ctx.Done():
	}
	return false
}

// echo-router: a ROUTER that sends every message back.
func hostRoleEchoRouter(t *testing.T, c *hostChild) {
	f := newFactory(t)
	r := must[*zmq.Router](t)(f.NewRouter(hostAs[zmq.RouterOption](c.opts())...))
	c.watch("router", r, nil)
	ep := must[string](t)(r.Bind(c.param("bind")))
	c.spawn(func() {
		for {
			m, err := r.Recv(c.ctx)
			if err != nil || r.Send(c.ctx, m) != nil {
				return
			}
		}
	})
	c.say("ready ep=%s", ep)
	<-c.ctx.Done()
}

// dealer: a DEALER that makes one round trip, then idles.
func hostRoleDealer(t *testing.T, c *hostChild) {
	f := newFactory(t)
	d := must[*zmq.Dealer](t)(f.NewDealer(hostAs[zmq.DealerOption](c.opts())...))
	c.watch("dealer", d, nil)
	if err := d.Connect(c.param("connect")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := d.Send(ctx, zmq.NewMsgString("ping")); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Recv(ctx); err != nil {
		t.Fatal(err)
	}
	c.say("echoed rtt=%d", time.Since(start))
	<-c.ctx.Done()
}

// seq-push: sends 8-byte sequence numbers, one per tick, until "stop";
// "mark" reports the next number. Events carry the next number too.
func hostRoleSeqPush(t *testing.T, c *hostChild) {
	f := newFactory(t)
	p := must[*zmq.Push](t)(f.NewPush(hostAs[zmq.PushOption](c.opts())...))
	var next atomic.Uint64
	c.watch("push", p, func() string { return "seq=" + strconv.FormatUint(next.Load(), 10) })
	if err := p.Connect(c.param("connect")); err != nil {
		t.Fatal(err)
	}
	every := c.dur("every")
	sendCtx, stopSending := context.WithCancel(c.ctx)
	defer stopSending()
	stopped := make(chan struct{})
	c.spawn(func() {
		defer close(stopped)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-sendCtx.Done():
				return
			case <-tick.C:
			}
			// A failed send sent nothing: the number is sent again.
			if err := p.Send(sendCtx, zmq.NewMsg(hostSeqMsg(next.Load()))); err != nil {
				return
			}
			next.Add(1)
		}
	})
	c.say("ready")
	c.serveCommands(func(cmd string) {
		switch cmd {
		case "mark":
			c.say("mark seq=%d t=%d", next.Load(), time.Now().UnixNano())
		case "stop":
			stopSending()
			<-stopped
			c.say("stopped sent=%d", next.Load())
		}
	})
}

// seq-pull: receives sequence numbers and reports gaps, duplicates and
// reordering; "arm" reports the next message as "first", "expect N" waits
// for number N-1 and reports the totals as "done".
func hostRoleSeqPull(t *testing.T, c *hostChild) {
	f := newFactory(t)
	p := must[*zmq.Pull](t)(f.NewPull(hostAs[zmq.PullOption](c.opts())...))
	c.watch("pull", p, nil)
	ep := must[string](t)(p.Bind(c.param("bind")))
	track := newHostSeqTrack(c, false)
	track.armed = false
	c.spawn(func() {
		for {
			m, err := p.Recv(c.ctx)
			if err != nil {
				return
			}
			track.add(binary.BigEndian.Uint64(m.Frames[0]))
		}
	})
	c.say("ready ep=%s", ep)
	c.serveCommands(func(cmd string) {
		switch verb, arg, _ := strings.Cut(cmd, " "); verb {
		case "arm":
			track.arm()
		case "expect":
			want, _ := strconv.ParseUint(arg, 10, 64)
			if !track.expect(want, 15*time.Second) {
				c.say("expect-timeout")
			}
			track.stats("done")
		}
	})
}

// hold-rep: a Rep that answers "ping" and holds every other request
// without answering, reporting "held n=<count>".
func hostRoleHoldRep(t *testing.T, c *hostChild) {
	f := newFactory(t)
	r := must[*zmq.Rep](t)(f.NewRep(hostAs[zmq.RepOption](c.opts())...))
	ep := must[string](t)(r.Bind(c.param("bind")))
	var held atomic.Int64
	c.spawn(func() {
		r.Serve(c.ctx, func(ctx context.Context, req *zmq.Request) (zmq.Msg, error) {
			if len(req.Frames) == 1 && string(req.Frames[0]) == "ping" {
				return zmq.NewMsgString("pong"), nil
			}
			c.say("held n=%d t=%d", held.Add(1), time.Now().UnixNano())
			return zmq.Msg{}, zmq.ErrReplyLater
		})
	})
	c.say("ready ep=%s", ep)
	<-c.ctx.Done()
}

// hold-req: a Req that makes one round trip, then two requests that get
// no answer: one with a deadline, one released by the command "cancel".
// Each reports "released kind=... late=<ns after the ctx ended> ok=<the
// error is the ctx's>".
func hostRoleHoldReq(t *testing.T, c *hostChild) {
	f := newFactory(t)
	r := must[*zmq.Req](t)(f.NewReq(hostAs[zmq.ReqOption](c.opts())...))
	if err := r.Connect(c.param("connect")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
	start := time.Now()
	_, err := r.Request(ctx, []byte("ping"))
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	c.say("pong rtt=%d", time.Since(start))

	dctx, dcancel := context.WithTimeout(c.ctx, c.dur("hold"))
	defer dcancel()
	deadline, _ := dctx.Deadline()
	cctx, ccancel := context.WithCancel(c.ctx)
	defer ccancel()
	var cancelAt atomic.Int64
	c.spawn(func() {
		_, err := r.Request(dctx, []byte("hold-deadline"))
		now := time.Now()
		c.say("released kind=deadline late=%d ok=%t msg=%v", now.Sub(deadline), errors.Is(err, context.DeadlineExceeded), err)
	})
	c.spawn(func() {
		_, err := r.Request(cctx, []byte("hold-cancel"))
		now := time.Now()
		c.say("released kind=cancel late=%d ok=%t msg=%v", now.Sub(time.Unix(0, cancelAt.Load())), errors.Is(err, context.Canceled), err)
	})
	c.say("holding deadline=%d", deadline.UnixNano())
	c.serveCommands(func(cmd string) {
		if cmd == "cancel" {
			cancelAt.Store(time.Now().UnixNano())
			ccancel()
		}
	})
}

// seq-pub: publishes sequence numbers under topic "seq", one per tick, on
// two bound endpoints.
func hostRoleSeqPub(t *testing.T, c *hostChild) {
	f := newFactory(t)
	p := must[*zmq.Pub](t)(f.NewPub(hostAs[zmq.PubOption](c.opts())...))
	c.watch("pub", p, nil)
	epa := must[string](t)(p.Bind(c.param("binda")))
	epc := must[string](t)(p.Bind(c.param("bindc")))
	every := c.dur("every")
	c.spawn(func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		for seq := uint64(0); ; seq++ {
			select {
			case <-c.ctx.Done():
				return
			case <-tick.C:
			}
			if err := p.Publish(c.ctx, "seq", hostSeqMsg(seq)); err != nil {
				return
			}
		}
	})
	c.say("ready epa=%s epc=%s", epa, epc)
	<-c.ctx.Done()
}

// seq-sub: subscribes to "seq" and tracks the numbers from the first one
// it gets; "stats" reports the totals.
func hostRoleSeqSub(t *testing.T, c *hostChild) {
	f := newFactory(t)
	s := must[*zmq.Sub](t)(f.NewSub(hostAs(c.opts(), zmq.SubOption(zmq.WithSubscribe("seq")))...))
	c.watch("sub", s, nil)
	if err := s.Connect(c.param("connect")); err != nil {
		t.Fatal(err)
	}
	track := newHostSeqTrack(c, true)
	c.spawn(func() {
		for {
			_, body, err := s.RecvTopic(c.ctx)
			if err != nil {
				return
			}
			track.add(binary.BigEndian.Uint64(body))
		}
	})
	c.serveCommands(func(cmd string) {
		switch verb, arg, _ := strings.Cut(cmd, " "); verb {
		case "stats":
			track.stats("stats")
		case "expect":
			want, _ := strconv.ParseUint(arg, 10, 64)
			if !track.expect(want, 15*time.Second) {
				c.say("expect-timeout")
			}
			track.stats("done")
		}
	})
}

// hostStartAuth starts the factory's authenticator with the policy in the
// parameters: allowed keys, and allowed and denied addresses.
func hostStartAuth(t *testing.T, c *hostChild, f *zmq.Factory) *auth.Authenticator {
	a, err := auth.Start(f, auth.WithSetup(func(a *auth.Authenticator) error {
		if err := a.AllowCurveKeys(strings.Split(c.param("keys"), ",")...); err != nil {
			return err
		}
		if v := c.params["allow"]; v != "" {
			if err := a.Allow(v); err != nil {
				return err
			}
		}
		if v := c.params["deny"]; v != "" {
			return a.Deny(v)
		}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// curve-pull: a CURVE PULL server with the authenticator, bound on both
// links; reports each message with its peer address and user id, and
// "auth ..." with the authenticator's counters on "stats".
func hostRoleCurvePull(t *testing.T, c *hostChild) {
	f := newFactory(t)
	a := hostStartAuth(t, c, f)
	p := must[*zmq.Pull](t)(f.NewPull(hostAs(c.opts(), zmq.PullOption(zmq.WithCurveServer(c.param("secret"))))...))
	c.watch("pull", p, nil)
	epa := must[string](t)(p.Bind(c.param("binda")))
	epc := must[string](t)(p.Bind(c.param("bindc")))
	c.spawn(func() {
		for {
			m, err := p.Recv(c.ctx)
			if err != nil {
				return
			}
			c.say("got body=%s peer=%s user=%s t=%d", m.Frames[0], m.PeerAddress(), m.UserID(), time.Now().UnixNano())
		}
	})
	c.say("ready epa=%s epc=%s", epa, epc)
	c.serveCommands(func(cmd string) {
		if cmd == "stats" {
			st := a.Stats()
			c.say("auth requests=%d accepted=%d denied=%d malformed=%d", st.Requests, st.Accepted, st.Denied, st.Malformed)
		}
	})
}

func hostClientKeys(c *hostChild) zmq.CommonOption {
	return zmq.WithCurveClient(c.param("server"), zmq.CurveKeyPair{Public: c.param("public"), Secret: c.param("secret")})
}

// curve-push: a CURVE PUSH client that sends one message.
func hostRoleCurvePush(t *testing.T, c *hostChild) {
	f := newFactory(t)
	p := must[*zmq.Push](t)(f.NewPush(hostAs(append(c.opts(), hostClientKeys(c)), zmq.PushOption(zmq.WithLinger(0)))...))
	c.watch("push", p, nil)
	c.say("connecting t=%d", time.Now().UnixNano())
	if err := p.Connect(c.param("connect")); err != nil {
		t.Fatal(err)
	}
	// Queued until a connection is up, if ever.
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	defer cancel()
	if err := p.Send(ctx, zmq.NewMsgString(c.param("body"))); err != nil {
		c.say("send-failed msg=%v", err)
	}
	<-c.ctx.Done()
}

// curve-echo-router: a CURVE ROUTER with the authenticator, bound on both
// links, that sends every message back.
func hostRoleCurveEchoRouter(t *testing.T, c *hostChild) {
	f := newFactory(t)
	hostStartAuth(t, c, f)
	r := must[*zmq.Router](t)(f.NewRouter(hostAs(c.opts(), zmq.RouterOption(zmq.WithCurveServer(c.param("secret"))))...))
	c.watch("router", r, nil)
	epa := must[string](t)(r.Bind(c.param("binda")))
	epc := must[string](t)(r.Bind(c.param("bindc")))
	c.spawn(func() {
		for {
			m, err := r.Recv(c.ctx)
			if err != nil || r.Send(c.ctx, m) != nil {
				return
			}
		}
	})
	c.say("ready epa=%s epc=%s", epa, epc)
	<-c.ctx.Done()
}

// curve-dealer: on "go", a CURVE DEALER client connects and makes one
// round trip.
func hostRoleCurveDealer(t *testing.T, c *hostChild) {
	f := newFactory(t)
	c.say("ready")
	if cmd, ok := c.next(); !ok || cmd != "go" {
		return
	}
	start := time.Now()
	d := must[*zmq.Dealer](t)(f.NewDealer(hostAs[zmq.DealerOption](append(c.opts(), hostClientKeys(c)))...))
	c.watch("dealer", d, nil)
	if err := d.Connect(c.param("connect")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
	defer cancel()
	if err := d.Send(ctx, zmq.NewMsgString("hello")); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Recv(ctx); err != nil {
		t.Fatal(err)
	}
	c.say("echoed t=%d rtt=%d", time.Now().UnixNano(), time.Since(start))
	<-c.ctx.Done()
}

// raw-tcp: opens "count" plain TCP connections, "every" apart, sends
// nothing on them and reports when the server closes each (or
// "timeout=true" after "wait").
func hostRoleRawTCP(t *testing.T, c *hostChild) {
	count, err := strconv.Atoi(c.param("count"))
	if err != nil {
		t.Fatal(err)
	}
	every, wait := c.dur("every"), c.dur("wait")
	tick := time.NewTicker(every)
	defer tick.Stop()
	for id := 0; id < count; id++ {
		if id > 0 {
			select {
			case <-tick.C:
			case <-c.ctx.Done():
				return
			}
		}
		d := net.Dialer{Timeout: 5 * time.Second}
		conn, err := d.DialContext(c.ctx, "tcp", c.param("addr"))
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		c.say("raw-connected id=%d t=%d", id, start.UnixNano())
		c.spawn(func() {
			defer conn.Close()
			conn.SetReadDeadline(start.Add(wait))
			buf := make([]byte, 512)
			total := 0
			for {
				k, err := conn.Read(buf)
				total += k
				if err != nil {
					now := time.Now()
					c.say("raw-closed id=%d t=%d after=%d bytes=%d timeout=%t msg=%v", id, now.UnixNano(), now.Sub(start), total, errors.Is(err, os.ErrDeadlineExceeded), err)
					return
				}
			}
		})
	}
	<-c.ctx.Done()
}

// epgm-pub: publishes sequence numbers under "seq" over epgm, one per
// tick. "ready msg=<error>" when the bind fails.
func hostRoleEPGMPub(t *testing.T, c *hostChild) {
	f := newFactory(t)
	p := must[*zmq.Pub](t)(f.NewPub())
	if _, err := p.Bind(c.param("bind")); err != nil {
		c.say("ready t=%d msg=%v", time.Now().UnixNano(), err)
		<-c.ctx.Done()
		return
	}
	c.say("ready t=%d", time.Now().UnixNano())
	tick := time.NewTicker(c.dur("every"))
	defer tick.Stop()
	for seq := uint64(0); ; seq++ {
		select {
		case <-c.ctx.Done():
			return
		case <-tick.C:
		}
		if err := p.Publish(c.ctx, "seq", hostSeqMsg(seq)); err != nil {
			return
		}
	}
}

// epgm-sub: subscribes over epgm and reports "first", then "received" once
// "want" messages arrived. "ready msg=<error>" when the connect fails.
func hostRoleEPGMSub(t *testing.T, c *hostChild) {
	f := newFactory(t)
	s := must[*zmq.Sub](t)(f.NewSub(zmq.WithSubscribe("seq")))
	if err := s.Connect(c.param("connect")); err != nil {
		c.say("ready msg=%v", err)
		<-c.ctx.Done()
		return
	}
	c.say("ready")
	want, _ := strconv.ParseInt(c.param("want"), 10, 64)
	track := newHostSeqTrack(c, true)
	for {
		_, body, err := s.RecvTopic(c.ctx)
		if err != nil {
			return
		}
		track.add(binary.BigEndian.Uint64(body))
		track.mu.Lock()
		n := track.received
		track.mu.Unlock()
		if n == want {
			track.stats("received n=" + strconv.FormatInt(n, 10))
		}
	}
}
