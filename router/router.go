package router

import (
	"net/netip"
	"sync/atomic"
	"time"

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

// worker is the state of one forwarding goroutine: its drop counters, its
// grace-period epoch, and scratch space reused for every batch.
type worker struct {
	drops drops
	epoch atomic.Uint64 // odd while a batch is being forwarded

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

func newWorker() *worker {
	return &worker{locals: make([]portOut, 0, BatchSize), links: make([]linkOut, 0, 4)}
}

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
		w.locals = w.locals[:len(w.locals)+1]
		o = &w.locals[len(w.locals)-1]
		o.port, o.n, o.bytes = p, 0, 0
	}
	o.bufs[o.n] = frame
	o.n++
	o.bytes += len(frame) - Headroom
}

// toLink moves packet i of src onto e's outgoing batch.
func (w *worker) toLink(pl *pool, e *linkEnd, src *batch, i int) {
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
		e.send(o.b, &w.drops)
		o.b = pl.get()
	}
}

// flush writes the queued packets to their hosts and sends the link batches.
// Packets a host's device does not take are counted as write_failed, by
// the worker that delivers into the host's VPC.
func (w *worker) flush(pl *pool) {
	for i := range w.locals {
		o := &w.locals[i]
		o.port.inTap.each(o.bufs[:o.n])
		n, _ := o.port.dev.Write(o.bufs[:o.n], Headroom)
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
			w.drops[DropWriteFailed].Add(uint64(o.n - n))
		}
		clear(o.bufs[:o.n])
		o.port = nil
	}
	w.locals = w.locals[:0]
	for i := range w.links {
		o := &w.links[i]
		if o.b.n > 0 {
			o.end.send(o.b, &w.drops)
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
	dev     Device
	poll    pollable // dev, if the poller reads it; else nil
	devHead bool     // dev keeps metadata in the headroom
	table   *fib.Table[hop]
	rx, tx  counter  // from the host, to the host
	outTap  tapPoint // what the host sends
	inTap   tapPoint // what the router delivers to the host
	*worker          // whoever reads the host: its goroutine, or the poller

	rb   *batch // read into; nil until the first read
	want int    // packets to ask the next read for
	full int    // reads in a row that got want packets
}

// growAfter is how many reads in a row must fill a host's batch before it
// doubles. A read that finds fewer packets than it asked for has made one
// system call more, the one that found the device empty; growing only
// under sustained load spares that call to light traffic such as pings.
const growAfter = 4

// nextWant returns the batch to ask for after a read of want packets got
// n, the read being the full-th in a row to get all it asked for, and how
// many full reads in a row there have been.
func nextWant(want, full, n, slots int) (int, int) {
	switch {
	case n < want:
		return max(1, n), 0
	case full+1 == growAfter:
		return min(2*want, slots), 0
	default:
		return want, full + 1
	}
}

// run reads and forwards batches from the host until the device is closed:
// the goroutine of a host the poller does not serve.
func (p *port) run() {
	defer p.release()
	for {
		if _, err := p.read(true); err != nil {
			if p.stopped(err) {
				return
			}
			time.Sleep(10 * time.Millisecond) // do not spin on a failing device
		}
	}
}

// read reads a batch from the host and forwards it. With wait it waits for
// a packet; without, the device must be pollable and read returns 0 at once
// if none is ready. The batch it asks for follows the traffic: one packet
// at first, as many as the last read found when that was fewer, doubled
// after growAfter full reads, up to the pool's slots. An idle host holds
// one buffer.
func (p *port) read(wait bool) (int, error) {
	pl := p.r.net.pool
	if p.rb == nil {
		p.rb, p.want = pl.get(), 1
	}
	rb, want := p.rb, p.want
	pl.fill(rb, want)
	var n int
	var err error
	if wait {
		n, err = p.dev.Read(rb.bufs[:want], rb.sizes[:want], Headroom)
	} else {
		n, err = p.poll.TryRead(rb.bufs[:want], rb.sizes[:want], Headroom)
	}
	if n == 0 {
		return 0, err
	}
	rb.n = n
	p.want, p.full = nextWant(want, p.full, n, pl.slots)
	if !p.devHead {
		for i := range n {
			clear(rb.bufs[i][:Headroom])
		}
	}
	p.outTap.batch(rb)
	p.epoch.Add(1)
	p.forward(rb)
	p.epoch.Add(1)
	return n, nil
}

// stopped reports whether err, from reading the host, means the device was
// closed; any other error it logs.
func (p *port) stopped(err error) bool {
	if p.r.net.closing.Load() || isClosed(err) {
		return true
	}
	p.r.net.logf("router %s: read from host %s: %v", p.r.id, p.name, err)
	return false
}

// release returns the port's read batch to the pool.
func (p *port) release() {
	if p.rb != nil {
		p.r.net.pool.put(p.rb)
		p.rb = nil
	}
}

// forward routes the packets of rb, read from the host. Packets handed to a
// link leave rb with their buffers.
func (p *port) forward(rb *batch) {
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
			r.deliverLocal(p.worker, rb.frame(i), dst, p)
		case h.end == nil || !h.end.link.active.Load():
			p.drops.add(DropPeeringInactive)
		default:
			p.toLink(pl, h.end, rb, i)
		}
	}
	p.rx.add(rb.n, bytes)
	p.flush(pl)
}

// deliverLocal delivers frame, a valid IPv4 packet with its headroom in
// front, for an address of this VPC. from is the port it came from, or nil
// when it arrived over a peering.
func (r *Router) deliverLocal(w *worker, frame []byte, dst netip.Addr, from *port) {
	ep, ok := r.eps[dst]
	switch {
	case !ok || (ep.gateway && from == nil):
		w.drops.add(DropNoHost)
	case ep.gateway:
		if ipv4(frame[Headroom:]).echoReply() {
			// A packet of the router's own: complete, checksummed,
			// no device metadata.
			clear(frame[:Headroom])
			w.toPort(from, frame)
		} else {
			w.drops.add(DropUnsupported)
		}
	default:
		w.toPort(ep.port, frame)
	}
}

// receive delivers a batch that arrived over the peering link e.
func (r *Router) receive(e *linkEnd, b *batch) {
	w := e.worker
	if !e.link.active.Load() {
		w.drops[DropPeeringInactive].Add(uint64(b.n))
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
			w.drops.add(DropNotTransitive)
		case !e.from.cidr.Contains(ip.src()):
			w.drops.add(DropSpoofed)
		default:
			r.deliverLocal(w, b.frame(i), dst, nil)
		}
	}
	e.recv.add(b.n, bytes)
	w.flush(r.net.pool)
}
