package router

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/vpcsim/vpcsim/fib"
)

// Config describes the routers of a Network.
type Config struct {
	MTU int // the hosts' MTU (default 1500)
	// MaxPacket is the largest packet a device may read or be written:
	// the MTU, or up to 65535 for devices with segmentation offload
	// (default MTU). It sizes the buffers, each of which also holds
	// Headroom bytes in front; batches of large buffers hold fewer
	// packets.
	MaxPacket int
	QueueLen  int // batches a peering link queues per direction and lane (default 256)
	// Lanes is how many goroutines read the hosts' devices, 1..MaxLanes
	// (default DefaultLanes()). Lane i reads queue i of every host, so
	// hosts whose devices have a queue per lane (MultiQueue) spread their
	// flows over all the lanes, and every CPU forwards; a host with one
	// queue is read by lane 0.
	Lanes int
	// BusyPoll is how long a lane keeps polling the hosts, without
	// sleeping, after the last packet it read. Waking a sleeping CPU can
	// cost tens of microseconds (more in virtual machines); polling saves
	// that on every packet of a conversation at the cost of a CPU kept
	// busy while traffic flows. 0, the default, sleeps at once.
	BusyPoll time.Duration
	VPCs     []VPC
	Logger   *slog.Logger // default: discard

	retry retryPolicy // for reads that keep failing; zero: defaultRetry
}

// VPC is the fixed part of one router: its CIDR, tables, subnets and hosts.
// Routes and peerings change later with Update.
type VPC struct {
	ID      string
	CIDR    netip.Prefix
	Tables  []string // route table ids
	Subnets []Subnet
	Hosts   []Host
}

// Subnet is a subnet of a VPC and its route table.
type Subnet struct {
	ID    string
	CIDR  netip.Prefix
	Table string
}

// Host is a host of a VPC and its device, which may be several queues of
// one interface (MultiQueue). The Network owns the device from New on and
// closes it in Close.
type Host struct {
	Name   string
	Subnet string
	IP     netip.Addr
	Device Device
}

// Peering is an active peering between two VPCs.
type Peering struct {
	ID, VPC, PeerVPC string
}

// Route is a user route of a route table: a destination over a peering.
type Route struct {
	Destination netip.Prefix
	Peering     string
}

// Network is the data plane of one topology. Its methods are safe for
// concurrent use.
type Network struct {
	log     *slog.Logger
	pool    *pool
	qlen    int
	retry   retryPolicy
	closing atomic.Bool
	quit    chan struct{} // closed when Close begins: ends retry pauses

	lanes   []lane         // by index; fixed after New
	pollers []*poller      // one per lane with pollable queues
	solos   sync.WaitGroup // goroutines of the other queues

	mu      sync.Mutex // serialises Update and Close; guards the fields below
	routers map[string]*Router
	tables  map[string]*Router // route table id -> owner
	links   map[string]*Link
	closed  bool
}

// lane is the shared state of one lane: what it read from the hosts.
type lane struct {
	read counter
	_    [64 - 16]byte // a cache line of its own: lanes count side by side
}

