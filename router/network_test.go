package router

import (
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"
	"weak"

	"github.com/vpcsim/vpcsim/tun/tuntest"
)

var (
	pfx  = netip.MustParsePrefix
	addr = netip.MustParseAddr
)

// testNet is a Network of three VPCs with in-memory hosts:
//
//	vpc1 192.168.0.0/16: a1 192.168.1.10 (subnet-a, vpc1-default), a2 192.168.2.10 (subnet-a2, rtb-a2)
//	vpc2 10.0.0.0/16:    b1 10.0.1.10
//	vpc3 172.16.0.0/16:  c1 172.16.1.10
//
// Peerings and routes come from each test's Update.
type testNet struct {
	*Network
	dev map[string]*tuntest.Device
}

func newTestNet(t testing.TB, cfg Config) *testNet {
	t.Helper()
	return newTestNetWith(t, cfg, nil)
}

// newTestNetWith is newTestNet with the devices of some hosts given by name.
func newTestNetWith(t testing.TB, cfg Config, devs map[string]Device) *testNet {
	t.Helper()
	checkGoroutines(t)
	return buildTestNet(t, cfg, devs)
}

// buildTestNet is newTestNetWith without the check for leaked goroutines,
// which a fuzz target cannot have: the fuzzing engine starts goroutines of
// its own after the target has built its network.
func buildTestNet(t testing.TB, cfg Config, devs map[string]Device) *testNet {
	t.Helper()
	tn := &testNet{dev: make(map[string]*tuntest.Device)}
	host := func(name, subnet, ip string) Host {
		if d := devs[name]; d != nil {
			return Host{Name: name, Subnet: subnet, IP: addr(ip), Device: d}
		}
		d := tuntest.NewDevice(64)
		tn.dev[name] = d
		return Host{Name: name, Subnet: subnet, IP: addr(ip), Device: d}
	}
	cfg.VPCs = []VPC{{
		ID: "vpc1", CIDR: pfx("192.168.0.0/16"), Tables: []string{"vpc1-default", "rtb-a2"},
		Subnets: []Subnet{
			{ID: "subnet-a", CIDR: pfx("192.168.1.0/24"), Table: "vpc1-default"},
			{ID: "subnet-a2", CIDR: pfx("192.168.2.0/24"), Table: "rtb-a2"},
		},
		Hosts: []Host{host("a1", "subnet-a", "192.168.1.10"), host("a2", "subnet-a2", "192.168.2.10")},
	}, {
		ID: "vpc2", CIDR: pfx("10.0.0.0/16"), Tables: []string{"vpc2-default"},
		Subnets: []Subnet{{ID: "subnet-b", CIDR: pfx("10.0.1.0/24"), Table: "vpc2-default"}},
		Hosts:   []Host{host("b1", "subnet-b", "10.0.1.10")},
	}, {
		ID: "vpc3", CIDR: pfx("172.16.0.0/16"), Tables: []string{"vpc3-default"},
		Subnets: []Subnet{{ID: "subnet-c", CIDR: pfx("172.16.1.0/24"), Table: "vpc3-default"}},
		Hosts:   []Host{host("c1", "subnet-c", "172.16.1.10")},
	}}
	n, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	tn.Network = n
	t.Cleanup(func() { n.Close() })
	return tn
}

// checkGoroutines fails the test if it leaves goroutines behind.
func checkGoroutines(t testing.TB) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(2 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<16)
			t.Errorf("%d goroutines leaked:\n%s", n-before, buf[:runtime.Stack(buf, true)])
		}
	})
}

func (tn *testNet) update(t testing.TB, peerings []Peering, tables map[string][]Route) {
	t.Helper()
	if err := tn.Update(peerings, tables); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// send makes host write pkt to its router.
func (tn *testNet) send(host string, pkt []byte) { tn.dev[host].Inbound <- pkt }

// expect waits for a packet to reach host.
func (tn *testNet) expect(t testing.TB, host string) []byte {
	t.Helper()
	select {
	case p := <-tn.dev[host].Outbound:
		return p
	case <-time.After(2 * time.Second):
		t.Fatalf("no packet reached %s", host)
		return nil
	}
}

// expectDrop waits until vpc counts a drop for reason, and checks no host got
// a packet.
func (tn *testNet) expectDrop(t testing.TB, vpc string, reason DropReason) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for tn.drops(vpc)[reason] == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%s: no %v drop; drops: %v", vpc, reason, tn.drops(vpc))
		}
		time.Sleep(time.Millisecond)
	}
	for name, d := range tn.dev {
		select {
		case p := <-d.Outbound:
			t.Errorf("%s received %x, want nothing", name, p)
		default:
		}
	}
}

