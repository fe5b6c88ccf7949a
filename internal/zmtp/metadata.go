package zmtp

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// The property names libzmq sends and looks for, spelled as it spells them.
const (
	PropSocketType = "Socket-Type"
	PropIdentity   = "Identity"
)

// Property is one metadata entry: a name of 1 to 255 octets and a value.
type Property struct {
	Name  string
	Value []byte
}

// Metadata is an ordered list of properties, as READY and INITIATE carry
// them and as a ZAP reply returns them.
type Metadata []Property

// Get returns the value of the first property whose name equals name,
// ignoring ASCII case, and whether there was one.
func (m Metadata) Get(name string) ([]byte, bool) {
	for _, p := range m {
		if strings.EqualFold(p.Name, name) {
			return p.Value, true
		}
	}
	return nil, false
}

// maxPropertyValue is the largest value a 4-octet length can describe.
const maxPropertyValue = 1<<32 - 1

// validateName checks a property name this side is about to send: 1 to 255
// octets of letters, digits and "-_.+".
func validateName(name string) error {
	if len(name) == 0 || len(name) > 255 {
		return fmt.Errorf("zmtp: metadata property name %q has %d octets, want 1 to 255", name, len(name))
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.+", c) >= 0) {
			return fmt.Errorf("zmtp: metadata property name %q has the invalid character %q", name, c)
		}
	}
	return nil
}

// appendProperty appends one encoded property. The name must have been
// validated and the value must fit a 4-octet length.
func appendProperty(dst []byte, name string, value []byte) []byte {
	dst = append(dst, byte(len(name)))
	dst = append(dst, name...)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(value)))
	return append(dst, value...)
}

// ParseMetadata parses the properties of a READY or INITIATE body (after the
// command name). Every length is checked against what remains, so a bad
// length is an error and never an over-read or an allocation. Names are
// kept as sent; values are copies that do not alias b.
func ParseMetadata(b []byte) (Metadata, error) {
	var md Metadata
	own := append([]byte(nil), b...) // one copy, which the values alias
	rest := own
	for len(rest) > 0 {
		nameLen := int(rest[0])
		if nameLen == 0 {
			return nil, fmt.Errorf("property at offset %d has an empty name", len(own)-len(rest))
		}
		if len(rest) < 1+nameLen+4 {
			return nil, fmt.Errorf("property at offset %d: name of %d octets and value length overrun the %d octets left",
				len(own)-len(rest), nameLen, len(rest)-1)
		}
		name := string(rest[1 : 1+nameLen])
		valueLen := binary.BigEndian.Uint32(rest[1+nameLen:])
		rest = rest[1+nameLen+4:]
		if uint64(valueLen) > uint64(len(rest)) {
			return nil, fmt.Errorf("property %q declares a value of %d octets but %d remain", name, valueLen, len(rest))
		}
		md = append(md, Property{Name: name, Value: rest[:valueLen:valueLen]})
		rest = rest[valueLen:]
	}
	return md, nil
}
