package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/intent"
)

func newReachCmd(opts *options) *cobra.Command {
	var (
		probe       bool
		vpcs, hosts []string
	)
	cmd := &cobra.Command{
		Use:   "reach [FILE] [--probe] [--vpc VPC]... [--host HOST]...",
		Short: "The host × host reachability matrix, as Mininet's pingall",
		Long: `reach answers, for every ordered pair of hosts, whether an echo request gets
through and its reply comes back, by the analysis of "vpcsim explain": a
line per host with the hosts it reaches and an X for each it does not, then
the blocked pairs with the reason and the component that blocks them.

Without FILE it answers for the running topology (--topology); --probe also
sends a real ping for every pair, and marks with ! a pair whose packets met
another fate than the analysis predicts. With FILE, the file is analysed as
it would launch, in memory. --vpc and --host (repeatable, or comma-separated)
show only the pairs with an end among the hosts named or in the VPCs named.

The exit status is 0 whatever the matrix says, but 1 when real packets
disagree with the analysis.`,
		Example: `  vpcsim reach
  vpcsim reach --probe --vpc vpc1
  vpcsim reach examples/non-transitive.yaml -o json`,
		Args:         cobra.MaximumNArgs(1),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			var ex intent.Explainer
			var all []intent.Host
			if len(args) == 1 {
				if probe {
					return usageErrorf("--probe sends real packets, which needs a running topology: launch FILE with \"vpcsim up -d\", then run \"vpcsim reach --probe\"")
				}
				t, err := loadFile(args[0])
				if err != nil {
					return err
				}
				st, err := control.New(t, control.Options{})
				if err != nil {
					return err
				}
				ex, all = intent.Local{State: st}, intent.Hosts(t)
			} else {
				c, err := dialTopology(opts)
				if err != nil {
					return err
				}
				plan, err := c.Intent(cmd.Context())
				if err != nil {
					return err
				}
				ex, all = c.WithTimeout(api.WriteTimeout), plan.Hosts // a batch of probes takes a while
			}
			return runReach(cmd.Context(), opts.stdout, opts.output, ex, all, reachOptions{probe: probe, vpcs: vpcs, hosts: hosts})
		},
	}
	f := cmd.Flags()
	f.BoolVar(&probe, "probe", false, "also send a real ping for every pair and compare")
	f.StringSliceVar(&vpcs, "vpc", nil, "show the pairs with an end in `VPC`")
	f.StringSliceVar(&hosts, "host", nil, "show the pairs with `HOST` at an end")
	return cmd
}

// reachOptions select what runReach shows.
type reachOptions struct {
	probe       bool
	vpcs, hosts []string // filters; none: every pair
}

// runReach writes the reachability matrix of hosts, answered by ex, as a
// table or as JSON (format "json"). vpcsim demo shows its matrices with
// it too. Real packets that disagree with the analysis make it return an
// exit status of 1, after the matrix.
func runReach(ctx context.Context, w io.Writer, format string, ex intent.Explainer, hosts []intent.Host, o reachOptions) error {
	show, err := intent.Select(hosts, o.vpcs, o.hosts)
	if err != nil {
		return control.Errorf(control.CodeInvalidParameter, "%v", err)
	}
	m, err := intent.Reach(ctx, ex, hosts, show, intent.Options{Probe: o.probe})
	if err != nil {
		return err
	}
	if format == "json" {
		err = printJSONText(w, m)
	} else {
		err = m.WriteText(w)
	}
	if err != nil {
		return err
	}
	for i := range m.Pairs {
		if m.Pairs[i].Disagrees() {
			return &exitError{code: 1}
		}
	}
	return nil
}
