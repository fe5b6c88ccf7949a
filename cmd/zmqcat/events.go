package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/zmqx/zmq"
)

// reportEvery bounds how often the same failure is reported for the same
// endpoint: a client with the wrong server key retries every 100 ms or so.
const reportEvery = 10 * time.Second

// watcher follows one socket's connection events through its Monitor (a
// socket has at most one): it prints them with -v, reports failed
// handshakes with or without -v, and remembers what each endpoint went
// through, for the delivery report.
type watcher struct {
	stderr  io.Writer
	verbose bool
	curve   *curveConfig // nil: no CURVE
	mon     *zmq.Monitor // nil if the engine cannot monitor
	wg      sync.WaitGroup

	mu        sync.Mutex
	endpoints map[string]*endpointState
	order     []string // the endpoints zmqcat bound or connected, in that order
	// shook is closed when a peer first completes a handshake.
	shook chan struct{}
	said  map[string]time.Time
}

// endpointState is what one endpoint went through.
type endpointState struct {
	bound      bool
	handshakes int    // completed
	up         int    // completed handshakes whose connection is not known to be gone
	retries    int    // reconnection attempts since the last handshake
	failure    string // why the last handshake failed, if none succeeded since
}

// watch starts following s's events. Without -v, a socket whose engine
// cannot monitor it runs unwatched: the delivery report then names the
// endpoints without saying what they lacked.
func watch(s wirer, cfg *config, stderr io.Writer) (*watcher, error) {
	w := &watcher{
		stderr: stderr, verbose: cfg.verbose, curve: cfg.curve,
		endpoints: map[string]*endpointState{}, said: map[string]time.Time{},
		shook: make(chan struct{}),
	}
	mon, err := s.Monitor(zmq.EventAll)
	if err != nil {
		if cfg.verbose {
			return nil, fmt.Errorf("-v: cannot follow connection events: %w", err)
		}
		return w, nil
	}
	w.mon = mon
	w.wg.Go(func() {
		for ev, err := range mon.Events(context.Background()) {
			if err != nil {
				return
			}
			w.handle(ev)
		}
	})
	return w, nil
}

// handshakeReportWait bounds how long finish waits for the report of a
// handshake that a message sent proves has completed.
const handshakeReportWait = time.Second

// finish closes the socket, which makes its monitor deliver the events
// still queued and then stop, and waits until the last one is handled.
// Closing the monitor instead would drop those events. It is idempotent.
//
// handedOver says a message was handed to a peer, so a handshake
// completed. libzmq reports a handshake just after the connection starts
// carrying messages, and events after the close are never reported:
// finish waits for that report (up to handshakeReportWait) so that -v and
// the delivery report do not miss it.
func (w *watcher) finish(s io.Closer, handedOver bool) {
	if handedOver && w.mon != nil {
		t := time.NewTimer(handshakeReportWait)
		select {
		case <-w.shook:
		case <-t.C:
		}
		t.Stop()
	}
	s.Close()
	w.wg.Wait()
}

// expect records an endpoint zmqcat binds (as bound) or connects to.
func (w *watcher) expect(ep string, bound bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	st := w.state(ep)
	st.bound = st.bound || bound
	for _, e := range w.order {
		if e == ep {
			return
		}
	}
	w.order = append(w.order, ep)
}

func (w *watcher) state(ep string) *endpointState {
	st, ok := w.endpoints[ep]
	if !ok {
		st = &endpointState{}
		w.endpoints[ep] = st
	}
	return st
}

// peerEverConnected reports whether some peer completed a handshake.
func (w *watcher) peerEverConnected() bool {
	select {
	case <-w.shook:
		return true
	default:
		return false
	}
}

