package gozmq

import (
	"fmt"
	"syscall"
	"time"

	"github.com/zmqx/zmq/internal/brief"
	"github.com/zmqx/zmq/internal/engine"
	"github.com/zmqx/zmq/internal/zmtp"
)

// zapName is the inproc name a ZAP handler binds (RFC 27), in the same
// engine as the sockets it serves.
const zapName = "zeromq.zap.01"

// zapEndpoint is zapName as an endpoint.
const zapEndpoint = "inproc://" + zapName

// The fixed frames of a ZAP request. libzmq numbers every request "1": one
// connection has one request at a time, on a pipe of its own.
var (
	zapVersion   = []byte("1.0")
	zapRequestID = []byte("1")
)

// zapReplyFrames is how many frames an RFC 27 reply has: delimiter,
// version, request id, status, status text, user id, metadata.
const zapReplyFrames = 7

// noHandlerError reports that no ZAP handler answered: none was bound, or
// the one bound went away before replying. Nobody is admitted then. It
// unwraps to EFAULT, the value libzmq's monitor event carries when it has
// no handler to ask.
type noHandlerError struct{ why string }

func (e *noHandlerError) Error() string { return "no ZAP handler: " + e.why }

func (e *noHandlerError) Unwrap() error { return syscall.EFAULT }

// askZAP sends req to the handler bound at inproc://zeromq.zap.01 in s's
// engine, over a pipe of its own as libzmq's session does, and waits for
// the reply until deadline (zero: no limit) or until stop is closed. The
// reply is checked as libzmq checks it; a faulty one is a *zmtp.ProtocolError
// with libzmq's ZAP code.
func (s *Socket) askZAP(req zmtp.ZAPRequest, deadline time.Time, stop <-chan struct{}) (zmtp.ZAPReply, error) {
	e := s.eng
	e.mu.Lock()
	h := e.bound[zapName]
	e.mu.Unlock()
	if h == nil {
		return zmtp.ZAPReply{}, &noHandlerError{"nothing is bound at " + zapEndpoint}
	}
	if h.typ != engine.ROUTER && h.typ != engine.REP {
		return zmtp.ZAPReply{}, &noHandlerError{fmt.Sprintf("the socket bound at %s is a %s, not a ROUTER or REP", zapEndpoint, h.typ)}
	}

	// Both directions are unbounded, as libzmq's ZAP pipe is: a request is
	// never refused for room, and the handler never waits to reply.
	toHandler, fromHandler := newQueue(0, false), newQueue(0, false)
	replied := make(chan struct{}, 1)
	hp := &pipe{s: h, in: toHandler, out: fromHandler, inproc: true, peerType: engine.DEALER, endpoint: zapEndpoint}
	toHandler.setHooks(h.recvD.signal, nil)
	fromHandler.setHooks(func() { signalChan(replied) }, h.sendD.signal)
	hp.kill = func() { // the handler closed: no reply will come
		fromHandler.closeWriter()
		h.pipeDone(hp)
	}
	defer func() {
		toHandler.closeWriter()
		fromHandler.closeReader()
		h.pipeDone(hp)
	}()
	frames := make([][]byte, 0, 7+len(req.Credentials))
	frames = append(frames, []byte{}, zapVersion, zapRequestID, []byte(req.Domain), []byte(req.Address),
		req.Identity, []byte(req.Mechanism))
	frames = append(frames, req.Credentials...)
	toHandler.push(msg{frames: frames}, true)
	h.attachInproc(hp)

	var expired <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		expired = t.C
	}
	for {
		m, ok, done := fromHandler.pop()
		if ok {
			return parseZAPReply(m.frames)
		}
		if done {
			return zmtp.ZAPReply{}, &noHandlerError{"the handler bound at " + zapEndpoint + " closed without replying"}
		}
		select {
		case <-replied:
		case <-expired:
			return zmtp.ZAPReply{}, fmt.Errorf("no ZAP reply within the handshake interval: %w", syscall.ETIMEDOUT)
		case <-stop:
			return zmtp.ZAPReply{}, fmt.Errorf("connection closed while waiting for the ZAP reply: %w", syscall.ECONNABORTED)
		}
	}
}

// parseZAPReply checks a reply in libzmq's order and with its codes.
func parseZAPReply(f [][]byte) (zmtp.ZAPReply, error) {
	bad := func(code zmtp.ProtocolErrorCode, format string, args ...any) (zmtp.ZAPReply, error) {
		return zmtp.ZAPReply{}, &zmtp.ProtocolError{Code: code, Reason: "ZAP reply: " + fmt.Sprintf(format, args...)}
	}
	if len(f) != zapReplyFrames {
		return bad(zmtp.CodeZAPMalformedReply, "%d frames, want %d", len(f), zapReplyFrames)
	}
	if len(f[0]) != 0 {
		return bad(zmtp.CodeZAPUnspecified, "delimiter frame of %d octets, want an empty one", len(f[0]))
	}
	if string(f[1]) != string(zapVersion) {
		return bad(zmtp.CodeZAPBadVersion, "version %s, want %s", brief.Quote(string(f[1])), zapVersion)
	}
	if string(f[2]) != string(zapRequestID) {
		return bad(zmtp.CodeZAPBadRequestID, "request id %s, want %s", brief.Quote(string(f[2])), zapRequestID)
	}
	status := string(f[3])
	switch status {
	case "200", "300", "400", "500":
	default:
		return bad(zmtp.CodeZAPInvalidStatus, "status %s, want 200, 300, 400 or 500", brief.Quote(status))
	}
	md, err := zmtp.ParseMetadata(f[6])
	if err != nil {
		return bad(zmtp.CodeZAPInvalidMetadata, "metadata: %v", err)
	}
	return zmtp.ZAPReply{
		Status:   int(status[0]-'0') * 100,
		Text:     string(f[4]),
		UserID:   string(f[5]),
		Metadata: md,
	}, nil
}