func (tn *testNet) drops(vpc string) Drops {
	for _, v := range tn.Stats().VPCs {
		if v.VPC == vpc {
			return v.Drops
		}
	}
	return nil
}

var (
	pcx12 = Peering{ID: "pcx-12", VPC: "vpc1", PeerVPC: "vpc2"}
	pcx13 = Peering{ID: "pcx-13", VPC: "vpc1", PeerVPC: "vpc3"}
	// bothWays are the routes of the best-practice example.
	bothWays = map[string][]Route{
		"vpc1-default": {{pfx("10.0.1.0/24"), "pcx-12"}},
		"vpc2-default": {{pfx("192.168.1.0/24"), "pcx-12"}},
	}
)

func TestPeeringBothWays(t *testing.T) {
	tn := newTestNet(t, Config{})
	tn.update(t, []Peering{pcx12}, bothWays)

	req := echoRequest(addr("192.168.1.10"), addr("10.0.1.10"), 1, 84)
	tn.send("a1", req)
	if got := tn.expect(t, "b1"); string(got) != string(req) {
		t.Fatalf("b1 got %x, want the packet a1 sent unchanged (TTL included)", got)
	}
	rep := echoRequest(addr("10.0.1.10"), addr("192.168.1.10"), 1, 84)
	tn.send("b1", rep)
	if got := tn.expect(t, "a1"); string(got) != string(rep) {
		t.Fatalf("a1 got %x, want %x", got, rep)
	}
	// A host's rx counter moves once the write to it has returned, a
	// moment after the packet can be seen: wait for the counters to settle.
	settled := func(st Stats) bool {
		for _, h := range st.Hosts {
			if h.Host == "a1" && h.RX.Packets == 0 {
				return false
			}
		}
		return true
	}
	st := tn.Stats()
	for deadline := time.Now().Add(2 * time.Second); !settled(st) && time.Now().Before(deadline); st = tn.Stats() {
		time.Sleep(time.Millisecond)
	}
	for _, l := range st.Links {
		if l.Count.Packets != 1 || l.Count.Bytes != 84 {
			t.Errorf("link %s %s->%s carried %+v, want 1 packet of 84 bytes", l.Peering, l.From, l.To, l.Count)
		}
	}
	for _, h := range st.Hosts {
		if h.Host == "a1" && (h.RX.Packets != 1 || h.TX.Packets != 1) {
			t.Errorf("a1 counters rx %+v tx %+v, want 1 packet each", h.RX, h.TX)
		}
	}
}

func TestGatewayAnswersEcho(t *testing.T) {
	tn := newTestNet(t, Config{})
	tn.send("a1", echoRequest(addr("192.168.1.10"), addr("192.168.1.1"), 3, 84))
	got := ipv4(tn.expect(t, "a1"))
	if !got.valid() || got.src() != addr("192.168.1.1") || got.dst() != addr("192.168.1.10") || got[20] != icmpEchoReply {
		t.Fatalf("a1 got %x, want an echo reply from its gateway", []byte(got))
	}
	// Anything else addressed to the gateway is dropped.
	tn.send("a1", udp(addr("192.168.1.10"), addr("192.168.1.1"), 64))
	tn.expectDrop(t, "vpc1", DropUnsupported)
}

func TestLocalRouteAcrossSubnets(t *testing.T) {
	tn := newTestNet(t, Config{})
	p := udp(addr("192.168.1.10"), addr("192.168.2.10"), 100)
	tn.send("a1", p)
	if got := tn.expect(t, "a2"); string(got) != string(p) {
		t.Fatalf("a2 got %x, want %x", got, p)
	}
	// a2's subnet uses rtb-a2, which has the local route too.
	tn.send("a2", udp(addr("192.168.2.10"), addr("192.168.1.10"), 100))
	tn.expect(t, "a1")
}

