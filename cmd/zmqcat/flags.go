package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

const usageText = `usage: zmqcat TYPE [flags]
       zmqcat keygen [--out DIR --name NAME]
       zmqcat bench thr-recv|thr-send|lat-server|lat-client --endpoint EP [--count N] [--size S] [--warmup W]

TYPE is one of: pub sub xpub xsub push pull pair req rep dealer router

  -b, --bind EP        bind to EP (repeatable)
  -c, --connect EP     connect to EP (repeatable); at least one -b or -c is required
  -d, --delimiter S    frame delimiter for text input and output (default TAB)
  -n, --count N        receivers exit after printing N messages, senders after
                       sending N lines (default 0: no limit)
      --timeout D      exit with status 3 if no message arrives within D (a Go
                       duration such as 500ms); req: per request; push, pub: per send
      --format F       output format: text (frames joined by the delimiter) or
                       json (an array per message; non-UTF-8 frames as {"base64": "..."})
      --hwm N          send and receive high-water mark (default 1000)
      --linger D       how long queued messages may take to leave at exit (default
                       1s; sub and pull send no messages and close at once)
      --identity ID    routing id that ROUTER peers see
      --subscribe P    sub, xsub: subscribe to prefix P (repeatable; default everything)
      --reply TEXT     rep: answer every request with TEXT (frames split on the
                       delimiter) instead of echoing it
  -h, --help           print this help

CURVE (encryption, and with --curve-allow authentication; any TYPE, either side
may bind). KEY is 40 Z85 characters, or @FILE to read it from a certificate file
as zmqcat keygen --out, pyzmq's zmq.auth.create_certificates or CZMQ write it
('@' is a Z85 character too: a valid key is a key unless it names a file):
      --curve-server          this side is the CURVE server; needs --curve-secret-key
      --curve-secret-key KEY  this side's secret key; @FILE: the secret certificate
                              (NAME.key_secret). Other users can see command lines
                              (ps): prefer @FILE to a key on the command line
      --curve-public-key KEY  client: its own public key (default: derived from the
                              secret key)
      --curve-server-key KEY  client: the server's public key; required on a client
      --curve-allow KEY       server: let in only the clients with these public keys
                              (repeatable). Without it any client that completes
                              the CURVE handshake gets in: the traffic is still
                              encrypted, but clients are not authenticated (a
                              warning says so on stderr)
A client given --curve-server-key and no --curve-secret-key uses a fresh key pair
and prints its public key on stderr. Failed handshakes (a client not allowed, a
wrong server key) are reported on stderr. Secret keys are never printed.

keygen prints a new CURVE key pair as two lines, "public: KEY" and "secret: KEY".
With --out DIR --name NAME it also writes DIR/NAME.key (public certificate) and
DIR/NAME.key_secret (both keys, mode 0600), creating DIR (mode 0700) if needed.

Senders (pub push req, and pair dealer router xpub xsub) send each stdin line as
one message, its frames split on the delimiter, and exit 0 at end of input once
queued messages have left (within --linger). pub first waits up to 1s for a
subscriber. Receivers print each message as one line; router prints and takes
the peer's routing id as the first frame. pair, dealer, router, xpub and xsub
do both at once; with -n N they send at most N lines and exit after printing N
messages, even after end of input. req sends a line, prints the reply, then
sends the next; rep prints each request and answers it.

Frames are raw bytes: a frame holding the delimiter or a newline, or a routing
id that is not text, prints as it is in text format; use --format json for
arbitrary data.

Exit status: 0 done (end of input, -n reached, SIGINT or SIGTERM), 1 failure,
2 bad input (TYPE, flag value, endpoint, key), 3 timeout.
`

// Socket types and what they do with stdin and stdout.
type role int

const (
	sendOnly  role = iota // stdin lines → socket
	recvOnly              // socket → stdout
	duplex                // both at once
	requester             // a line, then its reply
	replier               // a request, then its reply
)

