package control

import (
	"reflect"
	"strings"
	"testing"

	"github.com/vpcsim/vpcsim/store"
)

func TestReplaceRoute(t *testing.T) {
	tests := []struct {
		name                   string
		acct, table            string
		dest, newDest, peering string
		code                   Code
		want                   Route // the route made
	}{
		{name: "next hop", table: "rtb-1a", dest: "10.2.1.0/24", peering: "pcx-13",
			want: Route{RouteTable: "rtb-1a", Destination: "10.2.1.0/24", NextHopType: "peering", NextHop: "pcx-13"}},
		{name: "same route", table: "rtb-1a", dest: "10.2.1.0/24", newDest: "10.2.1.0/24", peering: "pcx-12",
			want: Route{RouteTable: "rtb-1a", Destination: "10.2.1.0/24", NextHopType: "peering", NextHop: "pcx-12"}},
		{name: "destination", table: "rtb-1a", dest: "10.2.1.0/24", newDest: " 10.2.0.0/16", peering: "pcx-12",
			want: Route{RouteTable: "rtb-1a", Destination: "10.2.0.0/16", NextHopType: "peering", NextHop: "pcx-12"}},
		{name: "both", table: "rtb-1a", dest: "10.2.1.0/24", newDest: "10.3.1.0/24", peering: "pcx-13",
			want: Route{RouteTable: "rtb-1a", Destination: "10.3.1.0/24", NextHopType: "peering", NextHop: "pcx-13"}},
		{name: "new destination taken", table: "rtb-1a", dest: "10.2.1.0/24", newDest: "10.3.0.0/16", peering: "pcx-12", code: CodeRouteAlreadyExists},
		{name: "new destination not a network address", table: "rtb-1a", dest: "10.2.1.0/24", newDest: "10.2.2.1/24", peering: "pcx-12", code: CodeInvalidParameter},
		{name: "new destination overlaps local", table: "rtb-1a", dest: "10.2.1.0/24", newDest: "10.1.5.0/24", peering: "pcx-12", code: CodeDestinationOverlapsLocal},
		{name: "no such route", table: "rtb-1a", dest: "10.2.9.0/24", peering: "pcx-12", code: CodeRouteNotFound},
		{name: "local", table: "rtb-1a", dest: "10.1.0.0/16", newDest: "10.2.0.0/16", peering: "pcx-12", code: CodeInvalidParameter},
		{name: "bad destination", table: "rtb-1a", dest: "banana", peering: "pcx-12", code: CodeInvalidParameter},
		{name: "no peering", table: "rtb-1a", dest: "10.2.1.0/24", code: CodeInvalidParameter},
		{name: "unknown peering", table: "rtb-1a", dest: "10.2.1.0/24", peering: "pcx-x", code: CodePeeringNotFound},
		{name: "pending peering", table: "rtb-1a", dest: "10.2.1.0/24", peering: "pcx-16", code: CodePeeringNotActive},
		{name: "peering of other vpcs", table: "rtb-1a", dest: "10.2.1.0/24", peering: "pcx-26", code: CodeInvalidParameter},
		{name: "another account's table", acct: partner, table: "rtb-1a", dest: "10.2.1.0/24", peering: "pcx-13", code: CodeRouteTableNotFound},
		{name: "unknown table", table: "rtb-9", dest: "10.2.1.0/24", peering: "pcx-12", code: CodeRouteTableNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var applied int
			s := routeState(t, Options{Apply: func(Snapshot) error { applied++; return nil }})
			for _, d := range []struct{ dest, pcx string }{{"10.2.1.0/24", "pcx-12"}, {"10.3.0.0/16", "pcx-13"}} {
				if _, err := s.AddRoute(me, "rtb-1a", d.dest, d.pcx); err != nil {
					t.Fatal(err)
				}
			}
			before, _ := s.Routes(me, "rtb-1a", "")
			applied = 0
			r, err := s.ReplaceRoute(tt.acct, tt.table, tt.dest, tt.newDest, tt.peering)
			checkCode(t, "ReplaceRoute", err, tt.code)
			after, _ := s.Routes(me, "rtb-1a", "")
			if err != nil {
				if !reflect.DeepEqual(after, before) || applied != 0 {
					t.Errorf("after a refused replace, routes %+v and %d applies; want %+v and none", after, applied, before)
				}
				return
			}
			if r != tt.want {
				t.Errorf("ReplaceRoute = %+v, want %+v", r, tt.want)
			}
			if applied != 1 {
				t.Errorf("the data plane was handed %d states, want 1: a replace is one change", applied)
			}
			// The old route gone (unless it is the new one), the other kept.
			want := map[string]string{"10.3.0.0/16": "pcx-13", tt.want.Destination: tt.want.NextHop}
			got := map[string]string{}
			for _, rt := range after[1:] {
				got[rt.Destination] = rt.NextHop
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("routes after the replace: %v, want %v", got, want)
			}
		})
	}
}

