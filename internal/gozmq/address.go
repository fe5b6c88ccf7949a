package gozmq

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
)

// address is a parsed tcp or ipc endpoint.
type address struct {
	network string // "tcp", "tcp4", "tcp6" or "unix"
	addr    string // host:port, or a path (@name: Linux's abstract namespace)
	source  string // tcp connect: the local address to bind first, if any
}

// parseTCP parses "host:port" for bind (host may be *, port * or 0) or
// connect ("[source;]host:port").
func parseTCP(rest string, bind, ipv6 bool) (address, error) {
	var a address
	if !bind {
		if src, dst, ok := strings.Cut(rest, ";"); ok {
			sa, err := parseTCP(src, true, ipv6)
			if err != nil {
				return a, err
			}
			a.source = sa.addr
			rest = dst
		}
	}
	i := strings.LastIndexByte(rest, ':')
	if i < 0 {
		return a, syscall.EINVAL
	}
	host, port := rest[:i], rest[i+1:]
	if port == "*" {
		if !bind {
			return a, syscall.EINVAL
		}
		port = "0"
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 || (n == 0 && !bind) {
		return a, syscall.EINVAL
	}
	a.network = "tcp4"
	if ipv6 {
		a.network = "tcp"
	}
	if host == "*" {
		host = "0.0.0.0"
		if ipv6 {
			host = "::"
		}
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
		if !ipv6 {
			return a, syscall.EINVAL
		}
	} else if host == "" {
		return a, syscall.EINVAL
	}
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil && !ipv6 {
		return a, syscall.EINVAL
	}
	a.addr = net.JoinHostPort(host, strconv.Itoa(n))
	return a, nil
}

var ipcSeq atomic.Uint64

// parseIPC parses an ipc path; "*" (bind only) picks a fresh path under
// the temp dir.
func parseIPC(path string, bind bool) (address, error) {
	if path == "" {
		return address{}, syscall.EINVAL
	}
	if path == "*" {
		if !bind {
			return address{}, syscall.EINVAL
		}
		dir, err := os.MkdirTemp("", "zmq-go-")
		if err != nil {
			return address{}, err
		}
		path = filepath.Join(dir, "socket")
	}
	return address{network: "unix", addr: path}, nil
}

// boundEndpoint is the endpoint Bind reports for a listener.
func boundEndpoint(scheme string, ln net.Listener) string {
	if scheme == "ipc" {
		return "ipc://" + ln.Addr().String()
	}
	ta := ln.Addr().(*net.TCPAddr)
	return "tcp://" + net.JoinHostPort(ta.IP.String(), strconv.Itoa(ta.Port))
}
