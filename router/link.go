package router

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Link is a peering connection between two routers: one bounded queue of
// batches per direction, each drained by a goroutine of the receiving router.
type Link struct {
	id     string
	active atomic.Bool // cleared before the link is torn down
	ab, ba *linkEnd    // a to b, b to a
}

// linkEnd is one direction of a link. Its queue has many senders (the
// forwarding goroutines of the sending router) and one receiver, and is never
// closed: done stops the receiver.
type linkEnd struct {
	link     *Link
	from, to *Router
	q        chan *batch
	done     chan struct{}
	wg       sync.WaitGroup
	recv     counter  // taken off the link by the receiver
	tap      tapPoint // what crosses, before the receiver's checks
	*worker           // delivers batches into the receiving router

	// A small batch on an idle link is delivered by its sender at once:
	// waking the receiving goroutine would cost more than the delivery.
	// busy serialises deliveries, so the worker's scratch has one user at a
	// time; pending counts batches queued and not yet delivered, and a
	// sender delivers only when it is zero, so no batch overtakes another.
	busy    atomic.Bool
	pending atomic.Int32
}

// inlineBytes is the most a batch may carry to be delivered by its sender.
// Larger batches go through the queue, so that reading and delivering bulk
// traffic run in parallel on two goroutines.
const inlineBytes = 4096

// newLink joins routers a and b and starts the receiving goroutine of each
// direction. The link is active when it returns.
func newLink(id string, a, b *Router, queueLen int) *Link {
	l := &Link{id: id}
	l.ab = newLinkEnd(l, a, b, queueLen)
	l.ba = newLinkEnd(l, b, a, queueLen)
	l.active.Store(true)
	l.ab.start()
	l.ba.start()
	return l
}

func newLinkEnd(l *Link, from, to *Router, queueLen int) *linkEnd {
	return &linkEnd{
		link: l, from: from, to: to,
		q:      make(chan *batch, queueLen),
		done:   make(chan struct{}),
		worker: newWorker(),
	}
}

// end returns the direction that carries packets out of r.
func (l *Link) end(r *Router) *linkEnd {
	if l.ab.from == r {
		return l.ab
	}
	return l.ba
}

// send hands b to the receiving router, or drops its packets when the queue
// is full. Either way the caller no longer owns b.
func (e *linkEnd) send(b *batch, d *drops) {
	if e.pending.Load() == 0 && b.bytes() <= inlineBytes && e.busy.CompareAndSwap(false, true) {
		e.deliver(b)
		e.busy.Store(false)
		e.from.net.pool.put(b)
		return
	}
	e.pending.Add(1)
	select {
	case e.q <- b:
	default:
		e.pending.Add(-1)
		d[DropQueueFull].Add(uint64(b.n))
		e.from.net.pool.put(b)
	}
}

// deliver hands b to the receiving router. The caller holds e.busy.
func (e *linkEnd) deliver(b *batch) {
	e.epoch.Add(1)
	e.to.receive(e, b)
	e.epoch.Add(1)
}

func (e *linkEnd) start() {
	e.wg.Add(1)
	go e.run()
}

func (e *linkEnd) run() {
	defer e.wg.Done()
	pl := e.to.net.pool
	for {
		select {
		case b := <-e.q:
			for !e.busy.CompareAndSwap(false, true) {
				runtime.Gosched() // a sender is delivering a small batch
			}
			e.deliver(b)
			e.busy.Store(false)
			e.pending.Add(-1)
			pl.put(b)
		case <-e.done:
			return
		}
	}
}

// stop ends the receiving goroutine and drops what is still queued. Senders
// must have stopped: the link is inactive and a grace period has passed.
func (e *linkEnd) stop() {
	close(e.done)
	e.wg.Wait()
	for {
		select {
		case b := <-e.q:
			e.drops[DropPeeringInactive].Add(uint64(b.n))
			e.to.net.pool.put(b)
		default:
			for r := range e.drops {
				e.to.gone[r].Add(e.drops[r].Load())
			}
			return
		}
	}
}
