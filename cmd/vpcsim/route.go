package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
)

func newRouteCmd(opts *options) *cobra.Command {
	return newGroupCmd("route", "Add, replace, delete and list the routes of the acting account's route tables",
		`Every route table holds an implicit local route for its VPC's CIDR and user
routes "destination -> peering". Lookup is longest-prefix match; the route
table of the source host's subnet decides. Replies need a route back in the
peer VPC.`,
		`  vpcsim route add --table vpc1-default --destination 10.0.1.0/24 --peering pcx-1
  vpcsim route list --peering PeerConn
  vpcsim route replace --table vpc1-default --destination 10.0.1.0/24 --peering pcx-2
  vpcsim route delete --table vpc1-default --destination 10.0.1.0/24`,
		newRouteAddCmd(opts), newRouteReplaceCmd(opts), newRouteDeleteCmd(opts), newRouteListCmd(opts))
}

// routeFlags are the flags that name a route.
type routeFlags struct{ table, dest, peering string }

func (rf *routeFlags) bind(cmd *cobra.Command, opts *options, peering string) {
	f := cmd.Flags()
	f.StringVar(&rf.table, "table", "", "route table id")
	f.StringVar(&rf.dest, "destination", "", "destination IPv4 CIDR, a network address such as 10.0.1.0/24")
	completeFlag(cmd, opts, "table", completeTables)
	if peering != "" {
		f.StringVar(&rf.peering, "peering", "", peering)
		completeFlag(cmd, opts, "peering", completePeerings)
	}
}

func newRouteAddCmd(opts *options) *cobra.Command {
	var rf routeFlags
	cmd := &cobra.Command{
		Use:   "add --table RTB --destination CIDR --peering PCX",
		Short: "Route a destination CIDR over an active peering",
		Long: `Add to a route table of the acting account a route to a destination CIDR over
an active peering of the table's VPC (by id or name). The destination must be
a network address (10.0.1.0/24, not 10.0.1.5/24) and must not overlap the
VPC's own CIDR. A destination beyond the VPC at the other end of the peering
is accepted, with a warning: that VPC drops what is not its own.`,
		Example: `  vpcsim route add --table vpc1-default --destination 10.0.1.0/24 --peering pcx-1
  vpcsim --account 200000000002 route add --table vpc-b-default --destination 192.168.1.0/24 --peering PeerConn`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: runRouteChange(opts, &rf, func(ctx context.Context, c *api.Client) (api.RouteChange, error) {
			return c.AddRoute(ctx, rf.table, rf.dest, rf.peering)
		}),
	}
	rf.bind(cmd, opts, "next hop: an active peering of the table's VPC, by id or name")
	return cmd
}

func newRouteReplaceCmd(opts *options) *cobra.Command {
	var rf routeFlags
	var newDest string
	cmd := &cobra.Command{
		Use:   "replace --table RTB --destination CIDR [--new-destination CIDR] --peering PCX",
		Short: "Change a route's next hop or destination in one step",
		Long: `Replace the route to a destination CIDR by a route over another active peering,
or to another destination (--new-destination), or both. It is one change:
packets see the old route or the new one, never neither, and the journal
records one route.replace. The new route is checked as route add checks one;
a refused replace leaves the old route as it was.`,
		Example: `  vpcsim route replace --table vpc1-default --destination 10.0.1.0/24 --peering pcx-2
  vpcsim route replace --table vpc1-default --destination 10.0.1.0/24 --new-destination 10.0.0.0/16 --peering pcx-1`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: runRouteChange(opts, &rf, func(ctx context.Context, c *api.Client) (api.RouteChange, error) {
			return c.ReplaceRoute(ctx, rf.table, rf.dest, newDest, rf.peering)
		}),
	}
	rf.bind(cmd, opts, "next hop of the route made: an active peering of the table's VPC, by id or name")
	cmd.Flags().StringVar(&newDest, "new-destination", "", "destination of the route made (default: --destination)")
	return cmd
}

// runRouteChange returns the RunE of a command that makes a route with do,
// add or replace, which need the three flags of rf: it prints the route
// made and its warnings, on stderr; as JSON, both on stdout.
func runRouteChange(opts *options, rf *routeFlags, do func(context.Context, *api.Client) (api.RouteChange, error)) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if rf.table == "" || rf.dest == "" || rf.peering == "" {
			return usageErrorf("--table, --destination and --peering are required")
		}
		r, err := call(cmd, opts, do)
		if err != nil {
			return err
		}
		if opts.output == "json" {
			return printJSON(opts.stdout, r)
		}
		for _, w := range r.Warnings {
			fmt.Fprintf(opts.stderr, "warning: %s\n", w)
		}
		return printRoutes(opts, []control.Route{r.Route}, true)
	}
}

func newRouteDeleteCmd(opts *options) *cobra.Command {
	var rf routeFlags
	cmd := &cobra.Command{
		Use:          "delete --table RTB --destination CIDR",
		Short:        "Delete the route to a destination CIDR",
		Example:      `  vpcsim route delete --table vpc2-default --destination 192.168.1.0/24`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if rf.table == "" || rf.dest == "" {
				return usageErrorf("--table and --destination are required")
			}
			r, err := call(cmd, opts, func(ctx context.Context, c *api.Client) (control.Route, error) {
				return c.DeleteRoute(ctx, rf.table, rf.dest)
			})
			if err != nil {
				return err
			}
			return printRoutes(opts, []control.Route{r}, true)
		},
	}
	rf.bind(cmd, opts, "")
	return cmd
}

func newRouteListCmd(opts *options) *cobra.Command {
	var f control.RouteFilter
	cmd := &cobra.Command{
		Use:   "list [--table RTB] [--vpc VPC] [--peering PCX]",
		Short: "List routes, local ones included",
		Example: `  vpcsim route list
  vpcsim route list --vpc vpc1
  vpcsim route list --peering pcx-1 -o json`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			rs, err := call(cmd, opts, func(ctx context.Context, c *api.Client) ([]control.Route, error) {
				return c.ListRoutes(ctx, f)
			})
			if err != nil {
				return err
			}
			return printRoutes(opts, rs, false)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.Table, "table", "", "only this route table")
	fl.StringVar(&f.VPC, "vpc", "", "only the route tables of this VPC")
	fl.StringVar(&f.Peering, "peering", "", "only the routes over this peering (by id or name)")
	completeFlag(cmd, opts, "table", completeTables)
	completeFlag(cmd, opts, "vpc", completeVPCs)
	completeFlag(cmd, opts, "peering", completePeerings)
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
