package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"github.com/spf13/pflag"
	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/auth"
)

// CURVE in zmqcat: `zmqcat keygen` and the --curve-* flags of every TYPE.
//
// Secret keys are never printed, except by keygen, whose job it is: errors
// about a secret key name the flag (and for @FILE a file that exists), not
// the value; errors about other flags hide any argument that looks like a
// key (hideKeys).

// curveConfig is what the --curve-* flags ask for.
type curveConfig struct {
	server bool
	// keys is this side's key pair. A server uses only keys.Secret; a
	// client given no --curve-secret-key gets a fresh pair in serve
	// (fresh is then set and keys empty until then).
	keys      zmq.CurveKeyPair
	fresh     bool
	serverKey string   // client: the server's public key
	allow     []string // server: the client public keys let in; none: any client
}

// curveFlags holds the raw values of the --curve-* flags.
type curveFlags struct {
	server                    bool
	secret, public, serverKey string
	allow                     []string
	set                       func(name string) bool // whether a flag was given
}

func (c *curveFlags) define(fs *pflag.FlagSet) {
	fs.BoolVar(&c.server, "curve-server", false, "")
	fs.StringVar(&c.secret, "curve-secret-key", "", "")
	fs.StringVar(&c.public, "curve-public-key", "", "")
	fs.StringVar(&c.serverKey, "curve-server-key", "", "")
	fs.StringArrayVar(&c.allow, "curve-allow", nil, "")
}

// parse checks the --curve-* flags (set tells which flags were given) and
// returns nil when none asks for CURVE.
func (c *curveFlags) parse(set func(name string) bool) (*curveConfig, error) {
	c.set = set
	if !c.server && !set("curve-secret-key") && !set("curve-public-key") && !set("curve-server-key") && len(c.allow) == 0 {
		return nil, nil
	}
	if c.server {
		return c.parseServer()
	}
	return c.parseClient()
}

func (c *curveFlags) parseServer() (*curveConfig, error) {
	switch {
	case !c.set("curve-secret-key"):
		return nil, usagef("--curve-server needs --curve-secret-key KEY (the server's own secret key)")
	case c.set("curve-server-key"):
		return nil, usagef("--curve-server-key is the server's public key, for a client: drop it or drop --curve-server")
	case c.set("curve-public-key"):
		return nil, usagef("--curve-public-key is a client's own public key: a --curve-server needs only --curve-secret-key")
	}
	kp, err := secretKeyArg("--curve-secret-key", c.secret)
	if err != nil {
		return nil, err
	}
	cc := &curveConfig{server: true, keys: kp}
	for _, v := range c.allow {
		k, err := publicKeyArg("--curve-allow", v)
		if err != nil {
			return nil, err
		}
		cc.allow = append(cc.allow, k)
	}
	return cc, nil
}

func (c *curveFlags) parseClient() (*curveConfig, error) {
	switch {
	case len(c.allow) > 0:
		return nil, usagef("--curve-allow lists the clients a server lets in: it needs --curve-server")
	case !c.set("curve-server-key"):
		return nil, usagef("a CURVE client needs --curve-server-key KEY (the server's public key); or give --curve-server to be the server")
	case c.set("curve-public-key") && !c.set("curve-secret-key"):
		return nil, usagef("--curve-public-key needs --curve-secret-key (or give neither, for a fresh key pair)")
	}
	srv, err := publicKeyArg("--curve-server-key", c.serverKey)
	if err != nil {
		return nil, err
	}
	cc := &curveConfig{serverKey: srv}
	if !c.set("curve-secret-key") {
		cc.fresh = true
		return cc, nil
	}
	if cc.keys, err = secretKeyArg("--curve-secret-key", c.secret); err != nil {
		return nil, err
	}
	if c.set("curve-public-key") {
		pub, err := publicKeyArg("--curve-public-key", c.public)
		if err != nil {
			return nil, err
		}
		if pub != cc.keys.Public {
			return nil, usagef("bad --curve-public-key %q: it does not belong to --curve-secret-key (omit it: it is derived from the secret key)", pub)
		}
	}
	return cc, nil
}

