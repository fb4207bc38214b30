package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
)

func newAccountCmd(opts *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "account",
		Short: "Show the acting account's ID and name",
		Long: `Show the acting account (--account, by ID or name, $VPCSIM_ACCOUNT, else the
topology's first account). Give its ID to the owner of a peer VPC: a
cross-account peering names the peer account. "vpcsim account list" lists
the topology's accounts.`,
		Example: `  vpcsim account
  vpcsim --account partner account -o json
  vpcsim account list`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return unknownCommand(cmd, args[0])
			}
			return nil
		},
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := call(cmd, opts, func(ctx context.Context, c *api.Client) (control.Account, error) {
				return c.Account(ctx)
			})
			if err != nil {
				return err
			}
			return printAccounts(opts, []control.Account{a}, true)
		},
	}
	cmd.AddCommand(&cobra.Command{
		Use:          "list",
		Short:        "List the topology's accounts, ids and names",
		Example:      "  vpcsim account list -o json",
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			as, err := call(cmd, opts, func(ctx context.Context, c *api.Client) ([]control.Account, error) {
				return c.Accounts(ctx)
			})
			if err != nil {
				return err
			}
			return printAccounts(opts, as, false)
		},
	})
	return cmd
}

// printAccounts prints accounts as a table or JSON; one as an object when
// single is set.
func printAccounts(opts *options, as []control.Account, single bool) error {
	return printRows(opts, as, single, "No accounts.", "ID\tNAME", func(a control.Account) string {
		return cells(a.ID, orDash(a.Name))
	})
}
