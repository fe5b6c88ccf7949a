package zmq

import "github.com/zmqx/zmq/internal/capi"

// LibVersion returns the version of the libzmq library in use.
func LibVersion() (major, minor, patch int) { return capi.Version() }

// Has reports whether libzmq was built with a capability: a transport
// ("ipc", "pgm", "tipc", "norm") or a security mechanism ("curve",
// "gssapi").
func Has(capability string) bool { return capi.Has(capability) }
