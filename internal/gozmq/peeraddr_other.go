//go:build !linux

package gozmq

import "net"

// ipcPeerAddress is empty where libzmq reads no peer credentials (it does
// with SO_PEERCRED, on Linux only).
func ipcPeerAddress(net.Conn) string { return "" }
