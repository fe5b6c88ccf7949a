package zmtp

import (
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"sync"
)

// DefaultReadBufferSize is the decoder's buffer size unless configured:
// many small frames are parsed out of each read of this size.
const DefaultReadBufferSize = 64 << 10

// minReadBufferSize keeps the buffer big enough for any frame header and
// the 64-octet greeting.
const minReadBufferSize = 64

// handshakeBufferSize is the decoder's buffer during a handshake: enough
// for the greeting and the usual commands in few reads, while a peer that
// connects and stalls costs little memory. A larger command is read into
// a slice of its own, grown as its octets arrive. The buffer takes its
// configured size once the handshake is done.
const handshakeBufferSize = 1 << 10

// Frame is one decoded frame.
type Frame struct {
	// Body is the frame's content. A body that fits the decoder's buffer
	// aliases that buffer and is valid only until the next call to Next;
	// a larger body is a slice of its own the caller may keep (from the
	// decoder's BodyAllocator, if it has one).
	Body []byte
	// More says that further frames of the same message follow.
	More bool
	// Command marks a command frame (ZMTP 3.x); see ParseCommand.
	Command bool
}

// Decoder reads frames from one connection. It reads in chunks of its
// buffer size, so one read can yield many frames. A body larger than the
// buffer is read straight into its own slice, grown as octets arrive: a
// peer's declared size alone never makes it allocate more than twice what
// has arrived plus one buffer's worth. When a maximum message size is set,
// a message (all its frames) that would exceed it is refused before its
// body is read. The first error is sticky: every later call returns it,
// except a read cut short by its deadline (os.ErrDeadlineExceeded),
// after which the next call resumes where that read stopped, even in the
// middle of a frame. A Decoder is for one goroutine at a time.
type Decoder struct {
	r          io.Reader
	buf        []byte
	start, end int // unread octets are buf[start:end]

	version Version
	cipher  Cipher
	maxMsg  int64 // 0: unlimited
	msgSize int64 // octets of the current message's frames so far

	err error

	// beforeBlock, when set, runs before a read that may wait for the
	// peer. The handshake uses it to send its pending output first.
	beforeBlock func()

	// bodies, when set, provides the memory of bodies larger than buf.
	bodies BodyAllocator

	// idle, when set, reads when nothing is buffered, and buf goes back to
	// bufPool while it waits (nil until the next read); readBuf and
	// release are its callbacks, made once.
	idle    IdleReader
	readBuf func() []byte
	release func()
	bufWas  int // len(buf) before it went back

	// large is a body bigger than the buffer being read into its own
	// slice, kept while a read's deadline interrupts it.
	large largeBody
}

// largeBody is a large frame's body as far as it has arrived, with the
// frame's size and flags.
type largeBody struct {
	body          []byte
	size          int
	more, command bool
}

// IdleReader reads from a connection without holding the reader's buffer
// while it waits for input.
type IdleReader interface {
	// ReadIdle reads like io.Reader's Read into the slice buf returns: at
	// least one octet, or an error (io.EOF at the end). When nothing has
	// arrived it calls idle before it waits, and buf again once something
	// has.
	ReadIdle(buf func() []byte, idle func()) (int, error)
}

// bufPool holds read buffers of DefaultReadBufferSize octets that idle
// connections gave back.
var bufPool sync.Pool

// SetIdleReader makes the decoder read through r whenever nothing is
// buffered, so that a connection waiting for its peer holds no read
// buffer: it gives the buffer back to a pool shared by every decoder, and
// takes one again when input arrives. Only a buffer of the default size
// is shared this way; others are kept.
func (d *Decoder) SetIdleReader(r IdleReader) {
	d.idle = r
	d.readBuf = func() []byte {
		if d.buf == nil {
			if b, ok := bufPool.Get().(*[DefaultReadBufferSize]byte); ok {
				d.buf = b[:]
			} else {
				d.buf = make([]byte, d.bufWas)
			}
		}
		return d.buf
	}
	d.release = func() {
		if len(d.buf) == DefaultReadBufferSize {
			d.bufWas = len(d.buf)
			bufPool.Put((*[DefaultReadBufferSize]byte)(d.buf))
			d.buf = nil
		}
	}
}

// BodyAllocator provides a decoder with the memory of bodies too large
// for its buffer, so that a receiver may recycle it.
type BodyAllocator interface {
	// Alloc returns an empty slice with room for at least need octets of
	// a body of size octets (need <= size). It may give room for the
	// whole body at once when it has memory at hand, and may round need
	// up, to at most twice need, so that the memory can be recycled.
	Alloc(size, need int) []byte
	// Free takes back a slice Alloc returned that the decoder outgrew or
	// gave up on; it is not used afterwards.
	Free(b []byte)
}

// SetBodyAllocator makes the decoder take the memory of large bodies from
// a (nil: allocate them).
func (d *Decoder) SetBodyAllocator(a BodyAllocator) { d.bodies = a }

