package explain

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/topology"
)

const (
	me      = "100000000001"
	partner = "200000000002"
)

// labState returns the control state of testdata/lab.yaml, on a clock the
// test moves.
func labState(t testing.TB, now *time.Time) *control.State {
	t.Helper()
	b, err := os.ReadFile("testdata/lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	topo, err := topology.Parse("lab.yaml", b)
	if err != nil {
		t.Fatalf("Parse(lab.yaml): %v", err)
	}
	st, err := control.New(topo, control.Options{Now: func() time.Time { return *now }})
	if err != nil {
		t.Fatalf("control.New(lab.yaml): %v", err)
	}
	return st
}

// want describes the expected outcome of a path: its verdict, and when
// blocked the code, the component id and words of the message.
type want struct {
	verdict Verdict
	code    string
	id      string
	words   []string
}

func checkPath(t *testing.T, which string, got Path, w want) {
	t.Helper()
	if got.Verdict != w.verdict {
		t.Errorf("%s verdict = %s, want %s (blocked: %+v)", which, got.Verdict, w.verdict, got.Blocked)
	}
	if w.code == "" {
		if got.Blocked != nil {
			t.Errorf("%s blocked = %+v, want not blocked", which, got.Blocked)
		}
		return
	}
	if got.Blocked == nil {
		t.Errorf("%s blocked = nil, want %s at %s", which, w.code, w.id)
		return
	}
	if got.Blocked.Code != w.code || got.Blocked.ID != w.id {
		t.Errorf("%s blocked = %s at %s, want %s at %s (%s)", which, got.Blocked.Code, got.Blocked.ID, w.code, w.id, got.Blocked.Message)
	}
	for _, word := range w.words {
		if !strings.Contains(got.Blocked.Message, word) {
			t.Errorf("%s message %q does not contain %q", which, got.Blocked.Message, word)
		}
	}
	if n := len(got.Hops); n == 0 || got.Hops[n-1].Verdict != HopBlocked {
		t.Errorf("%s: last hop of %+v is not blocked", which, got.Hops)
	}
}

func TestExplain(t *testing.T) {
	ok := want{verdict: Reachable}
	na := want{verdict: NotApplicable}
	for _, tc := range []struct {
		name     string
		setup    func(t *testing.T, st *control.State, now *time.Time)
		req      Request
		verdict  Verdict
		fwd, ret want
		hops     []string // words the forward hops' details must contain, in order
	}{
		{
			name: "reachable both ways", req: Request{Source: "a1", Destination: "b1"},
			verdict: Reachable, fwd: ok, ret: ok,
			hops: []string{"sends from 192.168.1.10 to 10.0.2.10", "uses route table rtb-a", "matches 10.0.0.0/16 -> peering pcx-12", "active: vpc1 <-> vpc2", "inside its CIDR 10.0.0.0/16", "10.0.2.0/24 of vpc2", "receives"},
		},
		{
			name: "by address", req: Request{Source: "192.168.1.10", Destination: "10.0.2.10", Protocol: TCP, Port: 80},
			verdict: Reachable, fwd: ok, ret: ok,
		},
		{
			name: "more specific route to another peering", req: Request{Source: "a1", Destination: "c1"},
			verdict: Reachable, fwd: ok, ret: ok,
			hops: []string{"", "", "matches 10.0.1.0/24 -> peering pcx-13 (longest match); also matched, less specific: 10.0.0.0/16 -> pcx-12", "vpc1 <-> vpc3"},
		},
		{
			name: "missing return route", req: Request{Source: "a2", Destination: "c1"},
			verdict: Unreachable, fwd: ok,
			ret: want{Unreachable, CodeMissingReturnRoute, "vpc3-default", []string{"no route back", "route table vpc3-default", "192.168.2.10", "vpcsim --account 100000000001 route add --table vpc3-default --destination 192.168.0.0/16 --peering pcx-13"}},
		},
		{
			name: "missing route on the source side", req: Request{Source: "c1", Destination: "a2"},
			verdict: Unreachable,
			fwd:     want{Unreachable, CodeNoRoute, "vpc3-default", []string{"route table vpc3-default (subnet subnet-d of vpc3) has no route to 192.168.2.10", "--peering pcx-13"}},
			ret:     ok,
		},
		{
			name: "wrong subnet table", req: Request{Source: "a1", Destination: "p1"},
			verdict: Unreachable,
			fwd:     want{Unreachable, CodeNoRoute, "rtb-a", []string{"Route table vpc1-default of vpc1 has a route (172.16.0.0/16 -> pcx-14), but subnet subnet-a is associated with rtb-a", "--table rtb-a"}},
			ret:     ok,
		},
		{
			name: "cross-account", req: Request{Source: "a2", Destination: "p1"},
			verdict: Reachable, fwd: ok, ret: ok,
		},
		{
			name: "cross-account return route belongs to the partner",
			setup: func(t *testing.T, st *control.State, _ *time.Time) {
				if _, err := st.DeleteRoute(partner, "vpc4-default", "192.168.0.0/16"); err != nil {
					t.Fatal(err)
				}
			},
			req: Request{Source: "a2", Destination: "p1"}, verdict: Unreachable, fwd: ok,
			ret: want{Unreachable, CodeMissingReturnRoute, "vpc4-default", []string{"belongs to account 200000000002: that account must make the change"}},
		},
		{
			name: "transit attempt", req: Request{Source: "b1", Destination: "p1"},
			verdict: Unreachable,
			fwd:     want{Unreachable, CodeNotTransitive, "vpc1", []string{"vpc1 does not forward traffic between its peerings", "Peer vpc2 with vpc4 directly"}},
			ret:     want{Unreachable, CodeMissingReturnRoute, "vpc4-default", []string{"No peering joins vpc4 and vpc2"}},
		},
		{
			name: "pending peering", req: Request{Source: "a1", Destination: "q1"},
			verdict: Unreachable,
			fwd:     want{Unreachable, CodeNoRoute, "rtb-a", []string{"Peering pcx-15 between vpc1 and vpc5 is pending-acceptance", "account 200000000002 must accept it", "vpcsim --account 200000000002 peering accept pcx-15"}},
			ret:     want{Unreachable, CodeMissingReturnRoute, "vpc5-default", []string{"pending-acceptance"}},
		},
		{
			name: "rejected peering",
			setup: func(t *testing.T, st *control.State, _ *time.Time) {
				if _, err := st.RejectPeering(partner, "pcx-15"); err != nil {
					t.Fatal(err)
				}
			},
			req: Request{Source: "a1", Destination: "q1"}, verdict: Unreachable,
			fwd: want{Unreachable, CodeNoRoute, "rtb-a", []string{"pcx-15 between vpc1 and vpc5 was rejected", "--peer-account 200000000002"}},
			ret: want{Unreachable, CodeMissingReturnRoute, "vpc5-default", []string{"was rejected"}},
		},
		{
			name: "expired peering",
			setup: func(t *testing.T, st *control.State, now *time.Time) {
				*now = now.Add(topology.DefaultPeeringExpiry + time.Minute)
			},
			req: Request{Source: "a1", Destination: "q1"}, verdict: Unreachable,
			fwd: want{Unreachable, CodeNoRoute, "rtb-a", []string{"pcx-15 between vpc1 and vpc5 expired before it was accepted"}},
			ret: want{Unreachable, CodeMissingReturnRoute, "vpc5-default", []string{"expired"}},
		},
		{
			name: "accepted peering without routes",
			setup: func(t *testing.T, st *control.State, _ *time.Time) {
				if _, err := st.AcceptPeering(partner, "pcx-15"); err != nil {
					t.Fatal(err)
				}
			},
			req: Request{Source: "a1", Destination: "q1"}, verdict: Unreachable,
			fwd: want{Unreachable, CodeNoRoute, "rtb-a", []string{"vpcsim --account 100000000001 route add --table rtb-a --destination 172.17.0.0/16 --peering pcx-15"}},
			ret: want{Unreachable, CodeMissingReturnRoute, "vpc5-default", []string{"--table vpc5-default --destination 192.168.0.0/16 --peering pcx-15", "belongs to account 200000000002"}},
		},
		{
			name: "deleted peering",
			setup: func(t *testing.T, st *control.State, _ *time.Time) {
				if _, err := st.DeletePeering(me, "pcx-13"); err != nil {
					t.Fatal(err)
				}
			},
			req: Request{Source: "c1", Destination: "a1"}, verdict: Unreachable,
			fwd: want{Unreachable, CodeNoRoute, "vpc3-default", []string{"pcx-13 between vpc1 and vpc3 was deleted, and its routes with it"}},
			// The reply now falls back to 10.0.0.0/16 over pcx-12: vpc2
			// holds 10.0.1.10 in its CIDR, but no host.
			ret: want{Unreachable, CodeNoHost, "vpc2", []string{"no host has 10.0.1.10 in vpc2 (10.0.0.0/16)", "b1 10.0.2.10"}},
		},
		{
			name: "host absent", req: Request{Source: "a1", Destination: "10.0.2.99"},
			verdict: Unreachable,
			fwd:     want{Unreachable, CodeNoHost, "vpc2", []string{"no host has 10.0.2.99 in subnet subnet-b (10.0.2.0/24) of vpc2"}},
			ret:     na,
		},
		{
			name: "address in no VPC", req: Request{Source: "a1", Destination: "8.8.8.8"},
			verdict: Unreachable,
			fwd:     want{Unreachable, CodeNoRoute, "rtb-a", []string{"8.8.8.8 is in no VPC of this topology"}},
			ret:     na,
		},
		{
			name: "gateway ping", req: Request{Source: "a1", Destination: "192.168.1.1"},
			verdict: Reachable, fwd: ok, ret: ok,
		},
		{
			name: "gateway of the other subnet", req: Request{Source: "a1", Destination: "192.168.2.1"},
			verdict: Reachable, fwd: ok, ret: ok,
		},
		{
			name: "tcp to a gateway", req: Request{Source: "a1", Destination: "192.168.1.1", Protocol: TCP, Port: 22},
			verdict: Unreachable,
			fwd:     want{Unreachable, CodeGatewayProtocol, "192.168.1.1", []string{"answers ICMP echo there and drops tcp"}},
			ret:     na,
		},
		{
			name: "gateway over a peering", req: Request{Source: "a1", Destination: "10.0.2.1"},
			verdict: Unreachable,
			fwd:     want{Unreachable, CodeNoHost, "10.0.2.1", []string{"answers only the hosts of its own VPC"}},
			ret:     na,
		},
		{
			name: "same VPC across subnets", req: Request{Source: "a1", Destination: "a2", Protocol: UDP, Port: 53},
			verdict: Reachable, fwd: ok, ret: ok,
			hops: []string{"", "", "matches 192.168.0.0/16 -> local"},
		},
		{
			name: "own address", req: Request{Source: "a1", Destination: "192.168.1.10"},
			verdict: Reachable, fwd: ok, ret: ok,
		},
		{
			name: "unknown source", req: Request{Source: "zz", Destination: "b1"},
			verdict: Unreachable,
			fwd:     want{Unreachable, CodeUnknownSource, "zz", []string{`"zz" is not a host`, "a1, a2"}},
			ret:     na,
		},
		{
			name: "gateway as source", req: Request{Source: "192.168.1.1", Destination: "b1"},
			verdict: Unreachable,
			fwd:     want{Unreachable, CodeUnknownSource, "192.168.1.1", nil},
			ret:     na,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			st := labState(t, &now)
			if tc.setup != nil {
				tc.setup(t, st, &now)
			}
			res, err := Explain(st, tc.req)
			if err != nil {
				t.Fatalf("Explain(%+v): %v", tc.req, err)
			}
			if res.Verdict != tc.verdict {
				t.Errorf("Explain(%+v).Verdict = %s, want %s", tc.req, res.Verdict, tc.verdict)
			}
			checkPath(t, "forward", res.Forward, tc.fwd)
			checkPath(t, "return", res.Return, tc.ret)
			for i, word := range tc.hops {
				if i >= len(res.Forward.Hops) {
					t.Errorf("forward has %d hops, want at least %d", len(res.Forward.Hops), i+1)
					break
				}
				if h := res.Forward.Hops[i]; !strings.Contains(h.Detail, word) || h.Step != i+1 {
					t.Errorf("forward hop %d = %d %q, want step %d containing %q", i, h.Step, h.Detail, i+1, word)
				}
			}
			if _, err := json.Marshal(res); err != nil {
				t.Errorf("json.Marshal: %v", err)
			}
		})
	}
}

