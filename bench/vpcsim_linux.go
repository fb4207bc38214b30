package bench

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vpcsim/vpcsim/daemon"
	"github.com/vpcsim/vpcsim/examples"
	"github.com/vpcsim/vpcsim/topology"
)

// VPCSim is the subject under test: the best-practice example, two VPCs
// with one host each joined by a peering with routes at both ends, so every
// packet crosses two VPC routers and the peering link. Client a1, server b1.
type VPCSim struct {
	// BusyPoll launches the routers with this busy-poll time
	// (router.Config.BusyPoll); 0: off.
	BusyPoll time.Duration
}

// Name returns "vpcsim", or "vpcsim-busy" with a busy-poll time.
func (v VPCSim) Name() string {
	if v.BusyPoll > 0 {
		return "vpcsim-busy"
	}
	return "vpcsim"
}

// Setup launches the example at mtu in this process.
func (v VPCSim) Setup(ctx context.Context, mtu int) (*Endpoints, error) {
	t, err := topology.Parse(examples.BestPracticeFile, examples.BestPractice())
	if err != nil {
		return nil, err
	}
	t.Name = strings.TrimSuffix(NamePrefix(), "-") // "vb-<pid>-<n>": Cleanup finds its namespaces
	t.MTU = mtu
	d, err := daemon.Launch(ctx, t, daemon.Options{BusyPoll: v.BusyPoll})
	if err != nil {
		return nil, err
	}
	_, server := t.Host("b1")
	return &Endpoints{
		ClientNS: t.Namespace("a1"),
		ServerNS: t.Namespace("b1"),
		ServerIP: server.IP,
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
