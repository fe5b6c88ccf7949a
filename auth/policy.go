package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/internal/brief"
)

// Policy is the set of rules for one ZAP domain, or the default rules for
// every domain without its own (see Authenticator.Domain). Its methods are
// safe for concurrent use and take effect for handshakes that start after
// they return.
type Policy struct {
	a      *Authenticator
	domain string // "" for the default policy
}

// Domain returns the policy of one ZAP domain (the name given to
// zmq.WithZAPDomain; "global" for CURVE and PLAIN servers given none).
// Until one of its methods is called the domain follows the default
// policy; from then on it follows only its own rules, which start empty.
// Domain("") is the default policy, the one a's own methods change.
func (a *Authenticator) Domain(name string) *Policy {
	if name == "" {
		return &a.def
	}
	return &Policy{a: a, domain: name}
}

// Allow adds addresses to the allow list of the default policy (see
// Policy.Allow).
func (a *Authenticator) Allow(addrs ...string) error { return a.def.Allow(addrs...) }

// Deny adds addresses to the deny list of the default policy (see
// Policy.Deny).
func (a *Authenticator) Deny(addrs ...string) error { return a.def.Deny(addrs...) }

// AllowAnyCurve makes the default policy admit every CURVE client (see
// Policy.AllowAnyCurve).
func (a *Authenticator) AllowAnyCurve() { a.def.AllowAnyCurve() }

// AllowCurveKeys adds CURVE client public keys to the default policy (see
// Policy.AllowCurveKeys).
func (a *Authenticator) AllowCurveKeys(publicKeys ...string) error {
	return a.def.AllowCurveKeys(publicKeys...)
}

// AllowCurveDir makes the default policy admit the CURVE clients whose
// certificates are in dir (see Policy.AllowCurveDir).
func (a *Authenticator) AllowCurveDir(dir string) error { return a.def.AllowCurveDir(dir) }

// ReloadCurveDir reloads the default policy's certificate directory (see
// Policy.ReloadCurveDir).
func (a *Authenticator) ReloadCurveDir() error { return a.def.ReloadCurveDir() }

// SetPasswords sets the PLAIN users of the default policy (see
// Policy.SetPasswords).
func (a *Authenticator) SetPasswords(users map[string]string) error {
	return a.def.SetPasswords(users)
}

// Allow adds IP addresses ("192.0.2.7", "2001:db8::1") or prefixes
// ("10.0.0.0/8") to the allow list. Once the list is not empty, only peers
// whose address it contains are admitted; peers without an IP address (ipc,
// inproc) are then refused. An invalid entry makes Allow fail without
// changing anything; the error names it.
func (p *Policy) Allow(addrs ...string) error {
	prefixes, err := parsePrefixes("Allow", addrs)
	if err != nil {
		return err
	}
	return p.update(func(r *rules) error {
		r.allow = append(slices.Clip(r.allow), prefixes...)
		return nil
	})
}

// Deny adds IP addresses or prefixes to the deny list: peers whose address
// it contains are refused, whatever their credentials and whatever the
// allow list says. An invalid entry makes Deny fail without changing
// anything; the error names it.
func (p *Policy) Deny(addrs ...string) error {
	prefixes, err := parsePrefixes("Deny", addrs)
	if err != nil {
		return err
	}
	return p.update(func(r *rules) error {
		r.deny = append(slices.Clip(r.deny), prefixes...)
		return nil
	})
}

// AllowAnyCurve admits every CURVE client that passes the address rules,
// whatever its key: the connection is encrypted but the client is not
// authenticated. Messages still carry the client's public key as UserID.
func (p *Policy) AllowAnyCurve() {
	p.update(func(r *rules) error {
		r.anyCurve = true
		return nil
	})
}

// AllowCurveKeys adds CURVE client public keys (Z85, 40 characters) to the
// allowed set. An invalid key makes it fail without changing anything.
// To revoke keys at run time, keep them in a directory (AllowCurveDir).
func (p *Policy) AllowCurveKeys(publicKeys ...string) error {
	for _, k := range publicKeys {
		if err := checkPublicKey(k); err != nil {
			return fmt.Errorf("auth: AllowCurveKeys: %w", err)
		}
	}
	return p.update(func(r *rules) error {
		r.keys = maps.Clone(r.keys)
		if r.keys == nil {
			r.keys = make(map[string]struct{}, len(publicKeys))
		}
		for _, k := range publicKeys {
			r.keys[k] = struct{}{}
		}
		return nil
	})
}

