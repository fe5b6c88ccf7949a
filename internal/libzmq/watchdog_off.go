//go:build cgo && unix && !zmqwatchdog

package libzmq

// Without the build tag zmqwatchdog the watchdog is not compiled in, and
// waiting keeps no record for it.

type audit struct{}

func (*audit) park()                 {}
func (*audit) takeProbe() *Violation { return nil }
func watchSocket(*Socket)            {}
func unwatchSocket(*Socket)          {}
func reportProbe(*Violation)         {}
