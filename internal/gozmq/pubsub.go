package gozmq

import (
	"github.com/zmqx/zmq/internal/engine"
)

// subscriber is a pattern that takes ZMQ_SUBSCRIBE and ZMQ_UNSUBSCRIBE.
type subscriber interface {
	subscribe(topic []byte, on bool) error
}

// hiccuper is a pattern that must know when a kept pipe got a new
// connection behind it.
type hiccuper interface {
	hiccup(p *pipe)
}

// maxPending bounds the subscription notices and upstream messages an XPUB
// holds for its application: past it, the pipes' inbound queues fill up and
// their connections stop being read.
const maxPending = 64 << 10

// topics is a set of subscribed prefixes with a reference count each (the
// SUB side's trie).
type topics struct {
	count  map[string]int
	maxLen int
}

func (t *topics) add(topic []byte) {
	if t.count == nil {
		t.count = make(map[string]int)
	}
	t.count[string(topic)]++
	t.maxLen = max(t.maxLen, len(topic))
}

// remove drops one reference and reports whether the topic is gone.
func (t *topics) remove(topic []byte) (known, gone bool) {
	n, ok := t.count[string(topic)]
	if !ok {
		return false, false
	}
	if n > 1 {
		t.count[string(topic)] = n - 1
		return true, false
	}
	delete(t.count, string(topic))
	if len(topic) == t.maxLen {
		t.maxLen = 0
		for k := range t.count {
			t.maxLen = max(t.maxLen, len(k))
		}
	}
	return true, true
}

// match reports whether some subscribed prefix starts data.
func (t *topics) match(data []byte) bool {
	for i := 0; i <= len(data) && i <= t.maxLen; i++ {
		if _, ok := t.count[string(data[:i])]; ok {
			return true
		}
	}
	return false
}

// xsub is SUB and XSUB: subscriptions go to every publisher, messages
// come in fair-queued (SUB filters them by its subscriptions).
type xsub struct {
	s      *Socket
	filter bool // SUB: deliver matching messages only
	fq     fq
	pipes  []*pipe
	subs   topics
}

func newXSub(s *Socket, t engine.SocketType) *xsub {
	return &xsub{s: s, filter: t == engine.SUB, fq: fq{s: s}}
}

func subMsg(topic []byte, on bool) msg {
	b := make([]byte, 1+len(topic))
	if on {
		b[0] = 1
	}
	copy(b[1:], topic)
	return msg{frames: [][]byte{b}, sub: true}
}

func (x *xsub) attach(p *pipe) {
	x.pipes = append(x.pipes, p)
	x.fq.add(p)
	x.hiccup(p)
}

// hiccup sends p every subscription, as to a new publisher.
func (x *xsub) hiccup(p *pipe) {
	for t := range x.subs.count {
		p.out.push(subMsg([]byte(t), true), true)
	}
}

func (x *xsub) detach(p *pipe) {
	for i, q := range x.pipes {
		if q == p {
			x.pipes = append(x.pipes[:i], x.pipes[i+1:]...)
			break
		}
	}
	x.fq.remove(p)
}

// subscribe sends SUBSCRIBE on every call, CANCEL when the last
// reference to the topic goes, as libzmq does.
func (x *xsub) subscribe(topic []byte, on bool) error {
	if on {
		x.subs.add(topic)
	} else if _, gone := x.subs.remove(topic); !gone {
		return nil
	}
	m := subMsg(topic, on)
	for _, p := range x.pipes {
		p.out.push(m, true)
	}
	return nil
}

func (x *xsub) send(m msg) error {
	if x.filter {
		return errNotSup
	}
	if len(m.frames) == 1 && len(m.frames[0]) > 0 && m.frames[0][0] <= 1 {
		return x.subscribe(m.frames[0][1:], m.frames[0][0] == 1)
	}
	x.s.pushAll(m, x.pipes) // a full publisher loses it
	return nil
}

func (x *xsub) recv() (msg, error) {
	invert := x.s.opts.bool(engine.OptInvertMatching)
	for {
		m, _, err := x.fq.recv()
		if err != nil {
			return msg{}, err
		}
		if !x.filter || x.subs.match(m.frames[0]) != invert {
			return m, nil
		}
	}
}

// xpub is PUB and XPUB: each message goes to every subscriber whose
// subscriptions match it; XPUB also hands the application its
// subscribers' subscription changes.
type xpub struct {
	s     *Socket
	isX   bool
	fq    fq
	pipes []*pipe
	// subs holds each prefix's subscribers: one pipe counts once however
	// often it subscribed the prefix (libzmq's mtrie).
	subs   map[string]map[*pipe]struct{}
	maxLen int
	// pending holds notices and upstream messages for the application,
	// each with the pipe it came from.
	pending []pending
	// last is the pipe of the last notice handed to the application:
	// XPUB_MANUAL's Subscribe applies to it.
	last *pipe
	// scratch for dist
	mark    uint64
	targets []*pipe
}

// pending is a message waiting for an XPUB's application, with the pipe
// of the subscriber that sent it (nil for messages from no pipe, and once
// that pipe is gone).
type pending struct {
	m msg
	p *pipe
}

func newXPub(s *Socket, t engine.SocketType) *xpub {
	return &xpub{s: s, isX: t == engine.XPUB, fq: fq{s: s}, subs: make(map[string]map[*pipe]struct{})}
}

