package control

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vpcsim/vpcsim/topology"
)

// Accounts of the test topology.
const (
	me      = "100000000001"
	partner = "200000000002"
	other   = "300000000003"
)

var regexpPCX = regexp.MustCompile(`^pcx-[0-9a-f]{8}$`)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testVPC returns a defaulted VPC with one subnet per /24 in subnets, all
// associated with the default table, plus the extra tables.
func testVPC(id, acct, region, cidr string, extraTables ...string) topology.VPC {
	p := netip.MustParsePrefix(cidr)
	v := topology.VPC{ID: id, Account: acct, Region: region, CIDR: p}
	v.RouteTables = []topology.RouteTable{{ID: v.DefaultRouteTable()}}
	for _, rt := range extraTables {
		v.RouteTables = append(v.RouteTables, topology.RouteTable{ID: rt})
	}
	return v
}

// testTopology is the topology most tests start from:
//
//	vpc1 me      r1 10.1.0.0/16  subnets s1a (table rtb-1a), s1b (default)
//	vpc2 me      r1 10.2.0.0/16
//	vpc3 partner r1 10.3.0.0/16
//	vpc4 me      r2 10.4.0.0/16
//	vpc5 me      r1 10.0.0.0/8
//	vpc6 other   r1 10.6.0.0/16
func testTopology() *topology.Topology {
	vpc1 := testVPC("vpc1", me, "r1", "10.1.0.0/16", "rtb-1a")
	vpc1.Subnets = []topology.Subnet{
		{ID: "s1a", CIDR: netip.MustParsePrefix("10.1.1.0/24"), RouteTable: "rtb-1a"},
		{ID: "s1b", CIDR: netip.MustParsePrefix("10.1.2.0/24"), RouteTable: "vpc1-default"},
	}
	vpc1.Hosts = []topology.Host{{Name: "a1", Subnet: "s1a", IP: netip.MustParseAddr("10.1.1.10")}}
	vpc2 := testVPC("vpc2", me, "r1", "10.2.0.0/16")
	vpc2.Subnets = []topology.Subnet{{ID: "s2", CIDR: netip.MustParsePrefix("10.2.1.0/24"), RouteTable: "vpc2-default"}}
	return &topology.Topology{
		File:           "test.yaml",
		Name:           "test",
		Region:         "r1",
		MTU:            topology.DefaultMTU,
		PeeringExpiry:  time.Hour,
		PeeringsPerVPC: 3,
		Accounts:       []topology.Account{{ID: me, Name: "me"}, {ID: partner, Name: "partner"}, {ID: other, Name: "other"}},
		VPCs: []topology.VPC{
			vpc1, vpc2,
			testVPC("vpc3", partner, "r1", "10.3.0.0/16"),
			testVPC("vpc4", me, "r2", "10.4.0.0/16"),
			testVPC("vpc5", me, "r1", "10.0.0.0/8"),
			testVPC("vpc6", other, "r1", "10.6.0.0/16"),
		},
	}
}

// newState returns a State of testTopology on clk (nil: a new clock).
func newState(t testing.TB, clk *clock, opts Options) *State {
	t.Helper()
	if clk == nil {
		clk = newClock()
	}
	opts.Now = clk.Now
	s, err := New(testTopology(), opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// checkCode fails unless err is a control error with the code want ("" for nil).
func checkCode(t testing.TB, call string, err error, want Code) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("%s = %v, want no error", call, err)
		}
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%s = %v, want a %s error", call, err, want)
	}
	if e.Code != want {
		t.Fatalf("%s = %v, want code %s", call, err, want)
	}
	if !strings.HasPrefix(err.Error(), string(want)+": ") || e.Message == "" {
		t.Fatalf("%s error %q does not read %q", call, err, string(want)+": message")
	}
}

// mustCreate creates a peering or fails the test.
func mustCreate(t testing.TB, s *State, acct string, req CreatePeeringRequest) Peering {
	t.Helper()
	p, err := s.CreatePeering(acct, req)
	if err != nil {
		t.Fatalf("CreatePeering(%q, %+v) = %v", acct, req, err)
	}
	return p
}

