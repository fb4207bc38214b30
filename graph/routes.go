package graph

import (
	"fmt"
	"strings"

	"github.com/vpcsim/vpcsim/topology"
)

// RouteOver is a route over a peering, for SetRoutes: its destination, and
// the VPC whose route table, used by one of its subnets, holds it.
type RouteOver struct {
	VPC         string
	Destination string
	Peering     string
}

// SetRoutes records, for every peering, the destinations each side routes
// over it: routes are the routes over peerings of the VPCs for which known
// reports true; the sides of the others stay unknown (nil). A peering is
// one-sided when one side routes over it and the other, known, does not:
// the product documentation's most common failure, since traffic needs
// routes at both ends.
func (g *Graph) SetRoutes(routes []RouteOver, known func(vpc string) bool) {
	for i := range g.Peerings {
		p := &g.Peerings[i]
		p.VPCRoutes, p.PeerRoutes = nil, nil
		if known(p.VPC) {
			p.VPCRoutes = []string{}
		}
		if known(p.PeerVPC) {
			p.PeerRoutes = []string{}
		}
		for _, r := range routes {
			switch {
			case r.Peering != p.ID:
			case r.VPC == p.VPC && p.VPCRoutes != nil:
				p.VPCRoutes = append(p.VPCRoutes, r.Destination)
			case r.VPC == p.PeerVPC && p.PeerRoutes != nil:
				p.PeerRoutes = append(p.PeerRoutes, r.Destination)
			}
		}
		p.OneSided = p.VPCRoutes != nil && p.PeerRoutes != nil && (len(p.VPCRoutes) == 0) != (len(p.PeerRoutes) == 0)
	}
}

// routesOf returns the routes over peerings of the route tables that the
// subnets of t use. A table no subnet uses carries nothing.
func routesOf(t *topology.Topology) []RouteOver {
	var out []RouteOver
	for _, v := range t.VPCs {
		used := make(map[string]bool)
		for _, s := range v.Subnets {
			used[s.RouteTable] = true
		}
		for _, rt := range v.RouteTables {
			if !used[rt.ID] {
				continue
			}
			for _, r := range rt.Routes {
				if r.NextHopType == topology.NextHopPeering {
					out = append(out, RouteOver{VPC: v.ID, Destination: r.Destination.String(), Peering: r.NextHop})
				}
			}
		}
	}
	return out
}

// maxRoutesShown is how many destinations of a side a label lists.
const maxRoutesShown = 2

// routeLines are the lines of an active peering's label that say what
// each side routes over it, and warn of a one-sided peering; none when
// neither side is known.
func routeLines(p Peering) []string {
	if p.VPCRoutes == nil && p.PeerRoutes == nil {
		return nil
	}
	side := func(vpc string, routes []string) string {
		switch {
		case routes == nil:
			return vpc + ": routes not visible"
		case len(routes) == 0:
			return vpc + ": no route"
		case len(routes) > maxRoutesShown:
			return fmt.Sprintf("%s: %s +%d more", vpc, strings.Join(routes[:maxRoutesShown], ", "), len(routes)-maxRoutesShown)
		}
		return vpc + ": " + strings.Join(routes, ", ")
	}
	lines := []string{side(p.VPC, p.VPCRoutes), side(p.PeerVPC, p.PeerRoutes)}
	if p.OneSided {
		lacking := p.PeerVPC
		if len(p.VPCRoutes) == 0 {
			lacking = p.VPC
		}
		lines = append(lines, "⚠ one-sided: "+lacking+" has no route over it")
	}
	return lines
}
