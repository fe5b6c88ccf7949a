//go:build !cgo || !unix

package libzmq

import (
	"errors"

	"github.com/zmqx/zmq/internal/engine"
)

// Available reports whether this build has the libzmq engine: it needs cgo
// and a Unix system.
const Available = false

// ErrNoCgo is what Open returns in a build without the libzmq engine.
var ErrNoCgo = errors.New("the libzmq engine needs cgo, libzmq and a Unix system; this program was built without them (e.g. CGO_ENABLED=0), so only the go engine is available")

// Open fails: there is no libzmq in this build.
func Open(engine.Config) (engine.Engine, error) { return nil, ErrNoCgo }

// VersionString says that libzmq is not built in.
func VersionString() string { return "libzmq (not built in: CGO_ENABLED=0)" }

// Version returns zeros: there is no libzmq in this build.
func Version() (major, minor, patch int) { return 0, 0, 0 }

// Has reports false: there is no libzmq in this build.
func Has(string) bool { return false }

// CurvePublic fails: there is no libzmq in this build.
func CurvePublic(string) (string, error) { return "", ErrNoCgo }