func TestCreatePeering(t *testing.T) {
	tests := []struct {
		name     string
		acct     string
		req      CreatePeeringRequest
		code     Code
		contains string // in the message
		status   Status
	}{
		{name: "same account", req: CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc2", Name: "PeerConn"}, status: StatusActive},
		{name: "same account explicit", acct: me, req: CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc2", PeerAccount: me, ID: "pcx-1"}, status: StatusActive},
		{name: "cross account", req: CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc3", PeerAccount: partner}, status: StatusPending},
		{name: "cross account from the other side", acct: partner, req: CreatePeeringRequest{VPC: "vpc3", PeerVPC: "vpc1", PeerAccount: me}, status: StatusPending},
		{name: "unknown account", acct: "999", req: CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc2"}, code: CodeAccountNotFound, contains: `"999"`},
		{name: "vpc of another account", acct: partner, req: CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc3"}, code: CodeVpcNotFound, contains: `"vpc1"`},
		{name: "unknown vpc", req: CreatePeeringRequest{VPC: "vpc9", PeerVPC: "vpc2"}, code: CodeVpcNotFound, contains: `"vpc9"`},
		{name: "unknown peer vpc", req: CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc9"}, code: CodeVpcNotFound, contains: `"vpc9"`},
		{name: "peer vpc not owned by peer account", req: CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc6", PeerAccount: partner}, code: CodeVpcNotFound, contains: `"vpc6" not found in account ` + partner},
		{name: "peer vpc of another account without peer account", req: CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc3"}, code: CodeVpcNotFound, contains: `"vpc3"`},
		{name: "unknown peer account", req: CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc3", PeerAccount: "42"}, code: CodeAccountNotFound, contains: `"42"`},
		{name: "missing vpc", req: CreatePeeringRequest{PeerVPC: "vpc2"}, code: CodeInvalidParameter},
		{name: "itself", req: CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc1"}, code: CodeInvalidParameter, contains: "itself"},
		{name: "cross region", req: CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc4"}, code: CodeCrossRegionNotSupported, contains: `"r2"`},
		{name: "cidr overlap", req: CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc5"}, code: CodeCidrOverlap, contains: "vpc1 cidr 10.1.0.0/16 overlaps vpc5 cidr 10.0.0.0/8"},
		{name: "bad id", req: CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc2", ID: "pcx 1"}, code: CodeInvalidParameter, contains: `"pcx 1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newState(t, nil, Options{})
			p, err := s.CreatePeering(tt.acct, tt.req)
			checkCode(t, "CreatePeering", err, tt.code)
			if tt.code != "" {
				if !strings.Contains(err.Error(), tt.contains) {
					t.Errorf("CreatePeering error %q does not contain %q", err, tt.contains)
				}
				if ps := s.AllPeerings(); len(ps) != 0 {
					t.Errorf("after a failed CreatePeering, AllPeerings = %+v, want none", ps)
				}
				return
			}
			if p.Status != tt.status {
				t.Errorf("CreatePeering status = %s, want %s", p.Status, tt.status)
			}
			if tt.req.ID != "" && p.ID != tt.req.ID {
				t.Errorf("CreatePeering id = %q, want %q", p.ID, tt.req.ID)
			}
			if tt.req.ID == "" && !regexpPCX.MatchString(p.ID) {
				t.Errorf("CreatePeering generated id %q, want pcx-xxxxxxxx", p.ID)
			}
			if p.VPC != tt.req.VPC || p.PeerVPC != tt.req.PeerVPC || p.Region != "r1" || p.Name != tt.req.Name {
				t.Errorf("CreatePeering = %+v, does not match request %+v", p, tt.req)
			}
			if !p.CreatedAt.Equal(t0) {
				t.Errorf("CreatedAt = %v, want %v", p.CreatedAt, t0)
			}
			switch tt.status {
			case StatusActive:
				if p.ExpiresAt != nil {
					t.Errorf("active peering ExpiresAt = %v, want nil", p.ExpiresAt)
				}
			case StatusPending:
				if p.ExpiresAt == nil || !p.ExpiresAt.Equal(t0.Add(time.Hour)) {
					t.Errorf("pending peering ExpiresAt = %v, want %v", p.ExpiresAt, t0.Add(time.Hour))
				}
			}
			got, ok := s.Peering(p.ID)
			if !ok || !reflect.DeepEqual(got, p) {
				t.Errorf("Peering(%q) = %+v, %v; want %+v", p.ID, got, ok, p)
			}
		})
	}
}

func TestCreatePeeringDuplicateID(t *testing.T) {
	s := newState(t, nil, Options{})
	mustCreate(t, s, "", CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc2", ID: "pcx-1"})
	_, err := s.CreatePeering("", CreatePeeringRequest{VPC: "vpc2", PeerVPC: "vpc6", PeerAccount: other, ID: "pcx-1"})
	checkCode(t, "CreatePeering(dup id)", err, CodeInvalidParameter)
}

func TestGeneratedIDsAreUnique(t *testing.T) {
	s := newState(t, nil, Options{})
	seen := map[string]bool{}
	for i := range 20 {
		p := mustCreate(t, s, "", CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc2"})
		if seen[p.ID] {
			t.Fatalf("CreatePeering #%d: id %q generated twice", i, p.ID)
		}
		seen[p.ID] = true
		if _, err := s.DeletePeering("", p.ID); err != nil {
			t.Fatalf("DeletePeering(%q) = %v", p.ID, err)
		}
	}
}

func TestPeeringAlreadyExists(t *testing.T) {
	s := newState(t, nil, Options{})
	p := mustCreate(t, s, "", CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc3", PeerAccount: partner})
	_, err := s.CreatePeering("", CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc3", PeerAccount: partner})
	checkCode(t, "CreatePeering(same pair, pending)", err, CodePeeringAlreadyExists)
	_, err = s.CreatePeering(partner, CreatePeeringRequest{VPC: "vpc3", PeerVPC: "vpc1", PeerAccount: me})
	checkCode(t, "CreatePeering(reversed pair, pending)", err, CodePeeringAlreadyExists)
	if !strings.Contains(err.Error(), p.ID) {
		t.Errorf("PeeringAlreadyExists error %q does not name %s", err, p.ID)
	}

	// Rejected: the pair is free again.
	if _, err := s.RejectPeering(partner, p.ID); err != nil {
		t.Fatalf("RejectPeering = %v", err)
	}
	q := mustCreate(t, s, partner, CreatePeeringRequest{VPC: "vpc3", PeerVPC: "vpc1", PeerAccount: me})
	if _, err := s.AcceptPeering(me, q.ID); err != nil {
		t.Fatalf("AcceptPeering = %v", err)
	}
	_, err = s.CreatePeering("", CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc3", PeerAccount: partner})
	checkCode(t, "CreatePeering(same pair, active)", err, CodePeeringAlreadyExists)

	// Deleted: free again.
	if _, err := s.DeletePeering(me, q.ID); err != nil {
		t.Fatalf("DeletePeering = %v", err)
	}
	mustCreate(t, s, "", CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc3", PeerAccount: partner})
}

// limitTopology has vpc0 and five more VPCs of one account, a limit of 2.
func limitTopology() *topology.Topology {
	t := &topology.Topology{File: "limit.yaml", Name: "limit", PeeringExpiry: time.Hour, PeeringsPerVPC: 2,
		Accounts: []topology.Account{{ID: me}, {ID: partner}}}
	for i, cidr := range []string{"10.0.0.0/16", "10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16", "10.4.0.0/16", "10.5.0.0/16"} {
		acct := me
		if i == 5 {
			acct = partner
		}
		t.VPCs = append(t.VPCs, testVPC("vpc"+string(rune('0'+i)), acct, "r1", cidr))
	}
	return t
}

func TestPeeringLimit(t *testing.T) {
	s, err := New(limitTopology(), Options{Now: newClock().Now})
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc0", PeerVPC: "vpc1"})
	pending := mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc0", PeerVPC: "vpc5", PeerAccount: partner})

	// vpc0 is full, counting the pending request; as requester or accepter.
	_, err = s.CreatePeering(me, CreatePeeringRequest{VPC: "vpc0", PeerVPC: "vpc2"})
	checkCode(t, "CreatePeering(vpc0 full)", err, CodePeeringLimitExceeded)
	if !strings.Contains(err.Error(), "vpc0") || strings.Contains(err.Error(), "vpc2") {
		t.Errorf("limit error %q should name vpc0 only", err)
	}
	_, err = s.CreatePeering(me, CreatePeeringRequest{VPC: "vpc2", PeerVPC: "vpc0"})
	checkCode(t, "CreatePeering(peer vpc0 full)", err, CodePeeringLimitExceeded)
	if !strings.Contains(err.Error(), "vpc vpc0 ") {
		t.Errorf("limit error %q should name vpc0", err)
	}

	// Other VPCs are not affected.
	mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc2"})

	// Withdrawing the pending request frees a slot.
	if _, err := s.DeletePeering(me, pending.ID); err != nil {
		t.Fatalf("DeletePeering(pending) = %v", err)
	}
	mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc0", PeerVPC: "vpc2"})
	if _, err := s.CreatePeering(me, CreatePeeringRequest{VPC: "vpc0", PeerVPC: "vpc3"}); ErrorCode(err) != CodePeeringLimitExceeded {
		t.Errorf("CreatePeering(vpc0 full again) = %v, want PeeringLimitExceeded", err)
	}
}

func TestPeeringLimitCheckedAtAccept(t *testing.T) {
	s, err := New(limitTopology(), Options{Now: newClock().Now})
	if err != nil {
		t.Fatal(err)
	}
	p := mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc0", PeerVPC: "vpc5", PeerAccount: partner})
	mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc0", PeerVPC: "vpc1"})
	// Counting is over pending and active, so accept fits; force the
	// situation a lower limit would create to see the re-check work.
	s.mu.Lock()
	s.limit = 1
	s.mu.Unlock()
	_, err = s.AcceptPeering(partner, p.ID)
	checkCode(t, "AcceptPeering(over limit)", err, CodePeeringLimitExceeded)
	if got, _ := s.Peering(p.ID); got.Status != StatusPending {
		t.Errorf("after a failed accept, status = %s, want %s", got.Status, StatusPending)
	}
}

func TestLifecycle(t *testing.T) {
	type step struct {
		op     string // accept, reject, delete
		acct   string
		code   Code
		status Status // after the step
	}
	tests := []struct {
		name  string
		cross bool
		steps []step
	}{
		{name: "accept then delete by accepter", cross: true, steps: []step{
			{op: "accept", acct: me, code: CodeNotPermitted, status: StatusPending},
			{op: "accept", acct: other, code: CodePeeringNotFound, status: StatusPending},
			{op: "reject", acct: me, code: CodeNotPermitted, status: StatusPending},
			{op: "accept", acct: partner, status: StatusActive},
			{op: "accept", acct: partner, code: CodeInvalidState, status: StatusActive},
			{op: "reject", acct: partner, code: CodeInvalidState, status: StatusActive},
			{op: "delete", acct: other, code: CodePeeringNotFound, status: StatusActive},
			{op: "delete", acct: partner, status: StatusDeleted},
			{op: "delete", acct: me, code: CodeInvalidState, status: StatusDeleted},
			{op: "accept", acct: partner, code: CodeInvalidState, status: StatusDeleted},
		}},
		{name: "accept then delete by requester", cross: true, steps: []step{
			{op: "accept", acct: partner, status: StatusActive},
			{op: "delete", acct: me, status: StatusDeleted},
		}},
		{name: "reject", cross: true, steps: []step{
			{op: "reject", acct: partner, status: StatusRejected},
			{op: "accept", acct: partner, code: CodeInvalidState, status: StatusRejected},
			{op: "delete", acct: me, code: CodeInvalidState, status: StatusRejected},
			{op: "reject", acct: partner, code: CodeInvalidState, status: StatusRejected},
		}},
		{name: "withdraw", cross: true, steps: []step{
			{op: "delete", acct: partner, code: CodeNotPermitted, status: StatusPending},
			{op: "delete", acct: me, status: StatusDeleted},
			{op: "accept", acct: partner, code: CodeInvalidState, status: StatusDeleted},
		}},
		{name: "same account", steps: []step{
			{op: "accept", acct: me, code: CodeInvalidState, status: StatusActive},
			{op: "reject", acct: me, code: CodeInvalidState, status: StatusActive},
			{op: "delete", acct: partner, code: CodePeeringNotFound, status: StatusActive},
			{op: "delete", acct: "", status: StatusDeleted},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newState(t, nil, Options{})
			req := CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc2"}
			if tt.cross {
				req = CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc3", PeerAccount: partner}
			}
			p := mustCreate(t, s, me, req)
			for i, st := range tt.steps {
				var got Peering
				var err error
				switch st.op {
				case "accept":
					got, err = s.AcceptPeering(st.acct, p.ID)
				case "reject":
					got, err = s.RejectPeering(st.acct, p.ID)
				case "delete":
					got, err = s.DeletePeering(st.acct, p.ID)
				}
				checkCode(t, fmt.Sprintf("step %d: %s by %q", i, st.op, st.acct), err, st.code)
				if err == nil && got.Status != st.status {
					t.Errorf("step %d: %s returned status %s, want %s", i, st.op, got.Status, st.status)
				}
				now, _ := s.Peering(p.ID)
				if now.Status != st.status {
					t.Fatalf("step %d: after %s by %q, status = %s, want %s", i, st.op, st.acct, now.Status, st.status)
				}
				if (now.Status == StatusPending) != (now.ExpiresAt != nil) {
					t.Errorf("step %d: status %s with ExpiresAt %v", i, now.Status, now.ExpiresAt)
				}
			}
		})
	}
}

func TestPeeringsListing(t *testing.T) {
	s := newState(t, nil, Options{})
	active := mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc2", ID: "pcx-active"})
	pending := mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc3", PeerAccount: partner, ID: "pcx-pending"})
	rejected := mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc2", PeerVPC: "vpc3", PeerAccount: partner, ID: "pcx-rejected"})
	deleted := mustCreate(t, s, other, CreatePeeringRequest{VPC: "vpc6", PeerVPC: "vpc3", PeerAccount: partner, ID: "pcx-deleted"})
	mustCreate(t, s, other, CreatePeeringRequest{VPC: "vpc6", PeerVPC: "vpc2", PeerAccount: me, ID: "pcx-other"})
	if _, err := s.RejectPeering(partner, rejected.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeletePeering(other, deleted.ID); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		acct string
		all  bool
		want []string
	}{
		{acct: me, want: []string{active.ID, pending.ID, "pcx-other"}},
		{acct: "", all: true, want: []string{active.ID, pending.ID, rejected.ID, "pcx-other"}},
		{acct: partner, want: []string{pending.ID}},
		{acct: partner, all: true, want: []string{pending.ID, rejected.ID, deleted.ID}},
		{acct: other, want: []string{"pcx-other"}},
		{acct: other, all: true, want: []string{deleted.ID, "pcx-other"}},
	}
	for _, tt := range tests {
		ps, err := s.Peerings(tt.acct, tt.all)
		if err != nil {
			t.Fatalf("Peerings(%q, %v) = %v", tt.acct, tt.all, err)
		}
		var got []string
		for _, p := range ps {
			got = append(got, p.ID)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Peerings(%q, %v) = %v, want %v", tt.acct, tt.all, got, tt.want)
		}
	}
	if _, err := s.Peerings("42", false); ErrorCode(err) != CodeAccountNotFound {
		t.Errorf("Peerings(unknown account) = %v, want AccountNotFound", err)
	}
}

func TestExpiry(t *testing.T) {
	clk := newClock()
	var expired []Peering
	s := newState(t, clk, Options{OnChange: func(c Change) {
		if c.Op == OpExpirePeering {
			expired = append(expired, *c.Peering)
		}
	}})
	p := mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc3", PeerAccount: partner})
	withdrawn := mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc2", PeerVPC: "vpc3", PeerAccount: partner})
	if _, err := s.DeletePeering(me, withdrawn.ID); err != nil {
		t.Fatal(err)
	}

	clk.Advance(time.Hour - time.Nanosecond)
	if got, _ := s.Peering(p.ID); got.Status != StatusPending {
		t.Fatalf("just before expiry: status = %s, want %s", got.Status, StatusPending)
	}
	if len(expired) != 0 {
		t.Fatalf("expiry reported early: %+v", expired)
	}

	clk.Advance(time.Nanosecond)
	ps, err := s.Peerings(partner, false)
	if err != nil || len(ps) != 0 {
		t.Fatalf("Peerings(partner) after expiry = %+v, %v; want none", ps, err)
	}
	got, _ := s.Peering(p.ID)
	if got.Status != StatusExpired {
		t.Fatalf("after expiry: status = %s, want %s", got.Status, StatusExpired)
	}
	if got.ExpiresAt == nil || !got.ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("expired peering ExpiresAt = %v, want %v", got.ExpiresAt, t0.Add(time.Hour))
	}
	if len(expired) != 1 || expired[0].ID != p.ID || expired[0].Status != StatusExpired {
		t.Errorf("expiries reported = %+v, want one for %s", expired, p.ID)
	}
	if more := s.Expire(); len(more) != 0 {
		t.Errorf("Expire() = %+v, want nothing more", more)
	}
	_, err = s.AcceptPeering(partner, p.ID)
	checkCode(t, "AcceptPeering(expired)", err, CodeInvalidState)
	_, err = s.DeletePeering(me, p.ID)
	checkCode(t, "DeletePeering(expired)", err, CodeInvalidState)
	// The pair is free again.
	mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc3", PeerAccount: partner})
}

func TestExpireMethod(t *testing.T) {
	clk := newClock()
	s := newState(t, clk, Options{})
	p := mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc3", PeerAccount: partner})
	if got := s.Expire(); len(got) != 0 {
		t.Fatalf("Expire() before the deadline = %+v, want none", got)
	}
	clk.Advance(2 * time.Hour)
	v := s.Version()
	got := s.Expire()
	if len(got) != 1 || got[0].ID != p.ID || got[0].Status != StatusExpired {
		t.Fatalf("Expire() = %+v, want %s expired", got, p.ID)
	}
	if s.Version() <= v {
		t.Errorf("Version() = %d after expiry, want > %d", s.Version(), v)
	}
}

func TestAccount(t *testing.T) {
	s := newState(t, nil, Options{})
	tests := []struct {
		acct string
		want Account
		code Code
	}{
		{acct: "", want: Account{ID: me, Name: "me"}},
		{acct: partner, want: Account{ID: partner, Name: "partner"}},
		{acct: "123", code: CodeAccountNotFound},
	}
	for _, tt := range tests {
		got, err := s.Account(tt.acct)
		checkCode(t, "Account("+tt.acct+")", err, tt.code)
		if got != tt.want {
			t.Errorf("Account(%q) = %+v, want %+v", tt.acct, got, tt.want)
		}
	}
	if got := s.Accounts(); len(got) != 3 || got[0].ID != me {
		t.Errorf("Accounts() = %+v, want 3 with %s first", got, me)
	}
}

func TestDefaultAccountWithoutAccounts(t *testing.T) {
	top := &topology.Topology{Name: "bare", VPCs: []topology.VPC{
		testVPC("a", topology.DefaultAccount, "default", "10.0.0.0/16"),
		testVPC("b", topology.DefaultAccount, "default", "10.1.0.0/16"),
	}}
	s, err := New(top, Options{})
	if err != nil {
		t.Fatalf("New = %v", err)
	}
	p := mustCreate(t, s, "", CreatePeeringRequest{VPC: "a", PeerVPC: "b"})
	if p.Account != topology.DefaultAccount || p.Status != StatusActive {
		t.Errorf("CreatePeering = %+v, want active by %s", p, topology.DefaultAccount)
	}
}
