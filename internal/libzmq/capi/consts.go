//go:build cgo && unix

package capi

// Frame word bits (see batch.h): More marks "another frame of this
// message follows"; Prop marks a word that carries one of the message's
// connection properties instead of a frame, the index of its name (in
// SetProperties' list) at PropShift; SizeMask takes the length.
const (
	More      = uint64(1) << 63
	Prop      = uint64(1) << 62
	PropShift = 56
	SizeMask  = uint64(1)<<PropShift - 1
	// MaxProperties is how many property names a socket may capture.
	MaxProperties = 16
	// PropValueMax is the longest property value copied; longer ones are
	// cut.
	PropValueMax = 1024
)
