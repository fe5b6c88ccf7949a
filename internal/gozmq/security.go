package gozmq

import (
	"syscall"

	"github.com/zmqx/zmq/internal/engine"
	"github.com/zmqx/zmq/internal/zmtp"
	"github.com/zmqx/zmq/internal/zmtp/curve"
)

// mechanism is a socket's security mechanism, chosen as libzmq chooses it:
// by the last security option set.
type mechanism byte

const (
	mechNull mechanism = iota
	mechPlain
	mechCurve
)

// security is a socket's security settings, kept as libzmq keeps them: one
// mechanism, whether this side is its server, and the CURVE keys (raw; the
// options read them back in Z85). User name, password and ZAP domain are
// ordinary bytes options.
type security struct {
	mechanism mechanism
	asServer  bool
	// The zero key is "not set", as in libzmq.
	curvePublic, curveSecret, curveServer curve.Key
}

// isSecurityOption reports whether o is one of the options setSecurity
// and securityOption handle.
func isSecurityOption(o engine.Option) bool {
	switch o {
	case engine.OptPlainServer, engine.OptPlainUsername, engine.OptPlainPassword,
		engine.OptCurveServer, engine.OptCurvePublicKey, engine.OptCurveSecretKey, engine.OptCurveServerKey:
		return true
	}
	return false
}

// setSecurityLocked applies a security option with libzmq's rules:
// PLAIN_SERVER and CURVE_SERVER pick the mechanism and the side (0 goes
// back to NULL); a user name or password makes a PLAIN client (an empty
// one goes back to NULL); any CURVE key picks CURVE, and the server key
// makes a client. A value libzmq refuses is EINVAL, which names no value:
// secrets must not reach errors.
func (s *Socket) setSecurityLocked(o engine.Option, v engine.Value) error {
	sec := &s.opts.sec
	switch o {
	case engine.OptPlainServer, engine.OptCurveServer:
		sec.asServer = v.Int != 0
		sec.mechanism = mechNull
		if sec.asServer {
			sec.mechanism = mechPlain
			if o == engine.OptCurveServer {
				sec.mechanism = mechCurve
			}
		}
		s.opts.ints[o] = v.Int
	case engine.OptPlainUsername, engine.OptPlainPassword:
		if len(v.Bytes) > 255 {
			return syscall.EINVAL
		}
		if len(v.Bytes) == 0 {
			sec.mechanism = mechNull
			return nil
		}
		s.opts.bytes[o] = append([]byte(nil), v.Bytes...)
		sec.asServer = false
		sec.mechanism = mechPlain
	case engine.OptCurvePublicKey, engine.OptCurveSecretKey, engine.OptCurveServerKey:
		k, ok := parseCurveKey(v.Bytes)
		if !ok {
			return syscall.EINVAL
		}
		switch o {
		case engine.OptCurvePublicKey:
			sec.curvePublic = k
		case engine.OptCurveSecretKey:
			sec.curveSecret = k
		default:
			sec.curveServer = k
			sec.asServer = false
		}
		sec.mechanism = mechCurve
	}
	return nil
}

// parseCurveKey takes a key as libzmq does: 32 raw octets, or 40
// characters of Z85, or those and a NUL.
func parseCurveKey(b []byte) (curve.Key, bool) {
	switch len(b) {
	case curve.KeySize:
		k, err := curve.KeyFromBytes(b)
		return k, err == nil
	case 41:
		if b[40] != 0 {
			return curve.Key{}, false
		}
		b = b[:40]
	}
	k, err := curve.ParseKey(string(b))
	return k, err == nil
}

// securityOptionLocked reads a security option back as libzmq does: the
// server flags are true only for their own mechanism, keys come in Z85.
// A key never set reads back empty, as the libzmq engine reports it.
func (s *Socket) securityOptionLocked(o engine.Option) engine.Value {
	sec := &s.opts.sec
	switch o {
	case engine.OptPlainServer:
		return engine.Bool(sec.asServer && sec.mechanism == mechPlain)
	case engine.OptCurveServer:
		return engine.Bool(sec.asServer && sec.mechanism == mechCurve)
	case engine.OptCurvePublicKey:
		return keyValue(&sec.curvePublic)
	case engine.OptCurveSecretKey:
		return keyValue(&sec.curveSecret)
	case engine.OptCurveServerKey:
		return keyValue(&sec.curveServer)
	}
	return engine.Bytes(append([]byte(nil), s.opts.bytes[o]...))
}

// keyValue returns a key in Z85, or nothing for the zero key (not set).
func keyValue(k *curve.Key) engine.Value {
	if *k == (curve.Key{}) {
		return engine.Value{}
	}
	return engine.Bytes([]byte(k.Z85()))
}

// authenticates reports whether a handshake of s asks a ZAP handler: a
// PLAIN or CURVE server always does, NULL does when a ZAP domain is set,
// as with libzmq. Unlike libzmq, the answer does not depend on
// ZAP_ENFORCE_DOMAIN: without a handler, nobody is admitted.
func (s *Socket) authenticatesLocked() bool {
	sec := &s.opts.sec
	if sec.mechanism != mechNull {
		return sec.asServer
	}
	return len(s.opts.bytes[engine.OptZAPDomain]) > 0
}

// mechanismLocked returns the zmtp mechanism of s's handshakes.
func (s *Socket) mechanismLocked() zmtp.Mechanism {
	sec := &s.opts.sec
	switch {
	case sec.mechanism == mechPlain && sec.asServer:
		return zmtp.PlainServer{}
	case sec.mechanism == mechPlain:
		return zmtp.PlainClient{
			Username: string(s.opts.bytes[engine.OptPlainUsername]),
			Password: string(s.opts.bytes[engine.OptPlainPassword]),
		}
	case sec.mechanism == mechCurve && sec.asServer:
		return zmtp.CurveServer{Secret: sec.curveSecret}
	case sec.mechanism == mechCurve:
		return zmtp.CurveClient{ServerKey: sec.curveServer, Public: sec.curvePublic, Secret: sec.curveSecret}
	}
	return zmtp.Null{}
}