// handle updates the state with one event and prints what is to be
// printed of it.
func (w *watcher) handle(ev zmq.Event) {
	ep := ev.Endpoint
	w.mu.Lock()
	st := w.state(ep)
	var line string // printed with -v
	var failure string
	switch ev.Type {
	case zmq.EventListening:
		st.bound = true
		line = "listening on " + ep
	case zmq.EventBindFailed:
		line = "bind failed on " + ep + ": " + errText(ev.Err())
	case zmq.EventConnected:
		line = "connected to " + ep
	case zmq.EventAccepted:
		st.bound = true
		line = "accepted a connection on " + ep
	case zmq.EventAcceptFailed:
		line = "accept failed on " + ep + ": " + errText(ev.Err())
	case zmq.EventHandshakeSucceeded:
		st.handshakes++
		st.up++
		st.retries = 0
		st.failure = ""
		if !w.peerEverConnected() { // only handle closes it, under w.mu
			close(w.shook)
		}
		line = "handshake succeeded " + w.prep(st) + " " + ep
	case zmq.EventHandshakeFailedNoDetail, zmq.EventHandshakeFailedProtocol, zmq.EventHandshakeFailedAuth:
		st.failure = handshakeReason(ev.Err(), w.curve, st.bound)
		failure = w.mechanism() + "handshake " + w.prep(st) + " " + ep + " failed: " + st.failure
		if !w.due(ep + "\x00" + failure) {
			failure = ""
		}
	case zmq.EventDisconnected:
		// A connection whose handshake failed is reported disconnected
		// too, so up may undercount when good and bad peers share an
		// endpoint; it only changes the report's wording.
		if st.up > 0 {
			st.up--
		}
		if st.bound {
			line = "a peer disconnected from " + ep
		} else {
			line = "disconnected from " + ep
		}
	case zmq.EventConnectRetried:
		st.retries++
		if st.retries&(st.retries-1) == 0 { // 1st, 2nd, 4th, 8th...
			line = fmt.Sprintf("retrying %s in %v (retry %d)", ep, time.Duration(ev.Value)*time.Millisecond, st.retries)
		}
	}
	w.mu.Unlock()
	if failure != "" {
		fmt.Fprintln(w.stderr, "zmqcat: "+failure)
	}
	if w.verbose && line != "" {
		fmt.Fprintln(w.stderr, "zmqcat: "+line)
	}
}

// prep is "on" a bound endpoint, "with" one connected to.
func (w *watcher) prep(st *endpointState) string {
	if st.bound {
		return "on"
	}
	return "with"
}

func (w *watcher) mechanism() string {
	if w.curve != nil {
		return "CURVE "
	}
	return ""
}

// due reports whether a failure line with key may be printed now, and
// notes that it is.
func (w *watcher) due(key string) bool {
	if t, ok := w.said[key]; ok && time.Since(t) < reportEvery {
		return false
	}
	w.said[key] = time.Now()
	return true
}

// lacking says what each of the socket's endpoints lacked, for a delivery
// report: "no connection to tcp://h:1; no peer connected to ipc://x".
func (w *watcher) lacking() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var parts []string
	for _, ep := range w.order {
		st := w.endpoints[ep]
		var s string
		switch {
		case st.handshakes == 0 && st.failure != "":
			s = "no handshake " + w.prep(st) + " " + ep + ": " + st.failure
		case st.handshakes == 0 && st.bound:
			s = "no peer connected to " + ep
		case st.handshakes == 0:
			s = "no connection to " + ep
		case st.up == 0 && st.bound:
			s = "the peers of " + ep + " left"
		case st.up == 0:
			s = "disconnected from " + ep
		default:
			s = "the peer at " + ep + " did not take them in time"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// handshakeReason says why a handshake failed, with the likely cause.
// bound: the failure happened on an endpoint this side bound.
func handshakeReason(err error, cc *curveConfig, bound bool) string {
	if cc != nil {
		if why := curveFailure(err, cc); why != "" {
			return why
		}
	}
	var (
		ae *zmq.AuthError
		pe zmq.ProtocolError
	)
	switch {
	case errors.As(err, &ae):
		return fmt.Sprintf("the authenticator answered %d", ae.Status)
	case errors.As(err, &pe) && pe == zmq.ProtocolErrorMechanismMismatch && cc == nil:
		return "the peer uses a security mechanism (CURVE? see the --curve-* flags) and this side none"
	case errors.As(err, &pe) && pe == zmq.ProtocolErrorMechanismMismatch:
		return "the peer does not use CURVE"
	case !bound && (errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)):
		return "the peer hung up"
	}
	return errText(err)
}

// errText is an error's message without the library's "zmq: " prefix.
func errText(err error) string {
	if err == nil {
		return "unknown reason"
	}
	return strings.TrimPrefix(err.Error(), "zmq: ")
}
