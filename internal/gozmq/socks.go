package gozmq

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// socksConnect asks the SOCKS5 proxy on nc to connect to target
// (host:port), without authentication, as libzmq 4.3.4 does for
// ZMQ_SOCKS_PROXY. The exchange is bounded by deadline.
func socksConnect(nc net.Conn, target string, deadline time.Time) error {
	host, portStr, err := net.SplitHostPort(target)
	if err != nil {
		return err
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return err
	}
	if !deadline.IsZero() {
		nc.SetDeadline(deadline)
		defer nc.SetDeadline(time.Time{})
	}
	// Greeting: version 5, one method, "no authentication".
	if _, err := nc.Write([]byte{5, 1, 0}); err != nil {
		return err
	}
	var choice [2]byte
	if _, err := io.ReadFull(nc, choice[:]); err != nil {
		return err
	}
	if choice[0] != 5 || choice[1] != 0 {
		return fmt.Errorf("SOCKS proxy refused unauthenticated access (method %d)", choice[1])
	}
	req := []byte{5, 1, 0} // CONNECT
	if ip := net.ParseIP(host); ip != nil && ip.To4() != nil {
		req = append(append(req, 1), ip.To4()...)
	} else if ip != nil {
		req = append(append(req, 4), ip.To16()...)
	} else {
		if len(host) > 255 {
			return fmt.Errorf("SOCKS: host name of %d bytes is too long", len(host))
		}
		req = append(append(req, 3, byte(len(host))), host...)
	}
	req = binary.BigEndian.AppendUint16(req, uint16(port))
	if _, err := nc.Write(req); err != nil {
		return err
	}
	var head [4]byte
	if _, err := io.ReadFull(nc, head[:]); err != nil {
		return err
	}
	if head[0] != 5 {
		return errors.New("SOCKS: the proxy's reply is not SOCKS5")
	}
	if head[1] != 0 {
		return fmt.Errorf("SOCKS proxy could not connect to %s (reply %d)", target, head[1])
	}
	var skip int
	switch head[3] {
	case 1:
		skip = 4
	case 4:
		skip = 16
	case 3:
		var n [1]byte
		if _, err := io.ReadFull(nc, n[:]); err != nil {
			return err
		}
		skip = int(n[0])
	default:
		return fmt.Errorf("SOCKS: bad address type %d in the proxy's reply", head[3])
	}
	_, err = io.ReadFull(nc, make([]byte, skip+2)) // bound address and port
	return err
}
