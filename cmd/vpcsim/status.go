package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/daemon"
	"github.com/vpcsim/vpcsim/topology"
)

func newStatusCmd(opts *options) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show running topologies: VPCs, hosts, peerings",
		Long: `Show every topology this machine runs (or the one --topology names): its
VPCs, subnets, hosts with their namespaces, and the peerings the acting
account takes part in. A topology whose daemon died or does not answer is
listed too, with what to do about it.`,
		Example: `  vpcsim status
  vpcsim --topology best-practice status -o json | jq '.[0].hosts'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.topology != "" {
				if err := checkTopologyName("--topology", opts.topology); err != nil {
					return err
				}
			}
			recs, err := daemon.Records()
			if err != nil {
				return err
			}
			out := []api.Status{}
			listed := make(map[string]bool)
			for _, r := range recs {
				if opts.topology != "" && r.Name != opts.topology {
					continue
				}
				st, err := statusOf(cmd.Context(), opts, r)
				if err != nil {
					return fmt.Errorf("topology %q: %w", r.Name, err)
				}
				out = append(out, st)
				listed[r.Name] = true
			}
			saved, err := daemon.SavedStates()
			if err != nil {
				return err
			}
			for _, name := range saved {
				if !listed[name] && (opts.topology == "" || name == opts.topology) {
					st := stubStatus(api.Status{Name: name, State: api.StateSaved, StateFile: daemon.StatePath(name)})
					st.Problem = fmt.Sprintf("not running; its state is saved: \"vpcsim up -d FILE\" resumes it, \"vpcsim down %s\" forgets it", name)
					out = append(out, st)
				}
			}
			if opts.topology != "" && len(out) == 0 {
				return control.Errorf(control.CodeTopologyNotRunning, "topology %q is not running", opts.topology)
			}
			if opts.output == "json" {
				return printJSON(opts.stdout, out)
			}
			if len(out) == 0 {
				fmt.Fprintln(opts.stdout, `no topology is running; start one with "vpcsim up"`)
			}
			for i, st := range out {
				if i > 0 {
					fmt.Fprintln(opts.stdout)
				}
				writeStatus(opts.stdout, st)
			}
			return nil
		},
	}
}

// statusOf asks r's daemon for its status. A dead daemon, or one that does
// not answer, is not an error: its status says so and what to do. Errors
// of the request itself (an unknown account) are.
func statusOf(ctx context.Context, opts *options, r daemon.Record) (api.Status, error) {
	st := stubStatus(api.Status{Name: r.Name, PID: r.PID, File: r.File, Started: r.Started})
	if !r.Alive() {
		st.State = api.StateDead
		st.Problem = fmt.Sprintf("its daemon (pid %d) is gone: run \"vpcsim up -d %s\" to resume or \"vpcsim down %s\"", r.PID, orDash(r.File), r.Name)
		return st, nil
	}
	got, err := api.NewClient(api.SocketPath(r.Name), opts.account).WithTimeout(statusTimeout).Status(ctx)
	switch code := control.ErrorCode(err); {
	case err == nil:
		return got, nil
	case code == control.CodeInternal || code == control.CodeTopologyNotRunning:
		st.State = api.StateNotAnswering
		st.Problem = fmt.Sprintf("its daemon (pid %d) does not answer (%v): \"vpcsim down %s\" stops it", r.PID, err, r.Name)
		return st, nil
	}
	return st, err
}

// stubStatus completes the status of a topology whose daemon gave none:
// its lists are empty, not null.
func stubStatus(st api.Status) api.Status {
	st.VPCs, st.Hosts, st.Peerings = []api.VPCStatus{}, []api.HostStatus{}, []control.Peering{}
	st.DataPlane.Differences = []string{}
	return st
}

// statusTimeout bounds the wait for one daemon's status, so that a hung
// daemon cannot hide the others.
const statusTimeout = 5 * time.Second

// writeStatus prints a topology's status as tables.
func writeStatus(w io.Writer, st api.Status) {
	if st.State != api.StateRunning {
		fmt.Fprintf(w, "TOPOLOGY %s  %s: %s\n", st.Name, strings.ToUpper(st.State), topology.Printable(st.Problem))
		return
	}
	state := "state in memory"
	if st.StateFile != "" {
		state = "state " + st.StateFile
	}
	if st.Console != "" {
		state += "  console " + st.Console
	}
	fmt.Fprintf(w, "TOPOLOGY %s  pid %d  region %s  mtu %d  up %s  file %s  %s\n\n",
		st.Name, st.PID, st.Region, st.MTU, time.Since(st.Started).Round(time.Second), st.File, state)
	tw := newTable(w)
	fmt.Fprintln(tw, "VPC\tNAME\tACCOUNT\tREGION\tCIDR\tSUBNETS")
	for _, v := range st.VPCs {
		var subnets []string
		for _, s := range v.Subnets {
			subnets = append(subnets, fmt.Sprintf("%s %s (gw %s, %s)", s.ID, s.CIDR, s.Gateway, s.RouteTable))
		}
		row(tw, v.ID, orDash(v.Name), v.Account, v.Region, v.CIDR, strings.Join(subnets, ", "))
	}
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintln(tw, "HOST\tVPC\tSUBNET\tIP\tNAMESPACE\tDEVICE")
	for _, h := range st.Hosts {
		row(tw, h.Name, h.VPC, h.Subnet, h.IP, h.Namespace, deviceState(h.DeviceGone))
	}
	tw.Flush()
	if len(st.Peerings) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(tw, "PEERING\tNAME\tSTATUS\tVPC\tPEER VPC\tACCOUNT\tPEER ACCOUNT")
		for _, p := range st.Peerings {
			row(tw, p.ID, orDash(p.Name), p.Status, p.VPC, p.PeerVPC, p.Account, p.PeerAccount)
		}
		tw.Flush()
	}
	if dp := st.DataPlane; !dp.InStep || dp.Repairs > 0 {
		fmt.Fprintln(w)
		if !dp.InStep {
			fmt.Fprintf(w, "DATA PLANE DIFFERED from the control plane at %s; the routers were given its state again:\n", dp.Checked.Format(time.RFC3339))
			for _, d := range dp.Differences {
				fmt.Fprintf(w, "  %s\n", topology.Printable(d))
			}
		}
		fmt.Fprintf(w, "data plane repaired %d times since launch; the daemon's log says when\n", dp.Repairs)
	}
}

// deviceState names the state of a host's device in tables: "gone" once
// the router has given it up (see router.HostStats), else "up".
func deviceState(gone bool) string {
	if gone {
		return "gone"
	}
	return "up"
}
