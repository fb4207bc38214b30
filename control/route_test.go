package control

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/vpcsim/vpcsim/store"
	"github.com/vpcsim/vpcsim/topology"
)

// routeState returns a State with active pcx-12 (vpc1-vpc2), active
// pcx-13 (vpc1-vpc3, cross-account, accepted), pending pcx-16 (vpc1-vpc6) and
// active pcx-26 (vpc2-vpc6, accepted by other).
func routeState(t testing.TB, opts Options) *State {
	t.Helper()
	s := newState(t, nil, opts)
	mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc2", ID: "pcx-12"})
	mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc3", PeerAccount: partner, ID: "pcx-13"})
	mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc6", PeerAccount: other, ID: "pcx-16"})
	mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc2", PeerVPC: "vpc6", PeerAccount: other, ID: "pcx-26"})
	for _, a := range []struct{ acct, id string }{{partner, "pcx-13"}, {other, "pcx-26"}} {
		if _, err := s.AcceptPeering(a.acct, a.id); err != nil {
			t.Fatalf("AcceptPeering(%s, %s) = %v", a.acct, a.id, err)
		}
	}
	return s
}

func TestAddRoute(t *testing.T) {
	tests := []struct {
		name          string
		acct, table   string
		dest, peering string
		code          Code
		wantDest      string
	}{
		{name: "ok", table: "rtb-1a", dest: "10.2.1.0/24", peering: "pcx-12", wantDest: "10.2.1.0/24"},
		{name: "not a network address", table: "rtb-1a", dest: "10.2.1.7/24", peering: "pcx-12", code: CodeInvalidParameter},
		{name: "whole peer vpc", table: "vpc2-default", dest: "10.1.0.0/16", peering: "pcx-12", wantDest: "10.1.0.0/16"},
		{name: "outside the peer vpc is accepted", table: "vpc1-default", dest: "10.9.0.0/16", peering: "pcx-12", wantDest: "10.9.0.0/16"},
		{name: "default route", table: "vpc1-default", dest: "0.0.0.0/0", peering: "pcx-12", code: CodeDestinationOverlapsLocal},
		{name: "host route", table: "vpc1-default", dest: "10.3.0.9/32", peering: "pcx-13", wantDest: "10.3.0.9/32"},
		{name: "accepter side of a cross-account peering", acct: partner, table: "vpc3-default", dest: "10.1.1.0/24", peering: "pcx-13", wantDest: "10.1.1.0/24"},
		{name: "bad cidr", table: "rtb-1a", dest: "10.2.1.0/33", peering: "pcx-12", code: CodeInvalidParameter},
		{name: "not a cidr", table: "rtb-1a", dest: "banana", peering: "pcx-12", code: CodeInvalidParameter},
		{name: "ipv6", table: "rtb-1a", dest: "fd00::/64", peering: "pcx-12", code: CodeInvalidParameter},
		{name: "overlaps local", table: "rtb-1a", dest: "10.1.5.0/24", peering: "pcx-12", code: CodeDestinationOverlapsLocal},
		{name: "covers local", table: "rtb-1a", dest: "10.0.0.0/8", peering: "pcx-12", code: CodeDestinationOverlapsLocal},
		{name: "unknown table", table: "rtb-x", dest: "10.2.0.0/16", peering: "pcx-12", code: CodeRouteTableNotFound},
		{name: "another account's table", acct: partner, table: "vpc2-default", dest: "10.3.0.0/16", peering: "pcx-12", code: CodeRouteTableNotFound},
		{name: "unknown account", acct: "7", table: "rtb-1a", dest: "10.2.0.0/16", peering: "pcx-12", code: CodeAccountNotFound},
		{name: "unknown peering", table: "rtb-1a", dest: "10.2.0.0/16", peering: "pcx-x", code: CodePeeringNotFound},
		{name: "no peering", table: "rtb-1a", dest: "10.2.0.0/16", code: CodeInvalidParameter},
		{name: "peering of other vpcs", table: "rtb-1a", dest: "10.6.0.0/16", peering: "pcx-26", code: CodeInvalidParameter},
		{name: "invisible peering", acct: partner, table: "vpc3-default", dest: "10.6.0.0/16", peering: "pcx-26", code: CodePeeringNotFound},
		{name: "pending peering", table: "rtb-1a", dest: "10.6.0.0/16", peering: "pcx-16", code: CodePeeringNotActive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := routeState(t, Options{})
			r, err := s.AddRoute(tt.acct, tt.table, tt.dest, tt.peering)
			checkCode(t, "AddRoute", err, tt.code)
			if err != nil {
				return
			}
			want := Route{RouteTable: tt.table, Destination: tt.wantDest, NextHopType: "peering", NextHop: tt.peering}
			if r != want {
				t.Errorf("AddRoute(%q, %q, %q, %q) = %+v, want %+v", tt.acct, tt.table, tt.dest, tt.peering, r, want)
			}
			_, err = s.AddRoute(tt.acct, tt.table, tt.wantDest, tt.peering)
			checkCode(t, "AddRoute(again)", err, CodeRouteAlreadyExists)
			routes, _ := s.Routes(tt.acct, tt.table, "")
			if len(routes) != 2 || routes[1] != want {
				t.Errorf("Routes(%q) = %+v, want local and %+v", tt.table, routes, want)
			}
		})
	}
}

