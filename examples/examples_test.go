package examples

import (
	"io/fs"
	"net/netip"
	"testing"

	"github.com/vpcsim/vpcsim/topology"
)

func TestExamplesParse(t *testing.T) {
	names, err := fs.Glob(FS, "*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 4 {
		t.Fatalf("FS holds %d examples (%v), want at least 4", len(names), names)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			data, err := FS.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			top, err := topology.Parse(name, data)
			if err != nil {
				t.Fatalf("Parse(%s):\n%v", name, err)
			}
			if want := name[:len(name)-len(".yaml")]; top.Name != want {
				t.Errorf("Parse(%s).Name = %q, want %q", name, top.Name, want)
			}
		})
	}
}

func TestBestPractice(t *testing.T) {
	top, err := topology.Parse(BestPracticeFile, BestPractice())
	if err != nil {
		t.Fatal(err)
	}
	if top.Region != "wuhan" || len(top.Accounts) != 1 {
		t.Errorf("region %q with %d accounts, want wuhan with 1", top.Region, len(top.Accounts))
	}
	hosts := []struct{ host, vpc, ip string }{
		{"a1", "vpc1", "192.168.1.10"},
		{"b1", "vpc2", "10.0.1.10"},
	}
	for _, h := range hosts {
		vpc, host := top.Host(h.host)
		if vpc == nil || vpc.ID != h.vpc || host.IP != netip.MustParseAddr(h.ip) {
			t.Errorf("Host(%s) = %v, %v, want %s in %s", h.host, vpc, host, h.ip, h.vpc)
		}
	}
	routes := []struct{ vpc, dst string }{
		{"vpc1", "10.0.1.0/24"},
		{"vpc2", "192.168.1.0/24"},
	}
	for _, r := range routes {
		v := top.VPC(r.vpc)
		rt := v.RouteTable(v.DefaultRouteTable())
		if rt == nil || len(rt.Routes) != 1 || rt.Routes[0].Destination != netip.MustParsePrefix(r.dst) || rt.Routes[0].NextHop != "pcx-1" {
			t.Errorf("%s default table = %+v, want one route %s via pcx-1", r.vpc, rt, r.dst)
		}
	}
	if p := top.Peering("pcx-1"); p == nil || p.Name != "PeerConn" || p.VPC != "vpc1" || p.PeerVPC != "vpc2" {
		t.Errorf("Peering(pcx-1) = %+v, want PeerConn vpc1 -> vpc2", p)
	}
}
