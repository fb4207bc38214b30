package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
)

func newPeeringCmd(opts *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "peering",
		Short: "Create, accept, reject, delete and inspect VPC peering connections",
		Long: `A peering joins two VPCs of one region whose CIDRs do not overlap. Within
one account it is active at once; across accounts it waits for the peer
account to accept it, and expires if nobody does. Traffic crosses it only
where both ends have routes to each other (see "vpcsim route").`,
		SilenceUsage: true,
	}
	cmd.AddCommand(
		newPeeringCreateCmd(opts),
		newPeeringTransitionCmd(opts, "accept", "Accept a pending peering request (as the peer account)"),
		newPeeringTransitionCmd(opts, "reject", "Reject a pending peering request (as the peer account)"),
		newPeeringTransitionCmd(opts, "delete", "Delete a peering and every route over it (either side), or withdraw a request"),
		newPeeringListCmd(opts),
		newPeeringShowCmd(opts),
	)
	return cmd
}

func newPeeringCreateCmd(opts *options) *cobra.Command {
	var req control.CreatePeeringRequest
	cmd := &cobra.Command{
		Use:          "create --vpc VPC --peer-vpc VPC [--peer-account ID] [--name NAME]",
		Short:        "Request a peering from a VPC of the acting account to a peer VPC",
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if req.VPC == "" || req.PeerVPC == "" {
				return usageErrorf("both --vpc and --peer-vpc are required")
			}
			p, err := call(cmd, opts, func(ctx context.Context, c *api.Client) (control.Peering, error) {
				return c.CreatePeering(ctx, req)
			})
			if err != nil {
				return err
			}
			return printPeerings(opts, []control.Peering{p}, true)
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.VPC, "vpc", "", "requester VPC (本端), owned by the acting account")
	f.StringVar(&req.PeerVPC, "peer-vpc", "", "accepter VPC (对端)")
	f.StringVar(&req.PeerAccount, "peer-account", "", "account owning --peer-vpc (default: the acting account)")
	f.StringVar(&req.Name, "name", "", "a name for the peering")
	return cmd
}

// newPeeringTransitionCmd returns the accept, reject or delete command.
func newPeeringTransitionCmd(opts *options, verb, short string) *cobra.Command {
	return &cobra.Command{
		Use:          verb + " ID",
		Short:        short,
		Args:         cobra.ExactArgs(1),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := call(cmd, opts, func(ctx context.Context, c *api.Client) (control.Peering, error) {
				switch verb {
				case "accept":
					return c.AcceptPeering(ctx, args[0])
				case "reject":
					return c.RejectPeering(ctx, args[0])
				}
				return c.DeletePeering(ctx, args[0])
			})
			if err != nil {
				return err
			}
			return printPeerings(opts, []control.Peering{p}, true)
		},
	}
}

func newPeeringListCmd(opts *options) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:          "list [--all]",
		Short:        "List the peerings of the acting account's VPCs",
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			ps, err := call(cmd, opts, func(ctx context.Context, c *api.Client) ([]control.Peering, error) {
				return c.Peerings(ctx, all)
			})
			if err != nil {
				return err
			}
			return printPeerings(opts, ps, false)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "include rejected, expired and deleted peerings")
	return cmd
}

func newPeeringShowCmd(opts *options) *cobra.Command {
	return &cobra.Command{
		Use:          "show ID",
		Short:        "Show a peering and the routes that use it, with their subnets",
		Args:         cobra.ExactArgs(1),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := call(cmd, opts, func(ctx context.Context, c *api.Client) (control.PeeringDetail, error) {
				return c.ShowPeering(ctx, args[0])
			})
			if err != nil {
				return err
			}
			if opts.output == "json" {
				return printJSON(opts.stdout, d)
			}
			return printPeeringDetail(opts.stdout, d)
		},
	}
}

// printPeerings prints peerings as a table or JSON; one is printed as an
// object when single is set, else as an array.
func printPeerings(opts *options, ps []control.Peering, single bool) error {
	return printRows(opts, ps, single, "No peerings.",
		"ID\tNAME\tSTATUS\tVPC\tPEER VPC\tACCOUNT\tPEER ACCOUNT\tREGION\tEXPIRES",
		func(p control.Peering) string {
			return cells(p.ID, orDash(p.Name), p.Status, p.VPC, p.PeerVPC, p.Account, p.PeerAccount, p.Region, formatTime(p.ExpiresAt))
		})
}

// printPeeringDetail prints a peering and its related routes.
func printPeeringDetail(w io.Writer, d control.PeeringDetail) error {
	tw := newTable(w)
	for _, kv := range [][2]string{
		{"ID", d.ID},
		{"Name", orDash(d.Name)},
		{"Status", string(d.Status)},
		{"VPC", fmt.Sprintf("%s (account %s)", d.VPC, d.Account)},
		{"Peer VPC", fmt.Sprintf("%s (account %s)", d.PeerVPC, d.PeerAccount)},
		{"Region", d.Region},
		{"Created", formatTime(&d.CreatedAt)},
		{"Expires", formatTime(d.ExpiresAt)},
	} {
		row(tw, kv[0]+":", kv[1])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if len(d.Routes) == 0 {
		_, err := fmt.Fprintln(w, "No routes of this account use the peering.")
		return err
	}
	tw = newTable(w)
	fmt.Fprintln(tw, "ROUTE TABLE\tVPC\tDESTINATION\tSUBNETS")
	for _, r := range d.Routes {
		subnets := "-"
		if len(r.Subnets) > 0 {
			subnets = strings.Join(r.Subnets, ",")
		}
		row(tw, r.RouteTable, r.VPC, r.Destination, subnets)
	}
	return tw.Flush()
}
