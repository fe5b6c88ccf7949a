package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
)

// Command lines are GNU-style (pflag): --name=value or --name value,
// -n1 or -n 1, bool shorthands clustered (-vn1), "--" ends the flags, and
// TYPE may come anywhere. Long flags may also be written with one dash
// (-timeout 5s), as Go's flag package allows, so that older command lines
// keep working.

// newFlagSet returns a FlagSet that reports nothing by itself: run prints
// its errors as one line. -h and --help are left undefined, so that Parse
// returns pflag.ErrHelp for them.
func newFlagSet(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.SortFlags = false
	return fs
}

// spelling is how one flag was written on the command line.
type spelling struct {
	flag  *pflag.Flag
	as    string // "--count", "-count" or "-n"
	value string
	// missing: the flag wants a value and the command line ended first.
	missing bool
}

// cmdline is a parsed command line: the flag set, and how each flag was
// written, so that errors name a flag as the user typed it.
type cmdline struct {
	fs       *pflag.FlagSet
	spelled  []spelling
	rewrites map[string]string // "--count" → "-count": how a rewritten flag was typed
}

// parseArgs parses args into fs. Errors are usage errors that name the
// flag as typed.
func parseArgs(fs *pflag.FlagSet, args []string) (*cmdline, error) {
	cl := &cmdline{fs: fs, rewrites: map[string]string{}}
	norm, err := cl.scan(args)
	if err != nil {
		return nil, err
	}
	if err := fs.Parse(norm); err != nil {
		return nil, cl.flagError(err)
	}
	return cl, nil
}

// scan rewrites single-dash long flags to their GNU form, refuses an
// argument that looks like a CURVE key where a flag is expected (a Z85 key
// may start with a dash, and pflag would take it for a cluster of
// shorthands, some with values), and records how each flag was written.
func (cl *cmdline) scan(args []string) ([]string, error) {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...), nil
		}
		if len(a) < 2 || a[0] != '-' {
			out = append(out, a)
			continue
		}
		if looksLikeKey(a) {
			return nil, usagef("misplaced argument that looks like a key (not shown): %s", keyHint)
		}
		// next takes the following argument as the flag's value.
		next := func(f *pflag.Flag, as string) {
			if i+1 < len(args) {
				i++
				out = append(out, args[i])
				cl.spelled = append(cl.spelled, spelling{flag: f, as: as, value: args[i]})
				return
			}
			cl.spelled = append(cl.spelled, spelling{flag: f, as: as, missing: true})
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(a[1:], "-"), "=")
		long := strings.HasPrefix(a, "--")
		if !long && len(name) > 1 && cl.fs.Lookup(name) != nil {
			// Go style: -timeout means --timeout.
			long = true
			cl.rewrites["--"+name] = "-" + name
			a = "-" + a
		}
		if long {
			out = append(out, a)
			f := cl.fs.Lookup(name)
			if f == nil {
				continue // pflag reports it
			}
			as := cl.typed("--" + name)
			switch {
			case hasValue:
				cl.spelled = append(cl.spelled, spelling{flag: f, as: as, value: value})
			case f.NoOptDefVal != "":
				cl.spelled = append(cl.spelled, spelling{flag: f, as: as, value: f.NoOptDefVal})
			default:
				next(f, as)
			}
			continue
		}
		out = append(out, a)
		// A cluster of shorthands: bools, then at most one that takes the
		// rest of the argument, or the next argument, as its value.
		for j := 1; j < len(a); j++ {
			f := cl.fs.ShorthandLookup(a[j : j+1])
			if f == nil {
				break // pflag reports it
			}
			as := "-" + a[j:j+1]
			rest := a[j:]
			if len(rest) > 2 && rest[1] == '=' {
				cl.spelled = append(cl.spelled, spelling{flag: f, as: as, value: rest[2:]})
				break
			}
			if f.NoOptDefVal != "" {
				cl.spelled = append(cl.spelled, spelling{flag: f, as: as, value: f.NoOptDefVal})
				continue
			}
			if len(rest) > 1 {
				cl.spelled = append(cl.spelled, spelling{flag: f, as: as, value: rest[1:]})
			} else {
				next(f, as)
			}
			break
		}
	}
	return out, nil
}

// typed returns how a long flag was typed: "--name", or "-name" if it was
// written Go style.
func (cl *cmdline) typed(long string) string {
	if t, ok := cl.rewrites[long]; ok {
		return t
	}
	return long
}

// name returns how the flag called long was written the last time it was
// given: "--count", "-count", or "-n/--count" for its shorthand.
func (cl *cmdline) name(long string) string {
	for i := len(cl.spelled) - 1; i >= 0; i-- {
		s := cl.spelled[i]
		if s.flag.Name == long {
			return cl.show(s)
		}
	}
	return "--" + long
}

// show names a flag as written, with its long name after a shorthand.
func (cl *cmdline) show(s spelling) string {
	if len(s.as) == 2 {
		return s.as + "/--" + s.flag.Name
	}
	return s.as
}

// occurrence is one value of a repeatable flag, with the flag as typed.
type occurrence struct{ flag, value string }

// values pairs the values pflag collected for the repeatable flag called
// long with how the flag was typed each time.
func (cl *cmdline) values(long string, parsed []string) []occurrence {
	var out []occurrence
	for _, s := range cl.spelled {
		if s.flag.Name == long && !s.missing {
			out = append(out, occurrence{cl.show(s), s.value})
		}
	}
	if len(out) != len(parsed) { // cannot happen: scan follows pflag's rules
		out = out[:0]
		for _, v := range parsed {
			out = append(out, occurrence{"--" + long, v})
		}
	}
	return out
}

// changed reports whether the flag called long was given.
func (cl *cmdline) changed(long string) bool { return cl.fs.Changed(long) }

// flagError turns pflag's error into a one-line usage error that names the
// flag as typed.
func (cl *cmdline) flagError(err error) error {
	if errors.Is(err, pflag.ErrHelp) {
		return err
	}
	var (
		iv *pflag.InvalidValueError
		vr *pflag.ValueRequiredError
	)
	switch {
	case errors.As(err, &iv):
		as := "--" + iv.GetFlag().Name
		for _, s := range cl.spelled {
			if s.flag == iv.GetFlag() && s.value == iv.GetValue() {
				as = cl.show(s)
				break
			}
		}
		return usagef("bad %s %q: %s", as, iv.GetValue(), wantFor(iv))
	case errors.As(err, &vr):
		as := "--" + vr.GetFlag().Name
		for _, s := range cl.spelled {
			if s.flag == vr.GetFlag() && s.missing {
				as = cl.show(s)
			}
		}
		return usagef("%s needs a value (zmqcat -h for help)", as)
	}
	return usagef("%v (zmqcat -h for help)", err)
}

// wantFor says what a flag of iv's kind wants.
func wantFor(iv *pflag.InvalidValueError) string {
	switch iv.GetFlag().Value.Type() {
	case "int":
		return "want a whole number"
	case "duration":
		return "want a duration such as 500ms, 2s or 1m"
	case "bool":
		return "want true or false, or no value"
	}
	return fmt.Sprint(errors.Unwrap(iv))
}