var roles = map[string]role{
	"pub": sendOnly, "push": sendOnly,
	"sub": recvOnly, "pull": recvOnly,
	"pair": duplex, "dealer": duplex, "router": duplex, "xpub": duplex, "xsub": duplex,
	"req": requester,
	"rep": replier,
}

const typeList = "pub, sub, xpub, xsub, push, pull, pair, req, rep, dealer, router"

// config is the parsed command line of `zmqcat TYPE [flags]`.
type config struct {
	typ       string
	role      role
	binds     []string
	connects  []string
	delim     []byte
	count     int
	timeout   time.Duration // 0: none
	json      bool
	hwm       int // -1: libzmq's default
	linger    time.Duration
	identity  []byte // nil: none
	subscribe []string
	reply     [][]byte     // nil: echo
	curve     *curveConfig // nil: no CURVE (see curve.go)
}

// usageError is bad input on the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// listFlag collects the values of a repeatable flag.
type listFlag struct{ vals *[]string }

func (l listFlag) String() string {
	if l.vals == nil {
		return ""
	}
	return strings.Join(*l.vals, ",")
}

func (l listFlag) Set(v string) error { *l.vals = append(*l.vals, v); return nil }

// newFlagSet returns a FlagSet that reports nothing by itself: run prints
// its errors as one line.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses `TYPE [flags]`. TYPE may also come after some flags.
func parseFlags(args []string) (_ *config, err error) {
	// Errors about other flags must not show a key misplaced on the command
	// line; those of the --curve-* flags take care themselves.
	curveStage := false
	defer func() {
		if err != nil && !curveStage {
			err = hideKeys(err, args)
		}
	}()
	cfg := &config{hwm: -1}
	var (
		delim, format, identity, reply string
		count                          int
		hwm                            = -1
		timeout                        time.Duration
		linger                         = time.Second
	)
	fs := newFlagSet("zmqcat")
	for _, name := range []string{"b", "bind"} {
		fs.Var(listFlag{&cfg.binds}, name, "")
	}
	for _, name := range []string{"c", "connect"} {
		fs.Var(listFlag{&cfg.connects}, name, "")
	}
	for _, name := range []string{"d", "delimiter"} {
		fs.StringVar(&delim, name, "\t", "")
	}
	for _, name := range []string{"n", "count"} {
		fs.IntVar(&count, name, 0, "")
	}
	fs.DurationVar(&timeout, "timeout", 0, "")
	fs.StringVar(&format, "format", "text", "")
	fs.IntVar(&hwm, "hwm", -1, "")
	fs.DurationVar(&linger, "linger", time.Second, "")
	fs.StringVar(&identity, "identity", "", "")
	fs.Var(listFlag{&cfg.subscribe}, "subscribe", "")
	fs.StringVar(&reply, "reply", "", "")
	var curve curveFlags
	curve.define(fs)

	var positional []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			return nil, flagError(err)
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	switch len(positional) {
	case 0:
		return nil, usagef("no TYPE given (want one of %s; zmqcat -h for help)", typeList)
	case 1:
	default:
		msg := fmt.Sprintf("unexpected argument %s after TYPE %s", showArg(positional[1]), showArg(positional[0]))
		if looksLikeKey(positional[0]) || looksLikeKey(positional[1]) {
			msg += " (" + keyHint + ")"
		}
		return nil, usagef("%s", msg)
	}
	cfg.typ = positional[0]
	r, ok := roles[cfg.typ]
	if !ok {
		return nil, usagef("unknown TYPE %s (want one of %s)", showArg(cfg.typ), typeList)
	}
	cfg.role = r

	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	if len(cfg.binds)+len(cfg.connects) == 0 {
		return nil, usagef("no endpoint: give -b/--bind EP or -c/--connect EP")
	}
	if delim == "" {
		return nil, usagef(`bad -d/--delimiter "": want at least one byte`)
	}
	cfg.delim = []byte(delim)
	if count < 0 {
		return nil, usagef("bad -n/--count %d: want 0 (no limit) or more", count)
	}
	cfg.count = count
	if timeout < 0 {
		return nil, usagef("bad --timeout %v: want a positive duration", timeout)
	}
	cfg.timeout = timeout
	switch format {
	case "text":
	case "json":
		cfg.json = true
	default:
		return nil, usagef("bad --format %q: want text or json", format)
	}
	if set["hwm"] && hwm < 0 {
		return nil, usagef("bad --hwm %d: want 0 (no limit) or more", hwm)
	}
	cfg.hwm = hwm
	if linger > 0 && linger%time.Millisecond != 0 {
		return nil, usagef("bad --linger %v: want whole milliseconds, or negative to wait until all is sent", linger)
	}
	cfg.linger = linger
	if set["identity"] {
		if len(identity) == 0 || len(identity) > 255 || identity[0] == 0 {
			return nil, usagef("bad --identity %q: want 1 to 255 bytes, not starting with a zero byte", identity)
		}
		cfg.identity = []byte(identity)
	}
	if len(cfg.subscribe) > 0 && cfg.typ != "sub" && cfg.typ != "xsub" {
		return nil, usagef("--subscribe applies to sub and xsub, not %s", cfg.typ)
	}
	if len(cfg.subscribe) == 0 {
		cfg.subscribe = []string{""}
	}
	if set["reply"] {
		if cfg.typ != "rep" {
			return nil, usagef("--reply applies to rep, not %s", cfg.typ)
		}
		cfg.reply = splitFrames([]byte(reply), cfg.delim)
	}
	curveStage = true
	cc, err := curve.parse(set)
	if err != nil {
		return nil, err
	}
	cfg.curve = cc
	return cfg, nil
}

