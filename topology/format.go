package topology

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Format writes t as a topology file that Parse reads back as t, positions
// and File aside: every default spelled out (accounts, regions, route
// tables, host addresses), so that the file stands on its own; but the
// protocol of an expectation, icmp unless it says otherwise. Strings
// that YAML could read as something else are quoted. header, when not
// empty, starts the file as comment lines.
func Format(t *Topology, header string) []byte {
	var b bytes.Buffer
	for _, line := range strings.Split(strings.TrimRight(header, "\n"), "\n") {
		if header != "" {
			fmt.Fprintf(&b, "# %s\n", line)
		}
	}
	fmt.Fprintf(&b, "name: %s\n", scalar(t.Name))
	fmt.Fprintf(&b, "region: %s\n", scalar(t.Region))
	fmt.Fprintf(&b, "mtu: %d\n", t.MTU)
	fmt.Fprintf(&b, "peering_expiry: %s\n", t.PeeringExpiry)
	fmt.Fprintf(&b, "peerings_per_vpc: %d\n", t.PeeringsPerVPC)
	b.WriteString("accounts:\n")
	for _, a := range t.Accounts {
		fmt.Fprintf(&b, "  - {id: %s%s}\n", quoted(a.ID), optional("name", a.Name))
	}
	b.WriteString("vpcs:\n")
	for _, v := range t.VPCs {
		formatVPC(&b, &v)
	}
	if len(t.Peerings) > 0 {
		b.WriteString("peerings:\n")
	}
	for _, p := range t.Peerings {
		fmt.Fprintf(&b, "  - {id: %s%s, vpc: %s, peer_vpc: %s, peer_account: %s", scalar(p.ID), optional("name", p.Name), scalar(p.VPC), scalar(p.PeerVPC), quoted(p.PeerAccount))
		if p.Accepted {
			b.WriteString(", accepted: true")
		}
		b.WriteString(optional("status", p.Status))
		b.WriteString("}\n")
	}
	formatExpect(&b, t.Expect)
	return b.Bytes()
}

// formatExpect writes the expect: rules, icmp left implicit.
func formatExpect(b *bytes.Buffer, rules []Expectation) {
	if len(rules) == 0 {
		return
	}
	b.WriteString("expect:\n")
	for _, e := range rules {
		fmt.Fprintf(b, "  - {from: %s, to: %s", scalar(e.From), scalar(e.To))
		if e.Protocol != ProtocolICMP {
			fmt.Fprintf(b, ", protocol: %s, port: %d", scalar(e.Protocol), e.Port)
		}
		fmt.Fprintf(b, ", reach: %t%s}\n", e.Reach, optional("because", e.Because))
	}
}

func formatVPC(b *bytes.Buffer, v *VPC) {
	fmt.Fprintf(b, "  - id: %s\n", scalar(v.ID))
	if v.Name != "" {
		fmt.Fprintf(b, "    name: %s\n", scalar(v.Name))
	}
	fmt.Fprintf(b, "    account: %s\n    region: %s\n    cidr: %s\n", quoted(v.Account), scalar(v.Region), v.CIDR)
	if len(v.Subnets) > 0 {
		b.WriteString("    subnets:\n")
	}
	for _, s := range v.Subnets {
		fmt.Fprintf(b, "      - {id: %s, cidr: %s, route_table: %s}\n", scalar(s.ID), s.CIDR, scalar(s.RouteTable))
	}
	b.WriteString("    route_tables:\n")
	for _, rt := range v.RouteTables {
		fmt.Fprintf(b, "      - id: %s\n", scalar(rt.ID))
		if len(rt.Routes) == 0 {
			b.WriteString("        routes: []\n")
			continue
		}
		b.WriteString("        routes:\n")
		for _, r := range rt.Routes {
			fmt.Fprintf(b, "          - {destination: %s, next_hop_type: %s, next_hop: %s}\n", r.Destination, scalar(r.NextHopType), scalar(r.NextHop))
		}
	}
	if len(v.Hosts) > 0 {
		b.WriteString("    hosts:\n")
	}
	for _, h := range v.Hosts {
		fmt.Fprintf(b, "      - {name: %s, subnet: %s, ip: %s}\n", scalar(h.Name), scalar(h.Subnet), h.IP)
	}
}

// plain matches strings that YAML reads as themselves unquoted, in block
// and in flow context: they start with a letter and hold no indicator.
var plain = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._-]*$`)

// scalar returns s as a YAML scalar: as it is when YAML reads it back as
// the same string, else double-quoted.
func scalar(s string) string {
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "null", "y", "n":
		return quoted(s)
	}
	if plain.MatchString(s) {
		return s
	}
	return quoted(s)
}

// quoted returns s double-quoted: a JSON string is a YAML double-quoted
// scalar.
func quoted(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// optional returns ", key: value" for a value that is set, else "".
func optional(key, value string) string {
	if value == "" {
		return ""
	}
	return ", " + key + ": " + scalar(value)
}
