package auth

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/internal/brief"
)

// Request is one ZAP request (RFC 27): what a peer presented in its
// handshake, as a Decider sees it.
type Request struct {
	Domain  string // the ZAP domain of the socket the peer connects to
	Address string // the peer's IP address; "" for ipc
	// Identity is the request's identity frame: the authenticating
	// socket's own routing id (WithRoutingID), usually empty.
	Identity  []byte
	Mechanism string // "NULL", "PLAIN" or "CURVE"
	// Credentials are the mechanism's credential frames as they came:
	// none for NULL, user name and password for PLAIN, the client's
	// 32-byte public key for CURVE. The fields below decode them.
	Credentials [][]byte

	UserName, Password string // PLAIN
	CurveKey           string // CURVE: the client's public key, Z85

	// ByRules is what the policy's own rules (keys, certificates,
	// passwords) decide for this request, so that a Decider may follow
	// them and only add to their answer, metadata say.
	ByRules Decision
}

// Decision is the answer to a ZAP request.
type Decision struct {
	// Status is StatusOK to admit the peer, else StatusTemporary,
	// StatusDenied or StatusInternalError.
	Status int
	// StatusText says why. libzmq passes it on to nobody; the
	// authenticator's log shows it. Optional.
	StatusText string
	// UserID names the peer to the application: received messages carry
	// it as zmq.Msg.UserID. Only sent with StatusOK.
	UserID string
	// Metadata are properties of the peer's connection, which libzmq
	// attaches to every message from the peer (as C's zmq_msg_gets and
	// pyzmq's Frame.get read them). Names are 1 to 255 characters of letters,
	// digits and "-_.+" (ZMTP's property names), except the ones libzmq
	// sets itself (User-Id, Peer-Address, Socket-Type, Identity,
	// Routing-Id). Only sent with StatusOK.
	Metadata map[string]string
}

// A Decider decides ZAP requests in place of a policy's rules on keys,
// certificates and passwords (see Policy.SetDecider). It runs on the
// authenticator's goroutine, one request at a time, so a slow one delays
// every handshake of the factory; ctx ends when the authenticator closes.
// A Decider that panics, or returns a status or metadata that cannot be
// sent, gets the peer a StatusInternalError; the authenticator logs why.
type Decider func(ctx context.Context, req *Request) Decision

// SetDecider makes d decide the requests of the default policy's domains
// (see Policy.SetDecider).
func (a *Authenticator) SetDecider(d Decider) { a.def.SetDecider(d) }

// SetDecider makes d decide this policy's requests: it gets each request
// whose address passed the address rules (Allow, Deny), with what the
// other rules would decide in Request.ByRules, and its Decision is the
// answer. nil goes back to the rules alone.
func (p *Policy) SetDecider(d Decider) {
	p.update(func(r *rules) error {
		r.decider = d
		return nil
	})
}

// reservedProperties are the connection properties libzmq sets itself.
var reservedProperties = []string{"user-id", "peer-address", "socket-type", "identity", "routing-id"}

// checkDecision says what makes d impossible to send, or "".
func checkDecision(d Decision) string {
	switch d.Status {
	case StatusOK, StatusTemporary, StatusDenied, StatusInternalError:
	default:
		return fmt.Sprintf("status %d is not a ZAP status (200, 300, 400 or 500)", d.Status)
	}
	if len(d.UserID) > 255 {
		return fmt.Sprintf("user id of %d bytes, the limit is 255", len(d.UserID))
	}
	for name := range d.Metadata {
		if why := checkPropertyName(name); why != "" {
			return "metadata name " + brief.Quote(name) + ": " + why
		}
	}
	return ""
}

func checkPropertyName(name string) string {
	if len(name) == 0 || len(name) > 255 {
		return "want 1 to 255 characters"
	}
	for _, c := range []byte(name) {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.+", c) >= 0
		if !ok {
			return `want letters, digits and "-_.+" only`
		}
	}
	if slices.Contains(reservedProperties, strings.ToLower(name)) {
		return "libzmq sets it itself"
	}
	return ""
}

// errMetadataTooLarge reports metadata that does not fit a ZAP reply frame.
var errMetadataTooLarge = errors.New("a metadata value is larger than 2^31-1 bytes")

// encodeMetadata encodes properties as ZMTP metadata (RFC 23): per
// property, a one-byte name length, the name, a four-byte value length and
// the value; in name order, so that a reply is the same every time.
func encodeMetadata(m map[string]string) ([]byte, error) {
	var b []byte
	for _, name := range slices.Sorted(maps.Keys(m)) {
		v := m[name]
		if len(v) > 1<<31-1 {
			return nil, errMetadataTooLarge
		}
		b = append(b, byte(len(name)))
		b = append(b, name...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
		b = append(b, v...)
	}
	return b, nil
}

// newRequest decodes the credentials of a well-formed request.
func newRequest(domain, address string, identity []byte, mechanism string, creds [][]byte) *Request {
	q := &Request{Domain: domain, Address: address, Identity: identity, Mechanism: mechanism, Credentials: creds}
	switch mechanism {
	case "PLAIN":
		q.UserName, q.Password = string(creds[0]), string(creds[1])
	case "CURVE":
		q.CurveKey, _ = zmq.Z85Encode(creds[0]) // 32 bytes: always encodes
	}
	return q
}
