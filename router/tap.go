package router

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
)

// Tap sees packets at a capture point. It is called on the forwarding path,
// once per packet, and must neither block nor keep pkt after returning: copy
// what it needs. A capture point without a tap costs one atomic load per
// batch.
type Tap func(pkt []byte)

// MaxTaps is how many taps may watch one capture point at once: several
// captures of a point, each with its own bounded memory.
const MaxTaps = 4

// tapPoint is where Taps can be attached.
type tapPoint struct {
	mu   sync.Mutex             // serialises attach and detach
	taps atomic.Pointer[[]*Tap] // nil when none; replaced, never changed
}

// each calls the attached taps, if any, for every packet of frames, which
// hold packets with their headroom in front.
func (tp *tapPoint) each(frames [][]byte) {
	if ts := tp.taps.Load(); ts != nil {
		for _, f := range frames {
			for _, t := range *ts {
				(*t)(f[Headroom:])
			}
		}
	}
}

// batch calls the attached taps, if any, for every packet of b.
func (tp *tapPoint) batch(b *batch) {
	if ts := tp.taps.Load(); ts != nil {
		for i := 0; i < b.n; i++ {
			for _, t := range *ts {
				(*t)(b.packet(i))
			}
		}
	}
}

// attach adds the tap and returns a function that removes it.
func (tp *tapPoint) attach(t Tap) (detach func(), err error) {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	var ts []*Tap
	if old := tp.taps.Load(); old != nil {
		ts = *old
	}
	if len(ts) >= MaxTaps {
		return nil, fmt.Errorf("%d captures already watch this point, the most there may be", len(ts))
	}
	ts = append(slices.Clone(ts), &t)
	tp.taps.Store(&ts)
	var once sync.Once
	return func() { once.Do(func() { tp.detach(&t) }) }, nil
}

// detach removes the tap t.
func (tp *tapPoint) detach(t *Tap) {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	old := tp.taps.Load()
	if old == nil {
		return
	}
	ts := slices.DeleteFunc(slices.Clone(*old), func(x *Tap) bool { return x == t })
	if len(ts) == 0 {
		tp.taps.Store(nil)
		return
	}
	tp.taps.Store(&ts)
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
