package main

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/daemon"
	"github.com/vpcsim/vpcsim/tun"
)

func newDownCmd(opts *options) *cobra.Command {
	var all, keep bool
	cmd := &cobra.Command{
		Use:   "down [NAME] [--all] [--keep-state]",
		Short: "Tear a topology down and forget its state",
		Long: `Tear down the running topology NAME (or the only one running): its daemon
stops forwarding and removes every namespace it created, and its saved state
(peerings, routes, journal) is deleted. With --keep-state the state is kept:
"vpcsim up -d FILE" resumes it later, in new namespaces.

A topology whose daemon died (killed, out of memory, a reboot) is cleaned up
the same way: its namespaces, socket and record, and its state unless
--keep-state. --all does this for every topology, running, dead or only
saved.`,
		Example: `  vpcsim down
  vpcsim down best-practice
  vpcsim down best-practice --keep-state
  vpcsim down --all`,
		Args:        cobra.MaximumNArgs(1),
		Annotations: textOnly,
		RunE: func(cmd *cobra.Command, args []string) error {
			name := opts.topology
			if len(args) == 1 {
				name = args[0]
			}
			if all && name != "" {
				return usageErrorf("give NAME or --all, not both")
			}
			if name != "" {
				if err := checkTopologyName("NAME", name); err != nil {
					return err
				}
			}
			names, recs, err := downTargets(opts, name, all)
			if err != nil || len(names) == 0 {
				return err
			}
			var errs []error
			for _, n := range names {
				if err := downOne(cmd, opts, n, recs[n], keep); err != nil {
					errs = append(errs, fmt.Errorf("topology %q: %w", n, err))
				}
			}
			return errors.Join(errs...)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "tear down every topology, and remove leftovers of dead daemons and saved states")
	cmd.Flags().BoolVar(&keep, "keep-state", false, "keep the saved state, to resume it with vpcsim up -d FILE")
	cmd.ValidArgsFunction = completeArgs(opts, completeTopologies)
	return cmd
}

// downTargets returns the topologies down acts on, by name, with their
// records (absent for a topology that is only saved): NAME, every one
// with --all, else the only one running.
func downTargets(opts *options, name string, all bool) ([]string, map[string]*daemon.Record, error) {
	recs, err := daemon.Records()
	if err != nil {
		return nil, nil, err
	}
	saved, err := daemon.SavedStates()
	if err != nil {
		return nil, nil, err
	}
	byName := make(map[string]*daemon.Record)
	for i := range recs {
		byName[recs[i].Name] = &recs[i]
	}
	switch {
	case all:
		for _, n := range saved {
			if byName[n] == nil {
				byName[n] = nil
			}
		}
		return slices.Sorted(maps.Keys(byName)), byName, nil
	case name != "":
		if byName[name] == nil && !slices.Contains(saved, name) {
			return nil, nil, control.Errorf(control.CodeTopologyNotRunning, "topology %q is not running", name)
		}
		return []string{name}, byName, nil
	case len(recs) == 0:
		fmt.Fprintln(opts.stdout, "no topology is running")
		return nil, nil, nil
	case len(recs) > 1:
		return nil, nil, control.Errorf(control.CodeMissingParameter, "%d topologies are running (%s); name one, or use --all", len(recs), recordNames(recs))
	}
	return []string{recs[0].Name}, byName, nil
}

// downOne stops the topology name (r is its record, nil when it is only
// saved) and, unless keep, forgets its saved state.
func downOne(cmd *cobra.Command, opts *options, name string, r *daemon.Record, keep bool) error {
	if r != nil {
		if err := down(cmd, opts, *r); err != nil {
			return err
		}
	}
	if keep {
		if r == nil {
			fmt.Fprintf(opts.stdout, "topology %q: its saved state is kept\n", name)
		}
		return nil
	}
	if err := daemon.RemoveState(name); err != nil {
		return err
	}
	if r == nil {
		fmt.Fprintf(opts.stdout, "topology %q: its saved state is removed\n", name)
	}
	return nil
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
	defer os.Remove(daemon.LogPath(r.Name))
	if !r.Alive() {
		ended, err := daemon.Cleanup(r)
		if err != nil {
			return err
		}
		fmt.Fprintf(opts.stdout, "topology %q: daemon (pid %d) was gone; removed %d namespaces%s\n", r.Name, r.PID, len(r.Namespaces), endedProcesses(ended))
		return nil
	}
	// The daemon ends what still runs in its hosts: count it first.
	running := 0
	for _, ns := range r.Namespaces {
		pids, _ := tun.Processes(ns)
		running += len(pids)
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
	ended, err := daemon.Cleanup(r)
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.stdout, "topology %q is down%s\n", r.Name, endedProcesses(running+ended))
	return nil
}

// endedProcesses says how many processes down ended in a topology's hosts.
func endedProcesses(n int) string {
	switch n {
	case 0:
		return ""
	case 1:
		return "; ended the process still running in its hosts"
	}
	return fmt.Sprintf("; ended the %d processes still running in its hosts", n)
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
