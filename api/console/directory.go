package console

import (
	"slices"

	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/topology"
)

// directory is what the console reads from the topology file rather than
// the API: what never changes while a topology runs, and what a cloud
// console shows of any VPC a peering names, the other accounts' included.
// The state — peerings, routes, counters — comes from the API only.
type directory struct {
	accounts []control.Account
	vpcs     map[string]*vpcRef
	order    []string  // the VPCs' ids, in file order
	regions  []string  // every VPC's, sorted
	hosts    []hostRef // in file order
	tableVPC map[string]string
}

// vpcRef is what a page shows of a VPC.
type vpcRef struct {
	ID, Name, CIDR, Region, Account string
}

// hostRef is a host and where it is.
type hostRef struct {
	Name, IP, VPC, Subnet, Account string
}

func newDirectory(t *topology.Topology) *directory {
	d := &directory{vpcs: make(map[string]*vpcRef), tableVPC: make(map[string]string)}
	for _, a := range t.Accounts {
		d.accounts = append(d.accounts, control.Account{ID: a.ID, Name: a.Name})
	}
	if len(d.accounts) == 0 {
		d.accounts = []control.Account{{ID: topology.DefaultAccount}}
	}
	for _, v := range t.VPCs {
		d.vpcs[v.ID] = &vpcRef{ID: v.ID, Name: v.Name, CIDR: v.CIDR.String(), Region: v.Region, Account: v.Account}
		d.order = append(d.order, v.ID)
		if !slices.Contains(d.regions, v.Region) {
			d.regions = append(d.regions, v.Region)
		}
		d.tableVPC[v.DefaultRouteTable()] = v.ID
		for _, rt := range v.RouteTables {
			d.tableVPC[rt.ID] = v.ID
		}
		for _, h := range v.Hosts {
			d.hosts = append(d.hosts, hostRef{Name: h.Name, IP: h.IP.String(), VPC: v.ID, Subnet: h.Subnet, Account: v.Account})
		}
	}
	slices.Sort(d.regions)
	return d
}

// vpc returns the VPC id, or one with only its id if the topology has none.
func (d *directory) vpc(id string) vpcRef {
	if v := d.vpcs[id]; v != nil {
		return *v
	}
	return vpcRef{ID: id}
}

// account returns the account id of the topology, and whether it has it.
func (d *directory) account(id string) (control.Account, bool) {
	for _, a := range d.accounts {
		if a.ID == id {
			return a, true
		}
	}
	return control.Account{}, false
}

// hostsOf returns the hosts of the VPC vpc.
func (d *directory) hostsOf(vpc string) []hostRef {
	var out []hostRef
	for _, h := range d.hosts {
		if h.VPC == vpc {
			out = append(out, h)
		}
	}
	return out
}

// vpcsOf returns the VPCs of the account acct, in file order.
func (d *directory) vpcsOf(acct string) []vpcRef {
	var out []vpcRef
	for _, id := range d.order {
		if v := d.vpcs[id]; v.Account == acct {
			out = append(out, *v)
		}
	}
	return out
}