// secretKeyArg reads a secret key flag: 40 Z85 characters, or @FILE naming
// a secret certificate. It returns the key pair, its public key derived or
// read from the certificate. Errors never show the key.
func secretKeyArg(name, v string) (zmq.CurveKeyPair, error) {
	if path, ok := certArg(v); ok {
		if _, err := os.Stat(path); err != nil {
			// A mistyped key that starts with '@' looks like @FILE too:
			// no name here.
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return zmq.CurveKeyPair{}, usagef("bad %s @FILE (name not shown, in case it is a mistyped key): %v", name, err)
		}
		cert, err := auth.LoadCertificate(path)
		if err != nil {
			return zmq.CurveKeyPair{}, usagef("bad %s @%s: %s", name, path, certError(err, path))
		}
		if cert.Secret == "" {
			return zmq.CurveKeyPair{}, usagef("bad %s @%s: a public certificate, with no secret-key (give the secret one, such as NAME.key_secret)", name, path)
		}
		return cert.CurveKeyPair, nil
	}
	if why := checkKey(v, false); why != "" {
		return zmq.CurveKeyPair{}, usagef("bad %s (value not shown): %s", name, why)
	}
	pub, err := zmq.CurvePublicKey(v)
	if err != nil {
		return zmq.CurveKeyPair{}, usagef("bad %s (value not shown): cannot derive its public key", name)
	}
	return zmq.CurveKeyPair{Public: pub, Secret: v}, nil
}

// publicKeyArg reads a public key flag: 40 Z85 characters, or @FILE naming
// a certificate, public or secret, whose public key it returns.
func publicKeyArg(name, v string) (string, error) {
	if path, ok := certArg(v); ok {
		cert, err := auth.LoadCertificate(path)
		if err != nil {
			return "", usagef("bad %s @%s: %s", name, path, certError(err, path))
		}
		return cert.Public, nil
	}
	if why := checkKey(v, true); why != "" {
		return "", usagef("bad %s %q: %s", name, v, why)
	}
	return v, nil
}

// certArg returns the path of a key flag's @FILE. '@' is a Z85 character
// too: a value of about a key's length is a key (perhaps mistyped, so its
// error must not quote it), unless a file of that name exists.
func certArg(v string) (path string, ok bool) {
	path, ok = strings.CutPrefix(v, "@")
	if ok && len(v) >= 35 && len(v) <= 45 {
		if _, err := os.Stat(path); err != nil {
			return "", false
		}
	}
	return path, ok
}

// checkKey says what is wrong with a Z85 key, or returns "". Only a public
// key's own characters may appear in the answer.
func checkKey(k string, public bool) string {
	if len(k) != 40 {
		return fmt.Sprintf("%d characters, want 40 (Z85) or @FILE", len(k))
	}
	if _, err := zmq.Z85Decode(k); err != nil {
		if public {
			return "not valid Z85: " + strings.TrimPrefix(err.Error(), "zmq: Z85Decode: ")
		}
		return "not valid Z85"
	}
	return ""
}

// certError shortens auth.LoadCertificate's error for a line that names
// the flag and the file already.
func certError(err error, path string) string {
	s := err.Error()
	for _, p := range []string{"auth: LoadCertificate " + path + ": ", "auth: LoadCertificate: "} {
		s = strings.TrimPrefix(s, p)
	}
	return s
}

// looksLikeKey reports whether s could be a Z85 CURVE key, which a usage
// error must not quote: it may be a secret key given to the wrong flag.
func looksLikeKey(s string) bool {
	if len(s) != 40 {
		return false
	}
	_, err := zmq.Z85Decode(s)
	return err == nil
}

// showArg quotes a command-line argument for an error, unless it may be a
// key.
func showArg(s string) string {
	if looksLikeKey(s) {
		return "(a 40-character key, not shown)"
	}
	return fmt.Sprintf("%q", s)
}

// hideKeys returns err, unless its message shows a part of an argument
// that may be a key: 40 Z85 characters, alone (perhaps starting with a dash,
// and so taken for a flag) or as --flag=KEY.
// Then it returns an error that shows none of it. The flag package quotes
// what it cannot parse, and a secret key must never reach stderr.
func hideKeys(err error, args []string) error {
	if errors.Is(err, pflag.ErrHelp) {
		return err
	}
	msg := err.Error()
	hidden := usagef("misplaced argument that looks like a key (not shown): %s", keyHint)
	for _, a := range args {
		k := a
		if _, v, ok := strings.Cut(a, "="); ok && !looksLikeKey(k) {
			k = v
		}
		if !looksLikeKey(k) {
			continue
		}
		for i := 0; i+4 <= len(k); i++ {
			if strings.Contains(msg, k[i:i+4]) {
				return hidden
			}
		}
		// A key like "-ab=..." is taken for flag -ab, which the flag
		// package names.
		if name, _, _ := strings.Cut(strings.TrimLeft(k, "-"), "="); k == a && k[0] == '-' && name != "" && strings.Contains(msg, "-"+name) {
			return hidden
		}
	}
	return err
}

