package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/zmqx/zmq"
)

const usageText = `usage: zmqcat TYPE [flags]
       zmqcat keygen [--out DIR --name NAME]
       zmqcat bench thr-recv|thr-send|lat-server|lat-client --endpoint EP [--count N] [--size S] [--warmup W] [--engine E]
       zmqcat --version [--engine E]

TYPE is one of: pub sub xpub xsub push pull pair req rep dealer router, in
any case

  -b, --bind EP        bind to EP (repeatable)
  -c, --connect EP     connect to EP (repeatable); at least one -b or -c is required
  -d, --delimiter S    frame delimiter for text input and output (default TAB)
  -n, --count N        receivers exit after printing N messages, senders after
                       sending N lines (default 0: no limit)
      --timeout D      exit with status 3 if no message arrives within D (a Go
                       duration such as 500ms); req: per request; push, pub:
                       per send
      --format F       text (default): a line is a message, its frames joined
                       by the delimiter; json: a line is a JSON array of frames,
                       each a string, or {"base64": "..."} for bytes that are
                       not UTF-8. For stdin and stdout alike
      --hwm N          send and receive high-water mark (default 1000)
      --linger D       how long messages may take to reach a peer once input has
                       ended (default 1s; negative: no limit); sub and pull send
                       nothing and close at once
      --identity ID    routing id that ROUTER peers see
      --subscribe P    sub, xsub: subscribe to prefix P (repeatable; default everything)
      --reply TEXT     rep: answer every request with TEXT (frames split on the
                       delimiter) instead of echoing it
  -o, --option NAME=VALUE
                       set a socket option (repeatable; after zmqcat's own, so
                       it wins). NAME is libzmq's without ZMQ_, in any case:
                         affinity backlog bindtodevice conflate connect_timeout
                         handshake_ivl heartbeat_ivl heartbeat_timeout
                         heartbeat_ttl immediate invert_matching ipv6 linger
                         maxmsgsize multicast_hops multicast_loop
                         multicast_maxtpdu probe_router rate rcvbuf rcvhwm
                         reconnect_ivl reconnect_ivl_max recovery_ivl
                         req_correlate req_relaxed router_handover
                         router_mandatory routing_id sndbuf sndhwm socks_proxy
                         tcp_keepalive tcp_keepalive_cnt tcp_keepalive_idle
                         tcp_keepalive_intvl tcp_maxrt tos xpub_manual
                         xpub_nodrop xpub_verbose xpub_verboser xpub_welcome_msg
                         zap_domain
                       Times are Go durations (500ms) or numbers in libzmq's
                       unit: milliseconds, seconds for tcp_keepalive_idle and
                       _intvl. Booleans are 0 or 1. -o linger=D is --linger D
      --engine E       go or libzmq (default: $ZMQ_ENGINE, else go)
  -v, --verbose        connection events on stderr, one line each: listening,
                       connected, accepted, handshake succeeded or failed (with
                       why), disconnected, retrying (shown at the 1st, 2nd, 4th,
                       8th... retry of an endpoint)
      --version        print zmqcat's version and its engine's, and exit
  -h, --help           print this help

Flags are GNU style: --timeout=5s or --timeout 5s, -n1 or -n 1, -vn1; "--"
ends them. Long flags also take one dash (-timeout 5s), as in Go programs.

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
and prints its public key on stderr. Secret keys are never printed.

A failed handshake (a client not allowed, a wrong server key, a peer with
another security mechanism) is reported on stderr with its reason, with or
without -v, at most once every 10s for the same endpoint and reason.

keygen prints a new CURVE key pair as two lines, "public: KEY" and "secret: KEY".
With --out DIR --name NAME it also writes DIR/NAME.key (public certificate) and
DIR/NAME.key_secret (both keys, mode 0600), creating DIR (mode 0700) if needed.

Senders (pub push req, and pair dealer router xpub xsub) send each stdin line as
one message, its frames split on the delimiter, and exit at end of input once
queued messages have left (within --linger). pub first waits up to 1s for a
subscriber. Receivers print each message as one line; router prints and takes
the peer's routing id as the first frame. pair, dealer, router, xpub and xsub
do both at once; with -n N they send at most N lines and exit after printing N
messages, even after end of input. req sends a line, prints the reply, then
sends the next; rep prints each request and answers it.

Delivery: a sender that ends (at end of input, -n, a signal, --timeout) with
messages it never handed to a peer says so in one line on stderr, how many and
what its endpoints lacked, and exits 1 (3 after --timeout). A message is
handed to a peer when:
  push             the socket took it for a connection whose handshake had
                   completed (zmqcat sets immediate: nothing is queued for
                   a peer that is not there)
  req              its reply arrived
  router           the peer with its routing id was connected (zmqcat sets
                   router_mandatory)
  dealer, pair     some peer completed a handshake before the socket was
                   gone, within --linger at exit
  pub, xpub, xsub  the same; they drop what nobody subscribed to by design,
                   and zmqcat reports only when no peer ever connected
Once input has ended, a message waits at most --linger for a peer to take it
(push, pub, req: --timeout instead, when given), and req, when no peer has
completed a handshake, gives up on its reply as well. A line that cannot be
read as a message counts as not delivered. zmqcat cannot see a message lost
after it was handed over (the connection broke before it was written, or the
peer did not read it before --linger ran out), nor what dealer queued for
one of several endpoints whose peer never came. Sockets that receive do not
get immediate: libzmq 4.3.4 would drop what a peer sent just before it
disconnected. With -o immediate=0, push is judged as dealer is; with -o
router_mandatory=0, router cannot tell.

Frames are raw bytes: a frame holding the delimiter or a newline, or a routing
id that is not text, prints as it is in text format, and a CR before a newline
on stdin is dropped. Use --format json for arbitrary data, on stdin too. A
router prints a peer's binary routing id as {"base64": "..."}; a line that
starts with the same element replies to that peer:
  $ zmqcat router -b tcp://127.0.0.1:5555 --format json
  [{"base64":"AGvGn7E="},"hello"]            (printed: a request)
  [{"base64":"AGvGn7E="},"world"]            (typed: the reply)

Exit status: 0 done (end of input, -n reached, SIGINT or SIGTERM), 1 failure,
or messages not delivered, 2 bad input (TYPE, flag value, endpoint, key), 3
timeout.
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
	engine    zmq.Engine   // "": ZMQ_ENGINE, else the library's default
	verbose   bool
	version   bool         // --version: print it and exit
	options   []zmq.Option // -o, in order
	// immediateOff: -o immediate=0 was given, so push may queue a
	// message for a peer that never comes.
	immediateOff bool
}

// usageError is bad input on the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
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
		delim, format, identity, reply, engine string
		count                                  int
		hwm                                    = -1
		timeout                                time.Duration
		linger                                 = time.Second
		options                                []string
	)
	fs := newFlagSet("zmqcat")
	fs.StringArrayVarP(&cfg.binds, "bind", "b", nil, "")
	fs.StringArrayVarP(&cfg.connects, "connect", "c", nil, "")
	fs.StringVarP(&delim, "delimiter", "d", "\t", "")
	fs.IntVarP(&count, "count", "n", 0, "")
	fs.DurationVar(&timeout, "timeout", 0, "")
	fs.StringVar(&format, "format", "text", "")
	fs.IntVar(&hwm, "hwm", -1, "")
	fs.DurationVar(&linger, "linger", time.Second, "")
	fs.StringVar(&identity, "identity", "", "")
	fs.StringArrayVar(&cfg.subscribe, "subscribe", nil, "")
	fs.StringVar(&reply, "reply", "", "")
	fs.StringArrayVarP(&options, "option", "o", nil, "")
	fs.StringVar(&engine, "engine", "", "")
	fs.BoolVarP(&cfg.verbose, "verbose", "v", false, "")
	fs.BoolVar(&cfg.version, "version", false, "")
	var curve curveFlags
	curve.define(fs)

	cl, err := parseArgs(fs, args)
	if err != nil {
		return nil, err
	}
	if cl.changed("engine") {
		if cfg.engine, err = parseEngine(cl.name("engine"), engine); err != nil {
			return nil, err
		}
	}
	if cfg.version {
		return cfg, nil
	}
	positional := fs.Args()
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
	cfg.typ = strings.ToLower(positional[0])
	r, ok := roles[cfg.typ]
	if !ok {
		return nil, usagef("unknown TYPE %s (want one of %s)", showArg(positional[0]), typeList)
	}
	cfg.role = r

	if len(cfg.binds)+len(cfg.connects) == 0 {
		return nil, usagef("no endpoint: give -b/--bind EP or -c/--connect EP")
	}
	if delim == "" {
		return nil, usagef(`bad %s "": want at least one byte`, cl.name("delimiter"))
	}
	cfg.delim = []byte(delim)
	if count < 0 {
		return nil, usagef("bad %s %d: want 0 (no limit) or more", cl.name("count"), count)
	}
	cfg.count = count
	if timeout < 0 {
		return nil, usagef("bad %s %v: want a positive duration", cl.name("timeout"), timeout)
	}
	cfg.timeout = timeout
	switch format {
	case "text":
	case "json":
		cfg.json = true
	default:
		return nil, usagef("bad %s %q: want text or json", cl.name("format"), format)
	}
	if cl.changed("hwm") && hwm < 0 {
		return nil, usagef("bad %s %d: want 0 (no limit) or more", cl.name("hwm"), hwm)
	}
	cfg.hwm = hwm
	lingerArg := fmt.Sprintf("%s %v", cl.name("linger"), linger) // for errors
	for _, o := range cl.values("option", options) {
		set, err := parseOption(o.flag, o.value, cfg.typ)
		if err != nil {
			return nil, err
		}
		if set.name == lingerOpt {
			linger, lingerArg = set.linger, fmt.Sprintf("%s %q", o.flag, o.value)
			continue
		}
		if set.name == "immediate" {
			on, _ := strconv.ParseBool(set.value)
			cfg.immediateOff = !on
		}
		cfg.options = append(cfg.options, set.opt)
	}
	if linger > 0 && linger%time.Millisecond != 0 {
		return nil, usagef("bad %s: want whole milliseconds, or negative for no limit", lingerArg)
	}
	cfg.linger = linger
	if cl.changed("identity") {
		if len(identity) == 0 || len(identity) > 255 || identity[0] == 0 {
			return nil, usagef("bad %s %q: want 1 to 255 bytes, not starting with a zero byte", cl.name("identity"), identity)
		}
		cfg.identity = []byte(identity)
	}
	if len(cfg.subscribe) > 0 && cfg.typ != "sub" && cfg.typ != "xsub" {
		return nil, usagef("%s applies to sub and xsub, not %s", cl.name("subscribe"), cfg.typ)
	}
	if len(cfg.subscribe) == 0 {
		cfg.subscribe = []string{""}
	}
	if cl.changed("reply") {
		if cfg.typ != "rep" {
			return nil, usagef("%s applies to rep, not %s", cl.name("reply"), cfg.typ)
		}
		cfg.reply = splitFrames([]byte(reply), cfg.delim)
	}
	curveStage = true
	cc, err := curve.parse(cl.changed)
	if err != nil {
		return nil, err
	}
	cfg.curve = cc
	return cfg, nil
}

// parseEngine reads --engine.
func parseEngine(flag, v string) (zmq.Engine, error) {
	switch e := zmq.Engine(strings.ToLower(v)); e {
	case zmq.EngineGo, zmq.EngineLibzmq:
		return e, nil
	}
	return "", usagef("bad %s %q: want %s or %s", flag, v, zmq.EngineGo, zmq.EngineLibzmq)
}

// benchConfig is the parsed command line of `zmqcat bench MODE [flags]`.
type benchConfig struct {
	mode     string
	endpoint string
	count    int
	size     int
	warmup   int
	engine   zmq.Engine // "": ZMQ_ENGINE, else the library's default
}

const benchModes = "thr-recv, thr-send, lat-server, lat-client"

func parseBenchFlags(args []string) (*benchConfig, error) {
	cfg := &benchConfig{}
	var engine string
	fs := newFlagSet("zmqcat bench")
	fs.StringVar(&cfg.endpoint, "endpoint", "", "")
	fs.IntVar(&cfg.count, "count", 10000, "")
	fs.IntVar(&cfg.size, "size", 64, "")
	fs.IntVar(&cfg.warmup, "warmup", 0, "")
	fs.StringVar(&engine, "engine", "", "")
	cl, err := parseArgs(fs, args)
	if err != nil {
		return nil, err
	}
	positional := fs.Args()
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
		return nil, usagef("bench %s: bad %s %d: want at least %d", cfg.mode, cl.name("count"), cfg.count, min)
	}
	if cfg.size < 0 {
		return nil, usagef("bench %s: bad %s %d: want 0 or more", cfg.mode, cl.name("size"), cfg.size)
	}
	if cfg.warmup < 0 {
		return nil, usagef("bench %s: bad %s %d: want 0 or more", cfg.mode, cl.name("warmup"), cfg.warmup)
	}
	if cl.changed("engine") {
		if cfg.engine, err = parseEngine(cl.name("engine"), engine); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}
