package topology

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// expectBase is a topology of three VPCs for the expect: tests: vpc1 with
// hosts a1 and a2, vpc2 with b1, vpc3 with no host, and vpc4 whose host
// d1 has a2's address. Its expect: list starts on line 23.
const expectBase = `name: t
vpcs:
  - id: vpc1
    cidr: 10.1.0.0/16
    subnets: [{id: s1, cidr: 10.1.1.0/24}]
    hosts:
      - {name: a1, subnet: s1, ip: 10.1.1.10}
      - {name: a2, subnet: s1, ip: 10.1.1.11}
  - id: vpc2
    cidr: 10.2.0.0/16
    subnets: [{id: s2, cidr: 10.2.1.0/24}]
    hosts: [{name: b1, subnet: s2, ip: 10.2.1.10}]
  - id: vpc3
    cidr: 10.3.0.0/16
  - id: vpc4
    cidr: 10.1.0.0/16
    subnets: [{id: s4, cidr: 10.1.1.0/24}]
    hosts: [{name: d1, subnet: s4, ip: 10.1.1.11}]
  - id: same
    cidr: 10.5.0.0/16
    subnets: [{id: s5, cidr: 10.5.1.0/24}]
    hosts: [{name: same, subnet: s5}]
expect:
`

func TestParseExpect(t *testing.T) {
	top := mustParse(t, expectBase+`  - {from: a1, to: b1, reach: true}
  - {from: vpc1, to: vpc2, protocol: tcp, port: 5201, reach: true}
  - {from: b1, to: 10.1.1.1, protocol: udp, port: 53, reach: false, because: NO_HOST}
  - from: 10.2.1.10
    to: a1
    reach: false
`)
	want := []Expectation{
		{Pos: Pos{24, 6}, From: "a1", To: "b1", Protocol: ProtocolICMP, Reach: true},
		{Pos: Pos{25, 6}, From: "vpc1", To: "vpc2", Protocol: ProtocolTCP, Port: 5201, Reach: true},
		{Pos: Pos{26, 6}, From: "b1", To: "10.1.1.1", Protocol: ProtocolUDP, Port: 53, Because: "NO_HOST"},
		{Pos: Pos{27, 5}, From: "10.2.1.10", To: "a1", Protocol: ProtocolICMP},
	}
	if diff := cmp.Diff(want, top.Expect); diff != "" {
		t.Errorf("Expect (-want +got):\n%s", diff)
	}
}

