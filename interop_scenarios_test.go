package zmq_test

// The scenarios of the interop matrix (interop_matrix_test.go). Each one
// opens its sockets through the link, so that it runs unchanged whatever
// implementation each side is, and checks what must cross the wire: every
// message whole and in order, and the pattern's semantics.

import (
	"bytes"
	"fmt"
	"strconv"
	"time"

	"github.com/zmqx/zmq"
)

// mxPoll is how long a subscriber waits for the sentinel before the
// publisher sends it again: subscriptions reach a publisher on their own
// time, and only a publication that gets through tells they have.
const mxPoll = 5 * time.Millisecond

// mxStream sends every payload from one socket and checks the other
// receives each whole and in order.
func mxStream(l *mxLink, from, to *mxSock) {
	l.t.Helper()
	ps := mxPayloads()
	for _, p := range ps {
		from.send(p...)
	}
	for i, p := range ps {
		mxExpect(l.t, fmt.Sprintf("%s from %s, message %d", to, from, i), to.recv(), p)
	}
}

// mxOneWay: a stream from a to b (PUSH to PULL).
func mxOneWay(l *mxLink) {
	a, b := l.openA(mxOpts{}), l.openB(mxOpts{})
	l.join(a, b)
	mxStream(l, a, b)
}

// mxBothWays: a stream from a to b, then one from b to a (PAIR, DEALER).
func mxBothWays(l *mxLink) {
	a, b := l.openA(mxOpts{}), l.openB(mxOpts{})
	l.join(a, b)
	mxStream(l, a, b)
	mxStream(l, b, a)
}

// mxReplyTo is the answer a scenario gives to a request.
func mxReplyTo(req [][]byte) [][]byte { return mxCat(mxFrames("reply"), req) }

// mxLockstep: each payload as a request from a, answered by b (REQ or Req
// against REP or Rep).
func mxLockstep(l *mxLink) {
	a, b := l.openA(mxOpts{}), l.openB(mxOpts{})
	l.join(a, b)
	for i, p := range mxPayloads() {
		a.send(p...)
		mxExpect(l.t, fmt.Sprintf("request %d", i), b.recv(), p)
		b.send(mxReplyTo(p)...)
		mxExpect(l.t, fmt.Sprintf("reply %d", i), a.recv(), mxReplyTo(p))
	}
}

// mxDealerRep: a DEALER speaks to a REP (or our Rep) with the empty
// delimiter frame a REQ would add, and gets it back on each reply.
func mxDealerRep(l *mxLink) {
	a, b := l.openA(mxOpts{}), l.openB(mxOpts{})
	l.join(a, b)
	ps := mxPayloads()
	for _, p := range ps {
		a.send(mxCat([][]byte{{}}, p)...)
	}
	for i, p := range ps {
		mxExpect(l.t, fmt.Sprintf("request %d", i), b.recv(), p)
		b.send(mxReplyTo(p)...)
	}
	for i, p := range ps {
		mxExpect(l.t, fmt.Sprintf("reply %d", i), a.recv(), mxCat([][]byte{{}}, mxReplyTo(p)))
	}
}

// mxReqRouter: a ROUTER receives a REQ's (or our Req's) request as
// [routing id, envelope..., "", body...] and answers it by sending the
// envelope back.
func mxReqRouter(l *mxLink) {
	a, b := l.openA(mxOpts{}), l.openB(mxOpts{})
	l.join(a, b)
	for i, p := range mxPayloads() {
		a.send(p...)
		m := b.recv()
		delim := -1
		for j, f := range m {
			if len(f) == 0 {
				delim = j
				break
			}
		}
		if delim < 1 || len(m[0]) == 0 {
			l.t.Fatalf("request %d reached the ROUTER as %s: want [routing id, ..., \"\", body...]", i, mxShow(m))
		}
		mxExpect(l.t, fmt.Sprintf("request %d body", i), m[delim+1:], p)
		b.send(mxCat(m[:delim+1], mxReplyTo(p))...)
		mxExpect(l.t, fmt.Sprintf("reply %d", i), a.recv(), mxReplyTo(p))
	}
}

