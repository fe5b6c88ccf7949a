// Package zmtp speaks the ZeroMQ wire protocol (ZMTP 3.1, with the
// downgrades to 3.0 and 2.0 that libzmq 4.3.4 performs) over any byte
// stream: the staged greeting, the NULL, PLAIN and CURVE security
// mechanisms, ZAP authentication through a callback, frame encoding and
// decoding (under CURVE's encryption too), and the commands that travel
// after the handshake (PING, PONG, SUBSCRIBE, CANCEL, ERROR).
//
// The package starts no goroutines and keeps no global state. A connection
// is driven by its caller:
//
//	conn.SetDeadline(time.Now().Add(handshakeInterval))
//	s, err := zmtp.Handshake(conn, &zmtp.Config{SocketType: zmtp.Dealer})
//	conn.SetDeadline(time.Time{})
//	// read:  f, err := s.Decoder.Next()
//	// write: buf, err = s.Encoder.AppendMessage(buf[:0], parts...); conn.Write(buf)
//
// Errors come in three kinds, so that a caller can decide whether to
// reconnect: *ProtocolError (the peer broke the protocol; carries libzmq's
// ZMQ_PROTOCOL_ERROR_* code), *AuthError (a ZAP refusal, ours or the
// peer's), and *ConnError (the byte stream itself failed). Configuration
// mistakes are reported before any byte is written.
package zmtp
