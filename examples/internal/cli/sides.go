package cli

import (
	"flag"
	"fmt"
	"time"
)

// bothEndpoint is the endpoint of mode both unless --endpoint says
// otherwise: an ephemeral port, so the demo never depends on a fixed port
// being free.
const bothEndpoint = "tcp://127.0.0.1:*"

// Sides are the flags of an example with two sides, such as a publisher
// and a subscriber, that run in one process (mode "both", the default) or
// each in its own.
type Sides struct {
	Names [2]string // the sides as printed, e.g. "publisher", "subscriber"
	Modes [2]string // the --mode that runs each side alone

	Method   string        // --method: what side 0 does with the endpoint, "bind" or "connect" (default connect); in mode both side 1 does the other
	Endpoint string        // --endpoint (default: the example's fixed port, or an ephemeral port in mode both)
	Mode     string        // --mode: Modes[0], Modes[1] or "both" (default both)
	Interval time.Duration // --interval: time between messages (default 1s)
	Count    int           // --count: messages before exiting, 0 for no limit (default 5 in mode both, else 0)

	fs              *flag.FlagSet
	defaultEndpoint string
}

// AddSides registers the two-sided flags on fs. defaultEndpoint is where
// two processes meet unless --endpoint says otherwise; intervalHelp and
// countHelp describe --interval and --count in the example's words.
func AddSides(fs *flag.FlagSet, names, modes [2]string, defaultEndpoint, intervalHelp, countHelp string) *Sides {
	s := &Sides{Names: names, Modes: modes, fs: fs, defaultEndpoint: defaultEndpoint}
	fs.StringVar(&s.Method, "method", "connect", fmt.Sprintf(
		"`bind|connect` the endpoint (in mode both, what the %s does; the %s does the other)", names[0], names[1]))
	fs.StringVar(&s.Endpoint, "endpoint", "", fmt.Sprintf(
		"ZeroMQ `endpoint` (default %s, or %s in mode both)", defaultEndpoint, bothEndpoint))
	fs.StringVar(&s.Mode, "mode", "both", fmt.Sprintf("which `side` to run: %s, %s or both", modes[0], modes[1]))
	fs.DurationVar(&s.Interval, "interval", time.Second, intervalHelp)
	fs.IntVar(&s.Count, "count", 0, countHelp+" before exiting, 0 for no limit (default 5 in mode both)")
	return s
}

// Check validates the flags once parsed and fills in the defaults that
// depend on the mode.
func (s *Sides) Check() error {
	switch {
	case s.Method != "bind" && s.Method != "connect":
		return Usagef("--method %q: want bind or connect", s.Method)
	case s.Mode != s.Modes[0] && s.Mode != s.Modes[1] && s.Mode != "both":
		return Usagef("--mode %q: want %s, %s or both", s.Mode, s.Modes[0], s.Modes[1])
	case s.Interval <= 0:
		return Usagef("--interval %v: must be positive", s.Interval)
	case s.Count < 0:
		return Usagef("--count %d: must be 0 or more", s.Count)
	}
	if s.Mode == "both" && !IsSet(s.fs, "count") {
		s.Count = 5
	}
	if s.Endpoint == "" {
		s.Endpoint = s.defaultEndpoint
		if s.Mode == "both" {
			s.Endpoint = bothEndpoint
		}
	}
	return nil
}

// Runs reports whether this process runs side i (0 or 1).
func (s *Sides) Runs(i int) bool { return s.Mode == "both" || s.Mode == s.Modes[i] }

// Endpointer is any socket: what Link does with one.
type Endpointer interface {
	Bind(endpoint string) (string, error)
	Connect(endpoint string) error
}

// Link binds or connects the sockets of the sides this process runs (side
// 0's, then side 1's; the one of a side not run is ignored) and prints
// what it did. In mode both the side that binds goes first, so the other
// can connect to the endpoint it actually got.
func (s *Sides) Link(side0, side1 Endpointer, out *Printer) error {
	switch s.Mode {
	case s.Modes[0]:
		_, err := attach(side0, s.Names[0], s.Method, s.Endpoint, out)
		return err
	case s.Modes[1]:
		_, err := attach(side1, s.Names[1], s.Method, s.Endpoint, out)
		return err
	}
	binder, connecter := 1, 0
	if s.Method == "bind" {
		binder, connecter = 0, 1
	}
	socks := [2]Endpointer{side0, side1}
	ep, err := attach(socks[binder], s.Names[binder], "bind", s.Endpoint, out)
	if err == nil {
		_, err = attach(socks[connecter], s.Names[connecter], "connect", ep, out)
	}
	return err
}

// attach binds or connects sock, says so, and returns the endpoint: for a
// bind, the one actually bound (an ephemeral port filled in).
func attach(sock Endpointer, side, method, ep string, out *Printer) (string, error) {
	if method == "connect" {
		if err := sock.Connect(ep); err != nil {
			return "", UsageIfInvalid(err)
		}
		out.Printf("%s: connected to %s\n", side, ep)
		return ep, nil
	}
	ep, err := sock.Bind(ep)
	if err != nil {
		return "", UsageIfInvalid(err)
	}
	out.Printf("%s: bound %s\n", side, ep)
	return ep, nil
}