// mxDealerRouter: a ROUTER sees a DEALER's routing id, or makes up one
// for a DEALER without, tells them apart, and routes to each by its id.
func mxDealerRouter(l *mxLink) {
	const named = "dealer-one"
	d1, d2 := l.openA(mxOpts{id: named}), l.openA(mxOpts{})
	r := l.openB(mxOpts{})
	l.join(d1, r)
	l.join(d2, r)
	ps := mxPayloads()
	for _, p := range ps {
		d1.send(p...)
	}
	for i, p := range ps {
		mxExpect(l.t, fmt.Sprintf("message %d from the named DEALER", i), r.recv(), mxCat(mxFrames(named), p))
	}
	d2.send(mxFrames("anonymous")...)
	m := r.recv()
	if len(m) != 2 || string(m[1]) != "anonymous" {
		l.t.Fatalf("the anonymous DEALER's message reached the ROUTER as %s", mxShow(m))
	}
	anon := m[0]
	if len(anon) == 0 || string(anon) == named {
		l.t.Fatalf("the ROUTER gave the anonymous DEALER the routing id %q", anon)
	}
	r.send(anon, []byte("to the anonymous one"))
	r.send([]byte(named), []byte("to the named one"))
	mxExpect(l.t, "anonymous DEALER", d2.recv(), mxFrames("to the anonymous one"))
	mxExpect(l.t, "named DEALER", d1.recv(), mxFrames("to the named one"))
	for _, p := range ps {
		r.send(mxCat(mxFrames(named), p)...)
	}
	for i, p := range ps {
		mxExpect(l.t, fmt.Sprintf("message %d to the named DEALER", i), d1.recv(), p)
	}
}

// mxRouterRouter: two ROUTERs with routing ids. The connecting one can
// address the other once their handshake has told it the id; it is made
// mandatory so that a send before that fails instead of vanishing.
func mxRouterRouter(l *mxLink) {
	a := l.openA(mxOpts{id: "router-a", mandatory: true, monitor: true})
	b := l.openB(mxOpts{id: "router-b", mandatory: true, monitor: true})
	l.join(a, b)
	binder, connecter := l.binderOf(a, b)
	connecter.await(zmq.EventHandshakeSucceeded)
	bid, cid := []byte(binder.opts.id), []byte(connecter.opts.id)
	ps := mxPayloads()
	for _, p := range ps {
		connecter.send(mxCat([][]byte{bid}, p)...)
	}
	for i, p := range ps {
		mxExpect(l.t, fmt.Sprintf("message %d to the binding ROUTER", i), binder.recv(), mxCat([][]byte{cid}, p))
		binder.send(mxCat([][]byte{cid}, mxReplyTo(p))...)
	}
	for i, p := range ps {
		mxExpect(l.t, fmt.Sprintf("reply %d to the connecting ROUTER", i), connecter.recv(), mxCat([][]byte{bid}, mxReplyTo(p)))
	}
}

// mxRoundRobin: a PUSH deals ten messages over two PULLs connected to it,
// five each, alternating; it does not broadcast them.
func mxRoundRobin(l *mxLink) {
	push := l.openA(mxOpts{monitor: true})
	p1, p2 := l.openB(mxOpts{}), l.openB(mxOpts{})
	l.join(push, p1)
	l.join(push, p2)
	// Both connections up, so that the PUSH has both peers to deal to.
	push.await(zmq.EventHandshakeSucceeded)
	push.await(zmq.EventHandshakeSucceeded)
	for i := range 10 {
		push.send(mxFrames("rr", strconv.Itoa(i))...)
	}
	first := -1
	for k, pull := range []*mxSock{p1, p2} {
		var got []int
		for range 5 {
			m := pull.recv()
			n, err := strconv.Atoi(string(m[len(m)-1]))
			if len(m) != 2 || string(m[0]) != "rr" || err != nil {
				l.t.Fatalf("PULL %d got %s, want [rr N]", k+1, mxShow(m))
			}
			got = append(got, n)
		}
		if first < 0 {
			first = got[0] % 2
		}
		want := []int{first, first + 2, first + 4, first + 6, first + 8}
		if k == 1 {
			want = []int{1 - first, 3 - first, 5 - first, 7 - first, 9 - first}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			l.t.Fatalf("PULL %d got messages %v, want %v: one in two, in order", k+1, got, want)
		}
	}
}

