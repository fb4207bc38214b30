package main

import (
	"context"

	"github.com/spf13/cobra"
	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
)

func newRouteCmd(opts *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "route",
		Short: "Add, delete and list the routes of the acting account's route tables",
		Long: `Every route table holds an implicit local route for its VPC's CIDR and user
routes "destination -> peering". Lookup is longest-prefix match; the route
table of the source host's subnet decides. Replies need a route back in the
peer VPC.`,
		SilenceUsage: true,
	}
	cmd.AddCommand(newRouteAddCmd(opts), newRouteDeleteCmd(opts), newRouteListCmd(opts))
	return cmd
}

func newRouteAddCmd(opts *options) *cobra.Command {
	var table, dest, pcx string
	cmd := &cobra.Command{
		Use:          "add --table RTB --destination CIDR --peering PCX",
		Short:        "Route a destination CIDR over an active peering",
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if table == "" || dest == "" || pcx == "" {
				return usageErrorf("--table, --destination and --peering are required")
			}
			r, err := call(cmd, opts, func(ctx context.Context, c *api.Client) (control.Route, error) {
				return c.AddRoute(ctx, table, dest, pcx)
			})
			if err != nil {
				return err
			}
			return printRoutes(opts, []control.Route{r}, true)
		},
	}
	f := cmd.Flags()
	f.StringVar(&table, "table", "", "route table id")
	f.StringVar(&dest, "destination", "", "destination IPv4 CIDR")
	f.StringVar(&pcx, "peering", "", "next hop: an active peering of the table's VPC")
	return cmd
}

func newRouteDeleteCmd(opts *options) *cobra.Command {
	var table, dest string
	cmd := &cobra.Command{
		Use:          "delete --table RTB --destination CIDR",
		Short:        "Delete the route to a destination CIDR",
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if table == "" || dest == "" {
				return usageErrorf("--table and --destination are required")
			}
			r, err := call(cmd, opts, func(ctx context.Context, c *api.Client) (control.Route, error) {
				return c.DeleteRoute(ctx, table, dest)
			})
			if err != nil {
				return err
			}
			return printRoutes(opts, []control.Route{r}, true)
		},
	}
	f := cmd.Flags()
	f.StringVar(&table, "table", "", "route table id")
	f.StringVar(&dest, "destination", "", "destination IPv4 CIDR")
	return cmd
}

func newRouteListCmd(opts *options) *cobra.Command {
	var table, vpc string
	cmd := &cobra.Command{
		Use:          "list [--table RTB] [--vpc VPC]",
		Short:        "List routes, local ones included",
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			rs, err := call(cmd, opts, func(ctx context.Context, c *api.Client) ([]control.Route, error) {
				return c.Routes(ctx, table, vpc)
			})
			if err != nil {
				return err
			}
			return printRoutes(opts, rs, false)
		},
	}
	f := cmd.Flags()
	f.StringVar(&table, "table", "", "only this route table")
	f.StringVar(&vpc, "vpc", "", "only the route tables of this VPC")
	return cmd
}

// printRoutes prints routes as a table or JSON; one is printed as an object
// when single is set, else as an array.
func printRoutes(opts *options, rs []control.Route, single bool) error {
	return printRows(opts, rs, single, "No routes.", "ROUTE TABLE\tDESTINATION\tNEXT HOP TYPE\tNEXT HOP",
		func(r control.Route) string {
			return cells(r.RouteTable, r.Destination, r.NextHopType, r.NextHop)
		})
}