// New builds the routers of cfg and starts reading the hosts: a poller per
// lane for the queues it can serve, a goroutine for each other queue.
// Hosts reach their gateways and each other within a VPC at once; peerings
// and routes come with Update.
func New(cfg Config) (*Network, error) {
	if cfg.MTU == 0 {
		cfg.MTU = 1500
	}
	if cfg.MaxPacket == 0 {
		cfg.MaxPacket = cfg.MTU
	}
	if cfg.MaxPacket < cfg.MTU || cfg.MaxPacket > 65535 {
		return nil, fmt.Errorf("max packet %d out of range %d..65535 (the MTU up to the largest IPv4 packet)", cfg.MaxPacket, cfg.MTU)
	}
	if cfg.QueueLen == 0 {
		cfg.QueueLen = 256
	}
	if cfg.Lanes == 0 {
		cfg.Lanes = DefaultLanes()
	}
	if cfg.Lanes < 1 || cfg.Lanes > MaxLanes {
		return nil, fmt.Errorf("%d lanes out of range 1..%d", cfg.Lanes, MaxLanes)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.retry == (retryPolicy{}) {
		cfg.retry = defaultRetry
	}
	n := &Network{
		log:     cfg.Logger,
		pool:    newPool(cfg.MaxPacket),
		qlen:    cfg.QueueLen,
		retry:   cfg.retry,
		quit:    make(chan struct{}),
		lanes:   make([]lane, cfg.Lanes),
		routers: make(map[string]*Router),
		tables:  make(map[string]*Router),
		links:   make(map[string]*Link),
	}
	for _, v := range cfg.VPCs {
		r, err := n.newRouter(v)
		if err != nil {
			return nil, err
		}
		n.routers[v.ID] = r
	}
	if err := n.start(cfg.BusyPoll); err != nil {
		return nil, err
	}
	return n, nil
}

// start starts reading every host queue: a poller per lane for the
// pollable ones, a goroutine for each other one.
func (n *Network) start(busyPoll time.Duration) error {
	polled := make([][]*queue, len(n.lanes))
	var solo []*queue
	for _, r := range n.sortedRouters() {
		for _, p := range r.ports {
			for _, q := range p.queues {
				if q.poll != nil {
					polled[q.lane] = append(polled[q.lane], q)
				} else {
					solo = append(solo, q)
				}
			}
		}
	}
	for lane, qs := range polled {
		if len(qs) == 0 {
			continue
		}
		pl, err := startPoller(n, lane, qs, busyPoll)
		if err != nil {
			for _, pl := range n.pollers {
				pl.stop()
			}
			return fmt.Errorf("start poller of lane %d: %w", lane, err)
		}
		n.pollers = append(n.pollers, pl)
	}
	for _, q := range solo {
		n.solos.Add(1)
		go func() {
			defer n.solos.Done()
			q.run()
		}()
	}
	return nil
}

// sortedRouters returns the routers in the order of their ids.
func (n *Network) sortedRouters() []*Router {
	rs := make([]*Router, 0, len(n.routers))
	for _, r := range n.routers {
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].id < rs[j].id })
	return rs
}

// sleep waits for d, or until Close begins: it reports whether the whole
// d passed.
func (n *Network) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-n.quit:
		return false
	}
}

func (n *Network) newRouter(v VPC) (*Router, error) {
	if _, dup := n.routers[v.ID]; dup {
		return nil, fmt.Errorf("duplicate VPC %q", v.ID)
	}
	r := &Router{
		id:     v.ID,
		cidr:   v.CIDR.Masked(),
		net:    n,
		tables: make(map[string]*fib.Table[hop]),
		eps:    make(map[netip.Addr]endpoint),
	}
	for _, id := range v.Tables {
		if _, dup := n.tables[id]; dup {
			return nil, fmt.Errorf("VPC %q: duplicate route table %q", v.ID, id)
		}
		t := new(fib.Table[hop])
		t.Insert(r.cidr, hop{local: true})
		r.tables[id] = t
		n.tables[id] = r
	}
	subnets := make(map[string]Subnet)
	for _, s := range v.Subnets {
		if r.tables[s.Table] == nil {
			return nil, fmt.Errorf("VPC %q: subnet %q: unknown route table %q", v.ID, s.ID, s.Table)
		}
		subnets[s.ID] = s
		r.eps[s.CIDR.Masked().Addr().Next()] = endpoint{gateway: true}
	}
	for _, h := range v.Hosts {
		s, ok := subnets[h.Subnet]
		if !ok {
			return nil, fmt.Errorf("VPC %q: host %q: unknown subnet %q", v.ID, h.Name, h.Subnet)
		}
		if _, dup := r.eps[h.IP]; dup {
			return nil, fmt.Errorf("VPC %q: host %q: address %v already in use", v.ID, h.Name, h.IP)
		}
		p, err := r.newPort(h, r.tables[s.Table])
		if err != nil {
			return nil, fmt.Errorf("VPC %q: %w", v.ID, err)
		}
		r.ports = append(r.ports, p)
		r.eps[h.IP] = endpoint{port: p}
	}
	return r, nil
}

