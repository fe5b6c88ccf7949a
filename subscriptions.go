package zmq

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
)

// A Pub is an XPUB underneath, made verboser: its connected subscribers'
// every subscription and cancellation, a departing subscriber's included,
// reaches it as a notice (libzmq's PUB drops them), so that it can tell
// WaitSubscriptions how many subscriptions its subscribers hold. On the
// wire it says it is an XPUB, which every SUB and XSUB accepts.

// noticeDrainEvery is how many publications a Pub makes between two reads
// of the notices waiting in its socket: the socket keeps them until read,
// and reading them on every publication would cost a call each.
const noticeDrainEvery = 256

// subscriptionCount is what a Pub knows of its subscribers' subscriptions.
type subscriptionCount struct {
	published atomic.Uint32 // publications since the Pub was made, wrapping

	mu      sync.Mutex
	n       int           // subscriptions the connected subscribers hold
	changed chan struct{} // closed (and replaced) when n changes or the reader stops
	// reader is the WaitSubscriptions call waiting in the socket for a
	// notice, if any.
	reader *noticeReader
}

// noticeReader is a WaitSubscriptions call waiting in the socket; stop
// ends its wait when another goroutine has read a notice meanwhile.
type noticeReader struct {
	stop context.CancelFunc
}

// changedLocked wakes the WaitSubscriptions calls waiting for news.
func (c *subscriptionCount) changedLocked() {
	if c.changed != nil {
		close(c.changed)
		c.changed = nil
	}
}

// note counts one notice; anything else an XSUB subscriber sent upstream
// is dropped, as a PUB drops it.
func (c *subscriptionCount) note(m Msg) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.noteLocked(m)
}

func (c *subscriptionCount) noteLocked(m Msg) {
	sub, _, ok := ParseSubscription(m)
	if !ok {
		return
	}
	if sub {
		c.n++
	} else if c.n > 0 {
		c.n--
	}
	c.changedLocked()
	if c.reader != nil {
		c.reader.stop()
		c.reader = nil
	}
}

// drainNotices counts the notices waiting in the socket, without waiting.
func (p *Pub) drainNotices() {
	for {
		m, err := p.recv.TryRecv()
		if err != nil {
			return
		}
		p.subs.note(m)
	}
}

// afterPublish reads the waiting notices every noticeDrainEvery
// publications, which bounds what the socket holds for a Pub whose
// WaitSubscriptions is never called.
func (p *Pub) afterPublish() {
	if p.subs.published.Add(1)%noticeDrainEvery == 0 {
		p.drainNotices()
	}
}

// Subscriptions reports how many subscriptions the Pub's connected
// subscribers hold, as far as the Pub has read their notices: a subscriber
// that subscribed to two prefixes counts twice, one that left no longer
// counts. It never waits.
func (p *Pub) Subscriptions() int {
	p.drainNotices()
	p.subs.mu.Lock()
	defer p.subs.mu.Unlock()
	return p.subs.n
}

// WaitSubscriptions waits until the Pub's connected subscribers hold at
// least n subscriptions between them, or ctx ends, or the socket closes.
// With subscribers that subscribe once each, as most do, that is once n
// subscribers are in.
//
// It solves the slow-joiner problem: a Pub drops what it publishes to
// nobody, and a subscriber that has just connected misses every message
// published before its subscription reached the Pub, which takes at least
// a round trip after the connection. Publishing after WaitSubscriptions
// returns reaches every subscriber counted. It only counts: it does not
// stop anyone from leaving afterwards.
//
// On the libzmq engine, a SUB that binds sends its subscriptions to a Pub
// that connects only once its program calls into it (a Recv waiting, for
// instance): a Pub that connects to a bound Sub of the same program waits
// until that Sub is receiving.
//
// Safe for concurrent use, also with Publish.
func (p *Pub) WaitSubscriptions(ctx context.Context, n int) error {
	if n < 0 {
		return &OpError{Op: "wait for subscriptions", Socket: p.kind, Err: fmt.Errorf("%w: WaitSubscriptions(%d): a negative count", ErrInvalidOption, n)}
	}
	c := &p.subs
	for {
		p.drainNotices()
		c.mu.Lock()
		if c.n >= n {
			c.mu.Unlock()
			return nil
		}
		if c.changed == nil {
			c.changed = make(chan struct{})
		}
		changed := c.changed
		if c.reader == nil {
			// One caller at a time waits in the socket; the others wait
			// for what it reads, or for it to stop. A notice read by
			// anyone else (Publish reads them too) ends its wait, so that
			// it counts again.
			rctx, stop := context.WithCancel(ctx)
			me := &noticeReader{stop: stop}
			c.reader = me
			c.mu.Unlock()
			m, err := p.recv.Recv(rctx)
			c.mu.Lock()
			interrupted := c.reader != me
			if !interrupted {
				c.reader = nil
			}
			stop()
			if err == nil {
				c.noteLocked(m)
			}
			c.changedLocked()
			c.mu.Unlock()
			if err != nil && !(interrupted && ctx.Err() == nil) {
				return err
			}
			continue
		}
		c.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// pubNotices makes a Pub's XPUB report every subscription and cancellation.
var pubNotices Option = WithXPubVerboser(true)

// TrySend sends m if the socket can take it now, or fails with EAGAIN; a
// Pub can always take it unless it is closed.
func (p *Pub) TrySend(m Msg) error {
	err := p.sendSide.TrySend(m)
	p.afterPublish()
	return err
}

// SendBatch sends msgs in order, each one whole, with fewer calls into
// the engine than one Send each, and returns how many it sent; msgs[n] is
// the one that failed when err is not nil. Like Send, it never waits for
// a full subscriber.
func (p *Pub) SendBatch(ctx context.Context, msgs []Msg) (int, error) {
	n, err := p.sendSide.SendBatch(ctx, msgs)
	p.afterPublish()
	return n, err
}
