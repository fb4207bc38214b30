package fib

import (
	"cmp"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
)

// refTable is the slow, obviously correct reference: a slice of routes
// kept sorted longest prefix first; Lookup takes the first that contains
// the address.
type refTable[V any] struct {
	routes []refRoute[V]
}

type refRoute[V any] struct {
	p netip.Prefix
	v V
}

func (r *refTable[V]) Insert(p netip.Prefix, v V) {
	p = p.Masked()
	if !p.IsValid() {
		return
	}
	for i := range r.routes {
		if r.routes[i].p == p {
			r.routes[i].v = v
			return
		}
	}
	r.routes = append(r.routes, refRoute[V]{p, v})
	slices.SortStableFunc(r.routes, func(a, b refRoute[V]) int { return cmp.Compare(b.p.Bits(), a.p.Bits()) })
}

func (r *refTable[V]) Delete(p netip.Prefix) bool {
	p = p.Masked()
	for i := range r.routes {
		if r.routes[i].p == p {
			r.routes = slices.Delete(r.routes, i, i+1)
			return true
		}
	}
	return false
}

func (r *refTable[V]) Lookup(a netip.Addr) (v V, p netip.Prefix, ok bool) {
	for _, e := range r.routes {
		if e.p.Contains(a) {
			return e.v, e.p, true
		}
	}
	return v, p, false
}

func (r *refTable[V]) Get(p netip.Prefix) (v V, ok bool) {
	p = p.Masked()
	for _, e := range r.routes {
		if e.p == p {
			return e.v, true
		}
	}
	return v, false
}

// pair is a Table and the reference, driven together.
type pair struct {
	t   *testing.T
	fib Table[int]
	ref refTable[int]
}

func (c *pair) insert(p netip.Prefix, v int) {
	c.fib.Insert(p, v)
	c.ref.Insert(p, v)
}

func (c *pair) delete(p netip.Prefix) {
	c.t.Helper()
	got, want := c.fib.Delete(p), c.ref.Delete(p)
	if got != want {
		c.t.Fatalf("Delete(%v) = %v, want %v", p, got, want)
	}
}

func (c *pair) lookup(a netip.Addr) {
	c.t.Helper()
	v, p, ok := c.fib.Lookup(a)
	wv, wp, wok := c.ref.Lookup(a)
	if v != wv || p != wp || ok != wok {
		c.t.Fatalf("Lookup(%v) = %v, %v, %v, want %v, %v, %v", a, v, p, ok, wv, wp, wok)
	}
	if v, ok := c.fib.LookupValue(a); v != wv || ok != wok {
		c.t.Fatalf("LookupValue(%v) = %v, %v, want %v, %v", a, v, ok, wv, wok)
	}
}

func (c *pair) get(p netip.Prefix) {
	c.t.Helper()
	v, ok := c.fib.Get(p)
	wv, wok := c.ref.Get(p)
	if v != wv || ok != wok {
		c.t.Fatalf("Get(%v) = %v, %v, want %v, %v", p, v, ok, wv, wok)
	}
}

// full compares Len, Walk and Get of every route.
func (c *pair) full() {
	c.t.Helper()
	if got, want := c.fib.Len(), len(c.ref.routes); got != want {
		c.t.Fatalf("Len() = %d, want %d", got, want)
	}
	seen := make(map[netip.Prefix]int)
	c.fib.Walk(func(p netip.Prefix, v int) bool {
		if _, dup := seen[p]; dup {
			c.t.Fatalf("Walk yields %v twice", p)
		}
		seen[p] = v
		return true
	})
	if len(seen) != len(c.ref.routes) {
		c.t.Fatalf("Walk yields %d prefixes, want %d", len(seen), len(c.ref.routes))
	}
	for _, e := range c.ref.routes {
		if v, ok := seen[e.p]; !ok || v != e.v {
			c.t.Fatalf("Walk yields %v = %v (present %v), want %v", e.p, v, ok, e.v)
		}
		c.get(e.p)
	}
}

// gen makes clustered random prefixes and addresses, so that prefixes
// nest and lookups hit them.
type gen struct {
	r     *rand.Rand
	bases []netip.Addr
}

func newGen(seed uint64, is6 bool) *gen {
	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	for range 8 {
		if is6 {
			var b [16]byte
			for i := range b {
				b[i] = byte(g.r.Uint32())
			}
			g.bases = append(g.bases, netip.AddrFrom16(b))
		} else {
			var b [4]byte
			for i := range b {
				b[i] = byte(g.r.Uint32())
			}
			g.bases = append(g.bases, netip.AddrFrom4(b))
		}
	}
	return g
}

// addr returns a base address with a few random low or middle bits flipped.
func (g *gen) addr() netip.Addr {
	a := g.bases[g.r.IntN(len(g.bases))]
	b := a.AsSlice()
	for range g.r.IntN(4) {
		i := g.r.IntN(len(b)*8 - 1)
		if g.r.IntN(2) == 0 {
			i = len(b)*8 - 1 - g.r.IntN(12) // a low bit
		}
		b[i/8] ^= 0x80 >> (i % 8)
	}
	a, _ = netip.AddrFromSlice(b)
	return a
}

func (g *gen) prefix() netip.Prefix {
	a := g.addr()
	var n int
	switch x := g.r.IntN(10); {
	case x == 0:
		n = g.r.IntN(a.BitLen() + 1)
	case x < 3:
		n = a.BitLen() - g.r.IntN(3)
	default:
		n = a.BitLen()/2 + g.r.IntN(a.BitLen()/2+1)
	}
	return netip.PrefixFrom(a, n).Masked()
}
