package router

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"github.com/vpcsim/vpcsim/tun/tuntest"
)

// FuzzForward sends arbitrary bytes as a host's packet through the routers
// of testNet's three VPCs, peered and routed so that every drop reason but
// queue_full and write_failed can happen, and checks that:
//
//   - nothing panics;
//   - every packet is delivered, or dropped and counted under exactly one
//     reason: the one a slow model of the data plane's rules (fuzzModel)
//     names, as it names where a delivered packet goes;
//   - a delivered packet is valid IPv4, unchanged, from the sender to the
//     host it reached; or a gateway's echo reply: the request with its
//     addresses swapped and a checksummed ICMP echo reply header;
//   - forwarding allocates nothing.
//
// The fuzz argument from picks the sending host (bits 0-1), whether the
// batch holds the packet once or twice (bit 2), and whether the packet's
// IPv4 header checksum is filled in before it is sent (bit 3): without it
// nearly every mutation of a header would end as malformed, and the rules
// behind the checksum would go unexplored.
func FuzzForward(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s.from, s.pkt)
	}
	fz := newFuzzNet(f)
	f.Fuzz(fz.check)
}

// check sends pkt as FuzzForward does and checks what becomes of it.
func (fz *fuzzNet) check(t *testing.T, from uint8, pkt []byte) {
	h := &fz.hosts[int(from&3)]
	copies := 1 + int(from>>2&1)
	if len(pkt) > fz.mtu {
		pkt = pkt[:fz.mtu] // a device never reads more
	}
	if from&fixSum != 0 {
		pkt = withHeaderSum(pkt)
	}
	want := fz.model.fate(h, pkt)

	before := fz.dropCounts()
	fz.forward(h, pkt, copies)
	after := fz.dropCounts()
	for _, e := range fz.linkEnds() {
		for i := range e.lanes {
			if len(e.lanes[i].q) > 0 {
				t.Fatalf("a batch was queued on %s: delivery is no longer synchronous, the checks below cannot hold", e.link.id)
			}
		}
	}

	delivered := 0
	for i := range fz.devs {
		d := &fz.devs[i]
		for k := range d.n {
			delivered++
			if k >= len(d.sizes) {
				continue
			}
			got := d.pkts[k][:d.sizes[k]]
			fz.checkDelivered(t, h, &fz.hosts[i], pkt, got)
			if want.to != fz.hosts[i].name {
				t.Errorf("%s sent % x: delivered to %s, want it %v", h.name, pkt, fz.hosts[i].name, want)
			}
		}
	}
	var drops [numDropReasons]uint64
	var dropped uint64
	for r := range drops {
		drops[r] = after[r] - before[r]
		dropped += drops[r]
	}
	if want.to != "" {
		if delivered != copies || dropped != 0 {
			t.Errorf("%s sent %d × % x: %d delivered, drops %v; want it %v", h.name, copies, pkt, delivered, nonZero(drops), want)
		}
	} else if delivered != 0 || dropped != uint64(copies) || drops[want.drop] != uint64(copies) {
		t.Errorf("%s sent %d × % x: %d delivered, drops %v; want it %v", h.name, copies, pkt, delivered, nonZero(drops), want)
	}

	if n := testing.AllocsPerRun(2, func() { fz.forward(h, pkt, copies) }); n != 0 {
		t.Errorf("%s sent % x: forwarding allocates %v times", h.name, pkt, n)
	}
}

// Values of FuzzForward's argument from.
const fromA1, fromA2, fromB1, fromC1, twice, fixSum = 0, 1, 2, 3, 4, 8

// withHeaderSum returns a copy of p with its IPv4 header checksum filled in,
// if p is long enough for the header its IHL field gives; else p.
func withHeaderSum(p []byte) []byte {
	if len(p) < 20 {
		return p
	}
	ihl := int(p[0]&0x0f) * 4
	if ihl < 12 || ihl > len(p) {
		return p
	}
	p = bytes.Clone(p)
	p[10], p[11] = 0, 0
	sum := ^onesSum(p[:ihl])
	p[10], p[11] = byte(sum>>8), byte(sum)
	return p
}

