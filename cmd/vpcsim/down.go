package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
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
stops forwarding and removes every namespace it created, and its log. --all tears down
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
					if err := checkTopologyName("NAME", name); err != nil {
						return err
					}
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

// How long vpcsim down gives a daemon to answer its request, to tear the
// topology down after SIGTERM, and to die after SIGKILL.
const (
	downAnswer = 5 * time.Second
	downTerm   = 15 * time.Second
	downKill   = 5 * time.Second
)

// down stops r's daemon, or cleans up after it if it died. A daemon that
// does not answer is sent SIGTERM, then SIGKILL; signals go to that
// process only, never to one that reused its PID.
func down(cmd *cobra.Command, opts *options, r daemon.Record) error {
	if !r.Alive() {
		if err := cleanup(r); err != nil {
			return err
		}
		fmt.Fprintf(opts.stdout, "topology %q: daemon (pid %d) was gone; removed %d namespaces\n", r.Name, r.PID, len(r.Namespaces))
		return nil
	}
	// down acts as the topology's operator, whatever --account says: who
	// may open the socket may signal the daemon anyway.
	c := api.NewClient(api.SocketPath(r.Name), "").WithTimeout(downAnswer)
	if err := c.Shutdown(cmd.Context()); err != nil {
		fmt.Fprintf(opts.stderr, "topology %q: the daemon did not answer (%v); sending it SIGTERM\n", r.Name, err)
		if err := r.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, daemon.ErrGone) {
			return err
		}
		r.Signal(syscall.SIGCONT) // a stopped daemon must run to tear down
	}
	if !waitGone(r, downTerm) {
		fmt.Fprintf(opts.stderr, "topology %q: the daemon (pid %d) did not stop within %v; sending it SIGKILL\n", r.Name, r.PID, downTerm)
		if err := r.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, daemon.ErrGone) {
			return err
		}
		if !waitGone(r, downKill) {
			return control.Errorf(control.CodeInternal, "the daemon of topology %q (pid %d) survived SIGKILL", r.Name, r.PID)
		}
	}
	// A daemon removes its own namespaces; this finds what it could not.
	if err := cleanup(r); err != nil {
		return err
	}
	fmt.Fprintf(opts.stdout, "topology %q is down\n", r.Name)
	return nil
}

// cleanup removes what r's dead daemon left: its namespaces, socket and
// record (daemon.Cleanup), and its log. The log lives in the run
// directory, in RAM under /run, so it goes with the topology; the daemon
// leaves it to down, as a launch that fails still has its log to read.
func cleanup(r daemon.Record) error {
	err := daemon.Cleanup(r)
	if rerr := os.Remove(api.LogPath(r.Name)); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		err = errors.Join(err, rerr)
	}
	return err
}

// waitGone waits up to d for r's daemon to exit, and reports whether it did.
func waitGone(r daemon.Record, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for r.Alive() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
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
