package gozmq

import (
	"errors"
	"net"
	"sync"

	"github.com/zmqx/zmq/internal/engine"
)

// streamReadSize bounds the bytes of one message a STREAM connection
// reads: what one read returns, as libzmq makes one message of each.
const streamReadSize = 8 << 10

// runStream serves a STREAM socket's connection: no handshake, bytes in
// as messages, bytes out as written. It reports, like run, that the
// connection was up and why it ended; a *stopError when the application
// closed it.
func (c *conn) runStream(keep *pipe) (bool, error) {
	s := c.s
	s.mu.Lock()
	notify := s.opts.bool(engine.OptStreamNotify)
	var meta *msgMeta
	if s.opts.bool(engine.OptMessageMetadata) {
		meta = &msgMeta{peerAddr: c.peerAddr}
	}
	s.mu.Unlock()
	p := c.attachPipe(keep, engine.STREAM, nil)
	if p == nil {
		return true, errClosed
	}
	if notify {
		p.in.push(streamNotice(meta), true) // the peer is here
	}
	var wg sync.WaitGroup
	var closeAsked bool
	wg.Go(func() { closeAsked = c.writeStream() })
	err := c.readStream(meta)
	c.close()
	wg.Wait()
	if notify && !closeAsked {
		p.in.push(streamNotice(meta), true) // the peer went away
	}
	c.detachPipe(keep)
	if closeAsked {
		// As libzmq does: a connection the application closed is not
		// made again.
		return true, &stopError{errCloseAsked}
	}
	return true, err
}

// errCloseAsked ends a STREAM connection the application closed.
var errCloseAsked = errors.New("closed by the application")

// streamNotice is the message that tells a STREAM socket's receiver that
// a peer connected or went away: the peer's id (added by the pattern),
// then nothing.
func streamNotice(meta *msgMeta) msg {
	return msg{frames: [][]byte{{}}, meta: meta}
}

// readStream queues what arrives as messages of one frame, one per read,
// until the connection ends; it waits while the queue is full.
func (c *conn) readStream(meta *msgMeta) error {
	buf := make([]byte, streamReadSize)
	var one [1]msg
	for {
		n, err := c.nc.Read(buf)
		if n > 0 {
			// Recv's caller keeps the frame: memory of its own.
			one[0] = msg{frames: [][]byte{append([]byte(nil), buf[:n]...)}, meta: meta}
			if !c.deliverAll(one[:]) {
				return nil // the connection or the socket ended
			}
		}
		if err != nil {
			return err
		}
	}
}

// writeStream writes the bytes queued for the peer, as many messages per
// write as are queued, until asked to close (an empty message, after
// what was queued before it) or the connection fails; once the socket
// closes, it stops when the queue is empty or the linger period ends. It
// reports whether it stopped because the application asked to close.
func (c *conn) writeStream() (closeAsked bool) {
	defer c.close()
	s := c.s
	closing := s.closing
	// wb is what WriteTo consumes of bufs: declared once, as it lives on
	// the heap.
	var bufs, wb net.Buffers
	var sent []msg
	for {
		first, n := c.p.out.peek(maxBatch, func(m *msg) bool {
			if len(m.frames[0]) == 0 {
				closeAsked = true // the last the peek takes
				return false
			}
			bufs = append(bufs, m.frames[0])
			sent = append(sent, *m)
			return true
		})
		if n > 0 {
			if len(bufs) > 0 {
				wb = bufs
				if _, err := wb.WriteTo(c.nc); err != nil {
					return false
				}
			}
			c.p.out.discard(first, n)
			for _, m := range sent {
				m.release()
			}
			clear(bufs)
			bufs = bufs[:0]
			clear(sent)
			sent = sent[:0]
			if closeAsked {
				return true
			}
			continue
		}
		if closing == nil || c.isClosing() {
			closing = nil
			if c.p.out.len() == 0 || c.lingerOver() {
				return false
			}
		}
		select {
		case <-c.wake:
		case <-c.done:
			return false
		case <-closing:
		case <-s.lingerStop:
			if c.isClosing() {
				return false
			}
		}
	}
}