// onesSum is the ones' complement sum of b's 16-bit words, the slow way: a
// word at a time, the carry added back after each (RFC 1071).
func onesSum(b []byte) uint16 {
	var sum uint16
	for i := 0; i+1 < len(b); i += 2 {
		w := uint16(b[i])<<8 | uint16(b[i+1])
		if sum+w < sum {
			sum++ // the end-around carry
		}
		sum += w
	}
	return sum
}

// fuzzSeed is a seed of FuzzForward and what becomes of it.
type fuzzSeed struct {
	name string
	from uint8
	pkt  []byte
	want fate
}

// fuzzSeeds returns FuzzForward's seeds: a packet for every rule of the
// data plane, and the odd headers a host's stack never sends.
func fuzzSeeds() []fuzzSeed {
	a1, a2, b1, c1 := addr("192.168.1.10"), addr("192.168.2.10"), addr("10.0.1.10"), addr("172.16.1.10")
	gw1 := addr("192.168.1.1")
	udpTo := func(src, dst netip.Addr) []byte { return tuntest.UDP(src, dst, 40000, 5201, []byte("fuzz")) }
	echoTo := func(src, dst netip.Addr) []byte { return tuntest.ICMPEcho(src, dst, 1, 1, []byte("fuzz")) }
	// echoWith is a1's echo request to its gateway under header h.
	echoWith := func(h tuntest.IPv4, transport []byte) []byte {
		h.Src, h.Dst, h.Protocol = a1, gw1, tuntest.ProtoICMP
		return h.Packet(transport)
	}
	echo := echoTo(a1, gw1)[tuntest.IPv4HeaderLen:]
	mutate := func(p []byte, fn func(p []byte)) []byte {
		p = bytes.Clone(p)
		fn(p)
		return p
	}
	to := func(host string) fate { return fate{to: host} }
	drop := func(r DropReason) fate { return fate{drop: r} }
	return []fuzzSeed{
		{"over pcx-12", fromA1, udpTo(a1, b1), to("b1")},
		{"a batch of two", fromA1 | twice, udpTo(a1, b1), to("b1")},
		{"over pcx-13", fromA1, udpTo(a1, c1), to("c1")},
		{"back over pcx-12", fromB1, udpTo(b1, a1), to("a1")},
		{"another subnet and table", fromA2, udpTo(a2, a1), to("a1")},
		{"another subnet's route over pcx-12", fromA2, udpTo(a2, b1), to("b1")},
		{"to the sender", fromA1, udpTo(a1, a1), to("a1")},
		{"to the sender, alone in its VPC", fromB1, echoTo(b1, b1), to("b1")},
		{"gateway echo", fromA1, echoTo(a1, gw1), to("a1")},
		{"two echoes to another subnet's gateway", fromA1 | twice, echoTo(a1, addr("192.168.2.1")), to("a1")},
		{"TCP to a gateway", fromA1, tuntest.TCPSYN(a1, gw1, 40000, 22, 1), drop(DropUnsupported)},
		{"echo to a peer's gateway", fromB1, echoTo(b1, gw1), drop(DropNoHost)},
		{"no host", fromA1, udpTo(a1, addr("192.168.1.99")), drop(DropNoHost)},
		{"no route", fromA1, udpTo(a1, addr("8.8.8.8")), drop(DropNoRoute)},
		{"route over an inactive peering", fromA1, udpTo(a1, addr("10.9.0.1")), drop(DropPeeringInactive)},
		{"transit through vpc1", fromB1, udpTo(b1, c1), drop(DropNotTransitive)},
		{"transit through vpc1 the other way", fromC1, udpTo(c1, b1), drop(DropNotTransitive)},
		{"spoofed", fromA1, udpTo(b1, a2), drop(DropSpoofed)},
		{"empty", fromA1, nil, drop(DropUnsupported)},
		{"version 0", fromA1, make([]byte, 40), drop(DropUnsupported)},
		{"IPv6", fromA1, append([]byte{0x60}, make([]byte, 39)...), drop(DropUnsupported)},
		{"one byte", fromA1, udpTo(a1, b1)[:1], drop(DropMalformed)},
		{"truncated header", fromA1, udpTo(a1, b1)[:19], drop(DropMalformed)},
		{"IHL below 5", fromA1, mutate(udpTo(a1, b1), func(p []byte) { p[0] = 0x44 }), drop(DropMalformed)},
		{"IHL beyond the packet", fromA1, mutate(udpTo(a1, b1), func(p []byte) { p[0] = 0x4f }), drop(DropMalformed)},
		{"total length too long", fromA1, mutate(udpTo(a1, b1), func(p []byte) { p[3]++ }), drop(DropMalformed)},
		{"total length too short", fromA1, mutate(udpTo(a1, b1), func(p []byte) { p[3]-- }), drop(DropMalformed)},
		{"trailing byte", fromA1, append(udpTo(a1, b1), 0), drop(DropMalformed)},
		{"bad header checksum", fromA1, mutate(udpTo(a1, b1), func(p []byte) { p[11]++ }), drop(DropMalformed)},
		{"header checksum of another TTL", fromA1, mutate(udpTo(a1, b1), func(p []byte) { p[8]-- }), drop(DropMalformed)},
		{"zero header checksum", fromA1, mutate(udpTo(a1, b1), func(p []byte) { p[10], p[11] = 0, 0 }), drop(DropMalformed)},
		{"TTL changed, checksum filled in", fromA1 | fixSum, mutate(udpTo(a1, b1), func(p []byte) { p[8]-- }), to("b1")},
		{"spoofed, checksum filled in", fromA1 | fixSum, mutate(udpTo(a1, b1), func(p []byte) { p[15]++ }), drop(DropSpoofed)},
		{"options", fromA1, echoWith(tuntest.IPv4{Options: []byte{0x94, 4, 0, 0}}, echo), to("a1")},
		{"60-byte header", fromA1, echoWith(tuntest.IPv4{Options: make([]byte, 40)}, echo), to("a1")},
		{"first fragment", fromA1, echoWith(tuntest.IPv4{Flags: tuntest.FlagMoreFragments}, echo), drop(DropUnsupported)},
		{"later fragment", fromA1, echoWith(tuntest.IPv4{FragmentOffset: 8}, echo), drop(DropUnsupported)},
		{"fragment to a host", fromA1, tuntest.IPv4{Src: a1, Dst: b1, Protocol: tuntest.ProtoUDP, FragmentOffset: 1480}.Packet([]byte("tail")), to("b1")},
		{"bad ICMP checksum", fromA1, mutate(echoTo(a1, gw1), func(p []byte) { p[tuntest.IPv4HeaderLen+2]++ }), to("a1")},
		{"echo code 1", fromA1, mutate(echoTo(a1, gw1), func(p []byte) { p[tuntest.IPv4HeaderLen+1] = 1 }), drop(DropUnsupported)},
		{"echo header cut short", fromA1, echoWith(tuntest.IPv4{}, []byte{8, 0, 0xf7, 0xff, 0, 0, 0}), drop(DropUnsupported)},
	}
}

