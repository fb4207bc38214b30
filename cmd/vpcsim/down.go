package main

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/daemon"
)

func newDownCmd(opts *options) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "down [NAME] [--all]",
		Short: "Tear a topology down",
		Long: `Tear down the running topology NAME (or the only one running): its daemon
stops forwarding and removes every namespace it created. --all tears down
every topology and also removes what a killed daemon left behind.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			recs, err := daemon.Records()
			if err != nil {
				return err
			}
			name := opts.topology
			if len(args) == 1 {
				name = args[0]
			}
			if all {
				if name != "" {
					return usageErrorf("give NAME or --all, not both")
				}
			} else {
				switch {
				case name != "":
					r, err := daemon.ReadRecord(name)
					if errors.Is(err, fs.ErrNotExist) {
						return control.Errorf(control.CodeTopologyNotRunning, "topology %q is not running", name)
					} else if err != nil {
						return err
					}
					recs = []daemon.Record{r}
				case len(recs) == 0:
					fmt.Fprintln(opts.stdout, "no topology is running")
					return nil
				case len(recs) > 1:
					return control.Errorf(control.CodeMissingParameter, "%d topologies are running (%s); name one, or use --all", len(recs), recordNames(recs))
				}
			}
			var errs []error
			for _, r := range recs {
				if err := down(cmd, opts, r); err != nil {
					errs = append(errs, fmt.Errorf("topology %q: %w", r.Name, err))
				}
			}
			return errors.Join(errs...)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "tear down every topology, and remove leftovers of dead daemons")
	return cmd
}

// down stops r's daemon, or cleans up after it if it died.
func down(cmd *cobra.Command, opts *options, r daemon.Record) error {
	if !r.Alive() {
		if err := daemon.Cleanup(r); err != nil {
			return err
		}
		fmt.Fprintf(opts.stdout, "topology %q: daemon (pid %d) was gone; removed %d namespaces\n", r.Name, r.PID, len(r.Namespaces))
		return nil
	}
	c := api.NewClient(api.SocketPath(r.Name), opts.account)
	if err := c.Shutdown(cmd.Context()); err != nil {
		// The daemon does not answer: ask the process itself.
		if err := syscall.Kill(r.PID, syscall.SIGTERM); err != nil {
			return fmt.Errorf("stop pid %d: %w", r.PID, err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for r.Alive() {
		if time.Now().After(deadline) {
			return fmt.Errorf("daemon (pid %d) did not stop within 30s", r.PID)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A daemon removes its own namespaces; this only finds what it could not.
	if err := daemon.Cleanup(r); err != nil {
		return err
	}
	fmt.Fprintf(opts.stdout, "topology %q is down\n", r.Name)
	return nil
}

func recordNames(recs []daemon.Record) string {
	s := ""
	for i, r := range recs {
		if i > 0 {
			s += ", "
		}
		s += r.Name
	}
	return s
}
