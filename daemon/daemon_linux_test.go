package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/examples"
	"github.com/vpcsim/vpcsim/router"
	"github.com/vpcsim/vpcsim/topology"
	"github.com/vpcsim/vpcsim/tun"
	"github.com/vpcsim/vpcsim/tun/tuntest"
)

func TestMain(m *testing.M) {
	// Records, sockets and saved states of these tests stay out of the
	// real directories.
	dir, err := os.MkdirTemp("", "vpcsim-run-")
	if err != nil {
		panic(err)
	}
	os.Setenv("VPCSIM_RUN_DIR", dir)
	os.Setenv(StateDirEnv, filepath.Join(dir, "state"))
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var topoSeq atomic.Int32

// uniqueName returns a topology name no other test process uses.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s%d-%d", prefix, os.Getpid()%100000, topoSeq.Add(1))
}

// launch parses yaml (its name: field replaced by a unique one), launches
// it, and tears it down when the test ends, checking nothing is left.
func launch(t *testing.T, file string, yaml []byte) *Daemon {
	t.Helper()
	return launchYAML(t, file, yaml, Options{})
}

// launchWith launches the example file with opts.
func launchWith(t *testing.T, file string, opts Options) *Daemon {
	t.Helper()
	return launchYAML(t, file, example(t, file), opts)
}

// launchYAML launches yaml, renamed to a unique name, with opts, and tears
// it down at the end of the test, checking nothing is left.
func launchYAML(t *testing.T, file string, yaml []byte, opts Options) *Daemon {
	t.Helper()
	tuntest.NeedRoot(t, "ping", "iperf3")
	name := uniqueName(strings.TrimSuffix(file, ".yaml")[:2])
	topo, err := topology.Parse(file, renameTopology(yaml, name))
	if err != nil {
		t.Fatalf("Parse(%s): %v", file, err)
	}
	d, err := Launch(context.Background(), topo, opts)
	if err != nil {
		t.Fatalf("Launch(%s): %v", file, err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if left, _ := tun.List(name + "-"); len(left) > 0 {
			t.Errorf("namespaces left after Close: %v", left)
		}
	})
	return d
}

func renameTopology(yaml []byte, name string) []byte {
	var out []string
	for _, line := range strings.Split(string(yaml), "\n") {
		if strings.HasPrefix(line, "name:") {
			line = "name: " + name
		}
		out = append(out, line)
	}
	return []byte(strings.Join(out, "\n"))
}

