package topology

import (
	"strings"
	"testing"
)

const privateRule = "a VPC's cidr must lie in a private range: 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"

func TestParseRefusesCIDRsACloudRefuses(t *testing.T) {
	vpc := func(cidr string) string { return "name: t\nvpcs:\n  - {id: v, cidr: \"" + cidr + "\"}\n" }
	subnet := func(cidr string) string {
		return "name: t\nvpcs:\n  - {id: v, cidr: 10.0.0.0/16, subnets: [{id: s, cidr: \"" + cidr + "\"}]}\n"
	}
	sizes := "prefix length is /16 (65536 addresses) to /28 (16 addresses)"
	tests := []struct {
		name, src, want string
	}{
		// Issue 12: all of these validated.
		{"everything", vpc("0.0.0.0/0"), `3:19: vpc "v": cidr 0.0.0.0/0 is not inside one private range; ` + privateRule},
		{"one address", vpc("10.0.0.1/32"), `3:19: vpc "v": cidr 10.0.0.1/32 is too small: a VPC's ` + sizes},
		{"loopback", vpc("127.0.0.0/8"), `3:19: vpc "v": cidr 127.0.0.0/8 is in 127.0.0.0/8 (loopback); ` + privateRule},
		{"multicast", vpc("224.0.0.0/4"), `3:19: vpc "v": cidr 224.0.0.0/4 is in 224.0.0.0/4 (multicast); ` + privateRule},
		{"broadcast", vpc("255.255.255.0/24"), `3:19: vpc "v": cidr 255.255.255.0/24 is in 240.0.0.0/4 (reserved, and the broadcast address 255.255.255.255); ` + privateRule},

		{"this network", vpc("0.0.0.0/16"), `cidr 0.0.0.0/16 is in 0.0.0.0/8 ("this network"); ` + privateRule},
		{"link-local", vpc("169.254.0.0/16"), `cidr 169.254.0.0/16 is in 169.254.0.0/16 (link-local); ` + privateRule},
		{"loopback /16", vpc("127.1.0.0/16"), `cidr 127.1.0.0/16 is in 127.0.0.0/8 (loopback)`},
		{"carrier-grade NAT", vpc("100.64.0.0/16"), `cidr 100.64.0.0/16 is in 100.64.0.0/10 (shared address space`},
		{"public", vpc("8.8.0.0/16"), `cidr 8.8.0.0/16 is public; ` + privateRule},
		{"public next to 172.16/12", vpc("172.32.0.0/16"), `cidr 172.32.0.0/16 is public`},
		{"spans two ranges", vpc("10.0.0.0/7"), `cidr 10.0.0.0/7 is not inside one private range`},
		{"whole 10/8", vpc("10.0.0.0/8"), `3:19: vpc "v": cidr 10.0.0.0/8 is too large: a VPC's ` + sizes},
		{"whole 172.16/12", vpc("172.16.0.0/12"), `cidr 172.16.0.0/12 is too large`},
		{"/15", vpc("192.168.0.0/15"), `cidr 192.168.0.0/15 is not inside one private range`},
		{"/29", vpc("10.0.0.0/29"), `cidr 10.0.0.0/29 is too small: a VPC's ` + sizes},

		{"subnet /29", subnet("10.0.1.0/29"), `3:56: subnet "s": cidr 10.0.1.0/29 is too small: a subnet's ` + sizes},
		{"subnet /32", subnet("10.0.1.1/32"), `cidr 10.0.1.1/32 is too small: a subnet's`},
		{"subnet /15", subnet("10.0.0.0/15"), `cidr 10.0.0.0/15 is too large: a subnet's`},
		{"subnet outside", subnet("127.0.0.0/24"), `cidr 127.0.0.0/24 is outside VPC "v" cidr 10.0.0.0/16`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list := parseErrors(t, tt.src)
			if len(list) != 1 || !strings.Contains(list[0].Error(), tt.want) {
				t.Errorf("Parse errors:\n%v\nwant one containing:\n%s", list, tt.want)
			}
		})
	}
}

func TestParseAcceptsCIDRsACloudAccepts(t *testing.T) {
	for _, c := range []struct{ vpc, subnet string }{
		{"10.0.0.0/16", "10.0.0.0/16"},
		{"10.255.255.240/28", "10.255.255.240/28"},
		{"172.16.0.0/16", "172.16.0.0/28"},
		{"172.31.0.0/16", "172.31.255.0/24"},
		{"192.168.0.0/16", "192.168.1.0/24"},
		{"192.168.255.0/24", "192.168.255.128/25"},
	} {
		top := mustParse(t, "name: t\nvpcs:\n  - {id: v, cidr: "+c.vpc+", subnets: [{id: s, cidr: "+c.subnet+"}], hosts: [{name: h, subnet: s}]}\n")
		if got := top.VPCs[0].CIDR.String(); got != c.vpc {
			t.Errorf("VPC cidr %s parsed as %s", c.vpc, got)
		}
	}
}
