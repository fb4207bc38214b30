package topology

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseDefaults(t *testing.T) {
	src := `name: small
vpcs:
  - id: v1
    cidr: 10.0.0.0/16
    subnets:
      - id: s1
        cidr: 10.0.1.0/24
    hosts:
      - name: h1
        subnet: s1
  - id: v2
    cidr: 10.1.0.0/16
peerings:
  - id: p1
    vpc: v1
    peer_vpc: v2
`
	got := mustParse(t, src)
	want := &Topology{
		File:           testFile,
		Name:           "small",
		Region:         DefaultRegion,
		MTU:            DefaultMTU,
		PeeringExpiry:  DefaultPeeringExpiry,
		PeeringsPerVPC: DefaultPeeringsPerVPC,
		Accounts:       []Account{{ID: DefaultAccount}},
		VPCs: []VPC{
			{
				Pos:         Pos{3, 5},
				ID:          "v1",
				Account:     DefaultAccount,
				Region:      DefaultRegion,
				CIDR:        netip.MustParsePrefix("10.0.0.0/16"),
				Subnets:     []Subnet{{Pos: Pos{6, 9}, ID: "s1", CIDR: netip.MustParsePrefix("10.0.1.0/24"), RouteTable: "v1-default"}},
				RouteTables: []RouteTable{{Pos: Pos{3, 5}, ID: "v1-default"}},
				Hosts:       []Host{{Pos: Pos{9, 9}, Name: "h1", Subnet: "s1", IP: netip.MustParseAddr("10.0.1.2")}},
			},
			{
				Pos:         Pos{11, 5},
				ID:          "v2",
				Account:     DefaultAccount,
				Region:      DefaultRegion,
				CIDR:        netip.MustParsePrefix("10.1.0.0/16"),
				RouteTables: []RouteTable{{Pos: Pos{11, 5}, ID: "v2-default"}},
			},
		},
		Peerings: []Peering{{Pos: Pos{14, 5}, ID: "p1", VPC: "v1", PeerVPC: "v2", PeerAccount: DefaultAccount}},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("Parse mismatch (-want +got):\n%s", diff)
	}
}

func TestParseFull(t *testing.T) {
	src := `name: full
region: wuhan
mtu: 9000
peering_expiry: 2s
peerings_per_vpc: 3
accounts:
  - id: "100000000001"
    name: me
  - id: 200000000002
    name: partner
vpcs:
  - id: vpc1
    name: VPC1
    region: beijing
    cidr: 192.168.0.0/16
    subnets:
      - {id: subnet-a, cidr: 192.168.1.0/24, route_table: rtb-a}
      - {id: subnet-b, cidr: 192.168.2.0/24}
    route_tables:
      - id: rtb-a
        routes:
          - {destination: 10.0.1.7/24, next_hop_type: peering, next_hop: pcx-1}
      - id: vpc1-default
    hosts:
      - {name: a1, subnet: subnet-a, ip: 192.168.1.10}
  - id: vpc2
    account: 200000000002
    cidr: 10.0.0.0/16
peerings:
  - id: pcx-1
    name: PeerConn
    vpc: vpc1
    peer_vpc: vpc2
    accepted: true
`
	top := mustParse(t, src)
	if top.Region != "wuhan" || top.MTU != 9000 || top.PeeringExpiry != 2*time.Second || top.PeeringsPerVPC != 3 {
		t.Errorf("settings = %q %d %v %d, want wuhan 9000 2s 3", top.Region, top.MTU, top.PeeringExpiry, top.PeeringsPerVPC)
	}
	if got := top.Accounts[1]; got.ID != "200000000002" || got.Name != "partner" || got.Pos != (Pos{9, 5}) {
		t.Errorf("Accounts[1] = %+v, want id 200000000002 (from an integer), name partner at 9:5", got)
	}
	v1, v2 := top.VPC("vpc1"), top.VPC("vpc2")
	if v1 == nil || v2 == nil {
		t.Fatalf("VPC(vpc1), VPC(vpc2) = %v, %v", v1, v2)
	}
	if v1.Region != "beijing" || v2.Region != "wuhan" {
		t.Errorf("regions = %q, %q, want beijing (given), wuhan (topology)", v1.Region, v2.Region)
	}
	if v2.Account != "200000000002" {
		t.Errorf("vpc2 account = %q, want 200000000002", v2.Account)
	}
	if got := len(v1.RouteTables); got != 2 {
		t.Errorf("vpc1 has %d route tables, want 2 (the listed default is not added twice)", got)
	}
	if s := v1.Subnet("subnet-a"); s == nil || s.RouteTable != "rtb-a" {
		t.Errorf("subnet-a = %+v, want route table rtb-a", s)
	}
	if s := v1.Subnet("subnet-b"); s == nil || s.RouteTable != "vpc1-default" {
		t.Errorf("subnet-b = %+v, want route table vpc1-default", s)
	}
	rt := v1.RouteTable("rtb-a")
	if rt == nil || len(rt.Routes) != 1 {
		t.Fatalf("RouteTable(rtb-a) = %+v, want one route", rt)
	}
	wantRoute := Route{Pos: Pos{22, 14}, Destination: netip.MustParsePrefix("10.0.1.0/24"), NextHopType: NextHopPeering, NextHop: "pcx-1"}
	if rt.Routes[0] != wantRoute {
		t.Errorf("route = %+v, want %+v (destination canonicalised)", rt.Routes[0], wantRoute)
	}
	p := top.Peering("pcx-1")
	if p == nil || p.PeerAccount != "200000000002" || !p.Accepted || p.Name != "PeerConn" {
		t.Errorf("Peering(pcx-1) = %+v, want peer account 200000000002 (owner of vpc2), accepted", p)
	}
	if vpc, h := top.Host("a1"); vpc != v1 || h == nil || h.IP != netip.MustParseAddr("192.168.1.10") {
		t.Errorf("Host(a1) = %v, %+v, want vpc1, 192.168.1.10", vpc, h)
	}
	if got := top.Namespace("a1"); got != "full-a1" {
		t.Errorf("Namespace(a1) = %q, want full-a1", got)
	}
}

