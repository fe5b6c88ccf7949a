package gozmq

import "time"

// heartbeat is the PING timing of one connection (ZMQ_HEARTBEAT_IVL,
// _TTL and _TIMEOUT), run by the connection's writer.
type heartbeat struct {
	ticker   *time.Ticker
	tick     <-chan time.Time // every interval; nil when heartbeats are off
	timer    *time.Timer
	timeout  <-chan time.Time // armed after a PING; nil otherwise
	wait     time.Duration    // how long a PING waits for any frame
	ttl      time.Duration    // what the PING asks the peer to wait for us
	pingSent int64            // when the armed PING went, in Unix ns
}

// newHeartbeat takes the options in milliseconds; a timeout of -1 means
// the interval, as libzmq has it.
func newHeartbeat(ivl, ttl, timeout int) *heartbeat {
	hb := &heartbeat{ttl: time.Duration(ttl) * time.Millisecond}
	if ivl <= 0 {
		return hb
	}
	if timeout < 0 {
		timeout = ivl
	}
	hb.wait = time.Duration(timeout) * time.Millisecond
	hb.ticker = time.NewTicker(time.Duration(ivl) * time.Millisecond)
	hb.tick = hb.ticker.C
	return hb
}

// sent arms the timeout for a PING just sent, unless one is armed.
func (hb *heartbeat) sent() {
	if hb.timer != nil {
		return
	}
	hb.pingSent = time.Now().UnixNano()
	hb.timer = time.NewTimer(hb.wait)
	hb.timeout = hb.timer.C
}

// heard reports, when the timeout fired, whether a frame arrived (at
// lastRecv, Unix ns) since the PING; it disarms the timeout.
func (hb *heartbeat) heard(lastRecv int64) bool {
	hb.timer, hb.timeout = nil, nil
	return lastRecv >= hb.pingSent
}

func (hb *heartbeat) stop() {
	if hb.ticker != nil {
		hb.ticker.Stop()
	}
	if hb.timer != nil {
		hb.timer.Stop()
	}
}
