// Package cli is the subcommand framework of cmd/lowrank, as cmd/go keeps
// its own in cmd/go/internal/base: a flag set whose usage message leads
// with the synopsis and the description, parsing that stops at -h or a
// bad flag with the exit status to return, and the checks every command
// makes of the flags it was given. The commands, their table and the
// program's usage stay in cmd/lowrank.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Exit statuses.
const (
	ExitOK    = 0
	ExitFail  = 1 // the command failed (e.g. a file could not be written)
	ExitUsage = 2 // bad command line or environment
)

// NewFlagSet returns a FlagSet for a subcommand whose usage message is
// "usage: lowrank <synopsis>", the description, then the flags.
func NewFlagSet(name, synopsis, description string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("lowrank "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: lowrank %s\n\n%s\n", synopsis, description)
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprint(w, "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

// ParseFlags parses args into fs and rejects positional arguments. It
// returns done with the exit status when the command should stop there
// (-h, a bad flag).
func ParseFlags(fs *flag.FlagSet, args []string) (status int, done bool) {
	if err := fs.Parse(args); err != nil {
		return parseStatus(err), true // fs has printed the error and the usage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected arguments %q\n", fs.Name(), fs.Args())
		fs.Usage()
		return ExitUsage, true
	}
	return ExitOK, false
}

// ParseInterleaved parses flags that may follow the positional arguments,
// as in "regress OLD NEW -strict": parse, take an argument, parse the
// rest. It returns the arguments, or done as ParseFlags does.
func ParseInterleaved(fs *flag.FlagSet, args []string) (positional []string, status int, done bool) {
	for {
		if err := fs.Parse(args); err != nil {
			return nil, parseStatus(err), true
		}
		if fs.NArg() == 0 {
			return positional, ExitOK, false
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// parseStatus is the exit status after a failed fs.Parse: -h asked for
// the usage, which is no error.
func parseStatus(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	return ExitUsage
}

// FlagsSet returns the names of the flags given on the command line.
func FlagsSet(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// Unused reports the first of the flags names given on the command line
// when ignored holds: a flag that would be silently ignored is an error.
func Unused(fs *flag.FlagSet, ignored bool, why string, names ...string) error {
	if !ignored {
		return nil
	}
	set := FlagsSet(fs)
	for _, name := range names {
		if set[name] {
			return fmt.Errorf("-%s %s", name, why)
		}
	}
	return nil
}

// Count returns how many of the conditions hold, as in "give at most one
// of -rank, -energy and -budget".
func Count(conds ...bool) int {
	n := 0
	for _, c := range conds {
		if c {
			n++
		}
	}
	return n
}
