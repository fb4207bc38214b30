package router

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Link is a peering connection between two routers: per direction, one
// bounded queue of batches for each lane, drained by a goroutine of the
// receiving router.
type Link struct {
	id     string
	active atomic.Bool // cleared before the link is torn down
	ab, ba *linkEnd    // a to b, b to a
}

// linkEnd is one direction of a link.
type linkEnd struct {
	link     *Link
	from, to *Router
	lanes    []linkLane // by the lane of the sender
	wg       sync.WaitGroup
	recv     counter  // taken off the link by the receiver
	tap      tapPoint // what crosses, before the receiver's checks
	drops    drops    // dropped by the receiving router
}

// linkLane is what one lane sends over a link end: a queue of batches, with
// many senders (the forwarding goroutines of the sending router's lane) and
// one receiver, started with the lane's first queued batch. The queue is
// never closed: done stops the receiver. A flow keeps to one lane, so the
// batches of a flow cross the link in order, and lanes write into the
// receiving hosts side by side.
type linkLane struct {
	end   *linkEnd
	q     chan *batch
	done  chan struct{}
	start sync.Once
	*worker

	// A small batch on an idle lane is delivered by its sender at once:
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

// newLink joins routers a and b with queues of queueLen batches per
// direction and lane. The link is active when it returns.
func newLink(id string, a, b *Router, queueLen int) *Link {
	l := &Link{id: id}
	l.ab = newLinkEnd(l, a, b, queueLen)
	l.ba = newLinkEnd(l, b, a, queueLen)
	l.active.Store(true)
	return l
}

func newLinkEnd(l *Link, from, to *Router, queueLen int) *linkEnd {
	e := &linkEnd{link: l, from: from, to: to, lanes: make([]linkLane, len(from.net.lanes))}
	for i := range e.lanes {
		e.lanes[i] = linkLane{end: e, q: make(chan *batch, queueLen), done: make(chan struct{}), worker: newWorker(i)}
	}
	return e
}

// end returns the direction that carries packets out of r.
func (l *Link) end(r *Router) *linkEnd {
	if l.ab.from == r {
		return l.ab
	}
	return l.ba
}

// send hands b, from a goroutine of the given lane, to the receiving
// router, or drops its packets when the lane's queue is full, counting them
// in d. Either way the caller no longer owns b.
func (e *linkEnd) send(lane int, b *batch, d *drops) {
	ll := &e.lanes[lane]
	if ll.pending.Load() == 0 && b.bytes() <= inlineBytes && ll.busy.CompareAndSwap(false, true) {
		ll.deliver(b)
		ll.busy.Store(false)
		e.from.net.pool.put(b)
		return
	}
	ll.start.Do(func() {
		e.wg.Add(1)
		go ll.run()
	})
	ll.pending.Add(1)
	select {
	case ll.q <- b:
	default:
		ll.pending.Add(-1)
		d[DropQueueFull].Add(uint64(b.n))
		e.from.net.pool.put(b)
	}
}

// deliver hands b to the receiving router. The caller holds ll.busy.
func (ll *linkLane) deliver(b *batch) {
	ll.epoch.Add(1)
	ll.end.to.receive(ll.end, ll.worker, b)
	ll.epoch.Add(1)
}

func (ll *linkLane) run() {
	defer ll.end.wg.Done()
	pl := ll.end.to.net.pool
	for {
		select {
		case b := <-ll.q:
			for !ll.busy.CompareAndSwap(false, true) {
				runtime.Gosched() // a sender is delivering a small batch
			}
			ll.deliver(b)
			ll.busy.Store(false)
			ll.pending.Add(-1)
			pl.put(b)
		case <-ll.done:
			return
		}
	}
}

// stop ends the receiving goroutines and drops what is still queued.
// Senders must have stopped: the link is inactive and a grace period has
// passed.
func (e *linkEnd) stop() {
	for i := range e.lanes {
		close(e.lanes[i].done)
	}
	e.wg.Wait()
	for i := range e.lanes {
		ll := &e.lanes[i]
		for drained := false; !drained; {
			select {
			case b := <-ll.q:
				e.drops[DropPeeringInactive].Add(uint64(b.n))
				e.to.net.pool.put(b)
			default:
				drained = true
			}
		}
	}
	for r := range e.drops {
		e.to.gone[r].Add(e.drops[r].Load())
	}
}
