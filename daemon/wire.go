package daemon

import (
	"fmt"
	"maps"
	"slices"
	"sort"

	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/router"
	"github.com/vpcsim/vpcsim/topology"
)

// Wire builds the routers of t, each host on devices[host name], and a
// control state of t whose every accepted change reaches the routers
// before it returns (opts.Apply is Wire's own). cfg gives the routers'
// settings; its VPCs are filled in from t. When the control state cannot be
// built, the routers are closed again.
func Wire(t *topology.Topology, devices map[string]router.Device, cfg router.Config, opts control.Options) (*router.Network, *control.State, error) {
	cfg.VPCs = routerVPCs(t, devices)
	n, err := router.New(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("start routers: %w", err)
	}
	opts.Apply = func(s control.Snapshot) error {
		if testHookApply != nil {
			if err := testHookApply(); err != nil {
				return err
			}
		}
		return n.Update(RouterState(s))
	}
	st, err := control.New(t, opts)
	if err != nil {
		n.Close()
		return nil, nil, err
	}
	return n, st, nil
}

// testHookApply, when set by a test, runs before every data-plane update
// of a wired control state; an error it returns is the update's.
var testHookApply func() error

// routerVPCs returns the fixed part of t's routers: VPCs, route tables,
// subnets and hosts on their devices.
func routerVPCs(t *topology.Topology, devices map[string]router.Device) []router.VPC {
	var vpcs []router.VPC
	for _, v := range t.VPCs {
		rv := router.VPC{ID: v.ID, CIDR: v.CIDR}
		for _, rt := range v.RouteTables {
			rv.Tables = append(rv.Tables, rt.ID)
		}
		for _, s := range v.Subnets {
			rv.Subnets = append(rv.Subnets, router.Subnet{ID: s.ID, CIDR: s.CIDR, Table: s.RouteTable})
		}
		for _, h := range v.Hosts {
			rv.Hosts = append(rv.Hosts, router.Host{Name: h.Name, Subnet: h.Subnet, IP: h.IP, Device: devices[h.Name]})
		}
		vpcs = append(vpcs, rv)
	}
	return vpcs
}

// RouterState converts the control plane's view to the data plane's, in
// the form router.Network.Update takes and Network.Config returns:
// peerings sorted by id, every table's routes by destination.
func RouterState(s control.Snapshot) ([]router.Peering, map[string][]router.Route) {
	peerings := make([]router.Peering, 0, len(s.Peerings))
	for id, p := range s.Peerings {
		peerings = append(peerings, router.Peering{ID: id, VPC: p.VPC, PeerVPC: p.PeerVPC})
	}
	sort.Slice(peerings, func(i, j int) bool { return peerings[i].ID < peerings[j].ID })
	tables := make(map[string][]router.Route, len(s.Tables))
	for id, routes := range s.Tables {
		rs := make([]router.Route, len(routes))
		for i, r := range routes {
			rs[i] = router.Route{Destination: r.Destination, Peering: r.Peering}
		}
		sortRoutes(rs)
		tables[id] = rs
	}
	return peerings, tables
}

func sortRoutes(rs []router.Route) {
	sort.Slice(rs, func(i, j int) bool { return rs[i].Destination.String() < rs[j].Destination.String() })
}

// Differences compares the data plane n with the control plane's snapshot
// s, taken at the same instant, and describes every difference: a peering
// or a route one has and the other has not. None means they are in step.
func Differences(s control.Snapshot, n *router.Network) []string {
	wantPeerings, wantTables := RouterState(s)
	gotPeerings, gotTables := n.Config()
	var diffs []string
	want := make(map[router.Peering]bool)
	for _, p := range wantPeerings {
		want[p] = true
	}
	for _, p := range gotPeerings {
		if !want[p] {
			diffs = append(diffs, fmt.Sprintf("the data plane has peering %s (%s-%s), which is not active", p.ID, p.VPC, p.PeerVPC))
		}
		delete(want, p)
	}
	for _, p := range wantPeerings {
		if want[p] {
			diffs = append(diffs, fmt.Sprintf("the data plane lacks active peering %s (%s-%s)", p.ID, p.VPC, p.PeerVPC))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(wantTables)) {
		got := gotTables[id]
		sortRoutes(got)
		if !slices.Equal(got, wantTables[id]) {
			diffs = append(diffs, fmt.Sprintf("route table %s: the data plane routes %v, the control plane %v", id, got, wantTables[id]))
		}
	}
	return diffs
}