func TestAddRouteMessages(t *testing.T) {
	s := routeState(t, Options{})
	_, err := s.AddRoute("", "rtb-1a", "10.1.5.0/24", "pcx-12")
	if want := `DestinationOverlapsLocal: route table "rtb-1a": destination 10.1.5.0/24 overlaps the local route 10.1.0.0/16 of vpc vpc1`; err == nil || err.Error() != want {
		t.Errorf("AddRoute(overlapping) = %v, want %s", err, want)
	}
	_, err = s.AddRoute("", "rtb-1a", "10.6.0.0/16", "pcx-16")
	if want := `PeeringNotActive: route table "rtb-1a": peering pcx-16 is pending-acceptance, not active`; err == nil || err.Error() != want {
		t.Errorf("AddRoute(pending) = %v, want %s", err, want)
	}
	_, err = s.AddRoute("", "rtb-1a", "10.2.0.0/16/8", "pcx-12")
	if want := `InvalidParameter: invalid destination "10.2.0.0/16/8": want an IPv4 CIDR such as 10.0.1.0/24`; err == nil || err.Error() != want {
		t.Errorf("AddRoute(bad cidr) = %v, want %s", err, want)
	}
}

func TestDeleteRoute(t *testing.T) {
	tests := []struct {
		name        string
		acct, table string
		dest        string
		code        Code
	}{
		{name: "ok", table: "rtb-1a", dest: "10.2.1.0/24"},
		{name: "not a network address", table: "rtb-1a", dest: "10.2.1.99/24", code: CodeInvalidParameter},
		{name: "other length", table: "rtb-1a", dest: "10.2.1.0/25", code: CodeRouteNotFound},
		{name: "other table", table: "vpc1-default", dest: "10.2.1.0/24", code: CodeRouteNotFound},
		{name: "local", table: "rtb-1a", dest: "10.1.0.0/16", code: CodeInvalidParameter},
		{name: "bad cidr", table: "rtb-1a", dest: "10.2.1.0", code: CodeInvalidParameter},
		{name: "unknown table", table: "rtb-9", dest: "10.2.1.0/24", code: CodeRouteTableNotFound},
		{name: "another account's table", acct: partner, table: "rtb-1a", dest: "10.2.1.0/24", code: CodeRouteTableNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := routeState(t, Options{})
			if _, err := s.AddRoute(me, "rtb-1a", "10.2.1.0/24", "pcx-12"); err != nil {
				t.Fatal(err)
			}
			r, err := s.DeleteRoute(tt.acct, tt.table, tt.dest)
			checkCode(t, "DeleteRoute", err, tt.code)
			routes, _ := s.Routes(me, "rtb-1a", "")
			if err != nil {
				if len(routes) != 2 {
					t.Errorf("after a failed DeleteRoute, Routes(rtb-1a) = %+v, want the route kept", routes)
				}
				return
			}
			want := Route{RouteTable: "rtb-1a", Destination: "10.2.1.0/24", NextHopType: "peering", NextHop: "pcx-12"}
			if r != want {
				t.Errorf("DeleteRoute = %+v, want %+v", r, want)
			}
			if len(routes) != 1 {
				t.Errorf("after DeleteRoute, Routes(rtb-1a) = %+v, want only local", routes)
			}
			_, err = s.DeleteRoute(tt.acct, tt.table, tt.dest)
			checkCode(t, "DeleteRoute(again)", err, CodeRouteNotFound)
		})
	}
}