// mxFairBound is how many of a flooding PUSH's messages a PULL may hand
// out between another PUSH's send and that message. Fair queuing serves
// the second PUSH within a turn or two once its message has arrived; the
// slack covers its trip there, during which the flood goes on. A PULL that
// kept serving the flooding PUSH while it had messages would never get
// there.
const mxFairBound = 100000

// mxFairQueue: a PULL receives from its PUSHes in turn. While one PUSH
// floods, so that it always has messages waiting, each message another
// PUSH sends still comes through, and the flood arrives whole and in
// order. (Whether turns alternate message by message is not observable
// from outside: nothing tells when a message has reached the PULL.)
func mxFairQueue(l *mxLink) {
	flooder, sparse := l.openA(mxOpts{}), l.openA(mxOpts{})
	pull := l.openB(mxOpts{})
	l.join(flooder, pull)
	l.join(sparse, pull)
	flooder.flood()
	next := 0
	takeFlood := func(m [][]byte) bool {
		if len(m) != 2 || string(m[0]) != "flood" {
			return false
		}
		if string(m[1]) != strconv.Itoa(next) {
			l.t.Fatalf("flood message %s arrived when %d was next", mxShow(m), next)
		}
		next++
		return true
	}
	// The flood is flowing.
	if m := pull.recv(); !takeFlood(m) {
		l.t.Fatalf("first message %s, want the flood's", mxShow(m))
	}
	for k := range 5 {
		want := mxFrames("sparse", strconv.Itoa(k))
		sparse.send(want...)
		for taken := 0; ; taken++ {
			m := pull.recv()
			if takeFlood(m) {
				if taken > mxFairBound {
					l.t.Fatalf("message %d of the second PUSH still not received after %d of the flooding one's", k, taken)
				}
				continue
			}
			mxExpect(l.t, "the second PUSH's message", m, want)
			break
		}
	}
	sent := flooder.stopFlood()
	if sent < next {
		l.t.Fatalf("received %d flood messages, but only %d were sent", next, sent)
	}
}

// mxRestartPipeline: the socket that binds goes away and comes back on
// the same endpoint; the other reconnects, and messages flow again.
func mxRestartPipeline(l *mxLink) {
	push, pull := l.openA(mxOpts{monitor: true}), l.openB(mxOpts{monitor: true})
	l.join(push, pull)
	push.send(mxFrames("before", "restart")...)
	mxExpect(l.t, "before the restart", pull.recv(), mxFrames("before", "restart"))

	binder, survivor := l.binderOf(push, pull)
	binder = l.restart(binder)
	// Wait until the survivor has seen its connection go: a message sent
	// before that could leave on the dead connection and be lost.
	survivor.await(zmq.EventDisconnected)
	if l.aBinds {
		push = binder
	} else {
		pull = binder
	}
	ps := mxPayloads()
	for _, p := range ps {
		push.send(p...)
	}
	for i, p := range ps {
		mxExpect(l.t, fmt.Sprintf("after the restart, message %d", i), pull.recv(), p)
	}
}