func example(t testing.TB, name string) []byte {
	b, err := examples.FS.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (d *Daemon) hostIP(t testing.TB, name string) netip.Addr {
	for _, v := range d.Topology.VPCs {
		for _, h := range v.Hosts {
			if h.Name == name {
				return h.IP
			}
		}
	}
	t.Fatalf("no host %q", name)
	return netip.Addr{}
}

func (d *Daemon) gateway(t testing.TB, host string) netip.Addr {
	for _, v := range d.Topology.VPCs {
		for _, h := range v.Hosts {
			for _, s := range v.Subnets {
				if h.Name == host && s.ID == h.Subnet {
					return s.Gateway()
				}
			}
		}
	}
	t.Fatalf("no host %q", host)
	return netip.Addr{}
}

// mustPing checks that a ping from host to dst succeeds (want) or fails.
func (d *Daemon) mustPing(t *testing.T, host string, dst netip.Addr, want bool) PingResult {
	t.Helper()
	res, err := d.Ping(context.Background(), host, dst, 2)
	if err != nil {
		t.Fatal(err)
	}
	if res.OK != want {
		t.Errorf("ping from %s to %v: ok = %v, want %v (%s)", host, dst, res.OK, want, res.Reason())
	}
	return res
}

func (d *Daemon) drops(vpc string) router.Drops {
	for _, v := range d.Network.Stats().VPCs {
		if v.VPC == vpc {
			return v.Drops
		}
	}
	return nil
}

// TestNSBestPractice checks both ways, the gateways and iperf3 over the
// peering, with the hosts' reader sleeping between packets and busy
// polling.
func TestNSBestPractice(t *testing.T) {
	for _, busy := range []time.Duration{0, 20 * time.Millisecond} {
		t.Run("busy-poll="+busy.String(), func(t *testing.T) {
			d := launchWith(t, "best-practice.yaml", Options{BusyPoll: busy})
			a1, b1 := d.hostIP(t, "a1"), d.hostIP(t, "b1")
			d.mustPing(t, "a1", b1, true)
			d.mustPing(t, "b1", a1, true)
			d.mustPing(t, "a1", d.gateway(t, "a1"), true)
			d.mustPing(t, "b1", d.gateway(t, "b1"), true)

			srv := tun.Exec(d.Topology.Namespace("b1"), "iperf3", "-s", "-1")
			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
			defer srv.Process.Kill()
			var out []byte
			var err error
			for range 20 { // until the server listens
				out, err = tun.Exec(d.Topology.Namespace("a1"), "iperf3", "-c", b1.String(), "-t", "1", "-J").Output()
				if err == nil && !strings.Contains(string(out), "Connection refused") {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if err != nil {
				t.Fatalf("iperf3: %v\n%s", err, out)
			}
			var res struct {
				End struct {
					SumReceived struct{ Bytes int64 } `json:"sum_received"`
				} `json:"end"`
			}
			if err := json.Unmarshal(out, &res); err != nil || res.End.SumReceived.Bytes == 0 {
				t.Fatalf("iperf3 transferred nothing (%v):\n%s", err, out)
			}
			var carried uint64
			for _, l := range d.Network.Stats().Links {
				carried += l.Count.Bytes
			}
			if carried < 1<<20 {
				t.Errorf("peering carried %d bytes during iperf3, want at least 1 MiB", carried)
			}
		})
	}
}

func TestNSNonTransitive(t *testing.T) {
	d := launch(t, "non-transitive.yaml", example(t, "non-transitive.yaml"))
	h1, h2, h3 := d.hostIP(t, "h1"), d.hostIP(t, "h2"), d.hostIP(t, "h3")
	d.mustPing(t, "h1", h2, true)
	d.mustPing(t, "h2", h1, true)
	d.mustPing(t, "h1", h3, true)
	d.mustPing(t, "h3", h1, true)
	before := d.drops("vpc1")[router.DropNotTransitive]
	res := d.mustPing(t, "h2", h3, false)
	d.mustPing(t, "h3", h2, false)
	if got := d.drops("vpc1")[router.DropNotTransitive]; got < before+2 {
		t.Errorf("vpc1 not_transitive drops = %d, want at least %d (the two pings from h2)", got, before+2)
	}
	if res.Drops["vpc1"][router.DropNotTransitive] == 0 {
		t.Errorf("ping h2 -> h3: drops %v, want not_transitive in vpc1", res.Drops)
	}
}

const routeGated = `name: rg
region: wuhan
vpcs:
  - id: vpc1
    cidr: 192.168.0.0/16
    subnets: [{id: subnet-a, cidr: 192.168.1.0/24}]
    route_tables:
      - id: vpc1-default
        routes: [{destination: 10.0.1.0/24, next_hop_type: peering, next_hop: pcx-1}]
    hosts: [{name: a1, subnet: subnet-a}]
  - id: vpc2
    cidr: 10.0.0.0/16
    subnets: [{id: subnet-b, cidr: 10.0.1.0/24}]
    hosts: [{name: b1, subnet: subnet-b}]
peerings:
  - {id: pcx-1, vpc: vpc1, peer_vpc: vpc2}
`

func TestNSRouteOnOneSideOnly(t *testing.T) {
	d := launch(t, "route-gated.yaml", []byte(routeGated))
	a1, b1 := d.hostIP(t, "a1"), d.hostIP(t, "b1")
	res := d.mustPing(t, "a1", b1, false)
	if res.Drops["vpc2"][router.DropNoRoute] == 0 {
		t.Errorf("ping a1 -> b1: drops %v, want no_route in vpc2 (the reply has no route)", res.Drops)
	}
	res = d.mustPing(t, "b1", a1, false)
	if res.Drops["vpc2"][router.DropNoRoute] == 0 || len(res.Drops) != 1 {
		t.Errorf("ping b1 -> a1: drops %v, want only no_route in vpc2", res.Drops)
	}
	// The missing route, added on the running topology, opens both ways.
	if _, err := d.State.AddRoute("", "vpc2-default", "192.168.1.0/24", "pcx-1"); err != nil {
		t.Fatal(err)
	}
	d.mustPing(t, "a1", b1, true)
	d.mustPing(t, "b1", a1, true)
}

func TestNSTwoSubnets(t *testing.T) {
	d := launch(t, "two-subnets.yaml", example(t, "two-subnets.yaml"))
	var hosts []string
	for _, h := range d.Topology.VPCs[0].Hosts {
		hosts = append(hosts, h.Name)
	}
	if len(hosts) < 2 {
		t.Fatalf("two-subnets example has hosts %v, want two", hosts)
	}
	d.mustPing(t, hosts[0], d.hostIP(t, hosts[1]), true)
	d.mustPing(t, hosts[1], d.hostIP(t, hosts[0]), true)
}

// sendRaw writes pkt, a raw IP packet, out of eth0 in namespace ns, as a
// misbehaving host would: a packet socket puts it on the interface as is.
func sendRaw(t *testing.T, ns string, pkt []byte) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		errc <- func() error {
			fd, err := unix.Open("/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				return err
			}
			defer unix.Close(fd)
			if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
				return err
			}
			ifi, err := net.InterfaceByName("eth0")
			if err != nil {
				return err
			}
			proto := int(htons(unix.ETH_P_IP))
			s, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM, proto)
			if err != nil {
				return err
			}
			defer unix.Close(s)
			return unix.Sendto(s, pkt, 0, &unix.SockaddrLinklayer{Ifindex: ifi.Index, Protocol: htons(unix.ETH_P_IP)})
		}()
	}()
	if err := <-errc; err != nil {
		t.Fatalf("send raw packet in %s: %v", ns, err)
	}
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func TestNSBadPacketsAreCountedAndForwardingGoesOn(t *testing.T) {
	d := launch(t, "best-practice.yaml", example(t, "best-practice.yaml"))
	a1, b1 := d.hostIP(t, "a1"), d.hostIP(t, "b1")
	ns := d.Topology.Namespace("a1")
	spoofed := tuntest.UDP(netip.MustParseAddr("192.168.1.99"), b1, 9999, 9999, make([]byte, 20))
	truncated := tuntest.UDP(a1, b1, 9999, 9999, make([]byte, 20))[:30] // total length says 48
	garbage := []byte{0x4f, 0xff, 0x00}
	for _, tc := range []struct {
		name   string
		pkt    []byte
		reason router.DropReason
	}{
		{"spoofed source", spoofed, router.DropSpoofed},
		{"total length mismatch", truncated, router.DropMalformed},
		{"garbage", garbage, router.DropMalformed},
	} {
		before := d.drops("vpc1")[tc.reason]
		sendRaw(t, ns, tc.pkt)
		deadline := time.Now().Add(2 * time.Second)
		for d.drops("vpc1")[tc.reason] == before {
			if time.Now().After(deadline) {
				t.Fatalf("%s: vpc1 %v drops stayed %d", tc.name, tc.reason, before)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	d.mustPing(t, "a1", b1, true)
}

func TestNSFailedLaunchRemovesWhatItCreated(t *testing.T) {
	tuntest.NeedRoot(t, "ping", "iperf3")
	name := uniqueName("fl")
	topo, err := topology.Parse("best-practice.yaml", renameTopology(example(t, "best-practice.yaml"), name))
	if err != nil {
		t.Fatal(err)
	}
	// Something else already holds b1's namespace name: a1 is created
	// first, then b1 fails.
	squat := topology.NamespaceName(name, "b1")
	if err := exec.Command("ip", "netns", "add", squat).Run(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tun.Delete(squat) })
	_, err = Launch(context.Background(), topo, Options{})
	if err == nil || !strings.Contains(err.Error(), `host "b1"`) {
		t.Fatalf("Launch = %v, want an error about host b1", err)
	}
	if ok, _ := tun.Exists(topology.NamespaceName(name, "a1")); ok {
		t.Error("a1's namespace survived the failed launch")
	}
	if ok, _ := tun.Exists(squat); !ok {
		t.Error("the failed launch removed a namespace it did not create")
	}
	if _, err := ReadRecord(name); err == nil {
		t.Error("the failed launch left its record")
	}
	if _, err := os.Stat(api.SocketPath(name)); err == nil {
		t.Error("the failed launch left its socket")
	}
}

func TestNSCleanupAfterDeadDaemon(t *testing.T) {
	tuntest.NeedRoot(t, "ping", "iperf3")
	name := uniqueName("dd")
	ns := topology.NamespaceName(name, "x1")
	h, err := tun.CreateHost(tun.HostConfig{Namespace: ns, Addr: netip.MustParsePrefix("10.9.0.10/24"), Gateway: netip.MustParseAddr("10.9.0.1")})
	if err != nil {
		t.Fatal(err)
	}
	h.Device().Close()
	// A daemon that died: its pid no longer runs.
	cmd := exec.Command("true")
	cmd.Run()
	rec := Record{Name: name, PID: cmd.Process.Pid, Namespaces: []string{ns}}
	if err := writeRecord(rec); err != nil {
		t.Fatal(err)
	}
	if rec.Alive() {
		t.Skip("pid was reused")
	}
	if _, err := Cleanup(rec); err != nil {
		t.Fatalf("Cleanup: %v", err)
	}
	if ok, _ := tun.Exists(ns); ok {
		t.Error("Cleanup left the namespace")
	}
	if _, err := ReadRecord(name); err == nil {
		t.Error("Cleanup left the record")
	}
	// A live daemon's leftovers are not touched.
	if _, err := Cleanup(Record{Name: "live", PID: os.Getppid()}); err == nil {
		t.Error("Cleanup of a live daemon's record succeeded, want a refusal")
	}
}
