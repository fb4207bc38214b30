package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vpcsim/vpcsim/topology"
	"github.com/vpcsim/vpcsim/tun/tuntest"
)

func TestChainYAML(t *testing.T) {
	for _, n := range []int{1, 2, 300} {
		top, err := topology.Parse("chain.yaml", ChainYAML("chain", n))
		if err != nil {
			t.Fatalf("ChainYAML(%d) does not parse: %v", n, err)
		}
		if len(top.VPCs) != n || len(top.Peerings) != n-1 {
			t.Errorf("ChainYAML(%d): %d VPCs, %d peerings; want %d, %d", n, len(top.VPCs), len(top.Peerings), n, n-1)
		}
	}
}

func TestPairsYAML(t *testing.T) {
	for _, n := range []int{1, 4, 16} {
		top, err := topology.Parse("pairs.yaml", PairsYAML("pairs", n))
		if err != nil {
			t.Fatalf("PairsYAML(%d) does not parse: %v", n, err)
		}
		if len(top.VPCs) != 2*n || len(top.Peerings) != n {
			t.Errorf("PairsYAML(%d): %d VPCs, %d peerings; want %d, %d", n, len(top.VPCs), len(top.Peerings), 2*n, n)
		}
		for i := 1; i <= n; i++ {
			a, b := fmt.Sprint("a", i), fmt.Sprint("b", i)
			_, ha := top.Host(a)
			_, hb := top.Host(b)
			if ha == nil || hb == nil {
				t.Fatalf("PairsYAML(%d): no hosts %s and %s", n, a, b)
			}
			// Each side routes the other's subnet over its peering,
			// from the table its subnet uses.
			for _, side := range []struct{ vpc, peer string }{{a, b}, {b, a}} {
				v := top.VPC(side.vpc)
				_, peer := top.Host(side.peer)
				rt := v.RouteTable(v.Subnet(v.Hosts[0].Subnet).RouteTable)
				if rt == nil || len(rt.Routes) != 1 || !rt.Routes[0].Destination.Contains(peer.IP) || rt.Routes[0].NextHop != fmt.Sprint("pcx-", i) {
					t.Errorf("PairsYAML(%d): VPC %s does not route %v over pcx-%d: %+v", n, side.vpc, peer.IP, i, rt)
				}
			}
		}
	}
}

func TestNSVPCSimSubject(t *testing.T) {
	tuntest.NeedRoot(t, "ip", "ping", "iperf3")
	for _, s := range []VPCSim{{}, {Lanes: 1}} {
		t.Run(s.Name(), func(t *testing.T) {
			defer checkNoNamespaces(t)
			rep, err := Run(context.Background(), Config{Subjects: []Subject{s}, MTUs: []int{1500}, Pairs: 2, Duration: time.Second, Pings: 20})
			if err != nil {
				t.Fatal(err)
			}
			r := rep.Results[0]
			if len(r.Errors) > 0 || r.TCPGbps <= 0 || r.RTTMedianMicros <= 0 || r.TCP4Gbps <= 0 || r.PairsGbps <= 0 || r.QuietGbps <= 0 {
				t.Errorf("%s result %+v, want throughput and RTT of every measurement, without errors", s.Name(), r)
			}
		})
	}
}

func TestNSScaleChain(t *testing.T) {
	tuntest.NeedRoot(t, "ip", "ping", "iperf3")
	defer checkNoNamespaces(t)
	res, err := Scale(context.Background(), LaunchChain, []int{10}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].LaunchS <= 0 {
		t.Errorf("Scale = %+v", res)
	}
}