func (x *xpub) attach(p *pipe) {
	x.pipes = append(x.pipes, p)
	x.fq.add(p)
	if w := x.s.opts.bytes[engine.OptXPubWelcomeMsg]; len(w) > 0 {
		p.out.push(msg{frames: [][]byte{append([]byte(nil), w...)}}, true)
	}
}

func (x *xpub) detach(p *pipe) {
	for i, q := range x.pipes {
		if q == p {
			x.pipes = append(x.pipes[:i], x.pipes[i+1:]...)
			break
		}
	}
	x.fq.remove(p)
	verboser := x.s.opts.bool(engine.OptXPubVerboser)
	for t, set := range x.subs {
		if _, ok := set[p]; !ok {
			continue
		}
		delete(set, p)
		gone := len(set) == 0
		if gone {
			delete(x.subs, t)
		}
		if x.isX && (gone || verboser) && len(x.pending) < maxPending {
			x.pending = append(x.pending, pending{m: subMsg([]byte(t), false)})
		}
	}
	x.recomputeMaxLen()
	if x.last == p {
		x.last = nil
	}
	for i := range x.pending {
		if x.pending[i].p == p {
			x.pending[i].p = nil
		}
	}
}

func (x *xpub) recomputeMaxLen() {
	x.maxLen = 0
	for t := range x.subs {
		x.maxLen = max(x.maxLen, len(t))
	}
}

// subscribe is XPUB_MANUAL's: it changes the subscriptions of the pipe
// that sent the last notice. Without XPUB_MANUAL it is refused, as libzmq
// refuses it.
func (x *xpub) subscribe(topic []byte, on bool) error {
	if !x.isX || !x.s.opts.bool(engine.OptXPubManual) {
		return errInvalid
	}
	if x.last == nil {
		return nil
	}
	if on {
		x.add(topic, x.last)
	} else {
		x.remove(topic, x.last)
	}
	return nil
}

// add subscribes p to topic and reports whether the topic is new.
func (x *xpub) add(topic []byte, p *pipe) bool {
	set := x.subs[string(topic)]
	unique := len(set) == 0
	if set == nil {
		set = make(map[*pipe]struct{})
		x.subs[string(topic)] = set
		x.maxLen = max(x.maxLen, len(topic))
	}
	set[p] = struct{}{}
	return unique
}

// remove unsubscribes p from topic and reports whether nobody is left.
func (x *xpub) remove(topic []byte, p *pipe) bool {
	set, ok := x.subs[string(topic)]
	if !ok {
		return false
	}
	if _, had := set[p]; !had {
		return false
	}
	delete(set, p)
	if len(set) > 0 {
		return false
	}
	delete(x.subs, string(topic))
	if len(topic) == x.maxLen {
		x.recomputeMaxLen()
	}
	return true
}

// process takes in what the subscribers sent, up to room for the
// application, applying subscription changes. It returns whether it found
// something for the application.
func (x *xpub) process() bool {
	manual := x.s.opts.bool(engine.OptXPubManual)
	verbose := x.s.opts.bool(engine.OptXPubVerbose)
	verboser := x.s.opts.bool(engine.OptXPubVerboser)
	found := false
	for len(x.pending) < maxPending {
		m, p, err := x.fq.recv()
		if err != nil {
			break
		}
		f := m.frames
		if len(f) != 1 || len(f[0]) == 0 || f[0][0] > 1 {
			if x.isX {
				x.pending = append(x.pending, pending{m: m})
				found = true
			}
			continue
		}
		on, topic := f[0][0] == 1, f[0][1:]
		if manual && x.isX {
			x.pending = append(x.pending, pending{m: msg{frames: [][]byte{f[0]}}, p: p})
			found = true
			continue
		}
		var unique bool
		if on {
			unique = x.add(topic, p)
		} else {
			unique = x.remove(topic, p)
		}
		if x.isX && (unique || (on && (verbose || verboser)) || (!on && verboser)) {
			x.pending = append(x.pending, pending{m: msg{frames: [][]byte{f[0]}}, p: p})
			found = true
		}
	}
	return found
}

func (x *xpub) recv() (msg, error) {
	if !x.isX {
		return msg{}, errNotSup
	}
	if len(x.pending) == 0 {
		x.process()
	}
	if len(x.pending) == 0 {
		return msg{}, errAgain
	}
	next := x.pending[0]
	x.pending[0] = pending{}
	x.pending = x.pending[1:]
	if len(x.pending) == 0 {
		x.pending = nil
	}
	if next.p != nil {
		x.last = next.p
	}
	return next.m, nil
}

func (x *xpub) send(m msg) error {
	x.process()
	targets := x.match(m.frames[0])
	defer func() { clear(x.targets); x.targets = x.targets[:0] }()
	if x.s.opts.bool(engine.OptXPubNoDrop) {
		for _, p := range targets {
			if p.out.full() {
				return errAgain
			}
		}
	}
	x.s.pushAll(m, targets) // a full subscriber loses only its own copy
	return nil
}

// match returns the pipes the message with first frame topic goes to.
func (x *xpub) match(topic []byte) []*pipe {
	x.mark++
	mark := x.mark
	for i := 0; i <= len(topic) && i <= x.maxLen; i++ {
		for p := range x.subs[string(topic[:i])] {
			p.mark = mark
		}
	}
	invert := x.s.opts.bool(engine.OptInvertMatching)
	for _, p := range x.pipes {
		if (p.mark == mark) != invert {
			x.targets = append(x.targets, p)
		}
	}
	return x.targets
}
