package topology

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that a failure is always a
// non-empty, positioned, sorted ErrorList, and that a success is a fully
// defaulted model.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "examples", "*.yaml"))
	more, _ := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	for _, path := range append(seeds, more...) {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("name: t\nvpcs: [{id: v, cidr: 10.0.0.0/30, subnets: [{id: s, cidr: 10.0.0.0/30}], hosts: [{name: h, subnet: s}]}]\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("name: t\n---\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		top, err := Parse("f.yaml", data)
		if err != nil {
			checkErrorList(t, err)
			return
		}
		checkDefaulted(t, top)
	})
}

func checkErrorList(t *testing.T, err error) {
	t.Helper()
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("Parse error is %T, want ErrorList: %v", err, err)
	}
	if len(list) == 0 {
		t.Fatal("Parse returned an empty ErrorList")
	}
	for i, e := range list {
		if e.Pos.Line < 1 || e.Pos.Col < 1 || e.File != "f.yaml" || e.Msg == "" {
			t.Errorf("error %d = %q at %+v, want a message at a known position", i, e.Error(), e.Pos)
		}
		if !strings.HasPrefix(e.Error(), "f.yaml:") {
			t.Errorf("error %d = %q, want FILE:LINE:COL: prefix", i, e.Error())
		}
		if i > 0 {
			p, q := list[i-1].Pos, e.Pos
			if q.Line < p.Line || (q.Line == p.Line && q.Col < p.Col) {
				t.Errorf("errors %d and %d are out of order: %v, %v", i-1, i, p, q)
			}
		}
	}
}

func checkDefaulted(t *testing.T, top *Topology) {
	t.Helper()
	if top.Name == "" || top.Region == "" || top.MTU < MinMTU || top.PeeringExpiry <= 0 || top.PeeringsPerVPC < 1 || len(top.Accounts) == 0 {
		t.Fatalf("settings not defaulted: %+v", top)
	}
	for _, v := range top.VPCs {
		if v.Account == "" || v.Region == "" || !v.CIDR.Addr().Is4() || v.RouteTable(v.DefaultRouteTable()) == nil {
			t.Errorf("VPC %q not defaulted: %+v", v.ID, v)
		}
		for _, s := range v.Subnets {
			if v.RouteTable(s.RouteTable) == nil || !v.CIDR.Contains(s.CIDR.Addr()) {
				t.Errorf("subnet %q of VPC %q: route table %q, cidr %v", s.ID, v.ID, s.RouteTable, s.CIDR)
			}
		}
		for _, h := range v.Hosts {
			s := v.Subnet(h.Subnet)
			if s == nil || !s.CIDR.Contains(h.IP) || h.IP == s.Gateway() || h.IP == s.CIDR.Addr() || h.IP == lastAddr(s.CIDR) {
				t.Errorf("host %q of VPC %q: ip %v in subnet %+v", h.Name, v.ID, h.IP, s)
			}
		}
		for _, rt := range v.RouteTables {
			for _, r := range rt.Routes {
				if r.NextHopType != NextHopPeering || top.Peering(r.NextHop) == nil || r.Destination != r.Destination.Masked() {
					t.Errorf("route %+v of table %q", r, rt.ID)
				}
			}
		}
	}
	for _, p := range top.Peerings {
		if top.VPC(p.VPC) == nil || top.VPC(p.PeerVPC) == nil || top.Account(p.PeerAccount) == nil {
			t.Errorf("peering not resolved: %+v", p)
		}
	}
}
