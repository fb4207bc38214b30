package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
)

func newAccountCmd(opts *options) *cobra.Command {
	return &cobra.Command{
		Use:   "account",
		Short: "Show the acting account's ID and name",
		Long: `Show the acting account (--account, $VPCSIM_ACCOUNT, else the topology's
first account). Give its ID to the owner of a peer VPC: a cross-account
peering names the peer account.`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := call(cmd, opts, func(ctx context.Context, c *api.Client) (control.Account, error) {
				return c.Account(ctx)
			})
			if err != nil {
				return err
			}
			if opts.output == "json" {
				return printJSON(opts.stdout, a)
			}
			tw := newTable(opts.stdout)
			fmt.Fprintln(tw, "ID\tNAME")
			row(tw, a.ID, orDash(a.Name))
			return tw.Flush()
		},
	}
}
