package control

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/vpcsim/vpcsim/topology"
)

func route(line int, dest, pcx string) topology.Route {
	return topology.Route{Pos: topology.Pos{Line: line, Col: 11}, Destination: netip.MustParsePrefix(dest), NextHopType: "peering", NextHop: pcx}
}

func peering(line int, id, vpc, peer, peerAcct string, accepted bool) topology.Peering {
	return topology.Peering{Pos: topology.Pos{Line: line, Col: 5}, ID: id, VPC: vpc, PeerVPC: peer, PeerAccount: peerAcct, Accepted: accepted}
}

// setRoutes sets the routes of the table id of the VPC vpc in t.
func setRoutes(t *topology.Topology, vpc, id string, routes ...topology.Route) {
	v := t.VPC(vpc)
	for i := range v.RouteTables {
		if v.RouteTables[i].ID == id {
			v.RouteTables[i].Routes = append(v.RouteTables[i].Routes, routes...)
		}
	}
}

func TestNewReportsEveryViolation(t *testing.T) {
	top := testTopology()
	top.Peerings = []topology.Peering{
		peering(10, "pcx-ok", "vpc1", "vpc2", me, false),
		peering(20, "pcx-overlap", "vpc1", "vpc5", me, false),
		peering(30, "pcx-region", "vpc1", "vpc4", me, false),
		peering(40, "pcx-dup", "vpc2", "vpc1", me, false),
		peering(50, "pcx-cross", "vpc1", "vpc3", partner, false),
		peering(60, "pcx-acc", "vpc2", "vpc3", partner, true),
		peering(70, "pcx-wrong", "vpc1", "vpc6", partner, false),
		peering(80, "pcx-ghost", "vpc9", "vpc2", me, false),
	}
	bad := route(107, "10.2.1.0/24", "pcx-ok")
	bad.NextHopType = "gateway"
	setRoutes(top, "vpc1", "rtb-1a",
		route(100, "10.2.0.0/16", "pcx-ok"),
		route(101, "10.3.0.0/16", "pcx-cross"),
		route(102, "10.1.9.0/24", "pcx-ok"),
		route(103, "10.5.0.0/16", "pcx-overlap"),
		route(105, "10.2.0.0/16", "pcx-ok"),
		bad,
	)
	setRoutes(top, "vpc2", "vpc2-default", route(104, "10.3.0.0/16", "pcx-acc"))
	setRoutes(top, "vpc3", "vpc3-default", route(106, "10.2.0.0/16", "pcx-acc"), route(108, "10.6.0.0/16", "pcx-acc"))

	applied := 0
	s, err := New(top, Options{Now: newClock().Now, Apply: func(Snapshot) error { applied++; return nil }})
	if s != nil || err == nil {
		t.Fatalf("New = %v, %v; want errors", s, err)
	}
	if applied != 0 {
		t.Errorf("New with errors called Apply %d times, want 0", applied)
	}
	var list topology.ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("New error is %T, want topology.ErrorList", err)
	}
	want := []string{
		`test.yaml:20:5: CidrOverlap: peering "pcx-overlap": vpc1 cidr 10.1.0.0/16 overlaps vpc5 cidr 10.0.0.0/8`,
		`test.yaml:30:5: CrossRegionNotSupported: peering "pcx-region": vpc vpc1 is in region "r1" and vpc vpc4 in region "r2": peering is same-region only`,
		`test.yaml:40:5: PeeringAlreadyExists: peering "pcx-dup": peering pcx-ok (active) already joins vpc1 and vpc2`,
		`test.yaml:70:5: VpcNotFound: peering "pcx-wrong": vpc "vpc6" not found in account ` + partner,
		`test.yaml:80:5: VpcNotFound: peering "pcx-ghost": vpc "vpc9" not found in account ` + me,
		`test.yaml:101:11: PeeringNotActive: route table "rtb-1a": peering pcx-cross is pending-acceptance, not active`,
		`test.yaml:102:11: DestinationOverlapsLocal: route table "rtb-1a": destination 10.1.9.0/24 overlaps the local route 10.1.0.0/16 of vpc vpc1`,
		`test.yaml:105:11: RouteAlreadyExists: route table "rtb-1a" already has a route to 10.2.0.0/16 (via pcx-ok)`,
		`test.yaml:107:11: InvalidParameter: route table "rtb-1a": next hop type "gateway": want "peering"`,
	}
	got := strings.Split(err.Error(), "\n")
	if len(got) != len(want) {
		t.Fatalf("New reported %d errors, want %d:\n%s", len(got), len(want), err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("error %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}

func TestNewAppliesTheFile(t *testing.T) {
	top := testTopology()
	top.Peerings = []topology.Peering{
		peering(10, "pcx-ok", "vpc1", "vpc2", me, false),
		peering(50, "pcx-cross", "vpc1", "vpc3", partner, false),
		peering(60, "pcx-acc", "vpc2", "vpc3", partner, true),
		peering(70, "pcx-in", "vpc6", "vpc1", me, true),
	}
	setRoutes(top, "vpc1", "rtb-1a", route(100, "10.2.0.0/16", "pcx-ok"), route(101, "10.6.0.0/16", "pcx-in"))
	setRoutes(top, "vpc2", "vpc2-default", route(104, "10.3.0.0/16", "pcx-acc"))
	setRoutes(top, "vpc3", "vpc3-default", route(106, "10.2.0.0/16", "pcx-acc"))

	var snaps []Snapshot
	s, err := New(top, Options{Now: newClock().Now, Apply: func(sn Snapshot) error { snaps = append(snaps, sn); return nil }})
	if err != nil {
		t.Fatalf("New = %v", err)
	}
	if len(snaps) != 1 {
		t.Fatalf("New called Apply %d times, want 1", len(snaps))
	}
	wantStatus := map[string]Status{"pcx-ok": StatusActive, "pcx-cross": StatusPending, "pcx-acc": StatusActive, "pcx-in": StatusActive}
	for id, st := range wantStatus {
		p, ok := s.Peering(id)
		if !ok || p.Status != st {
			t.Errorf("Peering(%s) = %+v, %v; want status %s", id, p, ok, st)
		}
	}
	if p, _ := s.Peering("pcx-in"); p.Account != other || p.PeerAccount != me {
		t.Errorf("pcx-in accounts = %s -> %s, want %s -> %s", p.Account, p.PeerAccount, other, me)
	}
	sn := snaps[0]
	if len(sn.Peerings) != 3 {
		t.Errorf("snapshot peerings = %+v, want 3 active", sn.Peerings)
	}
	wantRoutes := map[string]int{"rtb-1a": 2, "vpc2-default": 1, "vpc3-default": 1, "vpc1-default": 0}
	for tb, n := range wantRoutes {
		if got := len(sn.Tables[tb]); got != n {
			t.Errorf("snapshot table %s has %d routes, want %d", tb, got, n)
		}
	}
	if top.VPCs[0].RouteTables[1].Routes[0].Pos.Line != 100 {
		t.Errorf("New modified its topology")
	}
}
