package main

import (
	"context"
	"errors"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/daemon"
)

func newLogsCmd(opts *options) *cobra.Command {
	var follow bool
	cmd := &cobra.Command{
		Use:   "logs [NAME] [-f]",
		Short: "Show the log of a detached topology's daemon",
		Long: `Show the log of the daemon of topology NAME (or --topology, or the only one
running): what "vpcsim up -d" started writes to /run/vpcsim/NAME.log (beside
its socket, $VPCSIM_RUN_DIR), one line per launch step, control change and
problem; --log-level and --log-format of "up" choose what and how. The log
outlives a daemon that died, for the post-mortem; "vpcsim down" removes it.
With -f, new lines are printed as they come, until Ctrl-C.`,
		Example: `  vpcsim logs
  vpcsim logs best-practice -f`,
		Args:        cobra.MaximumNArgs(1),
		Annotations: textOnly,
		RunE: func(cmd *cobra.Command, args []string) error {
			name := opts.topology
			if len(args) == 1 {
				name = args[0]
			}
			if name == "" {
				r, err := onlyRecord()
				if err != nil {
					return err
				}
				name = r.Name
			} else if err := checkTopologyName("NAME", name); err != nil {
				return err
			}
			f, err := os.Open(daemon.LogPath(name))
			if errors.Is(err, os.ErrNotExist) {
				return control.Errorf(control.CodeTopologyNotRunning, "topology %q has no log: it does not run detached (vpcsim up -d)", name)
			}
			if err != nil {
				return err
			}
			defer f.Close()
			return copyLog(cmd.Context(), opts.stdout, f, follow)
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "print new lines as they come, until interrupted")
	cmd.ValidArgsFunction = completeArgs(opts, completeTopologies)
	return cmd
}

// onlyRecord returns the record of the only topology there is, running or
// dead.
func onlyRecord() (daemon.Record, error) {
	recs, err := daemon.Records()
	if err != nil {
		return daemon.Record{}, err
	}
	switch len(recs) {
	case 0:
		return daemon.Record{}, errNoTopology
	case 1:
		return recs[0], nil
	}
	return daemon.Record{}, control.Errorf(control.CodeMissingParameter, "%d topologies are running (%s); name one", len(recs), recordNames(recs))
}

// copyLog copies the log f to w; with follow, it then waits for more until
// ctx is done.
func copyLog(ctx context.Context, w io.Writer, f *os.File, follow bool) error {
	for {
		if _, err := io.Copy(w, f); err != nil {
			return err
		}
		if !follow {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(200 * time.Millisecond):
		}
	}
}