func TestDrops(t *testing.T) {
	a1, b1, c1 := addr("192.168.1.10"), addr("10.0.1.10"), addr("172.16.1.10")
	tests := []struct {
		name     string
		peerings []Peering
		tables   map[string][]Route
		from     string
		pkt      []byte
		vpc      string
		reason   DropReason
	}{
		{"ipv6", nil, nil, "a1", append([]byte{0x60}, make([]byte, 39)...), "vpc1", DropUnsupported},
		{"garbage", nil, nil, "a1", []byte{0x45, 1, 2}, "vpc1", DropMalformed},
		{"bad header checksum", []Peering{pcx12}, bothWays, "a1", badHeaderSum(udp(a1, b1, 64)), "vpc1", DropMalformed},
		{"empty", nil, nil, "a1", []byte{}, "vpc1", DropUnsupported},
		{"spoofed source", nil, nil, "a1", udp(addr("192.168.1.11"), addr("192.168.2.10"), 64), "vpc1", DropSpoofed},
		{"no host", nil, nil, "a1", udp(a1, addr("192.168.1.99"), 64), "vpc1", DropNoHost},
		{"no route", nil, nil, "a1", udp(a1, b1, 64), "vpc1", DropNoRoute},
		{"route only on the other side", []Peering{pcx12}, map[string][]Route{"vpc1-default": {{pfx("10.0.1.0/24"), "pcx-12"}}},
			"b1", udp(b1, a1, 64), "vpc2", DropNoRoute},
		{"route via a peering that is not active", nil, map[string][]Route{"vpc1-default": {{pfx("10.0.1.0/24"), "pcx-12"}}},
			"a1", udp(a1, b1, 64), "vpc1", DropPeeringInactive},
		{"transit through vpc1", []Peering{pcx12, pcx13}, map[string][]Route{"vpc2-default": {{pfx("172.16.0.0/16"), "pcx-12"}}},
			"b1", udp(b1, c1, 64), "vpc1", DropNotTransitive},
		{"gateway of a peer VPC", []Peering{pcx12}, map[string][]Route{"vpc1-default": {{pfx("10.0.1.0/24"), "pcx-12"}}},
			"a1", echoRequest(a1, addr("10.0.1.1"), 1, 64), "vpc2", DropNoHost},
		{"subnet table without the route", []Peering{pcx12}, bothWays, "a2", udp(addr("192.168.2.10"), b1, 64), "vpc1", DropNoRoute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tn := newTestNet(t, Config{})
			tn.update(t, tt.peerings, tt.tables)
			tn.send(tt.from, tt.pkt)
			tn.expectDrop(t, tt.vpc, tt.reason)
			if d := tn.drops(tt.vpc); d.Total() != 1 {
				t.Errorf("%s drops = %v, want exactly one %v", tt.vpc, d, tt.reason)
			}
			// The router keeps forwarding after a drop.
			tn.send("a1", udp(a1, addr("192.168.2.10"), 64))
			tn.expect(t, "a2")
		})
	}
}

// badHeaderSum returns p with its IPv4 header checksum off by one.
func badHeaderSum(p []byte) []byte {
	p = append([]byte(nil), p...)
	p[ipv4Checksum+1]++
	return p
}

func TestSpoofedOverPeering(t *testing.T) {
	tn := newTestNet(t, Config{})
	tn.update(t, []Peering{pcx12}, bothWays)
	l := tn.links["pcx-12"]
	e := l.end(tn.routers["vpc1"])
	b := tn.pool.get()
	tn.pool.fill(b, 1)
	b.n = 1
	b.sizes[0] = copy(b.bufs[0][Headroom:], udp(addr("172.16.1.10"), addr("10.0.1.10"), 64))
	e.send(0, b, &e.drops)
	tn.expectDrop(t, "vpc2", DropSpoofed)
}

