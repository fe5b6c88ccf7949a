package main

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/zmqx/zmq/internal/testpeer"
)

// zmqcat sub reads a txZMQ publisher under Twisted
// (testdata/interop/peer.py tx-pub): txZMQ's one frame tag NUL message,
// printed as JSON so that the NUL shows.
func TestTxZMQPublisher(t *testing.T) {
	t.Parallel()
	testpeer.RequirePython(t, "zmq", "txzmq", "twisted")
	script := filepath.Join("..", "..", "testdata", "interop", "peer.py")
	txpub := launch(t, "txZMQ publisher", exec.Command(systemPython, script, "tx-pub", "bind"), true)
	ep := txpub.line()
	sub := start(t, "", "sub", "-c", ep, "--subscribe", "sync", "--subscribe", "weather", "--format", "json")

	// txZMQ publishes the sentinel until told to go: the slow joiner.
	const ping = `["sync\u0000ping"]`
	if l := sub.line(); l != ping {
		t.Fatalf("sub printed %q first, want the sentinel %q", l, ping)
	}
	txpub.write("go\n")
	var got []string
	for l := sub.line(); l != `["sync\u0000end"]`; l = sub.line() {
		if l != ping {
			got = append(got, l)
		}
	}
	wantLines(t, "sub", got,
		`["weather.paris\u000012C"]`,
		`["weather\u0000"]`,
		`["weather.nul\u0000a\u0000b\u0000c"]`)
	if l := txpub.line(); l != "sent" {
		t.Fatalf("txZMQ publisher said %q, want sent", l)
	}
	txpub.closeStdin()
}