func TestRoutesListing(t *testing.T) {
	s := routeState(t, Options{})
	for _, r := range []struct{ acct, table, dest, pcx string }{
		{me, "rtb-1a", "10.3.0.0/16", "pcx-13"},
		{me, "rtb-1a", "10.2.0.0/16", "pcx-12"},
		{me, "rtb-1a", "10.2.0.0/24", "pcx-12"},
		{me, "vpc2-default", "10.1.1.0/24", "pcx-12"},
		{partner, "vpc3-default", "10.1.1.0/24", "pcx-13"},
	} {
		if _, err := s.AddRoute(r.acct, r.table, r.dest, r.pcx); err != nil {
			t.Fatal(err)
		}
	}
	local := func(table, cidr string) Route {
		return Route{RouteTable: table, Destination: cidr, NextHopType: "local", NextHop: "local"}
	}
	peer := func(table, dest, pcx string) Route {
		return Route{RouteTable: table, Destination: dest, NextHopType: "peering", NextHop: pcx}
	}
	tests := []struct {
		name             string
		acct, table, vpc string
		want             []Route
		code             Code
	}{
		{name: "one table", table: "rtb-1a", want: []Route{
			local("rtb-1a", "10.1.0.0/16"),
			peer("rtb-1a", "10.2.0.0/16", "pcx-12"),
			peer("rtb-1a", "10.2.0.0/24", "pcx-12"),
			peer("rtb-1a", "10.3.0.0/16", "pcx-13"),
		}},
		{name: "one vpc", vpc: "vpc2", want: []Route{local("vpc2-default", "10.2.0.0/16"), peer("vpc2-default", "10.1.1.0/24", "pcx-12")}},
		{name: "table and its vpc", table: "vpc1-default", vpc: "vpc1", want: []Route{local("vpc1-default", "10.1.0.0/16")}},
		{name: "table and another vpc", table: "vpc1-default", vpc: "vpc2", want: []Route{}},
		{name: "all of an account", acct: partner, want: []Route{local("vpc3-default", "10.3.0.0/16"), peer("vpc3-default", "10.1.1.0/24", "pcx-13")}},
		{name: "another account's vpc", acct: partner, vpc: "vpc1", code: CodeVpcNotFound},
		{name: "another account's table", acct: partner, table: "rtb-1a", code: CodeRouteTableNotFound},
		{name: "unknown vpc", vpc: "vpc9", code: CodeVpcNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Routes(tt.acct, tt.table, tt.vpc)
			checkCode(t, "Routes", err, tt.code)
			if err == nil && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Routes(%q, %q, %q) =\n%+v\nwant\n%+v", tt.acct, tt.table, tt.vpc, got, tt.want)
			}
		})
	}
	all, err := s.Routes(me, "", "")
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for _, r := range all {
		if r.NextHopType == "local" {
			tables = append(tables, r.RouteTable)
		}
	}
	if want := []string{"vpc1-default", "rtb-1a", "vpc2-default", "vpc4-default", "vpc5-default"}; !reflect.DeepEqual(tables, want) {
		t.Errorf("Routes(me) lists tables %v, want %v", tables, want)
	}
}

