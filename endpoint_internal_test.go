package zmq

import (
	"errors"
	"strings"
	"testing"
)

// TestBadEndpointSyntax checks checkEndpoint directly: what Bind and
// Connect accept before libzmq sees the endpoint.
func TestBadEndpointSyntax(t *testing.T) {
	ipc := func(n int) string { return "ipc://" + strings.Repeat("p", n) }
	cases := []struct {
		ep            string
		bind, connect bool // accepted for bind, for connect
	}{
		// tcp
		{"tcp://127.0.0.1:5555", true, true},
		{"tcp://localhost:5555", true, true},
		{"tcp://[::1]:5555", true, true},
		{"tcp://eth0:5555", true, true},
		{"tcp://127.0.0.1:0", true, false},
		{"tcp://127.0.0.1:65535", true, true},
		{"tcp://127.0.0.1:65536", false, false},
		{"tcp://127.0.0.1:99999", false, false},
		{"tcp://127.0.0.1:*", true, false},
		{"tcp://*:5555", true, false},
		{"tcp://*:*", true, false},
		{"tcp://*:1", true, false},
		{"tcp://127.0.0.1", false, false},
		{"tcp://127.0.0.1:", false, false},
		{"tcp://127.0.0.1:5555x", false, false},
		{"tcp://127.0.0.1:x5555", false, false},
		{"tcp://127.0.0.1:+5555", false, false},
		{"tcp://127.0.0.1:-1", false, false},
		{"tcp://127.0.0.1: 5555", false, false},
		{"tcp://:5555", false, false},
		{"tcp://[::1:5555", false, false},
		{"tcp://::1]:5555", false, false},
		{"tcp://1.2.3.4.5:1234567", false, false},
		{"tcp://", false, false},
		// connect with a source address
		{"tcp://127.0.0.1:0;127.0.0.1:5555", false, true},
		{"tcp://127.0.0.1:*;127.0.0.1:5555", false, true},
		{"tcp://127.0.0.1:99999;127.0.0.1:5555", false, false},
		{"tcp://127.0.0.1:0;127.0.0.1:99999", false, false},
		// ipc: the kernel's sun_path holds 107 bytes and a NUL
		{ipc(107), true, true},
		{ipc(108), false, false},
		{"ipc://*", true, true},
		{"ipc://", false, false},
		{"ipc://with space", false, false},
		{"ipc://nul\x00byte", false, false},
		// inproc
		{"inproc://name", true, true},
		{"inproc://", false, false},
		// multicast: interface;group:port
		{"epgm://eth0;239.192.1.1:5555", true, true},
		{"pgm://239.192.1.1:5555", false, false},
		{"epgm://eth0;239.192.1.1:99999", false, false},
		// not endpoints at all
		{"", false, false},
		{"garbage", false, false},
		{"nope://x", false, false},
		{"TCP://127.0.0.1:5555", false, false},
		{"tcp:/127.0.0.1:5555", false, false},
		{"://x", false, false},
	}
	for _, c := range cases {
		for _, bind := range []bool{true, false} {
			want := c.connect
			op := "connect"
			if bind {
				want, op = c.bind, "bind"
			}
			var err error
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Errorf("checkEndpoint(%q, %s) panicked: %v", c.ep, op, p)
					}
				}()
				err = checkEndpoint(c.ep, bind)
			}()
			switch {
			case want && err != nil:
				t.Errorf("%s %q: refused: %v", op, c.ep, err)
			case !want && err == nil:
				t.Errorf("%s %q: accepted", op, c.ep)
			case err != nil && !errors.Is(err, ErrInvalidEndpoint):
				t.Errorf("%s %q: %v does not wrap ErrInvalidEndpoint", op, c.ep, err)
			case err != nil && len(c.ep) >= 8 && strings.Contains(err.Error(), c.ep):
				// The *OpError around it names the endpoint, once.
				t.Errorf("%s %q: error %q repeats the endpoint", op, c.ep, err)
			}
		}
	}
}
