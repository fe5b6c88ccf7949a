// Package curve is the cryptographic core of the ZMTP CURVE security
// mechanism (CurveZMQ, ZeroMQ RFC 25 and 26) as libzmq 4.3.4 speaks it on the
// wire. It builds and parses the bodies of the HELLO, WELCOME, INITIATE,
// READY, MESSAGE and ERROR commands and does no I/O: the ZMTP layer frames the
// bodies, calls the handshake steps in order and runs ZAP.
//
// A connection uses one Client or one Server for its handshake. The client
// sends HELLO, receives WELCOME, sends INITIATE and receives READY; the server
// answers HELLO with WELCOME and INITIATE with READY (or with an ERROR
// command after a ZAP refusal). The last step of each side yields a Session,
// which seals and opens the MESSAGE commands that carry every later frame.
//
// Wire details follow libzmq 4.3.4 rather than the RFC text where the two
// differ: the HELLO padding is 72 octets; one short-nonce counter per
// direction starts at 1 and is shared by HELLO, INITIATE and MESSAGE (client)
// or READY and MESSAGE (server); a receiver only requires each short nonce to
// be greater than the previous one; the encrypted flags byte of a MESSAGE
// carries MORE (bit 0) and COMMAND (bit 1), so heartbeats and subscriptions
// travel inside MESSAGE; and the server checks that the vouch holds the
// client's transient key.
//
// Every failure caused by a peer's bytes is a *ProtocolError whose Code is the
// libzmq ZMQ_PROTOCOL_ERROR_* value the ZMTP layer reports; nothing here
// panics on a peer's input or allocates more than the input's size.
package curve