func TestExplainErrors(t *testing.T) {
	now := time.Now()
	st := labState(t, &now)
	for _, req := range []Request{
		{Source: "a1", Destination: "b1", Protocol: "sctp"},
		{Source: "a1", Destination: "b1", Port: 80},
		{Source: "a1", Destination: "b1", Protocol: TCP, Port: 70000},
		{Source: "a1", Destination: "nosuchhost"},
		{Source: "a1", Destination: "224.0.0.1"},
		{Source: "a1", Destination: "127.0.0.1"},
		{Source: "a1", Destination: "::1"},
		{Source: "a1", Destination: "255.255.255.255"},
	} {
		if _, err := Explain(st, req); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("Explain(%+v) = %v, want ErrInvalidRequest", req, err)
		}
	}
}

// fakeState serves a configuration the control plane would not produce: a
// route over a peering that is no longer active (a moment in the middle of a
// deletion, or a future control plane that keeps such routes).
type fakeState struct {
	vpcs     []topology.VPC
	peerings []control.Peering
}

func (f *fakeState) VPCs() []topology.VPC           { return f.vpcs }
func (f *fakeState) AllPeerings() []control.Peering { return f.peerings }
func (f *fakeState) Version() uint64                { return 1 }

func TestExplainPeeringNotActive(t *testing.T) {
	for _, status := range []control.Status{control.StatusDeleted, control.StatusPending, ""} {
		t.Run(string(status), func(t *testing.T) {
			now := time.Now()
			st := labState(t, &now)
			f := &fakeState{vpcs: st.VPCs(), peerings: st.AllPeerings()}
			for i := range f.peerings {
				if f.peerings[i].ID == "pcx-12" {
					f.peerings[i].Status = status
				}
			}
			if status == "" {
				f.peerings = f.peerings[1:] // pcx-12 unknown
			}
			res, err := Explain(f, Request{Source: "a1", Destination: "b1"})
			if err != nil {
				t.Fatal(err)
			}
			words := []string{"route table rtb-a sends 10.0.0.0/16 over peering pcx-12"}
			if status == control.StatusPending {
				words = append(words, "vpcsim --account 100000000001 peering accept pcx-12")
			}
			checkPath(t, "forward", res.Forward, want{Unreachable, CodePeeringNotActive, "pcx-12", words})
			if b := res.Forward.Blocked; b != nil && (b.Drop != "peering_inactive" || b.DropVPC != "vpc1") {
				t.Errorf("forward drop = %s in %s, want peering_inactive in vpc1", b.Drop, b.DropVPC)
			}
		})
	}
}

// TestExplainDrops checks that every blocked path names the drop counter
// the router counts the packet under.
func TestExplainDrops(t *testing.T) {
	now := time.Now()
	st := labState(t, &now)
	for _, tc := range []struct {
		src, dst  string
		proto     Protocol
		drop, vpc string
	}{
		{"c1", "a2", ICMP, "no_route", "vpc3"},
		{"b1", "p1", ICMP, "not_transitive", "vpc1"},
		{"a1", "10.0.2.99", ICMP, "no_host", "vpc2"},
		{"a1", "192.168.1.1", TCP, "unsupported", "vpc1"},
		{"a1", "10.0.2.1", ICMP, "no_host", "vpc2"},
	} {
		res, err := Explain(st, Request{Source: tc.src, Destination: tc.dst, Protocol: tc.proto})
		if err != nil {
			t.Fatal(err)
		}
		b := res.Forward.Blocked
		if b == nil || b.Drop != tc.drop || b.DropVPC != tc.vpc {
			t.Errorf("Explain(%s -> %s %s).Forward.Blocked = %+v, want drop %s in %s", tc.src, tc.dst, tc.proto, b, tc.drop, tc.vpc)
		}
	}
}

// twins: vpc2 and vpc3 share a CIDR and an address (they are not peered
// with each other); vpc1 routes 10.0.0.0/16 to vpc2 only.
const twins = `name: twins
vpcs:
  - id: vpc1
    cidr: 192.168.0.0/16
    subnets: [{id: s1, cidr: 192.168.1.0/24}]
    route_tables:
      - id: vpc1-default
        routes: [{destination: 10.0.0.0/16, next_hop_type: peering, next_hop: pcx-12}]
    hosts: [{name: a1, subnet: s1, ip: 192.168.1.10}]
  - id: vpc2
    cidr: 10.0.0.0/16
    subnets: [{id: s2, cidr: 10.0.1.0/24}]
    route_tables:
      - id: vpc2-default
        routes: [{destination: 192.168.1.0/24, next_hop_type: peering, next_hop: pcx-12}]
    hosts: [{name: b1, subnet: s2, ip: 10.0.1.10}]
  - id: vpc3
    cidr: 10.0.0.0/16
    subnets: [{id: s3, cidr: 10.0.1.0/24}]
    route_tables:
      - id: vpc3-default
        routes: [{destination: 192.168.1.0/24, next_hop_type: peering, next_hop: pcx-13}]
    hosts: [{name: c1, subnet: s3, ip: 10.0.1.10}]
peerings:
  - {id: pcx-12, vpc: vpc1, peer_vpc: vpc2}
  - {id: pcx-13, vpc: vpc1, peer_vpc: vpc3}
`

func TestExplainSharedAddress(t *testing.T) {
	topo, err := topology.Parse("twins.yaml", []byte(twins))
	if err != nil {
		t.Fatal(err)
	}
	st, err := control.New(topo, control.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Explain(st, Request{Source: "a1", Destination: "c1"})
	if err != nil {
		t.Fatal(err)
	}
	checkPath(t, "forward", res.Forward, want{Unreachable, CodeOtherHost, "b1", []string{"reaches b1 in vpc2, which has the same address as c1 in vpc3"}})
	checkPath(t, "return", res.Return, want{verdict: Reachable})

	res, err = Explain(st, Request{Source: "a1", Destination: "10.0.1.10"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != Reachable || res.Destination.Kind != KindAddress {
		t.Errorf("Explain(a1 -> 10.0.1.10) = %s to a %s, want reachable to an address", res.Verdict, res.Destination.Kind)
	}
	if n := len(res.Return.Hops); n == 0 || res.Return.Hops[0].ID != "b1" {
		t.Errorf("Explain(a1 -> 10.0.1.10).Return.Hops = %+v, want a reply from b1", res.Return.Hops)
	}

	if _, err := Explain(st, Request{Source: "10.0.1.10", Destination: "a1"}); !errors.Is(err, ErrInvalidRequest) || !strings.Contains(err.Error(), "b1 (vpc2), c1 (vpc3)") {
		t.Errorf("Explain(10.0.1.10 -> a1) = %v, want an ErrInvalidRequest naming b1 and c1", err)
	}
}

// TestCodesAreTheTopologysReasons: an expectation's because: names the
// codes of a path blocked from a host, every one but CodeUnknownSource.
func TestCodesAreTheTopologysReasons(t *testing.T) {
	var want []string
	for _, c := range Codes() {
		if c != CodeUnknownSource {
			want = append(want, c)
		}
	}
	if got := topology.ReasonCodes(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("topology.ReasonCodes() = %v, want %v", got, want)
	}
}