// TestFuzzSeeds checks that the model gives each seed of FuzzForward the
// fate it was written for; FuzzForward checks that the routers agree.
func TestFuzzSeeds(t *testing.T) {
	m := newFuzzModel()
	hosts := newFuzzNetHosts()
	for _, s := range fuzzSeeds() {
		pkt := s.pkt
		if s.from&fixSum != 0 {
			pkt = withHeaderSum(pkt)
		}
		if got := m.fate(&hosts[s.from&3], pkt); got != s.want {
			t.Errorf("%s: the model has it %v, want %v", s.name, got, s.want)
		}
	}
}

// fuzzNet is a testNet whose hosts record what is written to them, with
// what FuzzForward needs to drive it synchronously.
type fuzzNet struct {
	*testNet
	mtu   int
	hosts []fuzzHost
	devs  []recordDevice // by the index in hosts
	rb    *batch         // the batch forwarded
	w     *worker        // of the goroutine that forwards it
	model *fuzzModel
}

// newFuzzNetHosts returns testNet's hosts, in the order of fromA1..fromC1.
func newFuzzNetHosts() []fuzzHost {
	return []fuzzHost{
		{name: "a1", ip: addr("192.168.1.10"), vpc: "vpc1"},
		{name: "a2", ip: addr("192.168.2.10"), vpc: "vpc1"},
		{name: "b1", ip: addr("10.0.1.10"), vpc: "vpc2"},
		{name: "c1", ip: addr("172.16.1.10"), vpc: "vpc3"},
	}
}

