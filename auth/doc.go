// Package auth authenticates ZeroMQ peers: it is the ZAP handler (ZeroMQ
// RFC 27) for the sockets of one zmq.Factory.
//
// # Fail closed
//
// A socket that authenticates its peers (made with zmq.WithCurveServer,
// zmq.WithPlainServer, or given a zmq.WithZAPDomain) asks the factory's
// authenticator about every new connection, and admits nobody when no
// authenticator answers. So:
//
//   - Start the Authenticator before creating such sockets. Until it runs,
//     and after Close, every new handshake fails; connections already made
//     are not affected.
//   - The policy starts empty, which admits NULL peers (there is nothing to
//     check until you add address rules) and refuses every CURVE and PLAIN
//     peer until you allow keys or set passwords.
//   - A peer the authenticator refuses gets ZAP status 400; libzmq then
//     closes the connection and the peer does not retry with the same
//     credentials.
//   - A handshake that finds no authenticator fails on the server at once
//     (zmq.EventHandshakeFailedNoDetail, EFAULT), but libzmq usually keeps
//     the connection until the server's handshake interval
//     (zmq.WithHandshakeInterval, 30 s by default) before the client
//     notices and retries. Starting the authenticator first avoids this.
//   - Only connections that make a handshake are authenticated: tcp, ipc
//     and the other network transports. libzmq's inproc transport has no
//     handshake, so an authenticating socket bound on inproc admits every
//     in-process peer without asking.
//
// Policy changes apply to handshakes that start afterwards; they never drop
// a connection that is already authenticated. The policy is safe to change
// from any goroutine while the authenticator serves.
//
// # Mechanisms
//
// CURVE (zmq.WithCurveServer) encrypts the connection and identifies each
// client by its public key. Allow clients with AllowCurveKeys, with a
// directory of certificate files (AllowCurveDir, in the format written by
// pyzmq's zmq.auth.create_certificates, CZMQ's zcert and WriteCertificate),
// or all of them with AllowAnyCurve (encryption without authentication).
// An approved client's messages carry its public key, in Z85 text, as
// zmq.Msg.UserID.
//
// PLAIN (zmq.WithPlainServer) checks a user name and password, which travel
// in clear text, as does every message after them. Anyone who can watch the
// network learns the password and can read and forge the traffic. Use PLAIN
// only on networks you trust, or inside a tunnel that encrypts; prefer CURVE
// otherwise. An approved client's messages carry its user name as UserID.
//
// NULL (no security mechanism) peers are checked against the address rules
// only, and only on sockets given a ZAP domain.
//
// Address rules (Allow, Deny) apply to every mechanism and are checked
// first: a peer whose address is denied, or not in a non-empty allow list,
// is refused whatever its credentials.
//
// # Deciding in code
//
// A Decider (SetDecider, per policy) decides instead of the rules on keys,
// certificates and passwords: it gets the whole ZAP request (domain,
// address, identity, mechanism, credentials, and what the rules would
// decide) and returns the status, the user id and metadata for the peer's
// connection. Address rules still apply first.
//
// # Certificates
//
// LoadCertificate and WriteCertificate read and write certificate files in
// the format pyzmq and CZMQ use, metadata section included: a Certificate
// is a key pair and its metadata, kept as loaded and written back.
//
// # Domains
//
// Each authenticating socket has a ZAP domain: the one given with
// zmq.WithZAPDomain, or "global" for CURVE and PLAIN servers without one.
// The Authenticator's own methods change the policy for every domain that
// has no policy of its own; Domain returns a domain's own policy, which
// replaces the default one entirely for that domain once it is changed.
//
// # Logging
//
// The authenticator logs nothing unless given a logger with WithLogger. It
// then logs each decision (denials at Info, approvals at Debug) with the
// domain, address, mechanism and reason. It never logs keys or passwords.
package auth
