package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/daemon"
)

func newStatusCmd(opts *options) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show running topologies: VPCs, hosts, peerings",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			recs, err := daemon.Records()
			if err != nil {
				return err
			}
			var out []api.Status
			var dead []daemon.Record
			for _, r := range recs {
				if opts.topology != "" && r.Name != opts.topology {
					continue
				}
				if !r.Alive() {
					dead = append(dead, r)
					continue
				}
				st, err := fetchStatus(cmd.Context(), opts, r.Name)
				if err != nil {
					return fmt.Errorf("topology %q: %w", r.Name, err)
				}
				out = append(out, st)
			}
			if opts.output == "json" {
				if out == nil {
					out = []api.Status{}
				}
				return printJSON(opts.stdout, out)
			}
			if len(out) == 0 && len(dead) == 0 {
				fmt.Fprintln(opts.stdout, `no topology is running; start one with "vpcsim up"`)
			}
			for i, st := range out {
				if i > 0 {
					fmt.Fprintln(opts.stdout)
				}
				writeStatus(opts.stdout, st)
			}
			for _, r := range dead {
				fmt.Fprintf(opts.stdout, "topology %q: daemon (pid %d) is gone; remove its leftovers with \"vpcsim down --all\"\n", r.Name, r.PID)
			}
			return nil
		},
	}
}

func fetchStatus(ctx context.Context, opts *options, name string) (api.Status, error) {
	return api.NewClient(api.SocketPath(name), opts.account).Status(ctx)
}

// writeStatus prints a topology's status as tables.
func writeStatus(w io.Writer, st api.Status) {
	fmt.Fprintf(w, "TOPOLOGY %s  pid %d  region %s  mtu %d  up %s  file %s\n\n",
		st.Name, st.PID, st.Region, st.MTU, time.Since(st.Started).Round(time.Second), st.File)
	tw := newTable(w)
	fmt.Fprintln(tw, "VPC\tNAME\tACCOUNT\tREGION\tCIDR\tSUBNETS")
	for _, v := range st.VPCs {
		var subnets []string
		for _, s := range v.Subnets {
			subnets = append(subnets, fmt.Sprintf("%s %s (gw %s, %s)", s.ID, s.CIDR, s.Gateway, s.RouteTable))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", v.ID, orDash(v.Name), v.Account, v.Region, v.CIDR, strings.Join(subnets, ", "))
	}
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintln(tw, "HOST\tVPC\tSUBNET\tIP\tNAMESPACE")
	for _, h := range st.Hosts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", h.Name, h.VPC, h.Subnet, h.IP, h.Namespace)
	}
	tw.Flush()
	if len(st.Peerings) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(tw, "PEERING\tNAME\tSTATUS\tVPC\tPEER VPC\tACCOUNT\tPEER ACCOUNT")
		for _, p := range st.Peerings {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, orDash(p.Name), p.Status, p.VPC, p.PeerVPC, p.Account, p.PeerAccount)
		}
		tw.Flush()
	}
	if dp := st.DataPlane; !dp.InStep || dp.Repairs > 0 {
		fmt.Fprintln(w)
		if !dp.InStep {
			fmt.Fprintf(w, "DATA PLANE DIFFERED from the control plane at %s; the routers were given its state again:\n", dp.Checked.Format(time.RFC3339))
			for _, d := range dp.Differences {
				fmt.Fprintf(w, "  %s\n", d)
			}
		}
		fmt.Fprintf(w, "data plane repaired %d times since launch; the daemon's log says when\n", dp.Repairs)
	}
}
