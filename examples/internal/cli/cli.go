// Package cli is the command line the example programs share, so that each
// example shows its messaging pattern and little else: exit codes and
// signals (Main), flag parsing with usage errors (Parse), the two-sided
// examples' flags and endpoint set-up (Sides), and a printer that keeps
// lines from several goroutines whole.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/zmqx/zmq"
)

// Main runs run with a context that ends on SIGINT or SIGTERM, and exits:
// 0 when run returns nil or flag.ErrHelp, 2 (after printing the error) for
// a UsageError, 1 for any other error.
func Main(name string, run func(ctx context.Context, args []string, stdout io.Writer) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.As(err, new(UsageError)):
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

// UsageError is a bad command line; Main exits 2 for it.
type UsageError struct{ error }

// Usagef returns a UsageError with a formatted message.
func Usagef(format string, args ...any) error {
	return UsageError{fmt.Errorf(format, args...)}
}

// Parse parses args with fs, which must have been made with
// flag.ContinueOnError. For -h it writes the usage to stdout and returns
// flag.ErrHelp; an unknown flag, a bad value or a positional argument is a
// UsageError.
func Parse(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	var usage strings.Builder
	fs.SetOutput(&usage)
	switch err := fs.Parse(args); {
	case errors.Is(err, flag.ErrHelp):
		io.WriteString(stdout, usage.String())
		return err
	case err != nil:
		return UsageError{errors.New(strings.TrimSpace(usage.String()))}
	case fs.NArg() > 0:
		return Usagef("unexpected arguments %q", fs.Args())
	}
	return nil
}

// IsSet reports whether the command line set the flag name.
func IsSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// UsageIfInvalid makes an endpoint the library rejected a UsageError.
func UsageIfInvalid(err error) error {
	if errors.Is(err, zmq.ErrInvalidEndpoint) {
		return UsageError{err}
	}
	return err
}

// Printer writes lines from several goroutines, each whole.
type Printer struct {
	mu sync.Mutex
	w  io.Writer
}

// NewPrinter returns a Printer writing to w.
func NewPrinter(w io.Writer) *Printer { return &Printer{w: w} }

// Printf writes one formatted line (the format ends with its newline).
func (p *Printer) Printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format, args...)
}

// Locked runs f with the Printer's writer while no other line is written,
// so that what f does and prints is ordered with the other goroutines'
// lines.
func (p *Printer) Locked(f func(io.Writer) error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return f(p.w)
}
