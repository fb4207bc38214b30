package explain_test

import (
	"fmt"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/daemon"
	"github.com/vpcsim/vpcsim/explain"
	"github.com/vpcsim/vpcsim/router"
	"github.com/vpcsim/vpcsim/topology"
	"github.com/vpcsim/vpcsim/tun/tuntest"
)

// TestExplainMatchesRouter checks the analysis against the data plane it
// mirrors, without root: the lab topology runs on routers with in-memory
// devices, and for every host and every destination (hosts, gateways,
// addresses with no host, outside every VPC) one ICMP echo request and one
// UDP packet are injected. Where explain says the forward path is open, the
// packet must come out at the host it names (or, for a gateway, an echo
// reply back at the source); where it is blocked, the router must count the
// drop explain names, in the VPC it names.
func TestExplainMatchesRouter(t *testing.T) {
	b, err := os.ReadFile("testdata/lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	topo, err := topology.Parse("lab.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	devs := make(map[string]*tuntest.Device)
	devices := make(map[string]router.Device)
	var dsts []string
	for _, v := range topo.VPCs {
		for _, s := range v.Subnets {
			dsts = append(dsts, s.Gateway().String(), s.CIDR.Addr().Next().Next().Next().String())
		}
		for _, h := range v.Hosts {
			devs[h.Name] = tuntest.NewDevice(16)
			devices[h.Name] = devs[h.Name]
			dsts = append(dsts, h.Name)
		}
	}
	dsts = append(dsts, "8.8.8.8", "10.0.9.9", "172.17.9.9")
	n, st, err := daemon.Wire(topo, devices, router.Config{}, control.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })

	check := func(t *testing.T) {
		for _, src := range topo.VPCs {
			for _, h := range src.Hosts {
				for _, dst := range dsts {
					for _, proto := range []explain.Protocol{explain.ICMP, explain.UDP} {
						port := 0
						if proto == explain.UDP {
							port = 9
						}
						res, err := explain.Explain(st, explain.Request{Source: h.Name, Destination: dst, Protocol: proto, Port: port})
						if err != nil {
							t.Fatal(err)
						}
						if res.Destination.IP == h.IP {
							continue // never leaves the host
						}
						got := inject(t, n, devs, h.Name, h.IP, res.Destination.IP, proto)
						if want := expect(res); got != want {
							t.Errorf("%s %s -> %s: router: %s; explain: %s (%s)", proto, h.Name, dst, got, want, res.Forward.Verdict)
						}
					}
				}
			}
		}
	}
	t.Run("as launched", check)
	// Routes and peerings change: a route gone, a pending peering
	// rejected, a peering deleted with its routes.
	if _, err := st.DeleteRoute("", "vpc2-default", "192.168.0.0/16"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RejectPeering("200000000002", "pcx-15"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DeletePeering("", "pcx-13"); err != nil {
		t.Fatal(err)
	}
	t.Run("after changes", check)
}

// expect is what explain says the router does with the forward packet.
func expect(res *explain.Result) string {
	if b := res.Forward.Blocked; b != nil {
		return fmt.Sprintf("drop %s in %s", b.Drop, b.DropVPC)
	}
	last := res.Forward.Hops[len(res.Forward.Hops)-1]
	if last.Component == explain.ComponentGateway {
		return "echo reply to " + res.Source.Host
	}
	return "delivered to " + last.ID
}

// inject sends one packet from host src and reports what became of it.
func inject(t *testing.T, n *router.Network, devs map[string]*tuntest.Device, src string, from, to netip.Addr, proto explain.Protocol) string {
	t.Helper()
	before := drops(n)
	pkt := packet(from, to, proto)
	devs[src].Inbound <- pkt
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		for name, d := range devs {
			select {
			case p := <-d.Outbound:
				if e, err := tuntest.ParseEcho(p); name == src && err == nil && e.Reply {
					return "echo reply to " + name
				}
				return "delivered to " + name
			default:
			}
		}
		after := drops(n)
		for k, v := range after {
			if v != before[k] {
				return "drop " + k
			}
		}
		time.Sleep(time.Millisecond)
	}
	return "nothing happened"
}

// drops returns the drop counters as "reason in vpc" -> count.
func drops(n *router.Network) map[string]uint64 {
	m := make(map[string]uint64)
	for _, v := range n.Stats().VPCs {
		for r, c := range v.Drops {
			m[fmt.Sprintf("%s in %s", r, v.VPC)] = c
		}
	}
	return m
}

// packet returns an ICMP echo request, or a UDP datagram to port 9.
func packet(src, dst netip.Addr, proto explain.Protocol) []byte {
	if proto == explain.ICMP {
		return tuntest.ICMPEcho(src, dst, 1, 1, nil)
	}
	return tuntest.UDP(src, dst, 40000, 9, nil)
}
