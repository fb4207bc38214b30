package topology

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// parseWithin parses src and fails the test if that takes longer than d,
// instead of hanging the test binary until its timeout.
func parseWithin(t testing.TB, d time.Duration, src string) (*Topology, error) {
	t.Helper()
	type result struct {
		top *Topology
		err error
	}
	done := make(chan result, 1)
	go func() {
		top, err := Parse(testFile, []byte(src))
		done <- result{top, err}
	}()
	select {
	case r := <-done:
		return r.top, r.err
	case <-time.After(d):
		t.Fatalf("Parse of %d bytes took longer than %v", len(src), d)
		return nil, nil
	}
}

// aliasedVPCs is the file of issue 12: one VPC with hosts, anchored, then
// repeated refs times by alias.
func aliasedVPCs(hosts, refs int) string {
	var b strings.Builder
	b.WriteString("name: t\nvpcs:\n  - &v\n    id: v\n    cidr: 10.0.0.0/16\n    subnets: [{id: s, cidr: 10.0.0.0/16}]\n    hosts:\n")
	b.WriteString(hostLines(hosts, "s"))
	for range refs {
		b.WriteString("  - *v\n")
	}
	return b.String()
}

// aliasBomb nests aliases three levels deep, each repeating the one below
// width times: width³ routes from a file of about 3×width lines.
func aliasBomb(width int) string {
	var b strings.Builder
	b.WriteString("name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    route_tables:\n")
	b.WriteString("      - id: r0\n        routes: &routes\n          - &r {destination: 10.1.0.0/16, next_hop_type: peering, next_hop: p}\n")
	for range width - 1 {
		b.WriteString("          - *r\n")
	}
	b.WriteString("  - &vpc\n    id: w\n    cidr: 10.1.0.0/16\n    route_tables:\n      - &table {id: r1, routes: *routes}\n")
	for range width - 1 {
		b.WriteString("      - *table\n")
	}
	for range width {
		b.WriteString("  - *vpc\n")
	}
	b.WriteString("peerings: [{id: p, vpc: v, peer_vpc: w}]\n")
	return b.String()
}

func TestParseAliasesBounded(t *testing.T) {
	tests := []struct {
		name string
		src  string
	}{
		// 116 KB; it took 13.6 s, 2.6 GB and gave 4 million errors.
		{"anchored VPC repeated", aliasedVPCs(2000, 2000)},
		// A few KB standing for a million routes.
		{"nested aliases", aliasBomb(100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseWithin(t, 10*time.Second, tt.src)
			list := asErrorList(t, err)
			if len(list) > 2*MaxAliasNodes {
				t.Errorf("Parse of %d bytes reported %d errors, want at most %d", len(tt.src), len(list), 2*MaxAliasNodes)
			}
			if !strings.Contains(list.Error(), fmt.Sprintf("aliases repeat more than %d YAML nodes", MaxAliasNodes)) {
				t.Errorf("Parse errors:\n%v\nwant one saying aliases repeat too much", list)
			}
			if n := strings.Count(list.Error(), "\n") + 1; n > MaxErrorsShown+1 {
				t.Errorf("Error() has %d lines, want at most %d", n, MaxErrorsShown+1)
			}
		})
	}
}

func TestParseAliasesWithinLimit(t *testing.T) {
	// An account id and a list of routes, repeated: what aliases are for.
	var b strings.Builder
	b.WriteString("name: t\naccounts: [{id: &me \"100000000001\"}]\nvpcs:\n")
	b.WriteString("  - {id: v, account: *me, cidr: 10.0.0.0/16, route_tables: [{id: v-default, routes: &routes [{destination: 10.9.0.0/16, next_hop_type: peering, next_hop: p}]}]}\n")
	for i := 1; i < 100; i++ {
		fmt.Fprintf(&b, "  - {id: v%d, account: *me, cidr: 10.%d.0.0/16, route_tables: [{id: v%d-default, routes: *routes}]}\n", i, i, i)
	}
	b.WriteString("peerings: [{id: p, vpc: v, peer_vpc: v1}]\n")
	top := mustParse(t, b.String())
	for _, v := range top.VPCs {
		if rt := v.RouteTable(v.DefaultRouteTable()); v.Account != DefaultAccount || rt == nil || len(rt.Routes) != 1 {
			t.Errorf("VPC %s: account %q, default table %+v; want the aliased account and route", v.ID, v.Account, rt)
		}
	}
}

func TestParseHugeScalars(t *testing.T) {
	huge := strings.Repeat("x", MaxFileSize/2)
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"id", "name: t\nvpcs: [{id: " + huge + ", cidr: 10.0.0.0/16}]\n", `invalid VPC id "xxx`},
		{"display name", "name: t\nvpcs: [{id: v, name: " + huge + ", cidr: 10.0.0.0/16}]\n", `name "xxx`},
		{"unknown key", "name: t\n" + huge + ": 1\n", `unknown field "xxx`},
		{"wrong type", "name: t\nmtu: " + huge + "\n", `mtu: want an integer, got string "xxx`},
		{"huge integer", "name: t\nmtu: " + strings.Repeat("9", MaxFileSize/2) + "\n", `mtu: want an integer, got string "999`},
		// Half a MiB repeated 3,000 times by alias: 1.5 GiB if expanded.
		{"aliased", "name: t\nregion: &big " + huge + "\nvpcs:\n" + strings.Repeat("  - {id: *big, cidr: 10.0.0.0/16, region: *big}\n", 3000), `invalid region "xxx`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseWithin(t, 10*time.Second, tt.src)
			list := asErrorList(t, err)
			msg := list.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("Parse errors:\n%.500s\nwant one containing %q", msg, tt.want)
			}
			for _, e := range list {
				if len(e.Msg) > 2*MaxValueLen+200 {
					t.Fatalf("error message of %d bytes: %.300s…", len(e.Msg), e.Msg)
				}
			}
		})
	}
}

// asErrorList returns err as an ErrorList, failing the test if it is not one.
func asErrorList(t testing.TB, err error) ErrorList {
	t.Helper()
	list, ok := err.(ErrorList)
	if !ok || len(list) == 0 {
		t.Fatalf("Parse error = %v (%T), want a non-empty ErrorList", err, err)
	}
	return list
}