func TestQueueFull(t *testing.T) {
	tn := newTestNet(t, Config{})
	a, b := tn.routers["vpc1"], tn.routers["vpc2"]
	l := &Link{id: "pcx-q"}
	e := newLinkEnd(l, a, b, 1)
	e.lanes[0].start.Do(func() {}) // no receiver: the queue fills
	var d drops
	for range 2 {
		bt := tn.pool.get()
		bt.n = 3
		bt.sizes[0], bt.sizes[1], bt.sizes[2] = 1500, 1500, 1500 // too big to deliver inline
		e.send(0, bt, &d)
	}
	if got := d[DropQueueFull].Load(); got != 3 {
		t.Errorf("queue_full drops = %d, want 3 (the second batch)", got)
	}
	if got := len(e.lanes[0].q); got != 1 {
		t.Errorf("queued %d batches, want 1 (the first)", got)
	}
}

func TestDeletePeeringStopsTraffic(t *testing.T) {
	tn := newTestNet(t, Config{})
	tn.update(t, []Peering{pcx12}, bothWays)
	a1, b1 := addr("192.168.1.10"), addr("10.0.1.10")
	tn.send("a1", udp(a1, b1, 64))
	tn.expect(t, "b1")

	// Routes stay (as the control plane may remove them a moment later),
	// but the peering is gone: packets are dropped as peering_inactive.
	tn.update(t, nil, nil)
	tn.send("a1", udp(a1, b1, 64))
	tn.expectDrop(t, "vpc1", DropPeeringInactive)

	// The same peering id may come back, and the stale routes follow it.
	tn.update(t, []Peering{pcx12}, bothWays)
	tn.send("a1", udp(a1, b1, 64))
	tn.expect(t, "b1")

	tn.update(t, []Peering{pcx12}, map[string][]Route{"vpc1-default": nil, "vpc2-default": nil})
	tn.send("a1", udp(a1, b1, 64))
	tn.expectDrop(t, "vpc1", DropNoRoute)
}

func TestUpdateErrors(t *testing.T) {
	tn := newTestNet(t, Config{})
	for _, tt := range []struct {
		name     string
		peerings []Peering
		tables   map[string][]Route
		want     string
	}{
		{"unknown vpc", []Peering{{ID: "p", VPC: "vpc1", PeerVPC: "vpc9"}}, nil, "bad VPCs"},
		{"self peering", []Peering{{ID: "p", VPC: "vpc1", PeerVPC: "vpc1"}}, nil, "bad VPCs"},
		{"unknown table", nil, map[string][]Route{"rtb-x": nil}, `unknown route table "rtb-x"`},
	} {
		if err := tn.Update(tt.peerings, tt.tables); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Update() = %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}

func TestConcurrentUpdatesWhileForwarding(t *testing.T) {
	tn := newTestNet(t, Config{})
	a1, b1 := addr("192.168.1.10"), addr("10.0.1.10")
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			tn.Update([]Peering{pcx12}, bothWays)
			tn.Update(nil, map[string][]Route{"vpc1-default": nil})
		}
	}()
	pkt := udp(a1, b1, 200)
	for range 2000 {
		tn.send("a1", pkt)
		select {
		case <-tn.dev["b1"].Outbound:
		default:
		}
	}
	close(stop)
	<-done
	st := tn.Stats()
	var recv uint64
	for _, h := range st.Hosts {
		if h.Host == "a1" {
			recv = h.TX.Packets // what a1 sent, the router received
		}
	}
	if recv == 0 {
		t.Fatal("router read nothing from a1")
	}
}

func TestConfigReflectsUpdates(t *testing.T) {
	tn := newTestNet(t, Config{})
	tn.update(t, []Peering{pcx12}, bothWays)
	peerings, tables := tn.Config()
	if len(peerings) != 1 || peerings[0] != pcx12 {
		t.Errorf("Config() peerings = %v, want [%v]", peerings, pcx12)
	}
	if got := tables["vpc1-default"]; len(got) != 1 || got[0] != bothWays["vpc1-default"][0] {
		t.Errorf("Config() vpc1-default = %v, want %v", got, bothWays["vpc1-default"])
	}
	if got := tables["rtb-a2"]; len(got) != 0 {
		t.Errorf("Config() rtb-a2 = %v, want no user route", got)
	}
	tn.update(t, nil, map[string][]Route{"vpc1-default": nil})
	peerings, tables = tn.Config()
	if len(peerings) != 0 || len(tables["vpc1-default"]) != 0 || len(tables["vpc2-default"]) != 1 {
		t.Errorf("after removal: Config() = %v, %v", peerings, tables)
	}
}

