package router

import (
	"net/netip"
	"slices"
	"sync/atomic"

	"github.com/vpcsim/vpcsim/fib"
)

// hop is a FIB value: where a matching packet goes.
type hop struct {
	local bool     // the VPC's own CIDR
	end   *linkEnd // the peering link to send on; nil: peering not active
	id    string   // the peering's id, for a route whose link is gone
}

// Router is the virtual router of one VPC.
type Router struct {
	id     string
	cidr   netip.Prefix
	net    *Network
	tables map[string]*fib.Table[hop] // by route table id; fixed after New
	eps    map[netip.Addr]endpoint    // hosts and gateways; fixed after New
	ports  []*port
	gone   drops // drops counted on links since torn down
}

// endpoint is an address a router delivers to: a host's port, or a gateway.
type endpoint struct {
	port    *port // nil for a gateway
	gateway bool
}

// worker is the state of one forwarding goroutine: a lane's poller, the
// goroutine of a host queue the poller does not serve, or the receiving
// goroutine of one lane of a peering link. It holds the goroutine's lane,
// its grace-period epoch, and scratch space reused for every batch.
type worker struct {
	lane  int           // writes go to this lane's queue of each host
	epoch atomic.Uint64 // odd while a batch is being forwarded

	// Both grow to the most hosts, and links, that one batch has gone to,
	// and keep that room: a steady flow allocates nothing.
	locals []portOut
	links  []linkOut
}

// portOut collects the packets of one batch bound for one host.
type portOut struct {
	port  *port
	bufs  [BatchSize][]byte // packets with their headroom in front
	n     int
	bytes int // of the packets, without headroom
}

// linkOut collects the packets of one batch bound for one peering link.
type linkOut struct {
	end *linkEnd
	b   *batch
}

func newWorker(lane int) *worker { return &worker{lane: lane} }

// toPort queues frame, a packet with its headroom in front, for delivery
// to p.
func (w *worker) toPort(p *port, frame []byte) {
	var o *portOut
	for i := range w.locals {
		if w.locals[i].port == p {
			o = &w.locals[i]
			break
		}
	}
	if o == nil {
		w.locals = slices.Grow(w.locals, 1)
		w.locals = w.locals[:len(w.locals)+1]
		o = &w.locals[len(w.locals)-1]
		o.port, o.n, o.bytes = p, 0, 0
	}
	o.bufs[o.n] = frame
	o.n++
	o.bytes += len(frame) - Headroom
}

// toLink moves packet i of src onto e's outgoing batch; drops counted on
// the way are the sending host's, d.
func (w *worker) toLink(pl *pool, e *linkEnd, src *batch, i int, d *drops) {
	var o *linkOut
	for j := range w.links {
		if w.links[j].end == e {
			o = &w.links[j]
			break
		}
	}
	if o == nil {
		w.links = append(w.links, linkOut{end: e, b: pl.get()})
		o = &w.links[len(w.links)-1]
	}
	o.b.take(src, i)
	if o.b.n == pl.slots {
		e.send(w.lane, o.b, d)
		o.b = pl.get()
	}
}

// flush writes the queued packets to their hosts and sends the link
// batches. Packets a host's device does not take are counted in d as
// write_failed: by the worker that delivers into the host's VPC, as d is
// the sending host's drops for local delivery and the link's for packets
// that crossed it.
func (w *worker) flush(pl *pool, d *drops) {
	for i := range w.locals {
		o := &w.locals[i]
		o.port.inTap.each(o.bufs[:o.n])
		n, _ := o.port.writeQueue(w.lane).Write(o.bufs[:o.n], Headroom)
		n = max(0, min(n, o.n))
		switch {
		case n == o.n:
			o.port.tx.add(n, o.bytes)
		case n > 0:
			// Which packets were taken, the device does not say: count
			// the first n, those a device that stops at a failure wrote.
			bytes := 0
			for _, b := range o.bufs[:n] {
				bytes += len(b) - Headroom
			}
			o.port.tx.add(n, bytes)
		}
		if n < o.n {
			d[DropWriteFailed].Add(uint64(o.n - n))
		}
		clear(o.bufs[:o.n])
		o.port = nil
	}
	w.locals = w.locals[:0]
	for i := range w.links {
		o := &w.links[i]
		if o.b.n > 0 {
			o.end.send(w.lane, o.b, d)
		} else {
			pl.put(o.b)
		}
		o.b, o.end = nil, nil
	}
	w.links = w.links[:0]
}

