package bench

import (
	"context"
	"net/netip"
	"os"
	"strconv"

	"github.com/vpcsim/vpcsim/tun"
)

// Kernel is the kernel's own forwarding: for each pair, namespaces client,
// router and server joined by two veth pairs, 10.201.1.0/24 on the client
// side and 10.201.2.0/24 on the server side, with IPv4 forwarding on in the
// router. The zero value is ready to use.
type Kernel struct{}

var _ Subject = Kernel{}

// Name returns "kernel".
func (Kernel) Name() string { return "kernel" }

// Kernel addresses: client 10.201.1.2 via router 10.201.1.1, server
// 10.201.2.2 via router 10.201.2.1.
var (
	kernelClientIP = netip.MustParseAddr("10.201.1.2")
	kernelServerIP = netip.MustParseAddr("10.201.2.2")
)

// Setup builds three namespaces per pair, every veth at mtu. Pairs share
// nothing but the machine: each has a router namespace of its own.
func (k Kernel) Setup(ctx context.Context, mtu, pairs int) (*Setup, error) {
	if err := checkMTU(mtu); err != nil {
		return nil, err
	}
	td := &teardown{}
	s := &Setup{Close: td.close}
	for range pairs {
		ep, err := k.setupPair(ctx, td, mtu)
		if err != nil {
			return nil, td.fail(err)
		}
		s.Pairs = append(s.Pairs, ep)
	}
	return s, nil
}

// setupPair builds one client, router and server, registering their
// removal with td.
func (Kernel) setupPair(ctx context.Context, td *teardown, mtu int) (Endpoints, error) {
	p := NamePrefix() + "k-"
	client, router, server := p+"client", p+"router", p+"server"
	for _, ns := range []string{client, router, server} {
		if err := td.addNS(ctx, ns); err != nil {
			return Endpoints{}, err
		}
	}
	m := strconv.Itoa(mtu)
	err := ipBatch(ctx, [][]string{
		// The veth pairs are made inside their namespaces, never in ours.
		{"-n", client, "link", "add", "eth0", "type", "veth", "peer", "name", "c0", "netns", router},
		{"-n", server, "link", "add", "eth0", "type", "veth", "peer", "name", "s0", "netns", router},
		{"-n", client, "link", "set", "lo", "up"},
		{"-n", router, "link", "set", "lo", "up"},
		{"-n", server, "link", "set", "lo", "up"},
		{"-n", client, "link", "set", "eth0", "mtu", m, "up"},
		{"-n", router, "link", "set", "c0", "mtu", m, "up"},
		{"-n", router, "link", "set", "s0", "mtu", m, "up"},
		{"-n", server, "link", "set", "eth0", "mtu", m, "up"},
		{"-n", client, "addr", "add", kernelClientIP.String() + "/24", "dev", "eth0"},
		{"-n", router, "addr", "add", "10.201.1.1/24", "dev", "c0"},
		{"-n", router, "addr", "add", "10.201.2.1/24", "dev", "s0"},
		{"-n", server, "addr", "add", kernelServerIP.String() + "/24", "dev", "eth0"},
		{"-n", client, "route", "add", "default", "via", "10.201.1.1"},
		{"-n", server, "route", "add", "default", "via", "10.201.2.1"},
	})
	if err != nil {
		return Endpoints{}, err
	}
	err = tun.Do(router, func() error {
		return os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1\n"), 0o644)
	})
	if err != nil {
		return Endpoints{}, err
	}
	return Endpoints{ClientNS: client, ServerNS: server, ServerIP: kernelServerIP}, nil
}