func TestDeletePeeringRemovesRoutes(t *testing.T) {
	var snaps []Snapshot
	s := routeState(t, Options{Apply: func(sn Snapshot) error { snaps = append(snaps, sn); return nil }})
	for _, r := range []struct{ acct, table, dest, pcx string }{
		{me, "rtb-1a", "10.3.0.0/16", "pcx-13"},
		{me, "vpc1-default", "10.3.1.0/24", "pcx-13"},
		{me, "rtb-1a", "10.2.0.0/16", "pcx-12"},
		{partner, "vpc3-default", "10.1.1.0/24", "pcx-13"},
	} {
		if _, err := s.AddRoute(r.acct, r.table, r.dest, r.pcx); err != nil {
			t.Fatal(err)
		}
	}
	n := len(snaps)
	if _, err := s.DeletePeering(partner, "pcx-13"); err != nil {
		t.Fatalf("DeletePeering = %v", err)
	}
	if len(snaps) != n+1 {
		t.Fatalf("DeletePeering applied %d snapshots, want 1", len(snaps)-n)
	}
	sn := snaps[n]
	if _, ok := sn.Peerings["pcx-13"]; ok {
		t.Errorf("snapshot applied by DeletePeering still has pcx-13")
	}
	// The tables the deletion changed, and only those, are handed over.
	want := map[string][]TableRoute{
		"vpc1-default": {},
		"rtb-1a":       {{Destination: netip.MustParsePrefix("10.2.0.0/16"), Peering: "pcx-12"}},
		"vpc3-default": {},
	}
	if !reflect.DeepEqual(sn.Tables, want) {
		t.Errorf("snapshot tables after DeletePeering = %+v, want %+v", sn.Tables, want)
	}
	full := s.Snapshot()
	if !reflect.DeepEqual(full.Peerings, sn.Peerings) {
		t.Errorf("Snapshot() peerings = %+v, want the applied %+v", full.Peerings, sn.Peerings)
	}
	for id, routes := range sn.Tables {
		if !reflect.DeepEqual(full.Tables[id], routes) {
			t.Errorf("Snapshot() table %s = %+v, want the applied %+v", id, full.Tables[id], routes)
		}
	}
	d, err := s.ShowPeering(me, "pcx-13")
	if err != nil || len(d.Routes) != 0 || d.Status != StatusDeleted {
		t.Errorf("ShowPeering(deleted) = %+v, %v; want deleted with no routes", d, err)
	}
}

