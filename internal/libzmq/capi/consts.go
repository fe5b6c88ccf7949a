//go:build cgo && unix

package capi

// Frame word bits (see batch.h): More marks "another frame of this
// message follows"; MetaUser and MetaPeer mark a word that carries the
// message's User-Id or Peer-Address property instead of a frame.
const (
	More     = uint64(1) << 63
	MetaUser = uint64(1) << 62
	MetaPeer = uint64(1) << 61
	SizeMask = uint64(1)<<61 - 1
)