func TestSmallBatchOnIdleLinkIsDeliveredBySender(t *testing.T) {
	tn := newTestNet(t, Config{})
	a, b := tn.routers["vpc1"], tn.routers["vpc2"]
	l := &Link{id: "pcx-i"}
	l.active.Store(true)
	e := newLinkEnd(l, a, b, 4)
	e.lanes[0].start.Do(func() {}) // no receiving goroutine
	var d drops
	small := tn.pool.get()
	tn.pool.fill(small, 1)
	small.n = 1
	small.sizes[0] = copy(small.bufs[0][Headroom:], udp(addr("192.168.1.10"), addr("10.0.1.10"), 64))
	e.send(0, small, &d)
	if got := e.recv.load().Packets; got != 1 {
		t.Fatalf("a small batch on an idle link: %d packets delivered, want 1", got)
	}
	tn.expect(t, "b1")

	big := tn.pool.get()
	tn.pool.fill(big, 3)
	big.n = 3
	for i := range 3 {
		big.sizes[i] = copy(big.bufs[i][Headroom:], udp(addr("192.168.1.10"), addr("10.0.1.10"), 1500))
	}
	e.send(0, big, &d)
	if got, q := e.recv.load().Packets, len(e.lanes[0].q); got != 1 || q != 1 {
		t.Fatalf("a large batch: delivered %d, queued %d; want it queued", got, q)
	}
	// While a batch is queued, small ones queue behind it: nothing overtakes.
	small = tn.pool.get()
	tn.pool.fill(small, 1)
	small.n = 1
	small.sizes[0] = copy(small.bufs[0][Headroom:], udp(addr("192.168.1.10"), addr("10.0.1.10"), 64))
	e.send(0, small, &d)
	if got, q := e.recv.load().Packets, len(e.lanes[0].q); got != 1 || q != 2 {
		t.Errorf("a small batch behind a queued one: delivered %d, queued %d; want 1, 2", got, q)
	}
}

// shortDevice is an in-memory device whose Write takes at most max packets
// of a batch and fails for the rest, as a device whose host went away or
// refused a packet does.
type shortDevice struct {
	*tuntest.Device
	max int
}

func (d shortDevice) Write(bufs [][]byte, offset int) (int, error) {
	n := min(len(bufs), d.max)
	d.Device.Write(bufs[:n], offset)
	if n < len(bufs) {
		return n, errors.New("device refused the packet")
	}
	return n, nil
}

