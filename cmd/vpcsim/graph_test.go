package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
)

// TestGraphOfStatusRoutes: a running topology's graph tells which side of
// each peering routes over it, from the tables its subnets use, and
// leaves the side of another account's VPC unknown.
func TestGraphOfStatusRoutes(t *testing.T) {
	st := api.Status{Name: "t",
		VPCs: []api.VPCStatus{
			{ID: "vpc1", Subnets: []api.SubnetStatus{{ID: "s1", RouteTable: "rtb-a"}}},
			{ID: "vpc2", Subnets: []api.SubnetStatus{{ID: "s2", RouteTable: "vpc2-default"}}},
		},
		Peerings: []control.Peering{
			{ID: "pcx-12", VPC: "vpc1", PeerVPC: "vpc2", Status: control.StatusActive},
			{ID: "pcx-13", VPC: "vpc1", PeerVPC: "vpc3", Status: control.StatusActive},
		},
	}
	routes := []control.Route{
		{RouteTable: "rtb-a", Destination: "10.2.0.0/16", NextHopType: "peering", NextHop: "pcx-12"},
		{RouteTable: "rtb-a", Destination: "10.1.0.0/16", NextHopType: "local", NextHop: "local"},
		{RouteTable: "vpc1-default", Destination: "10.3.0.0/16", NextHopType: "peering", NextHop: "pcx-13"}, // no subnet uses it
		{RouteTable: "vpc2-default", Destination: "10.2.0.0/16", NextHopType: "local", NextHop: "local"},
	}
	g := graphOfStatus(st, routes)
	p12, p13 := g.Peerings[0], g.Peerings[1]
	if !cmp.Equal(p12.VPCRoutes, []string{"10.2.0.0/16"}) || p12.PeerRoutes == nil || len(p12.PeerRoutes) != 0 || !p12.OneSided {
		t.Errorf("pcx-12: %+v, want vpc1 routing 10.2.0.0/16, vpc2 nothing: one-sided", p12)
	}
	if p13.VPCRoutes == nil || len(p13.VPCRoutes) != 0 || p13.PeerRoutes != nil || p13.OneSided {
		t.Errorf("pcx-13: %+v, want vpc1 routing nothing from a used table, vpc3 unknown", p13)
	}
}
