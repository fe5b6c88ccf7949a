// Package brief shows values in error messages: whole when they are short,
// cut to a readable length when they are not. An error about a 100 kB
// endpoint then stays a line long, however many layers wrap it.
package brief

import (
	"strconv"
	"unicode"
	"unicode/utf8"
)

// Max is how many bytes of a value an error shows.
const Max = 100

// Quote returns s quoted as by strconv.Quote. A value longer than Max
// bytes is cut at Max (backing off to the start of a UTF-8 character),
// followed by an ellipsis and its full length: "aaaa"… (100000 bytes).
func Quote(s string) string {
	if len(s) <= Max {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:cut(s)]) + "… (" + strconv.Itoa(len(s)) + " bytes)"
}

// Show returns s as it is when it is short and made of printable
// characters other than spaces, as an endpoint usually is, and Quote(s)
// otherwise, so that no value can hide in or break the message.
func Show(s string) string {
	if len(s) == 0 || len(s) > Max {
		return Quote(s)
	}
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) || unicode.IsSpace(r) || r == '"' {
			return Quote(s)
		}
	}
	return s
}

// cut returns where to cut s, longer than Max: at Max, or before the
// UTF-8 character that Max falls inside of.
func cut(s string) int {
	for i := Max; i > Max-utf8.UTFMax && i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return i
		}
	}
	return Max
}