// newPort returns the port of host h, whose subnet uses table t. Queue i
// of its device is read by lane i, modulo the lanes.
func (r *Router) newPort(h Host, t *fib.Table[hop]) (*port, error) {
	if h.Device == nil {
		return nil, fmt.Errorf("host %q: no device", h.Name)
	}
	devs := queuesOf(h.Device)
	p := &port{r: r, name: h.Name, ip: h.IP, dev: h.Device, devHead: usesHeadroom(devs[0]), table: t}
	for i, d := range devs {
		if hd, ok := d.(headroomer); ok && hd.Headroom() > Headroom {
			return nil, fmt.Errorf("host %q: device needs %d bytes of headroom, more than %d", h.Name, hd.Headroom(), Headroom)
		}
		if usesHeadroom(d) != p.devHead {
			return nil, fmt.Errorf("host %q: queues %d and 0 disagree on their headroom", h.Name, i)
		}
		lane := i % len(r.net.lanes)
		q := &queue{port: p, dev: d, lane: lane, solo: newWorker(lane)}
		if pd, ok := d.(pollable); ok && canPoll {
			q.poll = pd
		}
		p.queues = append(p.queues, q)
	}
	return p, nil
}

// Update makes peerings the set of active peerings and tables the user routes
// of the given route tables (tables not named keep their routes). A peering
// that is no longer listed carries no packet once Update returns. Update
// checks everything first: when it fails, nothing has changed.
func (n *Network) Update(peerings []Peering, tables map[string][]Route) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return errors.New("network closed")
	}
	want := make(map[string]Peering, len(peerings))
	for _, p := range peerings {
		a, b := n.routers[p.VPC], n.routers[p.PeerVPC]
		if a == nil || b == nil || a == b {
			return fmt.Errorf("peering %q: bad VPCs %q and %q", p.ID, p.VPC, p.PeerVPC)
		}
		if l := n.links[p.ID]; l != nil && (l.ab.from != a || l.ab.to != b) {
			return fmt.Errorf("peering %q: joins %s and %s, not %s and %s", p.ID, l.ab.from.id, l.ab.to.id, p.VPC, p.PeerVPC)
		}
		want[p.ID] = p
	}
	for id := range tables {
		if n.tables[id] == nil {
			return fmt.Errorf("unknown route table %q", id)
		}
	}
	for _, p := range peerings {
		if n.links[p.ID] == nil {
			n.links[p.ID] = newLink(p.ID, n.routers[p.VPC], n.routers[p.PeerVPC], n.qlen)
			n.log.Debug("link up", "peering", p.ID, "vpc", p.VPC, "peer_vpc", p.PeerVPC)
		}
	}
	for id, routes := range tables {
		r := n.tables[id]
		n.setRoutesLocked(r, r.tables[id], routes)
	}
	var gone []*Link
	for id, l := range n.links {
		if _, ok := want[id]; !ok {
			l.active.Store(false)
			gone = append(gone, l)
			delete(n.links, id)
		}
	}
	if len(gone) > 0 {
		n.waitGraceLocked()
		for _, l := range gone {
			l.ab.stop()
			l.ba.stop()
			n.log.Debug("link down", "peering", l.id)
		}
		// Routes naming a gone peering stay as peering_inactive drops
		// until the control plane removes them. Only the tables of its
		// two VPCs can hold its link, also in the slots of values since
		// replaced: compacting them lets the link go.
		ends := make(map[*Router]bool)
		for _, l := range gone {
			ends[l.ab.from], ends[l.ab.to] = true, true
		}
		for r := range ends {
			for _, t := range r.tables {
				n.unlinkLocked(t, gone)
				t.Compact()
			}
		}
	}
	return nil
}

