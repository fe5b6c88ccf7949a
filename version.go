package zmq

import "github.com/zmqx/zmq/internal/libzmq"

// LibVersion returns the version of the libzmq library linked in (the
// libzmq engine's), or zeros in a build without cgo.
func LibVersion() (major, minor, patch int) { return libzmq.Version() }

// Has reports whether the linked libzmq was built with a capability: a
// transport ("ipc", "pgm", "tipc", "norm") or a security mechanism
// ("curve", "gssapi"). It reports false in a build without cgo.
func Has(capability string) bool { return libzmq.Has(capability) }
