package bench

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/vpcsim/vpcsim/daemon"
	"github.com/vpcsim/vpcsim/topology"
)

// VPCSim is the subject under test: two VPCs, one host each, joined by a
// peering with routes at both ends, so every packet crosses two VPC routers
// and the peering link.
type VPCSim struct{}

// Name returns "vpcsim".
func (VPCSim) Name() string { return "vpcsim" }

// pairYAML is the best-practice example: client c in VPC1, server s in VPC2.
const pairYAML = `name: %s
mtu: %d
vpcs:
  - id: vpc1
    cidr: 192.168.0.0/16
    subnets: [{id: subnet-a, cidr: 192.168.1.0/24}]
    route_tables:
      - id: vpc1-default
        routes: [{destination: 10.0.1.0/24, next_hop_type: peering, next_hop: pcx-1}]
    hosts: [{name: c, subnet: subnet-a, ip: 192.168.1.10}]
  - id: vpc2
    cidr: 10.0.0.0/16
    subnets: [{id: subnet-b, cidr: 10.0.1.0/24}]
    route_tables:
      - id: vpc2-default
        routes: [{destination: 192.168.1.0/24, next_hop_type: peering, next_hop: pcx-1}]
    hosts: [{name: s, subnet: subnet-b, ip: 10.0.1.10}]
peerings:
  - {id: pcx-1, vpc: vpc1, peer_vpc: vpc2}
`

// Setup launches the pair in this process.
func (VPCSim) Setup(ctx context.Context, mtu int) (*Endpoints, error) {
	name := strings.TrimSuffix(NamePrefix(), "-") // "vb-<pid>-<n>": Cleanup finds its namespaces
	t, err := topology.Parse("bench.yaml", fmt.Appendf(nil, pairYAML, name, mtu))
	if err != nil {
		return nil, err
	}
	d, err := daemon.Launch(ctx, t, daemon.Options{})
	if err != nil {
		return nil, err
	}
	return &Endpoints{
		ClientNS: t.Namespace("c"),
		ServerNS: t.Namespace("s"),
		ServerIP: netip.MustParseAddr("10.0.1.10"),
		Close:    d.Close,
	}, nil
}

// ChainYAML returns a topology of n VPCs with one host each and a chain of
// peerings vpc1-vpc2-...-vpcN, routes at both ends: every VPC has at most two
// peerings, well within the limit of ten.
func ChainYAML(name string, n int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "name: %s\nvpcs:\n", name)
	cidr := func(i int) string { return fmt.Sprintf("10.%d.%d.0/24", i/256, i%256) }
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  - id: vpc%d\n    cidr: %s\n    subnets: [{id: sn%d, cidr: %s}]\n    hosts: [{name: h%d, subnet: sn%d}]\n",
			i, cidr(i), i, cidr(i), i, i)
		var routes []string
		if i > 1 {
			routes = append(routes, fmt.Sprintf("{destination: %s, next_hop_type: peering, next_hop: pcx-%d}", cidr(i-1), i-1))
		}
		if i < n {
			routes = append(routes, fmt.Sprintf("{destination: %s, next_hop_type: peering, next_hop: pcx-%d}", cidr(i+1), i))
		}
		if len(routes) > 0 {
			fmt.Fprintf(&b, "    route_tables:\n      - id: vpc%d-default\n        routes: [%s]\n", i, strings.Join(routes, ", "))
		}
	}
	if n > 1 {
		b.WriteString("peerings:\n")
		for i := 1; i < n; i++ {
			fmt.Fprintf(&b, "  - {id: pcx-%d, vpc: vpc%d, peer_vpc: vpc%d}\n", i, i, i+1)
		}
	}
	return []byte(b.String())
}

// LaunchChain is a Launcher of ChainYAML topologies in this process.
func LaunchChain(ctx context.Context, n int) (Instance, error) {
	name := strings.TrimSuffix(NamePrefix(), "-")
	t, err := topology.Parse("chain.yaml", ChainYAML(name, n))
	if err != nil {
		return Instance{}, err
	}
	d, err := daemon.Launch(ctx, t, daemon.Options{})
	if err != nil {
		return Instance{}, err
	}
	return Instance{Teardown: d.Close}, nil
}