// TestWriteFailures checks that packets a host's device does not take are
// counted, as write_failed in the VPC of that host, and not as delivered.
func TestWriteFailures(t *testing.T) {
	a1, b1 := addr("192.168.1.10"), addr("10.0.1.10")
	for _, tt := range []struct {
		name    string
		max     int // packets b1's device takes per write
		sent    int // in one batch, over pcx-12
		written int
	}{
		{"write fails", 0, 1, 0},
		{"write fails part-way", 1, 3, 1},
		{"write succeeds", 3, 3, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dev := shortDevice{tuntest.NewDevice(8), tt.max}
			tn := newTestNetWith(t, Config{}, map[string]Device{"b1": dev})
			tn.update(t, []Peering{pcx12}, bothWays)
			// One batch over the link, which its sender delivers itself:
			// one write to b1.
			e := tn.links["pcx-12"].end(tn.routers["vpc1"])
			b := tn.pool.get()
			tn.pool.fill(b, tt.sent)
			for i := range tt.sent {
				b.sizes[i] = copy(b.bufs[i][Headroom:], udp(a1, b1, 100+i))
			}
			b.n = tt.sent
			e.send(0, b, &e.drops)

			txOf := func(host string) Count { // what was delivered to host
				for _, h := range tn.Stats().Hosts {
					if h.Host == host {
						return h.RX
					}
				}
				return Count{}
			}
			tx := txOf("b1")
			for deadline := time.Now().Add(2 * time.Second); tx.Packets+tn.drops("vpc2").Total() < uint64(tt.sent) && time.Now().Before(deadline); tx = txOf("b1") {
				time.Sleep(time.Millisecond)
			}
			wantBytes := 0
			for i := range tt.written {
				wantBytes += 100 + i
			}
			if tx.Packets != uint64(tt.written) || tx.Bytes != uint64(wantBytes) {
				t.Errorf("b1 tx %+v, want %d packets of %d bytes", tx, tt.written, wantBytes)
			}
			failed := uint64(tt.sent - tt.written)
			if d := tn.drops("vpc2"); d[DropWriteFailed] != failed || d.Total() != failed {
				t.Errorf("vpc2 drops %v, want %d write_failed and nothing else", d, failed)
			}
			if d := tn.drops("vpc1"); d.Total() != 0 {
				t.Errorf("vpc1 drops %v, want none", d)
			}
			if got := len(dev.Outbound); got != tt.written {
				t.Errorf("b1 received %d packets, want %d", got, tt.written)
			}
		})
	}
}

// TestDeletedLinkIsGarbage churns peerings with routes over them: once a
// peering and its routes are gone, nothing the network keeps may hold its
// link, whose queues and batches are the bulk of a peering's memory.
func TestDeletedLinkIsGarbage(t *testing.T) {
	tn := newTestNet(t, Config{})
	var links []weak.Pointer[Link]
	for i := range 20 {
		id := fmt.Sprintf("pcx-%d", i)
		err := tn.Update([]Peering{{ID: id, VPC: "vpc1", PeerVPC: "vpc2"}}, map[string][]Route{
			"vpc1-default": {{Destination: pfx("10.0.1.0/24"), Peering: id}},
			"vpc2-default": {{Destination: pfx("192.168.1.0/24"), Peering: id}},
		})
		if err != nil {
			t.Fatal(err)
		}
		tn.mu.Lock()
		links = append(links, weak.Make(tn.links[id]))
		tn.mu.Unlock()
		if err := tn.Update(nil, map[string][]Route{"vpc1-default": nil, "vpc2-default": nil}); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.GC()
	held := 0
	for _, l := range links {
		if l.Value() != nil {
			held++
		}
	}
	if held > 0 {
		t.Errorf("%d of %d deleted links are still reachable", held, len(links))
	}
}

// TestRouteChangeIsAtomic moves the route to vpc2 between a /24 and the
// /16 around it while a reader looks up an address both cover: a route
// change is published whole, so the reader never finds no route.
func TestRouteChangeIsAtomic(t *testing.T) {
	tn := newTestNet(t, Config{})
	pcx := []Peering{{ID: "pcx-1", VPC: "vpc1", PeerVPC: "vpc2"}}
	narrow := map[string][]Route{"vpc1-default": {{Destination: pfx("10.0.1.0/24"), Peering: "pcx-1"}}}
	wide := map[string][]Route{"vpc1-default": {{Destination: pfx("10.0.0.0/16"), Peering: "pcx-1"}}}
	if err := tn.Update(pcx, narrow); err != nil {
		t.Fatal(err)
	}
	tn.mu.Lock()
	tbl := tn.tables["vpc1-default"].tables["vpc1-default"]
	tn.mu.Unlock()

	stop := make(chan struct{})
	missed := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				missed <- n
				return
			default:
			}
			if h, ok := tbl.LookupValue(addr("10.0.1.10")); !ok || h.end == nil {
				n++
			}
		}
	}()
	for i := range 2000 {
		routes := narrow
		if i%2 == 0 {
			routes = wide
		}
		if err := tn.Update(pcx, routes); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	if n := <-missed; n > 0 {
		t.Errorf("a reader found no route to 10.0.1.10 %d times while the route moved between 10.0.1.0/24 and 10.0.0.0/16", n)
	}
}