// AllowCurveDir admits the CURVE clients whose public certificates are in
// dir, in addition to the keys given to AllowCurveKeys. Every regular file
// in dir is read, except hidden ones and secret certificates (names ending
// in "_secret", as pyzmq's "client.key_secret"): deleting a client's public
// certificate and calling ReloadCurveDir revokes it. Files without a
// "curve" section holding a "public-key" are ignored; secret keys found in
// any file are ignored too. The directory replaces the one given before; on
// error nothing changes.
func (p *Policy) AllowCurveDir(dir string) error {
	keys, err := loadCurveDir(dir)
	if err != nil {
		return fmt.Errorf("auth: AllowCurveDir: %w", err)
	}
	return p.update(func(r *rules) error {
		r.dir, r.dirKeys = dir, keys
		return nil
	})
}

// ReloadCurveDir reads the certificate directory given to AllowCurveDir
// again and swaps the allowed set in one step. Connections already made
// stay up, including those of clients no longer allowed; new handshakes see
// the new set. On error the previous set stays in force.
func (p *Policy) ReloadCurveDir() error {
	return p.update(func(r *rules) error {
		if r.dir == "" {
			return errors.New("auth: ReloadCurveDir: no directory (call AllowCurveDir first)")
		}
		keys, err := loadCurveDir(r.dir)
		if err != nil {
			return fmt.Errorf("auth: ReloadCurveDir: %w", err)
		}
		r.dirKeys = keys
		return nil
	})
}

// SetPasswords replaces the PLAIN users: a client is admitted when its user
// name is a key of users and its password the value. The map is copied.
// PLAIN sends passwords in clear text; see the package documentation.
func (p *Policy) SetPasswords(users map[string]string) error {
	for u := range users {
		if u == "" || len(u) > 255 {
			return fmt.Errorf("auth: SetPasswords: user name %s must be 1 to 255 bytes", brief.Quote(u))
		}
	}
	c := maps.Clone(users)
	return p.update(func(r *rules) error {
		r.passwords = c
		return nil
	})
}

// update changes the policy's rules through a copy, then publishes the
// copy: the serving goroutine always sees a whole, unchanging policy.
func (p *Policy) update(change func(*rules) error) error {
	a := p.a
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.state.Load()
	var r rules
	if cur := s.rulesFor(p.domain); cur != nil {
		r = *cur
	}
	if err := change(&r); err != nil {
		return err
	}
	next := &snapshot{def: s.def, domains: s.domains}
	if p.domain == "" {
		next.def = &r
	} else {
		next.domains = maps.Clone(s.domains)
		if next.domains == nil {
			next.domains = make(map[string]*rules)
		}
		next.domains[p.domain] = &r
	}
	a.state.Store(next)
	return nil
}

// snapshot is the whole policy at one moment. It is never changed once
// published.
type snapshot struct {
	def     *rules
	domains map[string]*rules
}

// rulesFor returns the rules of a domain that has its own, or nil; for ""
// the default rules.
func (s *snapshot) rulesFor(domain string) *rules {
	if domain == "" {
		return s.def
	}
	return s.domains[domain]
}

// rules is one policy. Slices and maps are shared between snapshots and
// only ever replaced, never written in place once published.
type rules struct {
	allow, deny []netip.Prefix
	anyCurve    bool
	keys        map[string]struct{} // from AllowCurveKeys
	dir         string
	dirKeys     map[string]struct{} // from dir
	passwords   map[string]string
	decider     Decider
}

// verdict is a decision and, for the log, why it was made.
type verdict struct {
	Decision
	reason string
}

func approve(userID, reason string) verdict {
	return verdict{Decision{Status: StatusOK, StatusText: "OK", UserID: userID}, reason}
}

func deny(reason string) verdict {
	return verdict{Decision{Status: StatusDenied, StatusText: reason}, reason}
}

