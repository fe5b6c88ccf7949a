package zmq_test

// The interop matrix against pyzmq: libzmq 4.3.4 in another process.

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/zmqx/zmq/internal/testpeer"
)

// remoteKindsPyzmq are the socket kinds remote.py makes.
var remoteKindsPyzmq = []string{"PUSH", "PULL", "PAIR", "REQ", "REP", "DEALER", "ROUTER", "PUB", "SUB", "XPUB", "XSUB"}

// startPyzmqHost starts remote.py, or skips t without pyzmq.
func startPyzmqHost(t *testing.T) *remoteHost {
	t.Helper()
	testpeer.RequirePython(t, "zmq")
	script, err := filepath.Abs(filepath.Join("testdata", "interop", "remote.py"))
	if err != nil {
		t.Fatal(err)
	}
	return startRemote(t, "pyzmq", remoteKindsPyzmq, true, testpeer.Python, script)
}

// mxApplicable reports whether row has a case where the remote side,
// which makes sockets of kinds, plays one end and our side the other.
func mxApplicable(row mxRow, kinds []string) bool {
	return slices.Contains(kinds, row.ka) || slices.Contains(kinds, row.kb)
}

// TestInteropMatrixPyzmq runs the matrix against libzmq 4.3.4 in Python:
// every row whose socket kinds pyzmq has (not our Req and Rep), with
// pyzmq on either end, over tcp and ipc, each end binding.
func TestInteropMatrixPyzmq(t *testing.T) {
	ours, host := localSide{engineUnderTest(t)}, startPyzmqHost(t)
	for _, row := range mxRows {
		t.Run(row.name, func(t *testing.T) {
			if !mxApplicable(row, remoteKindsPyzmq) {
				t.Skipf("not applicable: pyzmq has neither %s nor %s", row.ka, row.kb)
			}
			runMatrix(t, row, ours, host, []string{"tcp", "ipc"})
		})
	}
}