func TestParseAutoIP(t *testing.T) {
	src := `name: auto
vpcs:
  - id: v
    cidr: 10.0.0.0/16
    subnets:
      - {id: s, cidr: 10.0.1.0/28}
      - {id: u, cidr: 10.0.2.0/28}
    hosts:
      - {name: a, subnet: s}
      - {name: b, subnet: s, ip: 10.0.1.3}
      - {name: c, subnet: s}
      - {name: d, subnet: u}
      - {name: e, subnet: s, ip: 10.0.1.2}
      - {name: f, subnet: s}
      - {name: g, subnet: s, ip: 10.0.1.9}
`
	for i := range 7 {
		src += fmt.Sprintf("      - {name: f%d, subnet: s}\n", i)
	}
	top := mustParse(t, src)
	want := map[string]string{
		"a":  "10.0.1.4", // .2 and .3 are given to e and b
		"b":  "10.0.1.3",
		"c":  "10.0.1.5",
		"d":  "10.0.2.2",
		"e":  "10.0.1.2",
		"f":  "10.0.1.6",
		"g":  "10.0.1.9",
		"f0": "10.0.1.7",
		"f1": "10.0.1.8",
		"f2": "10.0.1.10", // .9 is given to g
		"f6": "10.0.1.14", // .15 is the broadcast address
	}
	for name, ip := range want {
		_, h := top.Host(name)
		if h == nil || h.IP != netip.MustParseAddr(ip) {
			t.Errorf("Host(%s) = %+v, want ip %s", name, h, ip)
		}
	}
}

func TestParseAccountIDForms(t *testing.T) {
	tests := []struct {
		name, id, want string
	}{
		{"quoted", `"0012"`, "0012"},
		{"plain integer keeps leading zeros", `0012`, "0012"},
		{"plain integer", `42`, "42"},
		{"tagged string", `!!str 42`, "42"},
		{"anchored", `&acct "77"`, "77"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			top := mustParse(t, "name: t\naccounts:\n  - id: "+tt.id+"\n")
			if got := top.Accounts[0].ID; got != tt.want {
				t.Errorf("account id %s parsed as %q, want %q", tt.id, got, tt.want)
			}
		})
	}
}

func TestParseAnchors(t *testing.T) {
	src := `name: anchors
vpcs:
  - id: v
    cidr: 10.0.0.0/16
    subnets:
      - &s {id: s, cidr: 10.0.1.0/24}
    route_tables:
      - id: v-default
        routes: &routes
          - {destination: 10.1.0.0/16, next_hop_type: peering, next_hop: p}
  - id: w
    cidr: 10.1.0.0/16
    route_tables:
      - id: w-default
        routes: *routes
peerings:
  - {id: p, vpc: v, peer_vpc: w}
`
	top := mustParse(t, src)
	rt := top.VPC("w").RouteTable("w-default")
	if rt == nil || len(rt.Routes) != 1 || rt.Routes[0].NextHop != "p" {
		t.Errorf("w-default = %+v, want the aliased route via p", rt)
	}
}
