package engine

import "strings"

// Properties are the properties of one connection (ZMTP metadata: the
// peer's Socket-Type, Identity and application properties, and what an
// authenticator attached). They never change once made, so every message
// from the connection shares them.
type Properties struct {
	names, values []string
}

// NewProperties returns properties with the given names and values
// (values[i] belongs to names[i]); it keeps the slices.
func NewProperties(names, values []string) *Properties {
	return &Properties{names: names, values: values}
}

// Get returns the value of property name, compared without regard to case
// as ZMTP says.
func (p *Properties) Get(name string) (string, bool) {
	if p == nil {
		return "", false
	}
	for i, n := range p.names {
		if strings.EqualFold(n, name) {
			return p.values[i], true
		}
	}
	return "", false
}

// Len returns how many properties there are.
func (p *Properties) Len() int {
	if p == nil {
		return 0
	}
	return len(p.names)
}

// At returns the i-th property's name and value.
func (p *Properties) At(i int) (name, value string) { return p.names[i], p.values[i] }
