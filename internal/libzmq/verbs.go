//go:build cgo && unix

package libzmq

import (
	"strings"
	"syscall"

	"github.com/zmqx/zmq/internal/engine"
	"github.com/zmqx/zmq/internal/libzmq/capi"
)

// SetOption sets a libzmq option, or the engine's own OptMessageMetadata.
func (s *Socket) SetOption(o engine.Option, v engine.Value) error {
	switch o {
	case engine.OptMessageMetadata:
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed {
			return ErrClosed
		}
		s.meta = v.Int != 0
		s.applyPropertiesLocked()
		return nil
	case engine.OptMessageProperties:
		names := splitNames(v.Bytes)
		if len(names) > capi.MaxProperties-2 {
			return syscall.EINVAL
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed {
			return ErrClosed
		}
		s.extraProps = names
		s.applyPropertiesLocked()
		return nil
	}
	n, ok := capi.OptionNumber(o)
	if !ok {
		return syscall.EINVAL
	}
	if o == engine.OptXPubManual && s.typ == engine.XPUB {
		s.mu.Lock()
		s.oneByOne = v.Int != 0
		s.mu.Unlock()
	}
	return s.Do(func(zs capi.Socket) error {
		switch o.Kind() {
		case engine.KindBytes:
			return zs.SetBytes(n, v.Bytes)
		case engine.KindInt64:
			return zs.SetInt64(n, v.Int)
		default:
			return zs.SetInt(n, int(v.Int))
		}
	})
}

// Option reads an option's effective value from libzmq.
func (s *Socket) Option(o engine.Option) (engine.Value, error) {
	switch o {
	case engine.OptMessageMetadata:
		s.mu.Lock()
		defer s.mu.Unlock()
		return engine.Bool(s.meta), nil
	case engine.OptMessageProperties:
		s.mu.Lock()
		defer s.mu.Unlock()
		return engine.Bytes([]byte(strings.Join(s.extraProps, "\x00"))), nil
	}
	n, ok := capi.OptionNumber(o)
	if !ok {
		return engine.Value{}, syscall.EINVAL
	}
	var v engine.Value
	err := s.Do(func(zs capi.Socket) error {
		var err error
		switch o.Kind() {
		case engine.KindBytes:
			// libzmq gives CURVE keys in Z85 only to a buffer of exactly
			// 41 bytes (40 and a NUL); 256 holds any other string option.
			size := 256
			switch o {
			case engine.OptCurvePublicKey, engine.OptCurveSecretKey, engine.OptCurveServerKey:
				size = 41
			}
			var b []byte
			b, err = zs.GetBytes(n, size)
			v.Bytes = trimNUL(b)
			if size == 41 && string(v.Bytes) == unsetCurveKey {
				v.Bytes = nil // libzmq reports a key never set as zeros
			}
		case engine.KindInt64:
			v.Int, err = zs.GetInt64(n)
		default:
			var i int
			i, err = zs.GetInt(n)
			v.Int = int64(i)
		}
		return err
	})
	return v, err
}

// Bind binds to endpoint and returns the endpoint libzmq reports, with
// wildcards resolved. An error leaves nothing bound.
func (s *Socket) Bind(endpoint string) (string, error) {
	var bound string
	err := s.Do(func(zs capi.Socket) error {
		if err := zs.Bind(endpoint); err != nil {
			return err
		}
		// What libzmq reports is the endpoint asked for with a wildcard
		// resolved: an address, a port, or for ipc://* a temporary path
		// (at most 108 bytes), so this buffer always fits.
		b, err := zs.GetBytes(capi.OptLastEndpoint, len(endpoint)+256)
		if err != nil {
			zs.Unbind(endpoint)
			return err
		}
		bound = string(trimNUL(b))
		return nil
	})
	return bound, err
}

// Connect connects to endpoint in the background.
func (s *Socket) Connect(endpoint string) error {
	return s.Do(func(zs capi.Socket) error { return zs.Connect(endpoint) })
}

// Unbind stops listening on endpoint.
func (s *Socket) Unbind(endpoint string) error {
	return s.Do(func(zs capi.Socket) error { return zs.Unbind(endpoint) })
}

// Disconnect drops the connection made to endpoint.
func (s *Socket) Disconnect(endpoint string) error {
	return s.Do(func(zs capi.Socket) error { return zs.Disconnect(endpoint) })
}

// unsetCurveKey is the Z85 form of the 32 zero bytes libzmq reports for a
// CURVE key that was never set.
const unsetCurveKey = "0000000000000000000000000000000000000000"

// splitNames splits NUL-separated property names.
func splitNames(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	return strings.Split(string(b), "\x00")
}

func trimNUL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == 0 {
		return b[:n-1]
	}
	return b
}
