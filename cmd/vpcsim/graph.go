package main

import (
	"slices"

	"github.com/spf13/cobra"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/graph"
	"github.com/vpcsim/vpcsim/topology"
)

// outputFormats is the cobra annotation listing the --output values a
// command accepts instead of table and json.
const outputFormats = "vpcsim/output-formats"

// textOnly annotates a command that prints only text: -o json is a usage
// error there rather than ignored.
var textOnly = map[string]string{outputFormats: "table"}

func newGraphCmd(opts *options) *cobra.Command {
	return &cobra.Command{
		Use:   "graph [FILE] [-o dot|mermaid|json]",
		Short: "Draw a topology as Graphviz DOT or Mermaid",
		Long: `Draw the VPCs of a topology (id, name, CIDR, account, region), their subnets
and hosts, and the peerings between them, labelled with id, name and status:
active solid, pending dashed, rejected and expired grey; deleted ones are left
out. An active peering's label says what each side routes over it; one that
only one side routes over is drawn orange with a warning, as its traffic has
no way back.

With FILE, the file is drawn with the peering statuses it would launch with;
without FILE, the running topology as the acting account sees it. The output
is DOT by default ("-o dot"; render with "dot -Tsvg"), or "-o mermaid", or
"-o json" for the graph's data.`,
		Example: `  vpcsim graph | dot -Tsvg > topology.svg
  vpcsim graph examples/cross-account.yaml -o mermaid
  vpcsim graph -o json | jq '.peerings[] | select(.status == "active")'`,
		Args:        cobra.MaximumNArgs(1),
		Annotations: map[string]string{outputFormats: "dot,mermaid,json"},
		RunE: func(cmd *cobra.Command, args []string) error {
			format := opts.output
			if !cmd.Flags().Changed("output") {
				format = "dot"
			}
			var g graph.Graph
			if len(args) == 1 {
				t, err := loadTopology(args)
				if err != nil {
					return err
				}
				st, err := control.New(t, control.Options{})
				if err != nil {
					return err
				}
				g = graph.FromTopology(t, st.AllPeerings())
			} else {
				c, err := dialTopology(opts)
				if err != nil {
					return err
				}
				st, err := c.Status(cmd.Context())
				if err != nil {
					return err
				}
				routes, err := c.Routes(cmd.Context(), "", "")
				if err != nil {
					return err
				}
				g = graphOfStatus(st, routes)
			}
			switch format {
			case "mermaid":
				return g.Mermaid(opts.stdout)
			case "json":
				return printJSON(opts.stdout, g)
			}
			return g.DOT(opts.stdout)
		},
	}
}

// graphOfStatus returns the graph of a running topology as an account
// sees it: its VPCs, and its routes over each peering.
func graphOfStatus(st api.Status, routes []control.Route) graph.Graph {
	g := graph.Graph{Name: st.Name}
	for _, v := range st.VPCs {
		gv := graph.VPC{ID: v.ID, Name: v.Name, CIDR: v.CIDR, Account: v.Account, Region: v.Region}
		for _, s := range v.Subnets {
			gs := graph.Subnet{ID: s.ID, CIDR: s.CIDR}
			for _, h := range st.Hosts {
				if h.VPC == v.ID && h.Subnet == s.ID {
					gs.Hosts = append(gs.Hosts, graph.Host{Name: h.Name, IP: h.IP})
				}
			}
			gv.Subnets = append(gv.Subnets, gs)
		}
		g.VPCs = append(g.VPCs, gv)
	}
	for _, p := range st.Peerings {
		g.Peerings = append(g.Peerings, graph.Peering{ID: p.ID, Name: p.Name, VPC: p.VPC, PeerVPC: p.PeerVPC, Status: p.Status})
	}
	own := func(vpc string) bool {
		return slices.ContainsFunc(st.VPCs, func(v api.VPCStatus) bool { return v.ID == vpc })
	}
	g.SetRoutes(routesOver(st, routes), own)
	return g
}

// routesOver returns the routes over peerings of the route tables that
// the subnets of the account's VPCs use.
func routesOver(st api.Status, routes []control.Route) []graph.RouteOver {
	vpcOf := make(map[string]string) // route table in use -> its VPC
	for _, v := range st.VPCs {
		for _, s := range v.Subnets {
			vpcOf[s.RouteTable] = v.ID
		}
	}
	var out []graph.RouteOver
	for _, r := range routes {
		if vpc, ok := vpcOf[r.RouteTable]; ok && r.NextHopType == topology.NextHopPeering {
			out = append(out, graph.RouteOver{VPC: vpc, Destination: r.Destination, Peering: r.NextHop})
		}
	}
	return out
}
