package control

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestRefusedApplyLeavesNothingChanged fails the data plane on every kind of
// change: each call must fail with Internal, leave the state as it was, and
// hand the data plane the old snapshot again.
func TestRefusedApplyLeavesNothingChanged(t *testing.T) {
	refuse := false
	var applied []Snapshot
	s := routeState(t, Options{Apply: func(sn Snapshot) error {
		applied = append(applied, sn)
		if refuse {
			refuse = false // the re-synchronisation that follows succeeds
			return errors.New("device gone")
		}
		return nil
	}})
	for _, r := range [][3]string{{"rtb-1a", "10.2.0.0/16", "pcx-12"}, {"vpc2-default", "10.1.0.0/16", "pcx-12"}} {
		if _, err := s.AddRoute(me, r[0], r[1], r[2]); err != nil {
			t.Fatal(err)
		}
	}
	mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc2", PeerVPC: "vpc3", PeerAccount: partner, ID: "pcx-23"})
	// Each call fails, then succeeds: the next one starts from there.
	calls := []struct {
		name string
		call func() error
	}{
		{"add route", func() error { _, err := s.AddRoute(me, "rtb-1a", "10.3.0.0/16", "pcx-13"); return err }},
		{"delete route", func() error { _, err := s.DeleteRoute(me, "rtb-1a", "10.2.0.0/16"); return err }},
		{"delete peering and its route", func() error { _, err := s.DeletePeering(me, "pcx-12"); return err }},
		{"accept", func() error { _, err := s.AcceptPeering(partner, "pcx-23"); return err }},
		{"create", func() error {
			_, err := s.CreatePeering(me, CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc2"})
			return err
		}},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			before, peerings, version := s.Snapshot(), s.AllPeerings(), s.Version()
			applied = nil
			refuse = true
			err := c.call()
			if ErrorCode(err) != CodeInternal {
				t.Fatalf("%s with a refusing data plane = %v, want an Internal error", c.name, err)
			}
			if got := s.Snapshot(); !reflect.DeepEqual(got, before) {
				t.Errorf("state after a refused %s:\n got %+v\nwant %+v", c.name, got, before)
			}
			if got := s.AllPeerings(); !reflect.DeepEqual(got, peerings) {
				t.Errorf("peerings after a refused %s:\n got %+v\nwant %+v", c.name, got, peerings)
			}
			if s.Version() != version {
				t.Errorf("version moved from %d to %d on a refused %s", version, s.Version(), c.name)
			}
			if len(applied) != 2 || !reflect.DeepEqual(applied[1], before) {
				t.Errorf("Apply calls = %d, want the change then the old state again", len(applied))
			}
			// The same call succeeds once the data plane takes it.
			if err := c.call(); err != nil {
				t.Errorf("%s after the data plane recovered = %v", c.name, err)
			}
		})
	}
}

func TestOnChangeReportsEveryChange(t *testing.T) {
	clk := newClock()
	var got []string
	s := newState(t, clk, Options{OnChange: func(c Change) {
		line := fmt.Sprintf("%s %s %q", c.Op, c.Account, c.Target)
		switch {
		case c.Err != nil:
			line += " " + string(c.Err.Code)
		case c.Peering != nil:
			line += " " + string(c.Peering.Status)
		case c.Route != nil:
			line += " " + c.Route.NextHop
		}
		if !c.Time.Equal(clk.Now()) {
			line += " at " + c.Time.String()
		}
		got = append(got, line)
	}})
	s.CreatePeering("", CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc2", ID: "pcx-12"})
	s.CreatePeering(me, CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc5"})
	s.CreatePeering(me, CreatePeeringRequest{VPC: "vpc2", PeerVPC: "vpc3", PeerAccount: partner, ID: "pcx-23"})
	s.AddRoute(me, "rtb-1a", "10.2.0.0/16", "pcx-12")
	s.AddRoute("", "nosuch", "10.2.0.0/16", "pcx-12")
	s.DeleteRoute(me, "rtb-1a", "10.2.0.0/16")
	s.AcceptPeering(me, "pcx-23")
	s.Peerings(me, true) // reads are not changes
	clk.Advance(time.Hour)
	s.DeletePeering("42", "pcx-12")
	s.DeletePeering(me, "pcx-12")
	want := []string{
		`peering.create 100000000001 "pcx-12" active`,
		`peering.create 100000000001 "vpc1 -> vpc5" CidrOverlap`,
		`peering.create 100000000001 "pcx-23" pending-acceptance`,
		`route.add 100000000001 "rtb-1a 10.2.0.0/16" pcx-12`,
		`route.add 100000000001 "nosuch 10.2.0.0/16" RouteTableNotFound`,
		`route.delete 100000000001 "rtb-1a 10.2.0.0/16" pcx-12`,
		`peering.accept 100000000001 "pcx-23" NotPermitted`,
		`peering.expire  "pcx-23" expired`, // due before the next call
		`peering.delete 42 "pcx-12" AccountNotFound`,
		`peering.delete 100000000001 "pcx-12" deleted`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("changes reported:\n%q\nwant\n%q", got, want)
	}
}

func TestAsError(t *testing.T) {
	overlap := Errorf(CodeCidrOverlap, "vpc1 overlaps vpc2")
	tests := []struct {
		err  error
		want *Error
	}{
		{nil, nil},
		{overlap, overlap},
		{fmt.Errorf("peering %q: %w", "pcx-1", overlap), &Error{Code: CodeCidrOverlap, Message: `peering "pcx-1": vpc1 overlaps vpc2`}},
		{errors.New("disk full"), &Error{Code: CodeInternal, Message: "disk full"}},
	}
	for _, tt := range tests {
		if got := AsError(tt.err); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("AsError(%v) = %+v, want %+v", tt.err, got, tt.want)
		}
	}
}

// TestHostileNamesAreRefused: a name is printed in the other account's
// tables, so it must be one line of printable text of sane length.
func TestHostileNamesAreRefused(t *testing.T) {
	s := newState(t, nil, Options{})
	for _, name := range []string{"\x1b[2J", "ding\a", "two\nlines", "a\tb", "abc\u202edcba", strings.Repeat("x", 1<<20)} {
		_, err := s.CreatePeering(me, CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc2", Name: name})
		if ErrorCode(err) != CodeInvalidParameter || len(err.Error()) > 500 {
			t.Errorf("CreatePeering(name %.20q) = %.200v, want a short InvalidParameter", name, err)
		}
	}
	if len(s.AllPeerings()) != 0 {
		t.Errorf("peerings were created: %+v", s.AllPeerings())
	}
	if _, err := s.CreatePeering(me, CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc2", Name: "对等连接 1"}); err != nil {
		t.Errorf("CreatePeering(a printable name) = %v", err)
	}
}