// fuzzHost is a host of the fuzzNet.
type fuzzHost struct {
	name string
	ip   netip.Addr
	vpc  string
	port *port
}

func newFuzzNet(tb testing.TB) *fuzzNet {
	fz := &fuzzNet{mtu: 1500, hosts: newFuzzNetHosts(), model: newFuzzModel()}
	fz.devs = make([]recordDevice, len(fz.hosts))
	devs := make(map[string]Device)
	for i, h := range fz.hosts {
		fz.devs[i].closed = make(chan struct{})
		devs[h.name] = &fz.devs[i]
	}
	fz.testNet = buildTestNet(tb, Config{MTU: fz.mtu}, devs)
	peerings, tables := fz.model.config()
	fz.update(tb, peerings, tables)
	for i := range fz.hosts {
		h := &fz.hosts[i]
		for _, p := range fz.routers[h.vpc].ports {
			if p.name == h.name {
				h.port = p
			}
		}
	}
	// Batches that hold buffers in every slot, so that swapping a packet
	// onto a link never leaves the forwarded batch a slot to fill.
	warm := make([]*batch, 64)
	for i := range warm {
		warm[i] = fz.pool.get()
		fz.pool.fill(warm[i], fz.pool.slots)
	}
	for _, b := range warm {
		fz.pool.put(b)
	}
	fz.rb = fz.pool.get()
	fz.w = newWorker(0)
	return fz
}

// forward makes h send a batch of copies of pkt, as its port's reader
// would. Every device's Read blocks, so no other goroutine uses the port;
// every batch on a link is small and delivered by its sender, so the
// packets have been written, or dropped, when forward returns.
func (fz *fuzzNet) forward(h *fuzzHost, pkt []byte, copies int) {
	for i := range fz.devs {
		fz.devs[i].n = 0
	}
	fz.pool.fill(fz.rb, copies)
	for i := range copies {
		fz.rb.sizes[i] = copy(fz.rb.bufs[i][Headroom:], pkt)
	}
	fz.rb.n = copies
	h.port.forward(fz.w, fz.rb)
}

// dropCounts sums every drop counter of the network by reason.
func (fz *fuzzNet) dropCounts() [numDropReasons]uint64 {
	var c [numDropReasons]uint64
	add := func(d *drops) {
		for r := range d {
			c[r] += d[r].Load()
		}
	}
	for _, r := range fz.routers {
		add(&r.gone)
		for _, p := range r.ports {
			add(&p.drops)
		}
	}
	for _, e := range fz.linkEnds() {
		add(&e.drops)
	}
	return c
}

func (fz *fuzzNet) linkEnds() []*linkEnd {
	var ends []*linkEnd
	for _, l := range fz.links {
		ends = append(ends, l.ab, l.ba)
	}
	return ends
}