// setRoutesLocked makes routes the user routes of t, a table of r.
func (n *Network) setRoutesLocked(r *Router, t *fib.Table[hop], routes []Route) {
	want := make(map[netip.Prefix]string, len(routes))
	for _, rt := range routes {
		want[rt.Destination.Masked()] = rt.Peering
	}
	// One batch, so that a packet sees the table before or after the
	// change, never a route deleted and its replacement not yet there.
	var b fib.Batch[hop]
	t.Walk(func(p netip.Prefix, h hop) bool {
		if _, ok := want[p]; !ok && !h.local {
			b.Delete(p)
		}
		return true
	})
	for p, id := range want {
		if h, ok := t.Get(p); ok && h.id == id && h.end != nil {
			continue
		}
		h := hop{id: id}
		if l := n.links[id]; l != nil {
			h.end = l.end(r)
		}
		b.Insert(p, h)
	}
	t.Apply(&b)
}

// unlinkLocked points the routes of t that use a gone link at nothing.
func (n *Network) unlinkLocked(t *fib.Table[hop], gone []*Link) {
	var b fib.Batch[hop]
	t.Walk(func(p netip.Prefix, h hop) bool {
		if h.end != nil && slices.Contains(gone, h.end.link) {
			b.Insert(p, hop{id: h.id})
		}
		return true
	})
	t.Apply(&b)
}

// waitGraceLocked waits until every forwarding goroutine has finished the
// batch it was forwarding when the call began. Goroutines blocked reading a
// device or an empty link are idle and do not delay it.
func (n *Network) waitGraceLocked() {
	var ws []*worker
	for _, pl := range n.pollers {
		ws = append(ws, pl.w)
	}
	for _, r := range n.routers {
		for _, p := range r.ports {
			for _, q := range p.queues {
				ws = append(ws, q.solo)
			}
		}
	}
	for _, l := range n.links {
		for _, e := range []*linkEnd{l.ab, l.ba} {
			for i := range e.lanes {
				ws = append(ws, e.lanes[i].worker)
			}
		}
	}
	for _, w := range ws {
		if e := w.epoch.Load(); e&1 == 1 {
			for w.epoch.Load() == e {
				runtime.Gosched()
				time.Sleep(10 * time.Microsecond)
			}
		}
	}
}

// closeParallelism bounds the devices Close closes at once.
const closeParallelism = 32

// Close stops every goroutine and closes every host device. It is idempotent.
func (n *Network) Close() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil
	}
	n.closed = true
	n.closing.Store(true)
	close(n.quit)
	var errs []error
	for _, pl := range n.pollers {
		if err := pl.stop(); err != nil {
			errs = append(errs, err)
		}
	}
	// Closing a TUN device waits for the kernel to unregister its
	// interface; closed together, the waits overlap.
	var (
		mu sync.Mutex
		g  errgroup.Group
	)
	g.SetLimit(closeParallelism)
	for _, r := range n.routers {
		for _, p := range r.ports {
			g.Go(func() error {
				if err := p.dev.Close(); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("close device of host %q: %w", p.name, err))
					mu.Unlock()
				}
				return nil
			})
		}
	}
	g.Wait()
	n.solos.Wait()
	for id, l := range n.links {
		l.active.Store(false)
		l.ab.stop()
		l.ba.stop()
		delete(n.links, id)
	}
	return errors.Join(errs...)
}

// isClosed reports whether err says a device was closed.
func isClosed(err error) bool {
	return errors.Is(err, os.ErrClosed) || errors.Is(err, net.ErrClosed)
}

// Stats is a snapshot of a Network's counters.
type Stats struct {
	VPCs  []VPCStats  `json:"vpcs"`
	Links []LinkStats `json:"peerings"`
	Hosts []HostStats `json:"hosts"`
	Lanes []LaneStats `json:"lanes"`
}

// LaneStats counts what one lane read from the hosts: how the forwarding
// work spreads over the lanes, and so over the CPUs.
type LaneStats struct {
	Lane int   `json:"lane"`
	Read Count `json:"read"`
}

// VPCStats counts what a VPC router received from its hosts and dropped.
type VPCStats struct {
	VPC      string `json:"vpc"`
	Received Count  `json:"received"`
	Drops    Drops  `json:"drops"`
}