// decide applies the policy of q's domain: the address rules, then its
// Decider if it has one, else its rules on credentials.
func (s *snapshot) decide(ctx context.Context, q *Request) verdict {
	r := s.def
	if dr, ok := s.domains[q.Domain]; ok {
		r = dr
	}
	if why := r.checkAddress(q.Address); why != "" {
		return deny(why)
	}
	byRules := r.checkCredentials(q)
	if r.decider == nil {
		return byRules
	}
	q.ByRules = byRules.Decision
	d := r.decider(ctx, q)
	if why := checkDecision(d); why != "" {
		return verdict{Decision{Status: StatusInternalError, StatusText: "internal error"}, "Decider: " + why}
	}
	if d.Status != StatusOK {
		d.UserID, d.Metadata = "", nil
	}
	return verdict{d, "Decider: " + d.StatusText}
}

// checkCredentials applies the rules on keys, certificates and passwords.
func (r *rules) checkCredentials(q *Request) verdict {
	switch q.Mechanism {
	case "NULL":
		return approve("", "NULL")
	case "PLAIN":
		want, known := r.passwords[q.UserName]
		// Compare even for unknown users, so timing tells nothing.
		match := subtle.ConstantTimeCompare([]byte(want), []byte(q.Password)) == 1
		if !known || !match {
			return deny("bad user name or password")
		}
		return approve(q.UserName, "password")
	case "CURVE":
		if r.anyCurve {
			return approve(q.CurveKey, "any CURVE key allowed")
		}
		if _, ok := r.keys[q.CurveKey]; ok {
			return approve(q.CurveKey, "allowed key")
		}
		if _, ok := r.dirKeys[q.CurveKey]; ok {
			return approve(q.CurveKey, "certificate")
		}
		return deny("CURVE key not allowed")
	}
	return deny("mechanism not supported")
}

// checkAddress applies the address rules; it returns why the address is
// refused, or "".
func (r *rules) checkAddress(address string) string {
	if len(r.allow) == 0 && len(r.deny) == 0 {
		return ""
	}
	ip, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(address, "["), "]"))
	if err != nil {
		if len(r.allow) > 0 {
			return "no IP address and an allow list is set"
		}
		return ""
	}
	ip = ip.Unmap().WithZone("")
	for _, p := range r.deny {
		if p.Contains(ip) {
			return "address denied"
		}
	}
	if len(r.allow) == 0 {
		return ""
	}
	for _, p := range r.allow {
		if p.Contains(ip) {
			return ""
		}
	}
	return "address not in the allow list"
}

func parsePrefixes(op string, addrs []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(addrs))
	for _, s := range addrs {
		p, why := parsePrefix(s)
		if why != "" {
			return nil, fmt.Errorf("auth: %s: %s %s", op, brief.Quote(s), why)
		}
		out = append(out, p)
	}
	return out, nil
}

// parsePrefix parses an address or a prefix; it returns what is wrong
// with s, or "". (netip's errors would quote s again.)
func parsePrefix(s string) (netip.Prefix, string) {
	addr, bits, isPrefix := strings.Cut(s, "/")
	ip, err := netip.ParseAddr(addr)
	switch {
	case err != nil:
		return netip.Prefix{}, "is not an IP address or prefix"
	case ip.Zone() != "":
		return netip.Prefix{}, "has a zone, which is not supported"
	case !isPrefix:
		ip = ip.Unmap()
		return netip.PrefixFrom(ip, ip.BitLen()), ""
	}
	n, err := strconv.Atoi(bits)
	if err != nil || strconv.Itoa(n) != bits || n < 0 || n > ip.BitLen() {
		return netip.Prefix{}, fmt.Sprintf("has a bad prefix length: want 0 to %d", ip.BitLen())
	}
	if ip.Is4In6() {
		if n < 96 {
			return netip.Prefix{}, "is an IPv4-mapped prefix shorter than /96"
		}
		ip, n = ip.Unmap(), n-96
	}
	return netip.PrefixFrom(ip, n).Masked(), ""
}

// checkPublicKey validates a Z85 public key (which may be quoted in errors:
// it is not secret).
func checkPublicKey(k string) error {
	if len(k) != 40 {
		return fmt.Errorf("CURVE public key %s is %d characters, want 40 (Z85)", brief.Quote(k), len(k))
	}
	if _, err := zmq.Z85Decode(k); err != nil {
		return fmt.Errorf("CURVE public key %q is not valid Z85: %w", k, err)
	}
	return nil
}