const keyHint = "--curve-server takes no value, and each key goes right after its --curve-* flag"

// curveOption turns cc into the socket's CURVE option.
func curveOption(cc *curveConfig) zmq.CommonOption {
	if cc.server {
		return zmq.WithCurveServer(cc.keys.Secret)
	}
	return zmq.WithCurveClient(cc.serverKey, cc.keys)
}

// startCurve prepares f for a CURVE socket, before the socket exists: a
// server gets its authenticator, with its policy set, so that no handshake
// can happen before it; a client without keys gets a fresh pair. The
// returned authenticator is nil for a client.
func startCurve(f *zmq.Factory, cc *curveConfig, stderr io.Writer) (*auth.Authenticator, error) {
	if !cc.server {
		if cc.fresh {
			kp, err := zmq.NewCurveKeyPair()
			if err != nil {
				return nil, err
			}
			cc.keys = kp
			fmt.Fprintf(stderr, "zmqcat: CURVE client with a fresh key pair; public key %s\n", kp.Public)
		}
		return nil, nil
	}
	a, err := auth.Start(f, auth.WithSetup(func(a *auth.Authenticator) error {
		if len(cc.allow) == 0 {
			a.AllowAnyCurve()
			return nil
		}
		return a.AllowCurveKeys(cc.allow...)
	}))
	if err != nil {
		return nil, err
	}
	if len(cc.allow) == 0 {
		fmt.Fprintln(stderr, "zmqcat: warning: no --curve-allow: any CURVE client gets in (traffic is encrypted, clients are not authenticated)")
	}
	return a, nil
}

// curveFailure says why a CURVE handshake failed, with the likely cause,
// or returns "" when CURVE has nothing to add to the error.
func curveFailure(err error, cc *curveConfig) string {
	var (
		ae *zmq.AuthError
		pe zmq.ProtocolError
	)
	switch {
	case errors.As(err, &ae) && cc.server && ae.Status == auth.StatusDenied:
		return "a client was refused: its public key is not in --curve-allow"
	case errors.As(err, &ae) && ae.Status == auth.StatusDenied:
		return fmt.Sprintf("the server refused this client's public key %q", cc.keys.Public)
	case errors.As(err, &pe) && pe == zmq.ProtocolErrorCryptographic && cc.server:
		return "cryptographic error (a client using the wrong server key?)"
	case errors.As(err, &pe) && pe == zmq.ProtocolErrorCryptographic:
		return "cryptographic error (wrong --curve-server-key?)"
	case errors.As(err, &pe) && pe == zmq.ProtocolErrorMechanismMismatch && cc.server:
		return "a peer that does not use CURVE"
	case errors.As(err, &pe) && pe == zmq.ProtocolErrorMechanismMismatch:
		return "the peer is not a CURVE server"
	case !cc.server && (errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)):
		// A CURVE server that cannot open the client's HELLO just hangs up.
		return "the server hung up (wrong --curve-server-key?)"
	}
	return ""
}

// runKeygen is `zmqcat keygen [--out DIR --name NAME]`.
func runKeygen(args []string, stdout, stderr io.Writer) error {
	var dir, name string
	fs := newFlagSet("zmqcat keygen")
	fs.StringVar(&dir, "out", "", "")
	fs.StringVar(&name, "name", "", "")
	cl, err := parseArgs(fs, args)
	if err != nil {
		return hideKeys(err, args)
	}
	if fs.NArg() > 0 {
		return hideKeys(usagef("keygen: unexpected argument %s", showArg(fs.Arg(0))), args)
	}
	if cl.changed("out") != cl.changed("name") {
		return usagef("keygen: --out DIR and --name NAME go together")
	}
	if cl.changed("out") {
		if dir == "" {
			return usagef(`keygen: bad --out "": want a directory`)
		}
		if name == "" || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") {
			return hideKeys(usagef("keygen: bad --name %q: want a file name, without / and not starting with a dot", name), args)
		}
	}
	kp, err := zmq.NewCurveKeyPair()
	if err != nil {
		return err
	}
	if cl.changed("out") {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("keygen: %w", err)
		}
		pub, sec, err := auth.WriteCertificate(dir, name, auth.Certificate{CurveKeyPair: kp})
		if err != nil {
			return fmt.Errorf("keygen: %w", err)
		}
		fmt.Fprintf(stderr, "zmqcat: wrote %s (public certificate) and %s (secret certificate, mode 0600)\n", pub, sec)
	}
	_, err = fmt.Fprintf(stdout, "public: %s\nsecret: %s\n", kp.Public, kp.Secret)
	return err
}
