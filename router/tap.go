package router

import (
	"fmt"
	"sync/atomic"
)

// Tap sees packets at a capture point. It is called on the forwarding path,
// once per packet, and must neither block nor keep pkt after returning: copy
// what it needs. A capture point without a tap costs one atomic load per
// batch.
type Tap func(pkt []byte)

// tapPoint is where a Tap can be attached.
type tapPoint struct {
	tap atomic.Pointer[Tap]
}

// each calls the attached tap, if any, for every packet of frames, which
// hold packets with their headroom in front.
func (tp *tapPoint) each(frames [][]byte) {
	if t := tp.tap.Load(); t != nil {
		for _, f := range frames {
			(*t)(f[Headroom:])
		}
	}
}

// batch calls the attached tap, if any, for every packet of b.
func (tp *tapPoint) batch(b *batch) {
	if t := tp.tap.Load(); t != nil {
		for i := 0; i < b.n; i++ {
			(*t)(b.packet(i))
		}
	}
}

// attach sets the tap and returns a function that removes it.
func (tp *tapPoint) attach(t Tap) (detach func(), err error) {
	if !tp.tap.CompareAndSwap(nil, &t) {
		return nil, fmt.Errorf("a capture is already attached")
	}
	return func() { tp.tap.CompareAndSwap(&t, nil) }, nil
}

// TapHost attaches taps to host's interface: out sees what the host sends
// (before any check), in what the router delivers to it. Either may be nil.
// The returned function detaches both.
func (n *Network) TapHost(host string, out, in Tap) (detach func(), err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, r := range n.routers {
		for _, p := range r.ports {
			if p.name == host {
				return attachPair(&p.outTap, &p.inTap, out, in)
			}
		}
	}
	return nil, fmt.Errorf("no host %q", host)
}

// TapPeering attaches taps to both directions of an active peering: ab sees
// what crosses from its VPC to its peer VPC, ba the other way. The taps stay
// until detached or the peering is removed.
func (n *Network) TapPeering(id string, ab, ba Tap) (detach func(), err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	l := n.links[id]
	if l == nil {
		return nil, fmt.Errorf("peering %q is not active", id)
	}
	return attachPair(&l.ab.tap, &l.ba.tap, ab, ba)
}

func attachPair(a, b *tapPoint, ta, tb Tap) (func(), error) {
	noop := func() {}
	da, db := noop, noop
	var err error
	if ta != nil {
		if da, err = a.attach(ta); err != nil {
			return nil, err
		}
	}
	if tb != nil {
		if db, err = b.attach(tb); err != nil {
			da()
			return nil, err
		}
	}
	return func() { da(); db() }, nil
}
