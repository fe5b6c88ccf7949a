//go:build cgo && unix

package libzmq

// Available reports whether this build has the libzmq engine: it needs cgo
// and a Unix system.
const Available = true
