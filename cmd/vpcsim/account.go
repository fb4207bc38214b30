package main

import (
	"fmt"

	"github.com/spf13/cobra"
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
			c, err := dialTopology(opts)
			if err != nil {
				return err
			}
			a, err := c.Account(cmd.Context())
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
