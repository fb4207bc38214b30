package bench

import (
	"context"
	"testing"

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

func TestNSVPCSimSubject(t *testing.T) {
	tuntest.NeedRoot(t, "ip", "ping", "iperf3")
	defer checkNoNamespaces(t)
	rep, err := Run(context.Background(), Config{Subjects: []Subject{VPCSim{}}, MTUs: []int{1500}, Duration: 1e9, Pings: 20})
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Results[0]
	if len(r.Errors) > 0 || r.TCPGbps <= 0 || r.RTTMedianMicros <= 0 {
		t.Errorf("vpcsim result %+v, want TCP throughput and RTT without errors", r)
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
