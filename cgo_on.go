//go:build cgo

package zmq

const cgoEnabled = true