// checkDelivered checks a packet that from sent, sent, and to received,
// got, whatever the model says of it.
func (fz *fuzzNet) checkDelivered(t *testing.T, from, to *fuzzHost, sent, got []byte) {
	t.Helper()
	ip := ipv4(got)
	if version(got) != 4 || !ip.valid() {
		t.Fatalf("%s sent % x: %s received % x, not a valid IPv4 packet", from.name, sent, to.name, got)
	}
	if bytes.Equal(got, sent) {
		if ip.src() != from.ip || ip.dst() != to.ip {
			t.Errorf("%s sent % x: %s received it from %v to %v, want %v to %v", from.name, sent, to.name, ip.src(), ip.dst(), from.ip, to.ip)
		}
		return
	}
	// Changed: only a gateway's echo reply may be, and only to its sender.
	hl := ip.headerLen()
	if to != from || len(got) != len(sent) || len(got) < hl+icmpEchoHdrLen || !fz.model.vpcs[from.vpc].gateways[ip.src()] {
		t.Errorf("%s sent % x: %s received % x, changed, and not an echo reply from a gateway of %s", from.name, sent, to.name, got, from.vpc)
		return
	}
	want := bytes.Clone(sent)
	copy(want[ipv4Src:ipv4Src+4], sent[ipv4Dst:ipv4Dst+4])
	copy(want[ipv4Dst:ipv4Dst+4], sent[ipv4Src:ipv4Src+4])
	want[hl+icmpType] = icmpEchoReply
	copy(want[hl+icmpChecksum:hl+icmpChecksum+2], got[hl+icmpChecksum:hl+icmpChecksum+2])
	switch {
	case !bytes.Equal(got, want):
		t.Errorf("%s sent % x: the reply % x is not the request with its addresses swapped and type 0", from.name, sent, got)
	case checksum(got[hl:]) != 0:
		t.Errorf("%s sent % x: the reply's ICMP checksum does not verify: % x", from.name, sent, got)
	}
}

// recordDevice keeps the first packets written to it after each reset in
// space of its own, so that recording allocates nothing. Read blocks until
// Close.
type recordDevice struct {
	closed chan struct{}
	pkts   [4][1500]byte
	sizes  [4]int
	n      int // packets written since the reset, recorded or not
}

func (d *recordDevice) Read([][]byte, []int, int) (int, error) {
	<-d.closed
	return 0, net.ErrClosed
}

func (d *recordDevice) Write(bufs [][]byte, offset int) (int, error) {
	for _, b := range bufs {
		if d.n < len(d.pkts) {
			d.sizes[d.n] = copy(d.pkts[d.n][:], b[offset:])
		}
		d.n++
	}
	return len(bufs), nil
}

func (d *recordDevice) Close() error {
	close(d.closed)
	return nil
}

// fuzzModel is the data plane's rules (SPEC, "Data plane") written out
// slowly and plainly for testNet's VPCs, peered and routed as config says:
// linear longest-prefix match, one case per rule.
type fuzzModel struct {
	vpcs     map[string]*fuzzVPC
	tables   map[string][]fuzzRoute // by host name: its subnet's table, local route first
	peerings map[string][2]string   // active peerings' VPCs
}

type fuzzVPC struct {
	cidr     netip.Prefix
	hosts    map[netip.Addr]string
	gateways map[netip.Addr]bool
}

// fuzzRoute is a route; peering "" is the local route.
type fuzzRoute struct {
	dst     netip.Prefix
	peering string
}

// fate is what happens to a packet: delivered to host to, or dropped.
type fate struct {
	to   string
	drop DropReason
}

func (f fate) String() string {
	if f.to != "" {
		return "delivered to " + f.to
	}
	return "dropped as " + f.drop.String()
}

// nonZero returns the drop counts that are not zero, by reason name.
func nonZero(c [numDropReasons]uint64) map[string]uint64 {
	m := make(map[string]uint64)
	for r, v := range c {
		if v != 0 {
			m[DropReason(r).String()] = v
		}
	}
	return m
}

func newFuzzModel() *fuzzModel {
	vpc1, vpc2, vpc3 := pfx("192.168.0.0/16"), pfx("10.0.0.0/16"), pfx("172.16.0.0/16")
	return &fuzzModel{
		vpcs: map[string]*fuzzVPC{
			"vpc1": {vpc1, map[netip.Addr]string{addr("192.168.1.10"): "a1", addr("192.168.2.10"): "a2"},
				map[netip.Addr]bool{addr("192.168.1.1"): true, addr("192.168.2.1"): true}},
			"vpc2": {vpc2, map[netip.Addr]string{addr("10.0.1.10"): "b1"}, map[netip.Addr]bool{addr("10.0.1.1"): true}},
			"vpc3": {vpc3, map[netip.Addr]string{addr("172.16.1.10"): "c1"}, map[netip.Addr]bool{addr("172.16.1.1"): true}},
		},
		tables: map[string][]fuzzRoute{
			"a1": {{vpc1, ""}, {pfx("10.0.1.0/24"), "pcx-12"}, {pfx("172.16.0.0/16"), "pcx-13"}, {pfx("10.9.0.0/16"), "pcx-99"}},
			"a2": {{vpc1, ""}, {pfx("10.0.0.0/8"), "pcx-12"}},
			"b1": {{vpc2, ""}, {pfx("192.168.1.0/24"), "pcx-12"}, {pfx("172.16.0.0/16"), "pcx-12"}},
			"c1": {{vpc3, ""}, {pfx("192.168.0.0/16"), "pcx-13"}, {pfx("10.0.0.0/8"), "pcx-13"}},
		},
		peerings: map[string][2]string{"pcx-12": {"vpc1", "vpc2"}, "pcx-13": {"vpc1", "vpc3"}},
	}
}