// commitCounter counts the commits made to a store.
type commitCounter struct {
	store.Store
	commits int
}

func (c *commitCounter) Commit(ops ...store.Op) (int64, error) {
	c.commits++
	return c.Store.Commit(ops...)
}

// TestReplaceRouteIsOneSavedChange: a replace is saved in one commit with
// its one event, and a State resumed from the store has the new route and
// not the old.
func TestReplaceRouteIsOneSavedChange(t *testing.T) {
	ok := okFunc(t)
	st := &commitCounter{Store: store.NewMemory()}
	clk := newClock()
	s, err := New(testTopology(), Options{Now: clk.Now, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	p := mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc2"})
	ok(s.AddRoute(me, "rtb-1a", "10.2.1.0/24", p.ID))
	st.commits = 0
	ok(s.ReplaceRoute(me, "rtb-1a", "10.2.1.0/24", "10.2.0.0/16", p.ID))
	if st.commits != 1 {
		t.Errorf("the replace took %d commits, want 1", st.commits)
	}
	evs, err := s.Events(me, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	last := evs[len(evs)-1]
	if got, want := strings.Join([]string{string(last.Op), last.Target, last.Result, last.Detail}, " "),
		"route.replace rtb-1a 10.2.1.0/24 replaced 10.2.0.0/16 -> "+p.ID; got != want {
		t.Errorf("last event %q, want %q", got, want)
	}
	if evs[len(evs)-2].Op != OpAddRoute {
		t.Errorf("event before the replace: %+v, want the add", evs[len(evs)-2])
	}

	res, err := New(testTopology(), Options{Now: clk.Now, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := res.Routes(me, "rtb-1a", "")
	if len(got) != 2 || got[1].Destination != "10.2.0.0/16" || got[1].NextHop != p.ID {
		t.Errorf("resumed routes of rtb-1a: %+v, want local and 10.2.0.0/16 via %s", got, p.ID)
	}
}

// TestUnsavedReplaceIsUndone: a replace the store cannot save leaves the
// old route, in the state and in the data plane.
func TestUnsavedReplaceIsUndone(t *testing.T) {
	fs := &failingStore{Store: store.NewMemory()}
	var snaps []Snapshot
	s, err := New(testTopology(), Options{Now: newClock().Now, Store: fs, Apply: func(sn Snapshot) error { snaps = append(snaps, sn); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	p := mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc2"})
	if _, err := s.AddRoute(me, "rtb-1a", "10.2.1.0/24", p.ID); err != nil {
		t.Fatal(err)
	}
	before := s.Snapshot()
	fs.fail = true
	snaps = nil
	if _, err := s.ReplaceRoute(me, "rtb-1a", "10.2.1.0/24", "10.2.0.0/16", p.ID); ErrorCode(err) != CodeInternal {
		t.Fatalf("ReplaceRoute with a failing store = %v, want Internal", err)
	}
	if got := s.Snapshot(); !reflect.DeepEqual(got, before) {
		t.Errorf("snapshot after an unsaved replace: %+v, want %+v", got, before)
	}
	if len(snaps) != 2 || !reflect.DeepEqual(snaps[1].Tables["rtb-1a"], before.Tables["rtb-1a"]) {
		t.Errorf("data plane handed %d states, the last %+v; want the change and then the old route again", len(snaps), snaps)
	}
}
