package main

import (
	"fmt"
	"io"
	"runtime/debug"

	"github.com/zmqx/zmq"
)

// printVersion prints zmqcat's version line: its module and version, and
// the engine a factory opens with that choice, with its version:
//
//	zmqcat (github.com/zmqx/zmq v0.0.0-20250101000000-3a191c3c1b2d) engine libzmq 4.3.4
func printVersion(engine zmq.Engine, stdout io.Writer) error {
	f, err := zmq.NewFactory(factoryOptions(engine)...)
	if err != nil {
		return err
	}
	ev := f.EngineVersion()
	if err := f.Close(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "zmqcat (%s) engine %s\n", moduleVersion(), ev)
	return err
}

// moduleVersion names the module zmqcat was built from and, when the build
// recorded it, its version.
func moduleVersion() string {
	const module = "github.com/zmqx/zmq"
	bi, ok := debug.ReadBuildInfo()
	if !ok || bi.Main.Version == "" || bi.Main.Version == "(devel)" {
		return module
	}
	return module + " " + bi.Main.Version
}