// mxPublications are what mxPublishAll sends, and which of them a
// subscriber to "sync" and "weather" gets.
var mxPublications = []struct {
	frames [][]byte
	wanted bool
}{
	{mxFrames("other", "not subscribed"), false},
	{mxFrames("weather.paris", "12C"), true},
	{mxFrames("weathe", "shorter than the prefix"), false},
	{mxFrames("weather"), true},
	{mxFrames("weather.multi", "", "part", ""), true},
	{[][]byte{[]byte("weather.big"), mxBig}, true},
	{mxFrames("news", "not subscribed either"), false},
	{mxFrames("weather\x00nul", "a\x00b"), true},
}

var mxSyncEnd = mxFrames("sync", "end")

// mxAwaitSubscribed publishes the sentinel [sync ping] from pub until sub
// receives one: then sub's subscription to "sync" has reached pub.
func mxAwaitSubscribed(l *mxLink, pub, sub *mxSock) {
	l.t.Helper()
	for {
		pub.send(mxFrames("sync", "ping")...)
		if m, ok := sub.recvWithin(mxPoll); ok {
			if string(m[0]) != "sync" {
				l.t.Fatalf("%s got %s before anything it subscribed to", sub, mxShow(m))
			}
			return
		}
	}
}

// mxPublishAll publishes mxPublications and the end sentinel, and checks
// that sub receives exactly the wanted ones, whole and in order (pings
// still in flight aside).
func mxPublishAll(l *mxLink, pub, sub *mxSock) {
	l.t.Helper()
	var want [][][]byte
	for _, p := range mxPublications {
		pub.send(p.frames...)
		if p.wanted {
			want = append(want, p.frames)
		}
	}
	pub.send(mxSyncEnd...)
	mxExpectPublications(l, sub, want)
}

// mxExpectPublications reads sub up to the end sentinel, skipping pings,
// and checks it got want.
func mxExpectPublications(l *mxLink, sub *mxSock, want [][][]byte) {
	l.t.Helper()
	var got [][][]byte
	for {
		m := sub.recv()
		if mxEqual(m, mxSyncEnd) {
			break
		}
		if string(m[0]) == "sync" {
			continue
		}
		got = append(got, m)
	}
	if len(got) != len(want) {
		l.t.Fatalf("%s got %d publications %v, want %d %v", sub, len(got), mxShowAll(got), len(want), mxShowAll(want))
	}
	for i := range want {
		mxExpect(l.t, fmt.Sprintf("publication %d", i), got[i], want[i])
	}
}

func mxShowAll(ms [][][]byte) string {
	var b bytes.Buffer
	for _, m := range ms {
		b.WriteString(mxShow(m))
	}
	return b.String()
}

// mxPubSub: a SUB (or XSUB) gets the publications it subscribed to and no
// others; after it unsubscribes from one prefix, no more of those.
func mxPubSub(l *mxLink) {
	pub, sub := l.openA(mxOpts{}), l.openB(mxOpts{})
	sub.subscribe("sync")
	sub.subscribe("weather")
	l.join(pub, sub)
	mxAwaitSubscribed(l, pub, sub)
	mxPublishAll(l, pub, sub)

	// Unsubscribe from weather and subscribe to mark: they travel in
	// this order, so once a mark arrives the publisher has taken the
	// unsubscription in, and no weather may come after it.
	sub.unsubscribe("weather")
	sub.subscribe("mark")
	marked := false
	for !marked {
		pub.send(mxFrames("weather.late", "maybe")...)
		pub.send(mxFrames("mark", "m")...)
		for {
			m, ok := sub.recvWithin(mxPoll)
			if !ok {
				break
			}
			if string(m[0]) == "mark" {
				marked = true
				break
			}
		}
	}
	pub.send(mxFrames("weather.after", "unsubscribed")...)
	pub.send(mxFrames("sync", "end")...)
	for {
		m := sub.recv()
		if mxEqual(m, mxSyncEnd) {
			break
		}
		if bytes.HasPrefix(m[0], []byte("weather")) {
			l.t.Fatalf("%s got %s after unsubscribing from weather", sub, mxShow(m))
		}
	}
}