func (d *Decoder) alloc(size, need int) []byte {
	if d.bodies != nil {
		return d.bodies.Alloc(size, need)
	}
	return make([]byte, 0, need)
}

func (d *Decoder) free(b []byte) {
	if d.bodies != nil {
		d.bodies.Free(b)
	}
}

// NewDecoder returns a decoder of clear frames from a peer of version v,
// reading from r with a buffer of bufferSize octets (0: the default, 64
// KiB) and refusing messages over maxMessageSize octets (0 or less: no
// limit). Handshake returns the decoder to use after a handshake, with
// anything already read kept in its buffer.
func NewDecoder(r io.Reader, v Version, bufferSize int, maxMessageSize int64) *Decoder {
	if bufferSize <= 0 {
		bufferSize = DefaultReadBufferSize
	}
	bufferSize = max(bufferSize, minReadBufferSize)
	return &Decoder{r: r, buf: make([]byte, bufferSize), version: v, maxMsg: max(maxMessageSize, 0)}
}

// setBufferSize replaces the buffer with one of n octets (at least
// minReadBufferSize, and enough for what is buffered), keeping the octets
// not yet decoded.
func (d *Decoder) setBufferSize(n int) {
	n = max(n, minReadBufferSize, d.end-d.start)
	if n == len(d.buf) {
		return
	}
	buf := make([]byte, n)
	d.end = copy(buf, d.buf[d.start:d.end])
	d.start, d.buf = 0, buf
}

// Buffered returns how many octets have been read from the connection but
// not yet decoded. When it is 0, the next call to Next will read.
func (d *Decoder) Buffered() int { return d.end - d.start }

// FrameBuffered reports whether the next frame has wholly arrived, so that
// Next returns it without reading (or returns the decoder's error). A
// caller that hands frames on in groups stops gathering when it is false.
func (d *Decoder) FrameBuffered() bool {
	if d.err != nil {
		return true
	}
	n := d.end - d.start
	if n < 2 {
		return false
	}
	hdr, size := 2, uint64(d.buf[d.start+1])
	if d.buf[d.start]&flagLong != 0 {
		if n < 9 {
			return false
		}
		hdr, size = 9, binary.BigEndian.Uint64(d.buf[d.start+1:])
	}
	return size <= uint64(n-hdr)
}

// Next returns the next frame. Bodies of encrypted frames come back opened,
// with the MORE and COMMAND flags they carried inside.
func (d *Decoder) Next() (Frame, error) {
	if d.err != nil {
		return Frame{}, d.err
	}
	f, err := d.next()
	if err != nil {
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			d.err = err
			if d.large.size > 0 {
				d.free(d.large.body)
				d.large = largeBody{}
			}
		}
		return Frame{}, err
	}
	return f, nil
}

// next decodes a frame. An error leaves buf[start:end] and large as they
// were before the read that failed, so that a call after an interrupted
// read starts over from the same frame, or goes on with its large body.
func (d *Decoder) next() (Frame, error) {
	if d.large.size > 0 {
		return d.readLarge()
	}
	if err := d.fill(2); err != nil {
		return Frame{}, err
	}
	flags := d.buf[d.start]
	hdr, size := 2, uint64(d.buf[d.start+1])
	if flags&flagLong != 0 {
		hdr = 9
		if err := d.fill(hdr); err != nil {
			return Frame{}, err
		}
		size = binary.BigEndian.Uint64(d.buf[d.start+1:])
	}
	more := flags&flagMore != 0
	command := d.version.hasCommands() && flags&flagCommand != 0

	limit := d.sizeLimit(command)
	if size > math.MaxInt || limit >= 0 && size > uint64(limit) {
		if d.cipher != nil && size <= math.MaxInt {
			return Frame{}, protoErr(CodeUnspecified, "sealed frame of %d octets exceeds the maximum message size of %d plus the mechanism's overhead of %d",
				size, d.maxMsg, d.cipher.Overhead())
		}
		return Frame{}, d.tooLarge(size)
	}
	if d.cipher == nil && command && more {
		return Frame{}, protoErr(CodeMalformedCommand, "command frame with the MORE flag (flags %#02x)", flags)
	}
	if size > uint64(len(d.buf)-hdr) { // not hdr+size, which a peer's size can overflow
		d.start += hdr
		d.startLarge(largeBody{size: int(size), more: more, command: command})
		return d.readLarge()
	}
	if err := d.fill(hdr + int(size)); err != nil {
		return Frame{}, err
	}
	body := d.buf[d.start+hdr : d.start+hdr+int(size) : d.start+hdr+int(size)]
	d.start += hdr + int(size)
	return d.frame(body, more, command)
}

