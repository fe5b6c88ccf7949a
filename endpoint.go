package zmq

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// maxIPCPath is the longest ipc:// path the kernel accepts (sun_path minus
// its terminating NUL).
const maxIPCPath = 107

// endpointErr reports what is wrong with an endpoint. It does not repeat
// the endpoint: the *OpError that carries it names it once.
func endpointErr(why string) error {
	return fmt.Errorf("%w: %s", ErrInvalidEndpoint, why)
}

// checkEndpoint validates an endpoint before libzmq sees it. libzmq accepts
// some bad endpoints silently (it wraps tcp port 99999 to 34463), so every
// transport's syntax is checked here, and the error names the endpoint.
func checkEndpoint(ep string, bind bool) error {
	scheme, rest, ok := strings.Cut(ep, "://")
	if !ok {
		return endpointErr(`want "transport://address", e.g. "tcp://127.0.0.1:5555"`)
	}
	if rest == "" {
		return endpointErr("empty address")
	}
	if strings.ContainsAny(rest, " \t\r\n\x00") {
		return endpointErr("address contains white space or NUL")
	}
	switch scheme {
	case "tcp":
		// connect: [source;]destination
		if src, dst, ok := strings.Cut(rest, ";"); ok {
			if bind {
				return endpointErr(`"source;destination" is only valid for connect`)
			}
			if err := checkHostPort(src, true); err != nil {
				return err
			}
			rest = dst
		}
		return checkHostPort(rest, bind)
	case "ipc":
		if len(rest) > maxIPCPath {
			return endpointErr(fmt.Sprintf("ipc path is %d bytes, the limit is %d", len(rest), maxIPCPath))
		}
		return nil
	case "inproc":
		return nil
	case "pgm", "epgm", "norm":
		// interface;multicast-address:port
		_, group, ok := strings.Cut(rest, ";")
		if !ok {
			return endpointErr("want interface;multicast-address:port")
		}
		return checkHostPort(group, false)
	case "tipc", "vmci":
		return nil
	}
	return endpointErr("unknown transport (want tcp, ipc, inproc, pgm, epgm, norm, tipc or vmci)")
}

// checkHostPort checks "host:port". Binding allows "*" for host (all
// interfaces) and port (an ephemeral port).
func checkHostPort(hp string, bind bool) error {
	i := strings.LastIndexByte(hp, ':')
	if i < 0 {
		return endpointErr("missing :port")
	}
	host, port := hp[:i], hp[i+1:]
	if host == "" {
		return endpointErr("missing host")
	}
	if strings.HasPrefix(host, "[") != strings.HasSuffix(host, "]") {
		return endpointErr("unbalanced brackets in IPv6 address")
	}
	if host == "*" && !bind {
		return endpointErr(`host "*" is only valid for bind`)
	}
	switch {
	case port == "*" && bind:
		return nil
	case port == "*" || port == "":
		return endpointErr("missing port")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || strconv.Itoa(n) != port {
		return endpointErr("the port is not a number from 0 to 65535")
	}
	if n > 65535 {
		return endpointErr(fmt.Sprintf("port %d is out of range (0 to 65535)", n))
	}
	if n == 0 && !bind {
		return endpointErr("cannot connect to port 0")
	}
	return nil
}

// resolveTimeout bounds the name lookup Connect does for host names.
const resolveTimeout = 5 * time.Second

// checkResolvable looks up a tcp endpoint's host name, which libzmq would
// otherwise retry forever in the background without a word.
func checkResolvable(ep string) error {
	rest, ok := strings.CutPrefix(ep, "tcp://")
	if !ok {
		return nil
	}
	if _, dst, ok := strings.Cut(rest, ";"); ok {
		rest = dst
	}
	host := rest[:strings.LastIndexByte(rest, ':')]
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if net.ParseIP(host) != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), resolveTimeout)
	defer cancel()
	if _, err := net.DefaultResolver.LookupHost(ctx, host); err != nil {
		// A *net.DNSError names the host again: keep only its reason.
		why := err.Error()
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			why = dnsErr.Err
		}
		return endpointErr("cannot resolve the host name: " + why)
	}
	return nil
}

// checkIPCFree refuses to bind an ipc path that another socket is
// listening on: libzmq would silently take the path over, and the first
// listener would stop getting connections. A stale file (nobody listening)
// is left for libzmq to replace.
func checkIPCFree(ep string) error {
	path, ok := strings.CutPrefix(ep, "ipc://")
	if !ok || path == "*" || strings.HasPrefix(path, "@") {
		return nil
	}
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err != nil {
		return nil
	}
	c.Close()
	return fmt.Errorf("%w: another socket is listening on this path", EADDRINUSE)
}
