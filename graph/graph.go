// Package graph draws a topology: VPCs with their subnets and hosts, and the
// peerings between them, as Graphviz DOT or Mermaid flowchart text.
//
// A Graph is built from a topology file (FromTopology, with the peering
// statuses the file launches with) or assembled by the caller from a running
// topology's status. Peerings are edges from the requester VPC to the
// accepter VPC labelled with id, name and status: active ones solid, pending
// ones dashed, rejected and expired ones grey and dotted; deleted peerings
// are left out.
//
// Every identifier is quoted, so any id or name renders: DOT strings are
// double-quoted with escapes; Mermaid node ids are generated (v0, v0s1,
// v0s1h2, ...) and every label is quoted with entity escapes.
package graph

import (
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/topology"
)

// Graph is what a drawing shows.
type Graph struct {
	Name     string    `json:"name"`
	VPCs     []VPC     `json:"vpcs"`
	Peerings []Peering `json:"peerings"`
}

// VPC is a VPC and its subnets.
type VPC struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	CIDR    string   `json:"cidr"`
	Account string   `json:"account"`
	Region  string   `json:"region"`
	Subnets []Subnet `json:"subnets"`
}

// Subnet is a subnet and its hosts.
type Subnet struct {
	ID    string `json:"id"`
	CIDR  string `json:"cidr"`
	Hosts []Host `json:"hosts"`
}

// Host is a host and its address.
type Host struct {
	Name string `json:"name"`
	IP   string `json:"ip"`
}

// Peering is a peering connection from VPC (requester) to PeerVPC
// (accepter).
type Peering struct {
	ID      string         `json:"id"`
	Name    string         `json:"name"`
	VPC     string         `json:"vpc"`
	PeerVPC string         `json:"peer_vpc"`
	Status  control.Status `json:"status"`
	// VPCRoutes and PeerRoutes are the destinations that VPC and PeerVPC
	// send over the peering from the route tables their subnets use;
	// nil (null) when that side's routes are not known, such as another
	// account's VPC drawn from a running topology. See SetRoutes.
	VPCRoutes  []string `json:"vpc_routes"`
	PeerRoutes []string `json:"peer_vpc_routes"`
	// OneSided reports whether one side routes over the peering and the
	// other does not: no traffic can flow both ways.
	OneSided bool `json:"one_sided"`
}

// FromTopology returns the graph of t with the peerings given, typically
// control.State.AllPeerings of a dry run of t; nil peerings draws the file's
// peerings as if all were active.
func FromTopology(t *topology.Topology, peerings []control.Peering) Graph {
	g := Graph{Name: t.Name}
	for _, v := range t.VPCs {
		gv := VPC{ID: v.ID, Name: v.Name, CIDR: v.CIDR.String(), Account: v.Account, Region: v.Region}
		for _, s := range v.Subnets {
			gs := Subnet{ID: s.ID, CIDR: s.CIDR.String()}
			for _, h := range v.Hosts {
				if h.Subnet == s.ID {
					gs.Hosts = append(gs.Hosts, Host{Name: h.Name, IP: h.IP.String()})
				}
			}
			gv.Subnets = append(gv.Subnets, gs)
		}
		g.VPCs = append(g.VPCs, gv)
	}
	if peerings == nil {
		for _, p := range t.Peerings {
			g.Peerings = append(g.Peerings, Peering{ID: p.ID, Name: p.Name, VPC: p.VPC, PeerVPC: p.PeerVPC, Status: control.StatusActive})
		}
	} else {
		for _, p := range peerings {
			g.Peerings = append(g.Peerings, Peering{ID: p.ID, Name: p.Name, VPC: p.VPC, PeerVPC: p.PeerVPC, Status: p.Status})
		}
	}
	g.SetRoutes(routesOf(t), func(string) bool { return true })
	return g
}

// edgeStyle is how a peering of a status is drawn.
type edgeStyle int

const (
	edgeHidden edgeStyle = iota // deleted: not drawn
	edgeSolid                   // active
	edgeDashed                  // pending acceptance
	edgeGrey                    // rejected, expired
)

func styleOf(s control.Status) edgeStyle {
	switch s {
	case control.StatusActive:
		return edgeSolid
	case control.StatusPending:
		return edgeDashed
	case control.StatusDeleted:
		return edgeHidden
	}
	return edgeGrey
}

// vpcLabel is the lines of a VPC's label.
func vpcLabel(v VPC) []string {
	title := v.ID
	if v.Name != "" {
		title += " (" + v.Name + ")"
	}
	return []string{title, v.CIDR, "account " + v.Account + ", " + v.Region}
}

// peeringLabel is the lines of a peering's label: an active one's tell
// what each side routes over it.
func peeringLabel(p Peering) []string {
	title := p.ID
	if p.Name != "" {
		title += " (" + p.Name + ")"
	}
	lines := []string{title, string(p.Status)}
	if p.Status == control.StatusActive {
		lines = append(lines, routeLines(p)...)
	}
	return lines
}
