package bench

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/daemon"
	"github.com/vpcsim/vpcsim/router"
	"github.com/vpcsim/vpcsim/topology"
	"github.com/vpcsim/vpcsim/tun"
)

// VPCSim is the subject under test: pair i (from 1) is VPC a<i> with host
// a<i> peered with VPC b<i> with host b<i>, routes at both ends, so every
// packet crosses two VPC routers and the peering link; all pairs are the
// routers of one topology (PairsYAML). Client a<i>, server b<i>.
type VPCSim struct {
	// BusyPoll launches the routers with this busy-poll time
	// (router.Config.BusyPoll); 0: off.
	BusyPoll time.Duration
	// Lanes, when not 0, builds the data path with this many lanes and a
	// TUN queue per lane on every host (router.Config.Lanes) instead of
	// launching it as vpcsim up does, which uses router.DefaultLanes. One
	// lane is the data path of vpcsim before lanes: one poller reading
	// every host.
	Lanes int
}

// Name returns "vpcsim", with "-<n>lane" for a Lanes of n and "-busy" for
// a busy-poll time: "vpcsim-1lane-busy".
func (v VPCSim) Name() string {
	name := "vpcsim"
	if v.Lanes > 0 {
		name += fmt.Sprintf("-%dlane", v.Lanes)
	}
	if v.BusyPoll > 0 {
		name += "-busy"
	}
	return name
}

// Setup launches a topology of pairs VPC pairs at mtu in this process.
func (v VPCSim) Setup(ctx context.Context, mtu, pairs int) (*Setup, error) {
	name := strings.TrimSuffix(NamePrefix(), "-") // "vb-<pid>-<n>": Cleanup finds its namespaces
	t, err := topology.Parse("pairs.yaml", PairsYAML(name, pairs))
	if err != nil {
		return nil, err
	}
	t.MTU = mtu
	var closer func() error
	if v.Lanes == 0 {
		d, err := daemon.Launch(ctx, t, daemon.Options{BusyPoll: v.BusyPoll})
		if err != nil {
			return nil, err
		}
		closer = d.Close
	} else if closer, err = v.wire(t); err != nil {
		return nil, err
	}
	s := &Setup{Close: closer}
	for i := 1; i <= pairs; i++ {
		_, server := t.Host(fmt.Sprint("b", i))
		s.Pairs = append(s.Pairs, Endpoints{
			ClientNS: t.Namespace(fmt.Sprint("a", i)),
			ServerNS: t.Namespace(fmt.Sprint("b", i)),
			ServerIP: server.IP,
		})
	}
	return s, nil
}

// wire builds t's hosts, with v.Lanes queues each and offloads where the
// kernel has them, and its routers with v.Lanes lanes, as daemon.Launch
// would but for the lanes. It returns how to remove them.
func (v VPCSim) wire(t *topology.Topology) (func() error, error) {
	var hosts []*tun.Host
	closeAll := func() error {
		errs := make([]error, len(hosts))
		var wg sync.WaitGroup
		for i, h := range hosts {
			wg.Go(func() { errs[i] = h.Close() })
		}
		wg.Wait()
		return errors.Join(errs...)
	}
	devices := make(map[string]router.Device)
	offload := true
	for _, vpc := range t.VPCs {
		for _, h := range vpc.Hosts {
			sn := vpc.Subnet(h.Subnet)
			cfg := tun.HostConfig{Namespace: t.Namespace(h.Name), Addr: netip.PrefixFrom(h.IP, sn.CIDR.Bits()),
				Gateway: sn.Gateway(), MTU: t.MTU, Queues: v.Lanes, Offload: offload}
			th, err := tun.CreateHost(cfg)
			if errors.Is(err, tun.ErrOffloadUnsupported) && len(hosts) == 0 {
				offload, cfg.Offload = false, false
				th, err = tun.CreateHost(cfg)
			}
			if err != nil {
				return nil, errors.Join(err, closeAll())
			}
			hosts = append(hosts, th)
			devices[h.Name] = router.MultiQueue(th.Devices())
		}
	}
	cfg := router.Config{MTU: t.MTU, Lanes: v.Lanes, BusyPoll: v.BusyPoll}
	if offload {
		cfg.MaxPacket = tun.MaxOffloadPacket
	}
	n, _, err := daemon.Wire(t, devices, cfg, control.Options{})
	if err != nil {
		return nil, errors.Join(err, closeAll())
	}
	return func() error { return errors.Join(n.Close(), closeAll()) }, nil
}

// PairsYAML returns a topology of n VPC pairs: pair i (from 1) is VPC a<i>,
// 10.<i>.0.0/16, with host a<i> in subnet 10.<i>.1.0/24, and VPC b<i>,
// 10.<100+i>.0.0/16, with host b<i> in 10.<100+i>.1.0/24, joined by peering
// pcx-<i> with routes at both ends. n is at most 99.
func PairsYAML(name string, n int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "name: %s\nvpcs:\n", name)
	vpc := func(id string, octet int, peerOctet int, pcx string) {
		fmt.Fprintf(&b, "  - id: %s\n    cidr: 10.%d.0.0/16\n    subnets: [{id: %s-sn, cidr: 10.%d.1.0/24}]\n", id, octet, id, octet)
		fmt.Fprintf(&b, "    route_tables: [{id: %s-default, routes: [{destination: 10.%d.1.0/24, next_hop_type: peering, next_hop: %s}]}]\n", id, peerOctet, pcx)
		fmt.Fprintf(&b, "    hosts: [{name: %s, subnet: %s-sn}]\n", id, id)
	}
	for i := 1; i <= n; i++ {
		pcx := fmt.Sprint("pcx-", i)
		vpc(fmt.Sprint("a", i), i, 100+i, pcx)
		vpc(fmt.Sprint("b", i), 100+i, i, pcx)
	}
	b.WriteString("peerings:\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  - {id: pcx-%d, vpc: a%d, peer_vpc: b%d}\n", i, i, i)
	}
	return []byte(b.String())
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
