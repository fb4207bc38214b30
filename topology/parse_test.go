package topology

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

const testFile = "t.yaml"

// parseErrors parses src and returns its ErrorList, failing if Parse
// succeeds or returns another kind of error.
func parseErrors(t testing.TB, src string) ErrorList {
	t.Helper()
	top, err := Parse(testFile, []byte(src))
	if err == nil {
		t.Fatalf("Parse succeeded (topology %q), want an error", top.Name)
	}
	if top != nil {
		t.Errorf("Parse returned a topology with error %v", err)
	}
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("Parse error is %T, want ErrorList: %v", err, err)
	}
	return list
}

// hostLines returns n host entries "- {name: hI, subnet: SUBNET}" of a
// VPC's hosts list, without IPs.
func hostLines(n int, subnet string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "      - {name: h%d, subnet: %s}\n", i, subnet)
	}
	return b.String()
}

// mustParse parses src, failing on any error.
func mustParse(t testing.TB, src string) *Topology {
	t.Helper()
	top, err := Parse(testFile, []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return top
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // "LINE:COL: message" substring of one error
	}{
		// YAML itself.
		{"malformed", "name: [\n", "1:7: malformed YAML: sequence end token ']' not found"},
		{"duplicate key", "name: a\nname: b\n", "2:1: malformed YAML: mapping key \"name\" already defined"},
		{"empty", "", "1:1: empty topology file"},
		{"comment only", "# nothing\n", "1:1: empty topology file"},
		{"two documents", "name: a\n---\nname: b\n", "3:1: a topology file holds one YAML document, found 2"},
		{"not a mapping", "- name: a\n", "1:1: topology: want a mapping, got a list"},
		{"scalar document", "hello\n", "1:1: topology: want a mapping, got string \"hello\""},

		// Unknown keys and wrong types.
		{"unknown top-level key", "name: t\nfoo: 1\n", "2:1: unknown field \"foo\" in topology; valid fields: name, region"},
		{"unknown vpc key", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    cdir: 10.0.0.0/16\n", "5:5: unknown field \"cdir\" in vpc"},
		{"unknown host key", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    subnets: [{id: s, cidr: 10.0.1.0/24}]\n    hosts:\n      - {name: h, subnet: s, addr: 10.0.1.5}\n", "7:30: unknown field \"addr\" in host"},
		{"merge key", "name: t\nx: &x {region: r}\n", "2:1: unknown field \"x\""},
		{"mtu string", "name: t\nmtu: \"1500\"\n", "2:6: mtu: want an integer, got string \"1500\""},
		{"mtu float", "name: t\nmtu: 1500.5\n", "2:6: mtu: want an integer, got number 1500.5"},
		{"mtu huge", "name: t\nmtu: 99999999999999999\n", "2:6: mtu: integer 99999999999999999 is out of range"},
		{"name integer", "name: 123\n", "1:7: name: want a string, got integer 123"},
		{"name list", "name: [a]\n", "1:7: name: want a string, got a list"},
		{"vpcs mapping", "name: t\nvpcs:\n  id: v\n", "3:3: vpcs: want a list, got a mapping"},
		{"vpc scalar", "name: t\nvpcs:\n  - v1\n", "3:5: vpc: want a mapping, got string \"v1\""},
		{"accepted yes", "name: t\npeerings:\n  - {id: p, vpc: a, peer_vpc: b, accepted: yes}\n", "3:44: accepted: want true or false, got string \"yes\""},
		{"account id bool", "name: t\naccounts:\n  - id: true\n", "3:9: id: want a string, got boolean true"},
		{"account id hex", "name: t\naccounts:\n  - id: 0x10\n", "3:9: id: want a string, got integer 0x10"},
		{"unsupported tag", "name: !!binary dGVzdA==\n", "1:7: name: want a string, got tagged value !!binary"},
		{"unknown alias", "name: t\nregion: *nowhere\n", "2:9: alias *nowhere refers to an unknown anchor"},

		// Top-level settings.
		{"missing name", "region: r\n", "1:1: missing required field \"name\" in topology"},
		{"null name", "name:\nregion: r\n", "1:1: missing required field \"name\" in topology"},
		{"bad name chars", "name: Best_Practice\n", "1:7: invalid topology name \"Best_Practice\": use 1 to 16 lowercase letters, digits and '-'"},
		{"name too long", "name: abcdefghijklmnopq\n", "1:7: invalid topology name \"abcdefghijklmnopq\""},
		{"empty name", "name: \"\"\n", "1:7: invalid topology name \"\""},
		{"bad region", "name: t\nregion: \"wu han\"\n", "2:9: invalid region \"wu han\""},
		{"mtu too small", "name: t\nmtu: 575\n", "2:6: mtu 575 is out of range 576..65535"},
		{"mtu too large", "name: t\nmtu: 65536\n", "2:6: mtu 65536 is out of range 576..65535"},
		{"expiry not a duration", "name: t\npeering_expiry: 7d\n", "2:17: peering_expiry \"7d\" is not a duration"},
		{"expiry zero", "name: t\npeering_expiry: 0s\n", "2:17: peering_expiry \"0s\" must be positive"},
		{"expiry negative", "name: t\npeering_expiry: -1h\n", "2:17: peering_expiry \"-1h\" must be positive"},
		{"expiry integer", "name: t\npeering_expiry: 60\n", "2:17: peering_expiry: want a string, got integer 60"},
		{"peerings per vpc zero", "name: t\npeerings_per_vpc: 0\n", "2:19: peerings_per_vpc 0 must be at least 1"},

		// Display names.
		{"vpc name too long", "name: t\nvpcs:\n  - id: v\n    name: " + strings.Repeat("n", 61) + "\n    cidr: 10.0.0.0/16\n", "4:11: vpc \"v\": name \"nnnn"},
		{"peering name control char", "name: t\npeerings:\n  - {id: p, name: \"a\\tb\", vpc: a, peer_vpc: a}\n", "3:19: peering \"p\": name \"a\\tb\" holds a control character"},
		{"account name newline", "name: t\naccounts:\n  - id: \"1\"\n    name: \"a\\nb\"\n", "4:11: account \"1\": name \"a\\nb\" holds a control character"},

		// Accounts.
		{"account missing id", "name: t\naccounts:\n  - name: me\n", "3:5: missing required field \"id\" in account"},
		{"account id letters", "name: t\naccounts:\n  - id: \"12a\"\n", "3:9: invalid account id \"12a\": want a string of 1 to 64 digits"},
		{"account id negative", "name: t\naccounts:\n  - id: -5\n", "3:9: id: want a string, got integer -5"},
		{"duplicate account", "name: t\naccounts:\n  - id: \"1\"\n  - id: 1\n", "4:9: duplicate account id \"1\" (first declared at 3:9)"},

		// VPCs.
		{"vpc missing id", "name: t\nvpcs:\n  - cidr: 10.0.0.0/16\n", "3:5: missing required field \"id\" in vpc"},
		{"vpc missing cidr", "name: t\nvpcs:\n  - id: v\n", "3:5: missing required field \"cidr\" in vpc \"v\""},
		{"vpc bad id", "name: t\nvpcs:\n  - id: -v\n    cidr: 10.0.0.0/16\n", "3:9: invalid VPC id \"-v\": use letters, digits, '.', '_' and '-', starting with a letter or digit"},
		{"vpc id too long", "name: t\nvpcs:\n  - id: " + strings.Repeat("v", 65) + "\n    cidr: 10.0.0.0/16\n", "3:9: invalid VPC id \"vvvv"},
		{"duplicate vpc", "name: t\nvpcs:\n  - {id: v, cidr: 10.0.0.0/16}\n  - {id: v, cidr: 10.1.0.0/16}\n", "4:10: duplicate VPC id \"v\" (first declared at 3:10)"},
		{"vpc unknown account", "name: t\nvpcs:\n  - {id: v, cidr: 10.0.0.0/16, account: \"42\"}\n", "3:41: vpc \"v\": unknown account \"42\" (declared accounts: 100000000001)"},
		{"vpc cidr garbage", "name: t\nvpcs:\n  - {id: v, cidr: 10.0.0/16}\n", "3:19: vpc \"v\": cidr \"10.0.0/16\" is not a valid CIDR"},
		{"vpc cidr no bits", "name: t\nvpcs:\n  - {id: v, cidr: 10.0.0.0}\n", "3:19: vpc \"v\": cidr \"10.0.0.0\" is not a valid CIDR"},
		{"vpc cidr ipv6", "name: t\nvpcs:\n  - {id: v, cidr: \"fd00::/48\"}\n", "3:19: vpc \"v\": cidr \"fd00::/48\" is not IPv4; only IPv4 is supported"},
		{"vpc cidr host bits", "name: t\nvpcs:\n  - {id: v, cidr: 10.0.1.7/16}\n", "3:19: vpc \"v\": cidr \"10.0.1.7/16\" has host bits set; did you mean 10.0.0.0/16?"},

		// Subnets.
		{"subnet missing id", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    subnets:\n      - cidr: 10.0.1.0/24\n", "6:9: missing required field \"id\" in subnet"},
		{"subnet missing cidr", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    subnets:\n      - id: s\n", "6:9: missing required field \"cidr\" in subnet \"s\""},
		{"subnet host bits", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    subnets:\n      - {id: s, cidr: 10.0.1.7/24}\n", "6:23: subnet \"s\": cidr \"10.0.1.7/24\" has host bits set; did you mean 10.0.1.0/24?"},
		{"subnet outside vpc", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    subnets:\n      - {id: s, cidr: 10.1.1.0/24}\n", "6:23: subnet \"s\": cidr 10.1.1.0/24 is outside VPC \"v\" cidr 10.0.0.0/16"},
		{"subnet larger than vpc", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/20\n    subnets:\n      - {id: s, cidr: 10.0.0.0/16}\n", "6:23: subnet \"s\": cidr 10.0.0.0/16 is outside VPC \"v\" cidr 10.0.0.0/20"},
		{"subnet /31", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    subnets:\n      - {id: s, cidr: 10.0.1.0/31}\n", "6:23: subnet \"s\": cidr 10.0.1.0/31 is too small"},
		{"subnet /32", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    subnets:\n      - {id: s, cidr: 10.0.1.1/32}\n", "6:23: subnet \"s\": cidr 10.0.1.1/32 is too small"},
		{"subnet overlap inside", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    subnets:\n      - {id: s1, cidr: 10.0.1.0/24}\n      - {id: s2, cidr: 10.0.1.128/25}\n", "7:24: subnet \"s2\": cidr 10.0.1.128/25 overlaps subnet \"s1\" (10.0.1.0/24) at 6:24"},
		{"subnet overlap around", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    subnets:\n      - {id: s1, cidr: 10.0.1.0/24}\n      - {id: s2, cidr: 10.0.0.0/20}\n", "7:24: subnet \"s2\": cidr 10.0.0.0/20 overlaps subnet \"s1\" (10.0.1.0/24) at 6:24"},
		{"subnet overlap equal", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    subnets:\n      - {id: s1, cidr: 10.0.1.0/24}\n      - {id: s2, cidr: 10.0.1.0/24}\n", "7:24: subnet \"s2\": cidr 10.0.1.0/24 overlaps subnet \"s1\""},
		{"duplicate subnet across vpcs", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    subnets: [{id: s, cidr: 10.0.1.0/24}]\n  - id: w\n    cidr: 10.1.0.0/16\n    subnets: [{id: s, cidr: 10.1.1.0/24}]\n", "8:20: duplicate subnet id \"s\" (first declared at 5:20)"},
		{"subnet unknown table", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    subnets:\n      - {id: s, cidr: 10.0.1.0/24, route_table: rtb}\n", "6:49: subnet \"s\": unknown route table \"rtb\" (route tables of VPC \"v\": v-default)"},
		{"subnet table of other vpc", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    subnets:\n      - {id: s, cidr: 10.0.1.0/24, route_table: w-default}\n  - {id: w, cidr: 10.1.0.0/16}\n", "6:49: subnet \"s\": route table \"w-default\" belongs to VPC \"w\", not \"v\""},

		// Route tables and routes.
		{"table missing id", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    route_tables:\n      - routes: []\n", "6:9: missing required field \"id\" in route table"},
		{"duplicate table", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    route_tables: [{id: r}, {id: r}]\n", "5:34: duplicate route table id \"r\" (first declared at 5:25)"},
		{"table named after other default", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    route_tables: [{id: w-default}]\n  - {id: w, cidr: 10.1.0.0/16}\n", "5:25: duplicate route table id \"w-default\": it is the default route table of VPC \"w\""},
		{"route missing destination", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    route_tables:\n      - id: r\n        routes:\n          - {next_hop_type: peering, next_hop: p}\npeerings: [{id: p, vpc: v, peer_vpc: v}]\n", "8:14: missing required field \"destination\" in route of route table \"r\""},
		{"route bad destination", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    route_tables:\n      - id: r\n        routes:\n          - {destination: 10.1.0.0/33, next_hop_type: peering, next_hop: p}\n", "8:27: route of route table \"r\": destination \"10.1.0.0/33\" is not a valid CIDR"},
		{"route missing type", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    route_tables:\n      - id: r\n        routes:\n          - {destination: 10.1.0.0/16, next_hop: p}\n", "8:14: missing required field \"next_hop_type\" in route of route table \"r\""},
		{"route bad type", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    route_tables:\n      - id: r\n        routes:\n          - {destination: 10.1.0.0/16, next_hop_type: nat, next_hop: p}\n", "8:55: route of route table \"r\": next_hop_type \"nat\" is not supported (valid: peering)"},
		{"route missing next hop", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    route_tables:\n      - id: r\n        routes:\n          - {destination: 10.1.0.0/16, next_hop_type: peering}\n", "8:14: missing required field \"next_hop\" in route of route table \"r\""},
		{"route unknown peering", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    route_tables:\n      - id: r\n        routes:\n          - {destination: 10.1.0.0/16, next_hop_type: peering, next_hop: pcx-9}\n", "8:74: route of route table \"r\": next_hop \"pcx-9\" is not a declared peering (declared peerings: none declared)"},

		// Hosts.
		{"host missing name", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    subnets: [{id: s, cidr: 10.0.1.0/24}]\n    hosts:\n      - subnet: s\n", "7:9: missing required field \"name\" in host"},
		{"host missing subnet", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    hosts:\n      - name: h\n", "6:9: missing required field \"subnet\" in host \"h\""},
		{"host bad name", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    subnets: [{id: s, cidr: 10.0.1.0/24}]\n    hosts:\n      - {name: \"a/b\", subnet: s}\n", "7:16: invalid host name \"a/b\""},
		{"host name too long", "name: best-practice\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    subnets: [{id: s, cidr: 10.0.1.0/24}]\n    hosts:\n      - {name: abcdefghijklmnopqr, subnet: s}\n",
			"7:16: host name \"abcdefghijklmnopqr\" is too long: its network namespace \"best-practice-abcdefghijklmnopqr\" would have 32 characters, at most 31"},
		{"duplicate host across vpcs", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    subnets: [{id: s, cidr: 10.0.1.0/24}]\n    hosts: [{name: h, subnet: s}]\n  - id: w\n    cidr: 10.1.0.0/16\n    subnets: [{id: u, cidr: 10.1.1.0/24}]\n    hosts: [{name: h, subnet: u}]\n", "10:20: duplicate host name \"h\" (first declared at 6:20)"},
		{"host unknown subnet", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    subnets: [{id: s, cidr: 10.0.1.0/24}]\n    hosts: [{name: h, subnet: x}]\n", "6:31: host \"h\": unknown subnet \"x\" (subnets of VPC \"v\": s)"},
		{"host subnet of other vpc", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    hosts: [{name: h, subnet: u}]\n  - id: w\n    cidr: 10.1.0.0/16\n    subnets: [{id: u, cidr: 10.1.1.0/24}]\n", "5:31: host \"h\": subnet \"u\" belongs to VPC \"w\", not \"v\""},
		{"host ip garbage", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    subnets: [{id: s, cidr: 10.0.1.0/24}]\n    hosts: [{name: h, subnet: s, ip: 10.0.1}]\n", "6:38: host \"h\": ip \"10.0.1\" is not an IPv4 address"},
		{"host ip v6", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    subnets: [{id: s, cidr: 10.0.1.0/24}]\n    hosts: [{name: h, subnet: s, ip: \"fd00::1\"}]\n", "6:38: host \"h\": ip \"fd00::1\" is not an IPv4 address"},
		{"host ip outside", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    subnets: [{id: s, cidr: 10.0.1.0/24}]\n    hosts: [{name: h, subnet: s, ip: 10.0.2.5}]\n", "6:38: host \"h\": ip 10.0.2.5 is outside subnet \"s\" (10.0.1.0/24)"},
		{"host ip network", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    subnets: [{id: s, cidr: 10.0.1.0/24}]\n    hosts: [{name: h, subnet: s, ip: 10.0.1.0}]\n", "6:38: host \"h\": ip 10.0.1.0 is the network address of subnet \"s\" (10.0.1.0/24)"},
		{"host ip gateway", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    subnets: [{id: s, cidr: 10.0.1.0/24}]\n    hosts: [{name: h, subnet: s, ip: 10.0.1.1}]\n", "6:38: host \"h\": ip 10.0.1.1 is the gateway of subnet \"s\" (10.0.1.0/24); hosts start at 10.0.1.2"},
		{"host ip broadcast", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    subnets: [{id: s, cidr: 10.0.1.0/24}]\n    hosts: [{name: h, subnet: s, ip: 10.0.1.255}]\n", "6:38: host \"h\": ip 10.0.1.255 is the broadcast address of subnet \"s\" (10.0.1.0/24)"},
		{"host ip duplicate", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    subnets: [{id: s, cidr: 10.0.1.0/24}]\n    hosts:\n      - {name: h1, subnet: s, ip: 10.0.1.9}\n      - {name: h2, subnet: s, ip: 10.0.1.9}\n", "8:35: host \"h2\": ip 10.0.1.9 is already used by host \"h1\" at 7:35"},
		{"subnet full", "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    subnets: [{id: s, cidr: 10.0.1.0/28}]\n    hosts:\n" + hostLines(13, "s") + "      - {name: last, subnet: s}\n", "20:10: host \"last\": subnet \"s\" (10.0.1.0/28) has no free address left"},

		// Peerings.
		{"peering missing id", "name: t\npeerings:\n  - {vpc: a, peer_vpc: b}\n", "3:6: missing required field \"id\" in peering"},
		{"peering missing vpc", "name: t\nvpcs: [{id: a, cidr: 10.0.0.0/16}]\npeerings:\n  - {id: p, peer_vpc: a}\n", "4:6: missing required field \"vpc\" in peering \"p\""},
		{"peering missing peer vpc", "name: t\nvpcs: [{id: a, cidr: 10.0.0.0/16}]\npeerings:\n  - {id: p, vpc: a}\n", "4:6: missing required field \"peer_vpc\" in peering \"p\""},
		{"peering unknown vpc", "name: t\nvpcs: [{id: a, cidr: 10.0.0.0/16}]\npeerings:\n  - {id: p, vpc: x, peer_vpc: a}\n", "4:18: peering \"p\": vpc \"x\" is not a declared VPC (declared VPCs: a)"},
		{"peering unknown peer vpc", "name: t\nvpcs: [{id: a, cidr: 10.0.0.0/16}]\npeerings:\n  - {id: p, vpc: a, peer_vpc: y}\n", "4:31: peering \"p\": peer_vpc \"y\" is not a declared VPC (declared VPCs: a)"},
		{"peering to itself", "name: t\nvpcs: [{id: a, cidr: 10.0.0.0/16}]\npeerings:\n  - {id: p, vpc: a, peer_vpc: a}\n", "4:31: peering \"p\": peer_vpc \"a\" is the requester VPC itself"},
		{"peering unknown peer account", "name: t\nvpcs: [{id: a, cidr: 10.0.0.0/16}, {id: b, cidr: 10.1.0.0/16}]\npeerings:\n  - {id: p, vpc: a, peer_vpc: b, peer_account: \"7\"}\n", "4:48: peering \"p\": unknown account \"7\""},
		{"duplicate peering", "name: t\nvpcs: [{id: a, cidr: 10.0.0.0/16}, {id: b, cidr: 10.1.0.0/16}]\npeerings:\n  - {id: p, vpc: a, peer_vpc: b}\n  - {id: p, vpc: b, peer_vpc: a}\n", "5:10: duplicate peering id \"p\" (first declared at 4:10)"},
		{"accepted same account", "name: t\nvpcs: [{id: a, cidr: 10.0.0.0/16}, {id: b, cidr: 10.1.0.0/16}]\npeerings:\n  - {id: p, vpc: a, peer_vpc: b, accepted: true}\n", "4:44: peering \"p\": accepted applies only to cross-account peerings; both sides are account \"100000000001\""},
		{"accepted same explicit account", "name: t\naccounts: [{id: \"1\"}, {id: \"2\"}]\nvpcs: [{id: a, cidr: 10.0.0.0/16}, {id: b, cidr: 10.1.0.0/16, account: \"2\"}]\npeerings:\n  - {id: p, vpc: a, peer_vpc: b, peer_account: \"1\", accepted: true}\n", "5:63: peering \"p\": accepted applies only to cross-account peerings; both sides are account \"1\""},
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

func TestParseByteOrderMark(t *testing.T) {
	top := mustParse(t, "\ufeffname: bom\nvpcs: [{id: v, cidr: 10.0.0.0/16}]\n")
	if top.Name != "bom" {
		t.Errorf("Parse(BOM + name: bom).Name = %q, want bom", top.Name)
	}
	// Columns on the first line count from after the mark.
	list := parseErrors(t, "\ufeffname: Bad\n")
	if want := testFile + `:1:7: invalid topology name "Bad"`; len(list) != 1 || !strings.HasPrefix(list[0].Error(), want) {
		t.Errorf("Parse errors:\n%v\nwant one starting with:\n%s", list, want)
	}
	// Only at the start: elsewhere it is a character like any other.
	list = parseErrors(t, "name: t\n\ufeffregion: r\n")
	if want := testFile + `:2:1: unknown field "\ufeffregion"`; !strings.HasPrefix(list[0].Error(), want) {
		t.Errorf("Parse errors:\n%v\nwant one starting with:\n%s", list, want)
	}
}
