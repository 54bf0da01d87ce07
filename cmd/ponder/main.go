// Command ponder is Ponder's command-line interface.
//
//	ponder ask [-cot] [-n N] [-backend auto|openai|local] [-model M] [-trace FILE] "question"
//	ponder agent [-tools calculator,search] [-native] [-trace FILE] "question"
//
// Flags may come before or after the arguments, with one dash or two.
// Run "ponder help" for the list of commands and "ponder help COMMAND" (or
// "ponder COMMAND -h") for a command's flags.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/spf13/cobra"
)

type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{}

func register(name, summary string, run func(ctx context.Context, args []string, stdout, stderr io.Writer) error) {
	commands[name] = command{summary, run}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// errUsage ends a command with exit code 2 (its usage was printed);
// errHelp with 0 (help was asked for and printed).
var (
	errUsage = errors.New("usage")
	errHelp  = errors.New("help")
)

// run executes one command line and returns the process exit code: 0
// success (and help), 1 failure, 2 usage error.
//
// The command tree, help, version and shell completion come from cobra
// (the command library Go users know from kubectl, gh and hugo); each
// command parses its own flags with pflag (see flags.go), which accepts
// them anywhere on the line.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := &cobra.Command{
		Use:           "ponder",
		Short:         "System 2 reasoning with language models",
		Long:          "ponder: System 2 reasoning with language models: chains, agents with tools, retrieval, Tree of Thought and a local runtime for open-weight models.",
		Version:       version(),
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("unknown command %q", args[0])
			}
			cmd.SetOut(stderr)
			_ = cmd.Usage()
			return errUsage
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetArgs(args)
	root.SetVersionTemplate("ponder {{.Version}}\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		c := commands[name]
		sub := &cobra.Command{
			Use:                name,
			Short:              c.summary,
			DisableFlagParsing: true, // the command's own flag set parses (flags anywhere)
			SilenceErrors:      true,
			SilenceUsage:       true,
			RunE: func(cmd *cobra.Command, args []string) error {
				return c.run(ctx, args, stdout, stderr)
			},
		}
		// "ponder help NAME" shows what "ponder NAME -h" shows.
		sub.SetHelpFunc(func(cmd *cobra.Command, _ []string) { _ = c.run(ctx, []string{"-h"}, stdout, stderr) })
		root.AddCommand(sub)
	}
	root.SetHelpCommand(&cobra.Command{
		Use:   "help [command [subcommand]]",
		Short: "help about any command: its flags, with their defaults",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				root.SetOut(stdout)
				return root.Help()
			}
			c, ok := commands[args[0]]
			if !ok {
				return fmt.Errorf("unknown command %q", args[0])
			}
			// "ponder help rag query" shows "ponder rag query -h".
			return c.run(ctx, append(append([]string{}, args[1:]...), "-h"), stdout, stderr)
		},
	})
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "print the module version and VCS revision this binary was built from",
		Args:  cobra.NoArgs,
		Run:   func(cmd *cobra.Command, _ []string) { fmt.Fprintf(stdout, "ponder %s\n", version()) },
	})
	err := root.Execute()
	switch {
	case err == nil, errors.Is(err, errHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case strings.HasPrefix(err.Error(), "unknown command"), strings.HasPrefix(err.Error(), "unknown flag"), strings.HasPrefix(err.Error(), "unknown shorthand"):
		fmt.Fprintf(stderr, "ponder: %v\nRun 'ponder help' for the commands.\n", err)
		return 2
	}
	name := "ponder"
	if c, _, ferr := root.Find(args); ferr == nil && c != root {
		name += " " + c.Name()
	}
	fmt.Fprintf(stderr, "%s: %v\n", name, err)
	return 1
}

// version is the module version and VCS revision from the build info
// ("(devel)" for a plain go build in a checkout).
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := bi.Main.Version
	var rev, when, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev != "" {
		v += fmt.Sprintf(" (%s%s, %s)", rev[:min(12, len(rev))], dirty, when)
	}
	return v + " " + bi.GoVersion
}

// question joins the positional arguments into one question.
func question(args []string) string { return strings.TrimSpace(strings.Join(args, " ")) }
