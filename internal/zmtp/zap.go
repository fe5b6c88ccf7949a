package zmtp

// ZAPRequest is what a server asks its authenticator about a peer, as a
// ZAP request (RFC 27) carries it.
type ZAPRequest struct {
	Domain      string   // Config.ZAPDomain
	Address     string   // the peer's address: its IP for tcp, else the address's String
	Identity    []byte   // this socket's own identity (Config.Identity), as libzmq sends it
	Mechanism   string   // "NULL", "PLAIN" or "CURVE"
	Credentials [][]byte // PLAIN: user name and password; CURVE: the client's public key; NULL: none
}

// ZAPReply is an authenticator's answer.
type ZAPReply struct {
	Status   int      // 200 admits; 300 (temporary failure), 400 (denied) and 500 (internal error) refuse
	Text     string   // why; reported in the handshake's *AuthError
	UserID   string   // on 200: the identity the peer was admitted as (Session.UserID)
	Metadata Metadata // on 200: properties attached to the session (Session.ZAPProperties)
}

// ZAPFunc decides whether a peer may connect. It runs on the goroutine
// doing the handshake, within the handshake's deadline. An error from it
// fails the handshake, with no ERROR sent to the peer.
type ZAPFunc func(ZAPRequest) (ZAPReply, error)