// flagError turns the flag package's error into a one-line usage error.
func flagError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return usagef("%v (zmqcat -h for help)", err)
}

// benchConfig is the parsed command line of `zmqcat bench MODE [flags]`.
type benchConfig struct {
	mode     string
	endpoint string
	count    int
	size     int
	warmup   int
}

const benchModes = "thr-recv, thr-send, lat-server, lat-client"

func parseBenchFlags(args []string) (*benchConfig, error) {
	cfg := &benchConfig{}
	fs := newFlagSet("zmqcat bench")
	fs.StringVar(&cfg.endpoint, "endpoint", "", "")
	fs.IntVar(&cfg.count, "count", 10000, "")
	fs.IntVar(&cfg.size, "size", 64, "")
	fs.IntVar(&cfg.warmup, "warmup", 0, "")
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, flagError(err)
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch len(positional) {
	case 0:
		return nil, usagef("bench: no mode given (want one of %s)", benchModes)
	case 1:
	default:
		return nil, usagef("bench: unexpected argument %q after mode %q", positional[1], positional[0])
	}
	cfg.mode = positional[0]
	switch cfg.mode {
	case "thr-recv", "thr-send", "lat-server", "lat-client":
	default:
		return nil, usagef("bench: unknown mode %q (want one of %s)", cfg.mode, benchModes)
	}
	if cfg.endpoint == "" {
		return nil, usagef("bench %s: --endpoint EP is required", cfg.mode)
	}
	min := 1
	if cfg.mode == "thr-recv" {
		min = 2 // it times from the first message to the last
	}
	if cfg.count < min {
		return nil, usagef("bench %s: bad --count %d: want at least %d", cfg.mode, cfg.count, min)
	}
	if cfg.size < 0 {
		return nil, usagef("bench %s: bad --size %d: want 0 or more", cfg.mode, cfg.size)
	}
	if cfg.warmup < 0 {
		return nil, usagef("bench %s: bad --warmup %d: want 0 or more", cfg.mode, cfg.warmup)
	}
	return cfg, nil
}