// config returns the peerings and routes of the model for Update. pcx-99
// is routed to but not active.
func (m *fuzzModel) config() ([]Peering, map[string][]Route) {
	tableOf := map[string]string{"a1": "vpc1-default", "a2": "rtb-a2", "b1": "vpc2-default", "c1": "vpc3-default"}
	tables := make(map[string][]Route)
	for host, routes := range m.tables {
		for _, r := range routes[1:] {
			tables[tableOf[host]] = append(tables[tableOf[host]], Route{Destination: r.dst, Peering: r.peering})
		}
	}
	var peerings []Peering
	for id, v := range m.peerings {
		peerings = append(peerings, Peering{ID: id, VPC: v[0], PeerVPC: v[1]})
	}
	return peerings, tables
}

// fate returns what the routers do with p, sent by h.
func (m *fuzzModel) fate(h *fuzzHost, p []byte) fate {
	if len(p) == 0 || p[0]>>4 != 4 {
		return fate{drop: DropUnsupported}
	}
	if len(p) < 20 {
		return fate{drop: DropMalformed}
	}
	ihl := int(p[0]&0x0f) * 4
	if ihl < 20 || ihl > len(p) || int(binary.BigEndian.Uint16(p[2:4])) != len(p) {
		return fate{drop: DropMalformed}
	}
	if onesSum(p[:ihl]) != 0xffff {
		return fate{drop: DropMalformed}
	}
	src, dst := netip.AddrFrom4([4]byte(p[12:16])), netip.AddrFrom4([4]byte(p[16:20]))
	if src != h.ip {
		return fate{drop: DropSpoofed}
	}
	var best *fuzzRoute
	for i, r := range m.tables[h.name] {
		if r.dst.Contains(dst) && (best == nil || r.dst.Bits() > best.dst.Bits()) {
			best = &m.tables[h.name][i]
		}
	}
	switch {
	case best == nil:
		return fate{drop: DropNoRoute}
	case best.peering == "":
		return m.deliver(m.vpcs[h.vpc], dst, p, h)
	}
	ends, active := m.peerings[best.peering]
	if !active {
		return fate{drop: DropPeeringInactive}
	}
	peer := ends[0]
	if peer == h.vpc {
		peer = ends[1]
	}
	switch {
	case !m.vpcs[peer].cidr.Contains(dst):
		return fate{drop: DropNotTransitive}
	case !m.vpcs[h.vpc].cidr.Contains(src):
		return fate{drop: DropSpoofed}
	}
	return m.deliver(m.vpcs[peer], dst, p, nil)
}

// deliver returns the fate of p, for dst in v; from is the sending host if
// it is in v, nil if p came over a peering.
func (m *fuzzModel) deliver(v *fuzzVPC, dst netip.Addr, p []byte, from *fuzzHost) fate {
	if host, ok := v.hosts[dst]; ok {
		return fate{to: host}
	}
	if !v.gateways[dst] || from == nil {
		return fate{drop: DropNoHost}
	}
	ihl := int(p[0]&0x0f) * 4
	icmp := p[ihl:]
	fragment := binary.BigEndian.Uint16(p[6:8])&0x3fff != 0
	if p[9] == 1 && len(icmp) >= 8 && icmp[0] == 8 && icmp[1] == 0 && !fragment {
		return fate{to: from.name}
	}
	return fate{drop: DropUnsupported}
}
