package main

import (
	"errors"
	"fmt"
	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/llm/cache"
	"strings"

	flag "github.com/spf13/pflag"
)

// parse reads a command's flags, which may come before or after its
// arguments (pflag intersperses them). Go-style single-dash long flags
// (-model, -n 5) are read as --model and --n, so every documented command
// line keeps working. -h prints the flags with their defaults and returns
// errHelp; a bad flag prints the error and the usage and returns errUsage.
func parse(fs *flag.FlagSet, args []string) error {
	fs.SortFlags = false
	norm := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			norm = append(norm, args[i:]...)
			break
		}
		if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && len(a) > 1 {
			name, _, _ := strings.Cut(a[1:], "=")
			long := fs.Lookup(name) != nil
			if len(name) == 1 && fs.ShorthandLookup(name) != nil {
				long = false
			}
			if long {
				a = "-" + a
			}
		}
		norm = append(norm, a)
	}
	err := fs.Parse(norm)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		return errHelp
	}
	fmt.Fprintf(fs.Output(), "ponder %s: %v\n", fs.Name(), err)
	fs.Usage()
	return errUsage
}

// usageFunc prints a command's usage line and every flag with its default.
func usageFunc(fs *flag.FlagSet, line string) func() {
	return func() {
		fmt.Fprintln(fs.Output(), "usage: "+line)
		if fs.HasFlags() {
			fmt.Fprintln(fs.Output(), "\nFlags (one dash or two; before or after the arguments):")
			fs.PrintDefaults()
		}
	}
}

// isHelp reports a request for help where a subcommand is expected.
func isHelp(arg string) bool {
	return arg == "-h" || arg == "--help" || arg == "help" || arg == "-help"
}

// cacheFlag adds -cache DIR to a command.
func cacheFlag(fs *flag.FlagSet) *string {
	return fs.String("cache", "", "remember deterministic model calls (greedy or seeded) in `DIR` and answer repeats from it")
}

// withCache wraps m in a call cache when dir is set; close releases it.
func withCache(m llm.Model, dir string) (llm.Model, func(), error) {
	if dir == "" {
		return m, func() {}, nil
	}
	c, err := cache.New(m, cache.Options{Dir: dir})
	if err != nil {
		return nil, nil, err
	}
	return c, func() { c.Close() }, nil
}