func TestParseExpectErrors(t *testing.T) {
	rule := func(s string) string { return expectBase + "  - " + s + "\n" }
	tests := []struct {
		name, src, want string
	}{
		{"not a list", expectBase[:len(expectBase)-1] + " {from: a1}\n", "23:10: expect: want a list, got a mapping"},
		{"not a mapping", rule("a1 -> b1"), "24:5: expectation: want a mapping, got string"},
		{"unknown field", rule("{from: a1, to: b1, reach: true, via: pcx}"), `24:37: unknown field "via" in expectation; valid fields: from, to, protocol, port, reach, because`},
		{"missing from", rule("{to: b1, reach: true}"), `24:6: missing required field "from" in expectation`},
		{"missing to", rule("{from: a1, reach: true}"), `24:6: missing required field "to" in expectation`},
		{"missing reach", rule("{from: a1, to: b1}"), `24:6: missing required field "reach" in expectation: say whether from should reach to (true or false)`},
		{"null reach", rule("{from: a1, to: b1, reach: }"), `24:24: missing required field "reach"`},
		{"reach yes", rule("{from: a1, to: b1, reach: yes}"), `24:31: reach: want true or false, got string "yes"`},
		{"from integer", rule("{from: 1, to: b1, reach: true}"), `24:12: from: want a string, got integer 1`},
		{"unknown host", rule("{from: a9, to: b1, reach: true}"), `24:12: expectation: from "a9" is not a host, a VPC or an IPv4 address (hosts: a1, a2, b1, d1, same; VPCs: same, vpc1, vpc2, vpc3, vpc4)`},
		{"unknown to", rule("{from: a1, to: nowhere, reach: true}"), `24:20: expectation: to "nowhere" is not a host, a VPC or an IPv4 address`},
		{"host and vpc", rule("{from: same, to: b1, reach: true}"), `24:12: expectation: from "same" names both a host and a VPC; rename one of them`},
		{"vpc without hosts", rule("{from: a1, to: vpc3, reach: false}"), `24:20: expectation: to: VPC "vpc3" has no hosts: the rule would check nothing`},
		{"from address of nobody", rule("{from: 10.2.1.99, to: a1, reach: true}"), `24:12: expectation: from 10.2.1.99 is the address of no host; the source of an expectation is a host`},
		{"from shared address", rule("{from: 10.1.1.11, to: b1, reach: true}"), `24:12: expectation: from 10.1.1.11 is the address of hosts a2 (vpc1), d1 (vpc4): name the host`},
		{"to multicast", rule("{from: a1, to: 224.0.0.1, reach: false}"), `24:20: expectation: to "224.0.0.1" is not an IPv4 unicast address`},
		{"to ipv6", rule(`{from: a1, to: "fd00::1", reach: false}`), `24:20: expectation: to "fd00::1" is not an IPv4 unicast address`},
		{"same host", rule("{from: a1, to: a1, reach: true}"), `24:6: expectation: from "a1" to "a1" is no pair of distinct hosts`},
		{"own address", rule("{from: a1, to: 10.1.1.10, reach: true}"), `24:6: expectation: from "a1" to "10.1.1.10" is no pair of distinct hosts`},
		{"one-host vpc to itself", rule("{from: vpc2, to: vpc2, reach: true}"), `24:6: expectation: from "vpc2" to "vpc2" is no pair of distinct hosts`},
		{"bad protocol", rule("{from: a1, to: b1, protocol: sctp, port: 9, reach: true}"), `24:34: expectation: protocol "sctp" is not supported; valid: icmp, tcp, udp`},
		{"icmp port", rule("{from: a1, to: b1, port: 80, reach: true}"), `24:30: expectation: port 80: icmp has no ports; set protocol: tcp or udp`},
		{"tcp without port", rule("{from: a1, to: b1, protocol: tcp, reach: true}"), `24:34: expectation: protocol tcp needs a port (1..65535)`},
		{"port zero", rule("{from: a1, to: b1, protocol: udp, port: 0, reach: true}"), `24:45: expectation: port 0 is out of range 1..65535`},
		{"port too big", rule("{from: a1, to: b1, protocol: tcp, port: 65536, reach: true}"), `24:45: expectation: port 65536 is out of range 1..65535`},
		{"port string", rule(`{from: a1, to: b1, protocol: tcp, port: "80", reach: true}`), `24:45: port: want an integer, got string "80"`},
		{"because with reach", rule("{from: a1, to: b1, reach: true, because: NO_ROUTE}"), `24:46: expectation: because applies to reach: false`},
		{"unknown because", rule("{from: a1, to: b1, reach: false, because: NO_ROUTES}"), `24:47: expectation: because "NO_ROUTES" is not a reason explain gives; valid: NO_ROUTE, MISSING_RETURN_ROUTE, PEERING_NOT_ACTIVE, NOT_TRANSITIVE, NO_HOST, GATEWAY_PROTOCOL, OTHER_HOST`},
		{"because of no source", rule("{from: a1, to: b1, reach: false, because: UNKNOWN_SOURCE}"), `24:47: expectation: because "UNKNOWN_SOURCE" is not a reason`},
		{"duplicate", rule("{from: a1, to: b1, reach: true}") + "  - {from: a1, to: b1, reach: false}\n", `25:6: expectation: duplicate of the expectation at 24:6 (same from, to, protocol and port)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list := parseErrors(t, tt.src)
			want := testFile + ":" + tt.want
			for _, e := range list {
				if strings.Contains(e.Error(), want) {
					return
				}
			}
			t.Errorf("Parse errors:\n%v\nwant one containing:\n%s", list, want)
		})
	}
}

// TestParseExpectAllErrorsAtOnce: every bad field of every rule is
// reported, each at its own position, and none of the good rules is.
func TestParseExpectAllErrorsAtOnce(t *testing.T) {
	list := parseErrors(t, expectBase+`  - {from: a1, to: b1, reach: true}
  - {from: x, to: y, protocol: gre, reach: false, because: Z}
  - {from: a1, to: b1, protocol: tcp, port: 80, reach: true}
`)
	var got []string
	for _, e := range list {
		got = append(got, fmt.Sprintf("%d:%d", e.Pos.Line, e.Pos.Col))
	}
	if want := []string{"25:12", "25:19", "25:32", "25:60"}; !cmp.Equal(got, want) {
		t.Errorf("errors at %v, want %v:\n%v", got, want, list)
	}
}

func TestExpectPairLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("name: t\nvpcs:\n")
	for v := range 2 {
		fmt.Fprintf(&b, "  - id: v%d\n    cidr: 10.%d.0.0/16\n    subnets: [{id: s%d, cidr: 10.%d.0.0/20}]\n    hosts:\n", v, v, v, v)
		for h := range 70 {
			fmt.Fprintf(&b, "      - {name: h%d_%d, subnet: s%d}\n", v, h, v)
		}
	}
	// 70 x 70 pairs each way, 70 x 69 inside v0: the third rule passes the limit.
	b.WriteString("expect:\n  - {from: v0, to: v1, reach: false}\n  - {from: v1, to: v0, reach: false}\n  - {from: v0, to: v0, reach: true}\n")
	list := parseErrors(t, b.String())
	if len(list) != 1 || !strings.Contains(list[0].Error(), "expectation: the rules stand for more than 10000 host pairs (14630 so far)") || list[0].Pos.Line != 154 {
		t.Errorf("Parse errors:\n%v\nwant one about the pair limit at the third rule, line 154", list)
	}
}

func TestPairs(t *testing.T) {
	top := mustParse(t, expectBase+`  - {from: a1, to: b1, reach: true}
  - {from: vpc1, to: vpc2, reach: true}
  - {from: vpc2, to: vpc1, reach: true}
  - {from: vpc1, to: vpc1, reach: true}
  - {from: vpc1, to: a2, reach: true}
  - {from: vpc1, to: 10.1.1.11, reach: true}
  - {from: 10.2.1.10, to: 10.9.9.9, reach: false}
  - {from: vpc1, to: vpc4, reach: false}
`)
	p := func(from, to string) ExpectPair { return ExpectPair{From: from, To: to} }
	want := [][]ExpectPair{
		{p("a1", "b1")},
		{p("a1", "b1"), p("a2", "b1")},
		{p("b1", "a1"), p("b1", "a2")},
		{p("a1", "a2"), p("a2", "a1")},
		{p("a1", "a2")},
		// a2 has the address: its own, which its kernel answers.
		{p("a1", "10.1.1.11")},
		{p("b1", "10.9.9.9")},
		// d1 has a2's address in another VPC: a2 -> d1 is a pair.
		{p("a1", "d1"), p("a2", "d1")},
	}
	if len(top.Expect) != len(want) {
		t.Fatalf("%d expectations, want %d", len(top.Expect), len(want))
	}
	for i, e := range top.Expect {
		if diff := cmp.Diff(want[i], top.Pairs(e)); diff != "" {
			t.Errorf("Pairs(%s -> %s) (-want +got):\n%s", e.From, e.To, diff)
		}
	}
}

func TestFormatExpect(t *testing.T) {
	want := mustParse(t, expectBase+`  - {from: a1, to: b1, reach: true}
  - {from: vpc1, to: vpc2, protocol: tcp, port: 5201, reach: true}
  - {from: b1, to: 10.1.1.1, protocol: udp, port: 53, reach: false, because: NO_HOST}
  - {from: 10.2.1.10, to: a1, reach: false}
`)
	roundTrip(t, want)
	out := string(Format(want, ""))
	for _, line := range []string{
		"\nexpect:\n  - {from: a1, to: b1, reach: true}\n",
		"  - {from: vpc1, to: vpc2, protocol: tcp, port: 5201, reach: true}\n",
		"  - {from: b1, to: \"10.1.1.1\", protocol: udp, port: 53, reach: false, because: NO_HOST}\n",
		"  - {from: \"10.2.1.10\", to: a1, reach: false}\n",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("Format wrote\n%s\nwant it to contain %q", out, line)
		}
	}
}