func TestApply(t *testing.T) {
	var snaps []Snapshot
	s := newState(t, nil, Options{Apply: func(sn Snapshot) error { snaps = append(snaps, sn); return nil }})
	if len(snaps) != 1 {
		t.Fatalf("New applied %d snapshots, want 1", len(snaps))
	}
	if len(snaps[0].Peerings) != 0 || len(snaps[0].Tables) != 7 {
		t.Errorf("first snapshot = %+v, want no peerings and 7 empty tables", snaps[0])
	}
	steps := []struct {
		name    string
		do      func() error
		applied bool
		links   []string // active peerings in the snapshot
	}{
		{"create same account", func() error {
			_, err := s.CreatePeering(me, CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc2", ID: "pcx-a"})
			return err
		}, true, []string{"pcx-a"}},
		{"create cross account", func() error {
			_, err := s.CreatePeering(me, CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc3", PeerAccount: partner, ID: "pcx-b"})
			return err
		}, false, nil},
		{"accept", func() error { _, err := s.AcceptPeering(partner, "pcx-b"); return err }, true, []string{"pcx-a", "pcx-b"}},
		{"add route", func() error { _, err := s.AddRoute(me, "rtb-1a", "10.3.0.0/16", "pcx-b"); return err }, true, []string{"pcx-a", "pcx-b"}},
		{"failed add route", func() error { _, err := s.AddRoute(me, "rtb-1a", "10.3.0.0/16", "pcx-b"); return err }, false, nil},
		{"create cross account 2", func() error {
			_, err := s.CreatePeering(me, CreatePeeringRequest{VPC: "vpc2", PeerVPC: "vpc3", PeerAccount: partner, ID: "pcx-c"})
			return err
		}, false, nil},
		{"reject", func() error { _, err := s.RejectPeering(partner, "pcx-c"); return err }, false, nil},
		{"delete route", func() error { _, err := s.DeleteRoute(me, "rtb-1a", "10.3.0.0/16"); return err }, true, []string{"pcx-a", "pcx-b"}},
		{"delete", func() error { _, err := s.DeletePeering(me, "pcx-a"); return err }, true, []string{"pcx-b"}},
	}
	for _, st := range steps {
		n := len(snaps)
		err := st.do()
		if st.name == "failed add route" {
			if err == nil {
				t.Fatalf("%s: no error", st.name)
			}
		} else if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := len(snaps) - n; got != map[bool]int{true: 1, false: 0}[st.applied] {
			t.Fatalf("%s: Apply called %d times", st.name, got)
		}
		if !st.applied {
			continue
		}
		var links []string
		for id := range snaps[len(snaps)-1].Peerings {
			links = append(links, id)
		}
		if len(links) != len(st.links) {
			t.Errorf("%s: snapshot peerings %v, want %v", st.name, links, st.links)
		}
		for _, id := range st.links {
			if _, ok := snaps[len(snaps)-1].Peerings[id]; !ok {
				t.Errorf("%s: snapshot lacks %s", st.name, id)
			}
		}
	}
	if l := snaps[len(snaps)-1].Peerings["pcx-b"]; l != (PeeringLink{VPC: "vpc1", PeerVPC: "vpc3"}) {
		t.Errorf("snapshot link pcx-b = %+v", l)
	}
}

func TestShowPeering(t *testing.T) {
	s := routeState(t, Options{})
	for _, r := range []struct{ acct, table, dest, pcx string }{
		{me, "rtb-1a", "10.3.0.0/16", "pcx-13"},
		{me, "vpc1-default", "10.3.1.0/24", "pcx-13"},
		{me, "rtb-1a", "10.2.0.0/16", "pcx-12"},
		{partner, "vpc3-default", "10.1.1.0/24", "pcx-13"},
	} {
		if _, err := s.AddRoute(r.acct, r.table, r.dest, r.pcx); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		acct, id string
		want     []RelatedRoute
		code     Code
	}{
		{acct: me, id: "pcx-13", want: []RelatedRoute{
			{RouteTable: "vpc1-default", VPC: "vpc1", Destination: "10.3.1.0/24", Subnets: []string{"s1b"}},
			{RouteTable: "rtb-1a", VPC: "vpc1", Destination: "10.3.0.0/16", Subnets: []string{"s1a"}},
		}},
		{acct: partner, id: "pcx-13", want: []RelatedRoute{
			{RouteTable: "vpc3-default", VPC: "vpc3", Destination: "10.1.1.0/24", Subnets: []string{}},
		}},
		{acct: me, id: "pcx-16", want: []RelatedRoute{}},
		{acct: partner, id: "pcx-12", code: CodePeeringNotFound},
		{acct: me, id: "pcx-zz", code: CodePeeringNotFound},
	}
	for _, tt := range tests {
		d, err := s.ShowPeering(tt.acct, tt.id)
		checkCode(t, "ShowPeering("+tt.acct+", "+tt.id+")", err, tt.code)
		if err != nil {
			continue
		}
		if d.ID != tt.id {
			t.Errorf("ShowPeering(%q, %q).ID = %q", tt.acct, tt.id, d.ID)
		}
		if !reflect.DeepEqual(d.Routes, tt.want) {
			t.Errorf("ShowPeering(%q, %q).Routes = %+v, want %+v", tt.acct, tt.id, d.Routes, tt.want)
		}
	}
}

func TestReadAccessors(t *testing.T) {
	s := routeState(t, Options{})
	if _, err := s.AddRoute(me, "rtb-1a", "10.2.0.0/16", "pcx-12"); err != nil {
		t.Fatal(err)
	}
	vpcs := s.VPCs()
	if len(vpcs) != 6 || vpcs[0].ID != "vpc1" {
		t.Fatalf("VPCs() = %d VPCs, first %q; want 6, vpc1 first", len(vpcs), vpcs[0].ID)
	}
	want := []topology.RouteTable{
		{ID: "vpc1-default"},
		{ID: "rtb-1a", Routes: []topology.Route{{Destination: netip.MustParsePrefix("10.2.0.0/16"), NextHopType: "peering", NextHop: "pcx-12"}}},
	}
	if !reflect.DeepEqual(vpcs[0].RouteTables, want) {
		t.Errorf("VPCs()[0].RouteTables = %+v, want %+v", vpcs[0].RouteTables, want)
	}
	vpcs[0].Subnets[0].ID = "changed"
	if again := s.VPCs(); again[0].Subnets[0].ID != "s1a" {
		t.Errorf("VPCs() returned shared memory: subnet renamed to %q", again[0].Subnets[0].ID)
	}
	tb, ok := s.Table("rtb-1a")
	if !ok || tb.VPC != "vpc1" || len(tb.Routes) != 2 || !reflect.DeepEqual(tb.Subnets, []string{"s1a"}) {
		t.Errorf("Table(rtb-1a) = %+v, %v", tb, ok)
	}
	if _, ok := s.Table("nope"); ok {
		t.Errorf("Table(nope) found")
	}
	if _, ok := s.Peering("nope"); ok {
		t.Errorf("Peering(nope) found")
	}
	if got := s.AllPeerings(); len(got) != 4 {
		t.Errorf("AllPeerings() = %d peerings, want 4", len(got))
	}
	if !strings.HasPrefix(vpcs[0].RouteTables[0].ID, "vpc1") {
		t.Errorf("default table not first: %+v", vpcs[0].RouteTables)
	}
}

func TestRouteWarnings(t *testing.T) {
	s := routeState(t, Options{})
	for _, tt := range []struct {
		dest string
		warn bool
	}{
		{"10.2.0.0/16", false}, // the whole peer VPC
		{"10.2.1.0/24", false}, // a part of it
		{"10.9.0.0/16", true},  // beyond it
		{"10.2.0.0/15", true},  // holding it and more
	} {
		r, err := s.AddRoute(me, "vpc1-default", tt.dest, "pcx-12")
		if err != nil {
			t.Fatal(err)
		}
		ws := s.RouteWarnings(me, r)
		if (len(ws) > 0) != tt.warn || (tt.warn && !strings.Contains(ws[0], "not_transitive")) {
			t.Errorf("RouteWarnings(%s) = %q, want a warning: %v", tt.dest, ws, tt.warn)
		}
		s.DeleteRoute(me, "vpc1-default", tt.dest)
	}
}

func TestFiltersAndNames(t *testing.T) {
	s := routeState(t, Options{Store: store.NewMemory()})
	mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc2", PeerVPC: "vpc3", PeerAccount: partner, Name: "PeerConn", ID: "pcx-23"})
	if _, err := s.AddRoute(me, "rtb-1a", "10.2.0.0/16", "pcx-12"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddRoute(me, "vpc1-default", "10.3.0.0/16", "pcx-13"); err != nil {
		t.Fatal(err)
	}
	ids := func(ps []Peering) (out []string) {
		for _, p := range ps {
			out = append(out, p.ID)
		}
		return out
	}
	for _, tt := range []struct {
		f    PeeringFilter
		want []string
		code Code
	}{
		{PeeringFilter{}, []string{"pcx-12", "pcx-13", "pcx-16", "pcx-26", "pcx-23"}, ""},
		{PeeringFilter{VPC: "vpc2"}, []string{"pcx-12", "pcx-26", "pcx-23"}, ""},
		{PeeringFilter{VPC: "vpc6"}, []string{"pcx-16", "pcx-26"}, ""}, // another account's, at the other end
		{PeeringFilter{Status: StatusPending}, []string{"pcx-16", "pcx-23"}, ""},
		{PeeringFilter{Region: "r2"}, nil, ""},
		{PeeringFilter{VPC: "vpc4"}, nil, ""},
		{PeeringFilter{VPC: "vpc9"}, nil, CodeVpcNotFound},
		{PeeringFilter{Status: "gone"}, nil, CodeInvalidParameter},
	} {
		got, err := s.ListPeerings(me, tt.f)
		if ErrorCode(err) != tt.code || !reflect.DeepEqual(ids(got), tt.want) {
			t.Errorf("ListPeerings(%+v) = %v, %v; want %v, %q", tt.f, ids(got), err, tt.want, tt.code)
		}
	}
	// By name, where unambiguous; the journal and the routes hold the id.
	if p, err := s.ShowPeering(partner, "PeerConn"); err != nil || p.ID != "pcx-23" {
		t.Errorf("ShowPeering(PeerConn) = %+v, %v", p.ID, err)
	}
	if rs, err := s.ListRoutes(me, RouteFilter{Peering: "pcx-13"}); err != nil || len(rs) != 1 || rs[0].RouteTable != "vpc1-default" {
		t.Errorf("ListRoutes(peering pcx-13) = %+v, %v", rs, err)
	}
	if p, err := s.AcceptPeering(partner, "PeerConn"); err != nil || p.ID != "pcx-23" {
		t.Fatalf("AcceptPeering(PeerConn) = %+v, %v", p, err)
	}
	if r, err := s.AddRoute(me, "vpc2-default", "10.3.0.0/16", "PeerConn"); err != nil || r.NextHop != "pcx-23" {
		t.Fatalf("AddRoute(over PeerConn) = %+v, %v; want the route to hold the id", r, err)
	}
	if d, err := s.ShowPeering(me, "PeerConn"); err != nil || len(d.Routes) != 1 {
		t.Errorf("ShowPeering(PeerConn).Routes = %+v, %v; want the route over pcx-23", d.Routes, err)
	}
	if _, err := s.DeletePeering(me, "PeerConn"); err != nil {
		t.Fatal(err)
	}
	if rs, _ := s.ListRoutes(me, RouteFilter{Table: "vpc2-default"}); len(rs) != 1 {
		t.Errorf("after deleting PeerConn by name, vpc2-default = %+v; want only the local route", rs)
	}
	evs, _ := s.Events(me, 0, 1000)
	for _, e := range evs[len(evs)-3:] {
		if e.Op != OpAddRoute && e.Target != "pcx-23" {
			t.Errorf("event %+v names the peering otherwise than by its id", e)
		}
	}
	mustCreate(t, s, partner, CreatePeeringRequest{VPC: "vpc3", PeerVPC: "vpc6", PeerAccount: other, Name: "PeerConn"})
	mustCreate(t, s, partner, CreatePeeringRequest{VPC: "vpc3", PeerVPC: "vpc2", PeerAccount: me, Name: "PeerConn"})
	if _, err := s.ShowPeering(partner, "PeerConn"); ErrorCode(err) != CodeInvalidParameter || !strings.Contains(err.Error(), "ambiguous") {
		t.Errorf("ShowPeering(a name two peerings have) = %v, want ambiguous", err)
	}
	// Accounts by name.
	if a, err := s.Account("partner"); err != nil || a.ID != partner {
		t.Errorf("Account(partner) = %+v, %v", a, err)
	}
}
