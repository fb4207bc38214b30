package main

import (
	"errors"
	"os"
	"os/exec"
	"slices"

	"github.com/spf13/cobra"

	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/daemon"
	"github.com/vpcsim/vpcsim/topology"
	"github.com/vpcsim/vpcsim/tun"
)

func newExecCmd(opts *options) *cobra.Command {
	return &cobra.Command{
		Use:   "exec HOST -- CMD [ARGS...]",
		Short: "Run a command inside a host's network namespace",
		Example: `  vpcsim exec a1 -- ping -c 3 10.0.1.10
  vpcsim exec b1 -- iperf3 -s`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() != 1 {
				return usageErrorf("usage: vpcsim exec HOST -- CMD [ARGS...]")
			}
			r, err := runningRecord(opts)
			if err != nil {
				return err
			}
			ns := topology.NamespaceName(r.Name, args[0])
			if !slices.Contains(r.Namespaces, ns) {
				return control.Errorf(control.CodeHostNotFound, "topology %q has no host %q", r.Name, args[0])
			}
			c := tun.ExecContext(cmd.Context(), ns, args[1], args[2:]...)
			c.Stdin, c.Stdout, c.Stderr = os.Stdin, opts.stdout, opts.stderr
			err = c.Run()
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return &exitError{code: ee.ExitCode()}
			}
			return err
		},
	}
}

// runningRecord returns the record of --topology, or of the only running
// topology.
func runningRecord(opts *options) (daemon.Record, error) {
	if opts.topology != "" {
		if err := checkTopologyName("--topology", opts.topology); err != nil {
			return daemon.Record{}, err
		}
		r, err := daemon.ReadRecord(opts.topology)
		if err != nil || !r.Alive() {
			return r, control.Errorf(control.CodeTopologyNotRunning, "topology %q is not running", opts.topology)
		}
		return r, nil
	}
	recs, err := daemon.Records()
	if err != nil {
		return daemon.Record{}, err
	}
	var live []daemon.Record
	for _, r := range recs {
		if r.Alive() {
			live = append(live, r)
		}
	}
	switch len(live) {
	case 0:
		return daemon.Record{}, errNoTopology
	case 1:
		return live[0], nil
	}
	return daemon.Record{}, control.Errorf(control.CodeMissingParameter, "%d topologies are running (%s); choose one with --topology", len(live), recordNames(live))
}