// mxRestartPubSub: the socket that binds restarts. A SUB that connects
// subscribes again to the new publisher; a new SUB that binds subscribes
// to the publisher that reconnects to it; either way the publications
// it wants flow again, and only those.
func mxRestartPubSub(l *mxLink) {
	pub, sub := l.openA(mxOpts{monitor: true}), l.openB(mxOpts{monitor: true})
	sub.subscribe("sync")
	sub.subscribe("weather")
	l.join(pub, sub)
	mxAwaitSubscribed(l, pub, sub)
	mxPublishAll(l, pub, sub)

	binder, survivor := l.binderOf(pub, sub)
	binder = l.restart(binder)
	survivor.await(zmq.EventDisconnected)
	if l.aBinds {
		pub = binder
	} else {
		sub = binder
		sub.subscribe("sync")
		sub.subscribe("weather")
	}
	mxAwaitSubscribed(l, pub, sub)
	mxPublishAll(l, pub, sub)
}

// mxSubscription is a subscription message as an XPUB receives it.
func mxSubscription(on bool, prefix string) [][]byte {
	b := byte(0)
	if on {
		b = 1
	}
	return [][]byte{append([]byte{b}, prefix...)}
}

// mxAwaitNotice waits for xpub to receive the subscription message want,
// with sub receiving meanwhile, as a subscriber does: libzmq attaches a
// connection it accepted only when its application next calls into the
// socket, so a bound libzmq SUB that nobody reads from sends its
// subscriptions to nobody (pyzmq shows the same).
func mxAwaitNotice(l *mxLink, xpub, sub *mxSock, want [][]byte) {
	l.t.Helper()
	for {
		if m, ok := xpub.recvWithin(mxPoll); ok {
			mxExpect(l.t, "first subscription", m, want)
			return
		}
		if m, ok := sub.recvWithin(time.Millisecond); ok {
			l.t.Fatalf("%s got %s before anything was published", sub, mxShow(m))
		}
	}
}

// mxXPubSub: an XPUB sees a SUB's subscriptions and unsubscriptions as
// messages, and filters what it publishes by them.
func mxXPubSub(l *mxLink) {
	xpub, sub := l.openA(mxOpts{}), l.openB(mxOpts{})
	l.join(xpub, sub)
	sub.subscribe("weather")
	mxAwaitNotice(l, xpub, sub, mxSubscription(true, "weather"))
	sub.subscribe("sync")
	mxExpect(l.t, "subscription", xpub.recv(), mxSubscription(true, "sync"))
	mxPublishAll(l, xpub, sub)
	sub.unsubscribe("weather")
	mxExpect(l.t, "unsubscription", xpub.recv(), mxSubscription(false, "weather"))
	xpub.send(mxFrames("weather.after", "unsubscribed")...)
	xpub.send(mxSyncEnd...)
	mxExpectPublications(l, sub, nil)
}

// mxXPubXSub: as mxXPubSub, with the XSUB also sending a subscription
// as a raw message and a message that is none, which goes upstream as
// it is.
func mxXPubXSub(l *mxLink) {
	xpub, xsub := l.openA(mxOpts{}), l.openB(mxOpts{})
	l.join(xpub, xsub)
	xsub.subscribe("weather")
	mxAwaitNotice(l, xpub, xsub, mxSubscription(true, "weather"))
	xsub.send(mxSubscription(true, "sync")...)
	mxExpect(l.t, "subscription sent raw", xpub.recv(), mxSubscription(true, "sync"))
	xsub.send(mxFrames("\x02upstream", "", "message")...)
	mxExpect(l.t, "message upstream", xpub.recv(), mxFrames("\x02upstream", "", "message"))
	mxPublishAll(l, xpub, xsub)
	xsub.unsubscribe("weather")
	mxExpect(l.t, "unsubscription", xpub.recv(), mxSubscription(false, "weather"))
	xpub.send(mxFrames("weather.after", "unsubscribed")...)
	xpub.send(mxSyncEnd...)
	mxExpectPublications(l, xsub, nil)
}