// frame opens body, if sealed, and counts it towards its message's size.
func (d *Decoder) frame(body []byte, more, command bool) (Frame, error) {
	var err error
	if d.cipher != nil {
		// Either outer form is accepted; MORE and COMMAND come from inside.
		if more, command, body, err = d.cipher.Open(body); err != nil {
			return Frame{}, err
		}
		if command && more {
			return Frame{}, protoErr(CodeMalformedCommand, "sealed command frame with the MORE flag")
		}
	}
	if !command {
		if d.maxMsg > 0 && int64(len(body)) > d.maxMsg-d.msgSize {
			return Frame{}, d.tooLarge(uint64(len(body)))
		}
		d.msgSize += int64(len(body))
		if !more {
			d.msgSize = 0
		}
	}
	return Frame{Body: body, More: more, Command: command}, nil
}

// sizeLimit returns the largest frame size that may be read now, or -1 for
// no limit. A data frame may not take its message past the maximum; a
// command may not exceed it alone; an encrypted frame may add the cipher's
// overhead.
func (d *Decoder) sizeLimit(command bool) int64 {
	switch {
	case d.maxMsg == 0:
		return -1
	case d.cipher != nil:
		return d.maxMsg + int64(d.cipher.Overhead())
	case command:
		return d.maxMsg
	}
	return max(d.maxMsg-d.msgSize, 0)
}

func (d *Decoder) tooLarge(size uint64) error {
	if d.msgSize > 0 {
		return protoErr(CodeUnspecified, "frame of %d octets takes its message past the maximum message size of %d (already %d)",
			size, d.maxMsg, d.msgSize)
	}
	if d.maxMsg > 0 {
		return protoErr(CodeUnspecified, "frame of %d octets exceeds the maximum message size of %d", size, d.maxMsg)
	}
	return protoErr(CodeUnspecified, "frame size %d does not fit an int", size)
}

// startLarge begins a body bigger than the buffer (l's size and flags),
// to be read into its own slice. The slice starts with room for what is
// buffered plus one buffer's worth and at most doubles as octets arrive
// (a BodyAllocator may round each step up, to at most twice as much; it
// may also give room for the whole body at once from memory it already
// holds).
func (d *Decoder) startLarge(l largeBody) {
	l.body = d.alloc(l.size, min(l.size, d.Buffered()+len(d.buf)))
	l.body = append(l.body, d.buf[d.start:d.end]...)
	d.start, d.end = 0, 0
	d.large = l
}

// readLarge reads the rest of the large body and returns its frame.
func (d *Decoder) readLarge() (Frame, error) {
	l := &d.large
	chunk := len(d.buf)
	for len(l.body) < l.size {
		if len(l.body) == cap(l.body) {
			grown := d.alloc(l.size, min(l.size, max(2*cap(l.body), len(l.body)+chunk)))
			grown = append(grown, l.body...)
			d.free(l.body)
			l.body = grown
		}
		if d.beforeBlock != nil {
			d.beforeBlock()
		}
		// Never past the body: the room beyond it is not this frame's.
		n, err := d.readSome(l.body[len(l.body):min(cap(l.body), l.size)], true)
		l.body = l.body[:len(l.body)+n]
		if err != nil && len(l.body) < l.size {
			return Frame{}, err
		}
	}
	done := d.large
	d.large = largeBody{}
	return d.frame(done.body, done.more, done.command)
}

// fill makes sure at least n (at most len(buf)) octets are buffered,
// moving the unread octets to the front when the rest would not fit.
func (d *Decoder) fill(n int) error {
	if d.idle != nil && d.end == d.start && n > 0 {
		// Nothing buffered: the buffer may go back while the peer is
		// silent.
		if d.beforeBlock != nil {
			d.beforeBlock()
		}
		d.start, d.end = 0, 0
		m, err := d.idle.ReadIdle(d.readBuf, d.release)
		if m <= 0 && err == nil {
			err = io.ErrNoProgress
		}
		if err != nil {
			return &ConnError{Op: "reading", Err: err}
		}
		d.end = m
	}
	for d.end-d.start < n {
		if d.start+n > len(d.buf) {
			d.end = copy(d.buf, d.buf[d.start:d.end])
			d.start = 0
		}
		if d.beforeBlock != nil {
			d.beforeBlock()
		}
		m, err := d.readSome(d.buf[d.end:], d.end > d.start)
		d.end += m
		if err != nil && d.end-d.start < n {
			return err
		}
	}
	return nil
}

// maxEmptyReads bounds how often a reader may return nothing and no error
// before the decoder gives up, as bufio does.
const maxEmptyReads = 100

// readSome reads at least one octet into p, turning the reader's errors
// into *ConnError. io.EOF in the middle of a frame becomes
// io.ErrUnexpectedEOF.
func (d *Decoder) readSome(p []byte, midFrame bool) (int, error) {
	for range maxEmptyReads {
		n, err := d.r.Read(p)
		if n > 0 {
			return n, nil
		}
		if err != nil {
			if err == io.EOF && midFrame {
				err = io.ErrUnexpectedEOF
			}
			return 0, &ConnError{Op: "reading", Err: err}
		}
	}
	return 0, &ConnError{Op: "reading", Err: io.ErrNoProgress}
}