// LinkStats counts one direction of a peering.
type LinkStats struct {
	Peering string `json:"peering"`
	From    string `json:"from_vpc"`
	To      string `json:"to_vpc"`
	Count   Count  `json:"count"` // crossed the link
	Drops   Drops  `json:"drops"` // dropped by the receiving router
}

// HostStats counts a host interface from the host's point of view, as `ip
// -s link` in its namespace does: TX is what the host sent (the router
// received it), RX what the router delivered to it. ReadErrors counts the
// reads of the host's device that failed; DeviceGone reports that they went
// on failing until the router gave the device up and stopped reading it
// (its interface was deleted, say): the host sends nothing more, and what
// is written to it is counted as write_failed if the device refuses it.
// Both are always in the JSON, so a reader need not tell "none" from "not
// reported".
type HostStats struct {
	Host       string `json:"host"`
	VPC        string `json:"vpc"`
	TX         Count  `json:"tx"`
	RX         Count  `json:"rx"`
	ReadErrors uint64 `json:"read_errors"`
	DeviceGone bool   `json:"device_gone"`
}

// Stats returns the counters, sorted by name.
func (n *Network) Stats() Stats {
	n.mu.Lock()
	defer n.mu.Unlock()
	var s Stats
	for _, r := range n.routers {
		vs := VPCStats{VPC: r.id, Drops: make(Drops)}
		r.gone.addTo(vs.Drops)
		for _, p := range r.ports {
			rx := p.rx.load()
			vs.Received.Packets += rx.Packets
			vs.Received.Bytes += rx.Bytes
			p.drops.addTo(vs.Drops)
			s.Hosts = append(s.Hosts, HostStats{Host: p.name, VPC: r.id, TX: rx, RX: p.tx.load(),
				ReadErrors: p.readErrors.Load(), DeviceGone: p.gone.Load()})
		}
		s.VPCs = append(s.VPCs, vs)
	}
	for _, l := range n.links {
		for _, e := range []*linkEnd{l.ab, l.ba} {
			ls := LinkStats{Peering: l.id, From: e.from.id, To: e.to.id, Count: e.recv.load(), Drops: make(Drops)}
			e.drops.addTo(ls.Drops)
			s.Links = append(s.Links, ls)
			for i := range s.VPCs {
				if s.VPCs[i].VPC == e.to.id {
					e.drops.addTo(s.VPCs[i].Drops)
				}
			}
		}
	}
	for i := range n.lanes {
		s.Lanes = append(s.Lanes, LaneStats{Lane: i, Read: n.lanes[i].read.load()})
	}
	sort.Slice(s.VPCs, func(i, j int) bool { return s.VPCs[i].VPC < s.VPCs[j].VPC })
	sort.Slice(s.Hosts, func(i, j int) bool { return s.Hosts[i].Host < s.Hosts[j].Host })
	sort.Slice(s.Links, func(i, j int) bool {
		if s.Links[i].Peering != s.Links[j].Peering {
			return s.Links[i].Peering < s.Links[j].Peering
		}
		return s.Links[i].From < s.Links[j].From
	})
	return s
}

// Config returns the active peerings and the user routes of every route
// table as the data plane holds them, sorted, in the form Update takes.
func (n *Network) Config() ([]Peering, map[string][]Route) {
	n.mu.Lock()
	defer n.mu.Unlock()
	var peerings []Peering
	for id, l := range n.links {
		peerings = append(peerings, Peering{ID: id, VPC: l.ab.from.id, PeerVPC: l.ab.to.id})
	}
	sort.Slice(peerings, func(i, j int) bool { return peerings[i].ID < peerings[j].ID })
	tables := make(map[string][]Route)
	for id, r := range n.tables {
		routes := []Route{}
		r.tables[id].Walk(func(p netip.Prefix, h hop) bool {
			if !h.local {
				routes = append(routes, Route{Destination: p, Peering: h.id})
			}
			return true
		})
		sort.Slice(routes, func(i, j int) bool { return routes[i].Destination.String() < routes[j].Destination.String() })
		tables[id] = routes
	}
	return peerings, tables
}
