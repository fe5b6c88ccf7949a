//go:build !cgo

package zmq

const cgoEnabled = false
