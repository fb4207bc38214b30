package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// options are the global flags and the streams every command writes to.
type options struct {
	account   string // acting account; "" means the topology's first
	topology  string // running topology; "" means the only one
	output    string // table or json
	logLevel  string
	logFormat string

	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	args   []string // the command line, for hints
}

func newRootCmd(opts *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vpcsim",
		Short: "Cloud VPC peering, for real, on one Linux machine",
		Long: `vpcsim launches a topology of VPCs from YAML. Every VPC is a userspace router,
every host a network namespace with a TUN interface, so real ping, iperf3 and
tcpdump run between hosts. Peerings are non-transitive and carry traffic only
when both ends have routes.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       versionString(),
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if opts.account == "" {
				opts.account = os.Getenv("VPCSIM_ACCOUNT")
			}
			if opts.topology == "" {
				opts.topology = os.Getenv("VPCSIM_TOPOLOGY")
			}
			if err := checkLogFlags(opts); err != nil {
				return err
			}
			formats := outputFormatsOf(cmd)
			if _, file := cmd.Annotations[outputIsFile]; !file && cmd.Flags().Changed("output") && !slices.Contains(formats, opts.output) {
				if len(formats) == 1 {
					return usageErrorf("invalid --output %q: %s prints only text", opts.output, cmd.CommandPath())
				}
				last := len(formats) - 1
				return usageErrorf("invalid --output %q: want %s or %s", opts.output, strings.Join(formats[:last], ", "), formats[last])
			}
			return nil
		},
	}
	cmd.SetOut(opts.stdout)
	cmd.SetErr(opts.stderr)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	cmd.SetVersionTemplate("{{.Version}}\n")
	cmd.SetHelpCommand(newHelpCmd())

	f := cmd.PersistentFlags()
	f.StringVar(&opts.account, "account", "", "acting account, by ID or name (default $VPCSIM_ACCOUNT, else the topology's first account)")
	f.StringVar(&opts.topology, "topology", "", "running topology to act on (default $VPCSIM_TOPOLOGY; may be omitted when exactly one runs)")
	f.StringVarP(&opts.output, "output", "o", "table", "output format: table or json (graph: dot, mermaid or json)")
	f.StringVar(&opts.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	f.StringVar(&opts.logFormat, "log-format", "text", "log format: text or json")

	cmd.RegisterFlagCompletionFunc("output", completeOutput)
	completeFlag(cmd, opts, "topology", completeTopologies)
	completeFlag(cmd, opts, "account", completeAccounts)
	completeFlag(cmd, opts, "log-level", fixed("debug", "info", "warn", "error"))
	completeFlag(cmd, opts, "log-format", fixed("text", "json"))

	cmd.AddCommand(
		newValidateCmd(opts),
		newUpCmd(opts),
		newDownCmd(opts),
		newStatusCmd(opts),
		newExecCmd(opts),
		newDemoCmd(opts),
		newBenchCmd(opts),
		newPeeringCmd(opts),
		newRouteCmd(opts),
		newAccountCmd(opts),
		newExplainCmd(opts),
		newCheckCmd(opts),
		newReachCmd(opts),
		newStatsCmd(opts),
		newCaptureCmd(opts),
		newGraphCmd(opts),
		newEventsCmd(opts),
		newSaveCmd(opts),
		newVersionCmd(opts),
		newLogsCmd(opts),
		newConsoleCmd(opts),
	)
	// cobra's completion command prints its help for any argument; an
	// unknown shell is a usage error like any unknown command.
	cmd.InitDefaultCompletionCmd()
	if c, _, err := cmd.Find([]string{"completion"}); err == nil && c != cmd {
		c.Args = cobra.ArbitraryArgs
		c.RunE = groupRun
	}
	return cmd
}

// outputFormatsOf returns the formats of --output the command knows.
func outputFormatsOf(cmd *cobra.Command) []string {
	if f, ok := cmd.Annotations[outputFormats]; ok {
		return strings.Split(f, ",")
	}
	return []string{"table", "json"}
}

// checkLogFlags checks --log-level and --log-format, for every command.
func checkLogFlags(opts *options) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(opts.logLevel)); err != nil {
		return usageErrorf("invalid --log-level %q: want debug, info, warn or error", opts.logLevel)
	}
	if opts.logFormat != "text" && opts.logFormat != "json" {
		return usageErrorf("invalid --log-format %q: want text or json", opts.logFormat)
	}
	return nil
}

// newGroupCmd returns a command that only groups subcommands: run with an
// argument that is none of them, it is a usage error with suggestions, as
// at the top level.
func newGroupCmd(use, short, long, example string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:          use,
		Short:        short,
		Long:         long,
		Example:      example,
		Args:         cobra.ArbitraryArgs,
		SilenceUsage: true,
		RunE:         groupRun,
	}
	cmd.AddCommand(subs...)
	return cmd
}

// groupRun runs a command that only groups subcommands: its help, or a
// usage error for an argument that is none of them.
func groupRun(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	return unknownCommand(cmd, args[0])
}

// unknownCommand is the usage error of arg, which is no subcommand of cmd.
func unknownCommand(cmd *cobra.Command, arg string) error {
	msg := fmt.Sprintf("unknown command %q for %q", arg, cmd.CommandPath())
	cmd.SuggestionsMinimumDistance = 2
	if s := cmd.SuggestionsFor(arg); len(s) > 0 {
		msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
	}
	return usageErrorf("%s\n\nRun '%s --help' for usage.", msg, cmd.CommandPath())
}

// newHelpCmd returns the help command: help on an unknown topic is a usage
// error.
func newHelpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		Args:  cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			target, rest, err := c.Root().Find(args)
			if err != nil || len(rest) > 0 {
				return usageErrorf("unknown help topic %q: run 'vpcsim --help' for the commands", strings.Join(args, " "))
			}
			return target.Help()
		},
	}
}

// usageError is a command-line mistake; it exits with status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

func isUsageError(err error) bool {
	var u usageError
	if errors.As(err, &u) {
		return true
	}
	// cobra reports unknown commands and argument counts as plain errors.
	msg := err.Error()
	return strings.HasPrefix(msg, "unknown command") || strings.HasPrefix(msg, "accepts ") ||
		strings.HasPrefix(msg, "requires ") || strings.HasPrefix(msg, "unknown flag")
}

// exitError ends the program with a status, its message already printed.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }
