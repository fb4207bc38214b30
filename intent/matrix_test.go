package intent

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vpcsim/vpcsim/topology"
)

func TestReach(t *testing.T) {
	top := parse(t, "nt.yaml", example(t, "non-transitive.yaml"))
	ex, _ := local(t, top)
	m, err := Reach(context.Background(), ex, Hosts(top), nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Pairs) != 6 || m.Reachable != 4 || m.Probed {
		t.Errorf("matrix of %d pairs, %d reachable, probed %v; want 6, 4, false", len(m.Pairs), m.Reachable, m.Probed)
	}
	var b bytes.Buffer
	if err := m.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := `*** reachability by ICMP echo (analysis): 6 pairs
h1 -> h2 h3
h2 -> h1 X
h3 -> h1 X
*** 4 of 6 pairs reachable (66%)

unreachable:
  h2 -> h3  NOT_TRANSITIVE at vpc vpc1
  h3 -> h2  NOT_TRANSITIVE at vpc vpc1
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("WriteText (-want +got):\n%s", diff)
	}
}

func TestSelect(t *testing.T) {
	top := parse(t, "ca.yaml", example(t, "cross-account.yaml"))
	ex, _ := local(t, top)
	hosts := Hosts(top)
	for _, tt := range []struct {
		name        string
		vpcs, names []string
		want        []string
		err         string
	}{
		{name: "all", want: []string{"ha>hb", "ha>hc", "ha>hd", "hb>ha", "hb>hc", "hb>hd", "hc>ha", "hc>hb", "hc>hd", "hd>ha", "hd>hb", "hd>hc"}},
		{name: "a host", names: []string{"hb"}, want: []string{"ha>hb", "hb>ha", "hb>hc", "hb>hd", "hc>hb", "hd>hb"}},
		{name: "a VPC and a host", vpcs: []string{"vpc-c"}, names: []string{"hd"},
			want: []string{"ha>hc", "ha>hd", "hb>hc", "hb>hd", "hc>ha", "hc>hb", "hc>hd", "hd>ha", "hd>hb", "hd>hc"}},
		{name: "unknown", vpcs: []string{"vpc-x"}, names: []string{"hz", "ha"}, err: "no hosts match VPC vpc-x, host hz"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			show, err := Select(hosts, tt.vpcs, tt.names)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Errorf("Select: %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			m, err := Reach(context.Background(), ex, hosts, show, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range m.Pairs {
				got = append(got, c.From+">"+c.To)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("pairs (-want +got):\n%s", diff)
			}
		})
	}
}

// lab is a topology with rules a matrix cannot state per VPC: a1 and a2
// are in two subnets of vpc1 with different route tables, so that only
// a1 reaches vpc2; and host vpc3 is named like a VPC.
const lab = `name: lab
vpcs:
  - id: vpc1
    cidr: 10.1.0.0/16
    subnets:
      - {id: s1, cidr: 10.1.1.0/24, route_table: rtb-a}
      - {id: s2, cidr: 10.1.2.0/24}
    route_tables:
      - id: rtb-a
        routes: [{destination: 10.2.0.0/16, next_hop_type: peering, next_hop: p12}]
    hosts:
      - {name: a1, subnet: s1, ip: 10.1.1.10}
      - {name: a2, subnet: s2, ip: 10.1.2.10}
  - id: vpc2
    cidr: 10.2.0.0/16
    subnets: [{id: s3, cidr: 10.2.1.0/24}]
    route_tables:
      - id: vpc2-default
        routes: [{destination: 10.1.0.0/16, next_hop_type: peering, next_hop: p12}]
    hosts: [{name: b1, subnet: s3, ip: 10.2.1.10}, {name: b2, subnet: s3, ip: 10.2.1.11}]
  - id: vpc3
    cidr: 10.3.0.0/16
    subnets: [{id: s4, cidr: 10.3.1.0/24}]
    hosts: [{name: c1, subnet: s4, ip: 10.3.1.10}]
  - id: other
    cidr: 10.4.0.0/16
    subnets: [{id: s5, cidr: 10.4.1.0/24}]
    hosts: [{name: vpc3, subnet: s5, ip: 10.4.1.10}]
peerings:
  - {id: p12, vpc: vpc1, peer_vpc: vpc2}
`

func TestExpectations(t *testing.T) {
	top := parse(t, "lab.yaml", lab)
	ex, _ := local(t, top)
	m, err := Reach(context.Background(), ex, Hosts(top), nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rules, err := m.Expectations(top)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range rules {
		s := e.From + " " + e.To + " " + map[bool]string{true: "reach", false: "no"}[e.Reach]
		if e.Because != "" {
			s += " " + e.Because
		}
		got = append(got, s)
	}
	want := []string{
		// a1 reaches vpc2, a2 does not: a rule per pair.
		"a1 b1 reach", "a1 b2 reach", "a2 b1 no NO_ROUTE", "a2 b2 no NO_ROUTE",
		// Host vpc3 has the name of VPC vpc3: a rule naming vpc3 would
		// not say which, so the VPC goes by its host pairs...
		"a1 c1 no NO_ROUTE", "a2 c1 no NO_ROUTE",
		"vpc1 other no NO_ROUTE",
		"b1 a1 reach", "b1 a2 no MISSING_RETURN_ROUTE", "b2 a1 reach", "b2 a2 no MISSING_RETURN_ROUTE",
		"b1 c1 no NO_ROUTE", "b2 c1 no NO_ROUTE",
		"vpc2 other no NO_ROUTE",
		"c1 a1 no NO_ROUTE", "c1 a2 no NO_ROUTE", "c1 b1 no NO_ROUTE", "c1 b2 no NO_ROUTE",
		// ...and the host by its address.
		"c1 10.4.1.10 no NO_ROUTE",
		"other vpc1 no NO_ROUTE", "other vpc2 no NO_ROUTE",
		"10.4.1.10 c1 no NO_ROUTE",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Expectations (-want +got):\n%s", diff)
	}
	// Written into the file, they parse and hold.
	top.Expect = rules
	again, err := topology.Parse("saved.yaml", topology.Format(top, ""))
	if err != nil {
		t.Fatalf("Parse(Format): %v", err)
	}
	if rep := check(t, again); !rep.Pass || rep.Pairs != len(m.Pairs)-4 {
		t.Errorf("the rules of the matrix: pass %v, %d pairs; want a pass with every pair but the 4 inside vpc1 and vpc2", rep.Pass, rep.Pairs)
	}
}

// TestExpectationsRoundTrip: the rules of a matrix, written into the
// file, hold; after a route changes, exactly the rules of the pairs whose
// path it was on fail.
func TestExpectationsRoundTrip(t *testing.T) {
	top := parse(t, "nt.yaml", example(t, "non-transitive.yaml"))
	ex, _ := local(t, top)
	m, err := Reach(context.Background(), ex, Hosts(top), nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rules, err := m.Expectations(top)
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 6 {
		t.Fatalf("%d rules, want one per ordered pair of the 3 VPCs", len(rules))
	}
	top.Expect = rules
	saved := topology.Format(top, "")
	again, err := topology.Parse("saved.yaml", saved)
	if err != nil {
		t.Fatalf("Parse(Format): %v\n%s", err, saved)
	}
	if rep := check(t, again); !rep.Pass {
		var b bytes.Buffer
		rep.WriteText(&b)
		t.Fatalf("the rules of the matrix do not hold:\n%s", b.String())
	}

	// vpc3 loses its route back to vpc1.
	changed := strings.Replace(string(saved), "          - {destination: 10.1.0.0/16, next_hop_type: peering, next_hop: pcx-13}\n", "", 1)
	if changed == string(saved) {
		t.Fatalf("no route of vpc3 to vpc1 in\n%s", saved)
	}
	rep := check(t, parse(t, "changed.yaml", changed))
	var failed []string
	for _, rr := range rep.Results {
		if !rr.Pass {
			failed = append(failed, rr.Rule.String())
		}
	}
	if want := []string{"vpc1 -> vpc3, icmp: reachable", "vpc3 -> vpc1, icmp: reachable"}; !cmp.Equal(failed, want) {
		t.Errorf("after the change, failed %v, want %v", failed, want)
	}
}
