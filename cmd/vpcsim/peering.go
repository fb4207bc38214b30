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
	return newGroupCmd("peering", "Create, accept, reject, delete and inspect VPC peering connections",
		`A peering joins two VPCs of one region whose CIDRs do not overlap. Within
one account it is active at once; across accounts it waits for the peer
account to accept it, and expires if nobody does. Traffic crosses it only
where both ends have routes to each other (see "vpcsim route").

A peering is named by its id, or by its name where no other peering the
account sees has it.`,
		`  vpcsim peering create --vpc vpc1 --peer-vpc vpc2 --name PeerConn
  vpcsim peering list --vpc vpc1 --status active
  vpcsim peering show PeerConn`,
		newPeeringCreateCmd(opts),
		newPeeringTransitionCmd(opts, "accept", "Accept a pending peering request (as the peer account)",
			"  vpcsim --account 200000000002 peering accept pcx-1a2b3c4d\n  vpcsim --account partner peering accept PeerConn"),
		newPeeringTransitionCmd(opts, "reject", "Reject a pending peering request (as the peer account)",
			"  vpcsim --account 200000000002 peering reject pcx-1a2b3c4d"),
		newPeeringTransitionCmd(opts, "delete", "Delete a peering and every route over it (either side), or withdraw a request",
			"  vpcsim peering delete pcx-1\n  vpcsim peering delete PeerConn --yes"),
		newPeeringListCmd(opts),
		newPeeringShowCmd(opts),
	)
}

func newPeeringCreateCmd(opts *options) *cobra.Command {
	var req control.CreatePeeringRequest
	cmd := &cobra.Command{
		Use:   "create --vpc VPC --peer-vpc VPC [--peer-account ID] [--name NAME]",
		Short: "Request a peering from a VPC of the acting account to a peer VPC",
		Long: `Request a peering from --vpc (本端), a VPC of the acting account, to --peer-vpc
(对端). Within one account the peering is active at once; with --peer-account
another account must accept it (vpcsim peering accept) before it expires.
The CIDRs must not overlap and both VPCs must be in one region.`,
		Example: `  vpcsim peering create --vpc vpc1 --peer-vpc vpc2 --name PeerConn
  vpcsim peering create --vpc vpc-a --peer-vpc vpc-b --peer-account 200000000002 -o json`,
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
	completeFlag(cmd, opts, "vpc", completeVPCs)
	completeFlag(cmd, opts, "peer-vpc", completeVPCs)
	completeFlag(cmd, opts, "peer-account", completeAccounts)
	return cmd
}

// newPeeringTransitionCmd returns the accept, reject or delete command.
func newPeeringTransitionCmd(opts *options, verb, short, example string) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:               verb + " ID|NAME",
		Short:             short,
		Example:           example,
		Args:              cobra.ExactArgs(1),
		SilenceUsage:      true,
		ValidArgsFunction: completeArgs(opts, completePeerings),
		RunE: func(cmd *cobra.Command, args []string) error {
			if verb == "delete" && !yes {
				ok, err := confirm(opts, fmt.Sprintf("Delete peering %s and every route over it?", args[0]))
				if err != nil || !ok {
					return err
				}
			}
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
	if verb == "delete" {
		cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation (it is asked only on a terminal)")
	}
	return cmd
}

func newPeeringListCmd(opts *options) *cobra.Command {
	var f control.PeeringFilter
	var status string
	cmd := &cobra.Command{
		Use:   "list [--all] [--vpc VPC] [--region R] [--status S]",
		Short: "List the peerings of the acting account's VPCs",
		Long: `List the peerings the acting account takes part in, pending and active ones,
or with --all the rejected, expired and deleted ones it still shows too.
--vpc, --region and --status filter as the console's list does.`,
		Example: `  vpcsim peering list
  vpcsim peering list --all --vpc vpc1
  vpcsim peering list --status pending-acceptance -o json`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			f.Status = control.Status(status)
			ps, err := call(cmd, opts, func(ctx context.Context, c *api.Client) ([]control.Peering, error) {
				return c.ListPeerings(ctx, f)
			})
			if err != nil {
				return err
			}
			return printPeerings(opts, ps, false)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.All, "all", false, "include rejected, expired and deleted peerings")
	fl.StringVar(&f.VPC, "vpc", "", "only the peerings of this VPC")
	fl.StringVar(&f.Region, "region", "", "only the peerings of this region")
	fl.StringVar(&status, "status", "", "only peerings of this status: pending-acceptance, active, rejected, expired or deleted")
	completeFlag(cmd, opts, "vpc", completeVPCs)
	completeFlag(cmd, opts, "status", fixed("pending-acceptance", "active", "rejected", "expired", "deleted"))
	return cmd
}

func newPeeringShowCmd(opts *options) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID|NAME",
		Short: "Show a peering and the routes that use it, with their subnets",
		Long: `Show a peering, its history of statuses, and the routes of the acting account's
route tables that use it, each with the subnets whose traffic it steers (the
documentation's 查看对等连接相关的路由策略).`,
		Example: `  vpcsim peering show pcx-1
  vpcsim peering show PeerConn -o json`,
		Args:              cobra.ExactArgs(1),
		SilenceUsage:      true,
		ValidArgsFunction: completeArgs(opts, completePeerings),
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