// port is a host's interface on its VPC router.
type port struct {
	r       *Router
	name    string
	ip      netip.Addr
	dev     Device   // as the host was given it: Close closes it
	queues  []*queue // dev's queues, each read by one goroutine
	devHead bool     // dev keeps metadata in the headroom
	table   *fib.Table[hop]
	rx, tx  counter  // from the host, to the host
	drops   drops    // of packets read from the host
	outTap  tapPoint // what the host sends
	inTap   tapPoint // what the router delivers to the host

	readErrors atomic.Uint64 // failed reads of any of its queues
	gone       atomic.Bool   // a queue's reads failed until it was given up
}

// writeQueue returns the queue of p that lane writes to: the lane's own
// when p has one per lane. A multi-queue TUN interface sends the packets of
// a flow out of the queue the flow's last packet was written to, so the
// answers to what a lane writes come back on the queue that same lane
// reads: each flow stays on one lane, and a lane that writes a request
// finds the reply waiting when it next polls, with nobody to wake.
func (p *port) writeQueue(lane int) Device {
	return p.queues[lane%len(p.queues)].dev
}

// forward routes the packets of rb, read from the host by w's goroutine,
// and returns their length together. Packets handed to a link leave rb
// with their buffers.
func (p *port) forward(w *worker, rb *batch) int {
	r, pl := p.r, p.r.net.pool
	bytes := 0
	for i := 0; i < rb.n; i++ {
		pkt := rb.packet(i)
		bytes += len(pkt)
		if version(pkt) != 4 {
			p.drops.add(DropUnsupported)
			continue
		}
		ip := ipv4(pkt)
		if !ip.valid() {
			p.drops.add(DropMalformed)
			continue
		}
		if ip.src() != p.ip {
			p.drops.add(DropSpoofed)
			continue
		}
		dst := ip.dst()
		h, ok := p.table.LookupValue(dst)
		switch {
		case !ok:
			p.drops.add(DropNoRoute)
		case h.local:
			r.deliverLocal(w, &p.drops, rb.frame(i), dst, p)
		case h.end == nil || !h.end.link.active.Load():
			p.drops.add(DropPeeringInactive)
		default:
			w.toLink(pl, h.end, rb, i, &p.drops)
		}
	}
	p.rx.add(rb.n, bytes)
	w.flush(pl, &p.drops)
	return bytes
}

// deliverLocal delivers frame, a valid IPv4 packet with its headroom in
// front, for an address of this VPC, counting drops in d. from is the port
// it came from, or nil when it arrived over a peering.
func (r *Router) deliverLocal(w *worker, d *drops, frame []byte, dst netip.Addr, from *port) {
	ep, ok := r.eps[dst]
	switch {
	case !ok || (ep.gateway && from == nil):
		d.add(DropNoHost)
	case ep.gateway:
		if ipv4(frame[Headroom:]).echoReply() {
			// A packet of the router's own: complete, checksummed,
			// no device metadata.
			clear(frame[:Headroom])
			w.toPort(from, frame)
		} else {
			d.add(DropUnsupported)
		}
	default:
		w.toPort(ep.port, frame)
	}
}

// receive delivers a batch that arrived over the peering link e, on the
// goroutine of w.
func (r *Router) receive(e *linkEnd, w *worker, b *batch) {
	if !e.link.active.Load() {
		e.drops[DropPeeringInactive].Add(uint64(b.n))
		return
	}
	e.tap.batch(b)
	bytes := 0
	for i := 0; i < b.n; i++ {
		ip := ipv4(b.packet(i))
		bytes += len(ip)
		dst := ip.dst()
		switch {
		case !r.cidr.Contains(dst):
			e.drops.add(DropNotTransitive)
		case !e.from.cidr.Contains(ip.src()):
			e.drops.add(DropSpoofed)
		default:
			r.deliverLocal(w, &e.drops, b.frame(i), dst, nil)
		}
	}
	e.recv.add(b.n, bytes)
	w.flush(r.net.pool, &e.drops)
}
