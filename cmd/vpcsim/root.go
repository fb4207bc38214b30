package main

import (
	"errors"
	"fmt"
	"io"
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
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if opts.account == "" {
				opts.account = os.Getenv("VPCSIM_ACCOUNT")
			}
			formats := []string{"table", "json"}
			if f, ok := cmd.Annotations[outputFormats]; ok {
				formats = strings.Split(f, ",")
			}
			if _, file := cmd.Annotations[outputIsFile]; !file && cmd.Flags().Changed("output") && !slices.Contains(formats, opts.output) {
				last := len(formats) - 1
				return usageErrorf("invalid --output %q: want %s or %s", opts.output, strings.Join(formats[:last], ", "), formats[last])
			}
			return nil
		},
	}
	cmd.SetOut(opts.stdout)
	cmd.SetErr(opts.stderr)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })

	f := cmd.PersistentFlags()
	f.StringVar(&opts.account, "account", "", "acting account ID (default $VPCSIM_ACCOUNT, else the topology's first account)")
	f.StringVar(&opts.topology, "topology", "", "running topology to act on (may be omitted when exactly one runs)")
	f.StringVarP(&opts.output, "output", "o", "table", "output format: table or json (graph: dot, mermaid or json)")
	f.StringVar(&opts.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	f.StringVar(&opts.logFormat, "log-format", "text", "log format: text or json")

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
	)
	return cmd
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
