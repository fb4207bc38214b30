// Package fib is a longest-prefix-match forwarding table over net/netip
// prefixes, one per route table of a virtual router.
//
// A Table is safe for concurrent use: any number of goroutines may call
// Lookup while others call Insert, Delete or InsertBatch. Writers are
// serialised by a mutex and publish a new immutable version atomically, so
// a lookup never blocks on a writer, never allocates, and sees every update
// that completed before it started.
//
// # Structure
//
// Each address family is a multibit trie with 8-bit strides (package
// fib/internal/trie). A node's 256 slots are run-length compressed behind
// a 256-bit vector: the entry of a slot is found with one popcount and is
// either a leaf or a child. The longest match covering a whole node is
// pushed down into it as its default, so a lookup reads one entry per
// level and never backtracks. Leaves are uint32s packing a slot in a
// per-family value slice with the prefix length: the trie holds no values
// and no generic code, and the lookup learns the matched prefix without
// another memory access.
//
// IPv4 adds a direct index over the first 16 bits (256 chunks of 256
// entries, each the final leaf or the node at depth 2), so an IPv4 lookup
// reads one index entry, at most two nodes (one for the /17–/24 routes
// that dominate real tables) and the value. IPv6 walks the trie from the
// root, at most 16 levels.
//
// Why this shape: DIR-24-8 (DPDK rte_lpm) needs 64 MiB for its /24 table
// and cannot be copied on update; a Poptrie with 6-bit strides needs two
// nodes below a /16 for every /24 route; bart's ART nodes intersect a
// 256-bit prefix set per level and backtrack through the visited nodes.
// 8-bit strides put /24 routes on a node boundary, run-length compression
// keeps a node small (a /16 with a dozen /24s takes about 250 bytes),
// pushed defaults make the lookup a straight descent, and the direct
// index removes the two top levels, which every IPv4 lookup pays. At a
// million routes the table takes fewer bytes per prefix than bart.Table.
//
// # Updates
//
// Nodes are immutable once published. An update decodes the node that
// owns the prefix, re-encodes it, copies the child slices on the path to
// the root and the one direct-index chunk below it, then publishes the
// new root with an atomic store. A short prefix also re-encodes the nodes
// below it whose default changes. Replaced and deleted values leave dead
// slots behind; when they outnumber live ones the family is rebuilt from
// its live routes, so the value slice stays within twice its live size.
// InsertBatch builds a large table in one pass.
package fib

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"iter"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/vpcsim/vpcsim/fib/internal/trie"
)

// Table maps prefixes to values of type V. The zero Table is empty and ready
// to use. A Table must not be copied after first use.
//
// A Table holds at most 16,777,214 prefixes per address family; Insert and
// InsertBatch panic beyond that.
type Table[V any] struct {
	mu  sync.Mutex // serialises writers
	cur atomic.Pointer[state[V]]
}

// state is one published, immutable version of a Table.
type state[V any] struct {
	fam [2]family[V] // IPv4, IPv6
}

// family is the trie and values of one address family. vals[0] is unused
// so that leaf 0 can mean "no route"; vals only ever grows in place
// (appending past the length of every published version), so readers of
// older versions never see a slot change.
type family[V any] struct {
	root   trie.Node
	direct trie.Direct4 // IPv4 only: derived from root
	vals   []V
	live   int
}

const (
	v4 = 0
	v6 = 1
)

// Insert adds p with value v, replacing the value of an existing p.
// The prefix is masked first: 10.0.1.7/24 is stored as 10.0.1.0/24.
// Invalid prefixes are ignored.
func (t *Table[V]) Insert(p netip.Prefix, v V) {
	p = p.Masked()
	if !p.IsValid() {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.cloneLocked()
	f := &s.fam[famOf(p.Addr())]
	if len(f.vals) > trie.MaxSlot {
		f.compact(p.Addr().Is4())
		if len(f.vals) > trie.MaxSlot {
			panic(fmt.Sprintf("fib: Insert(%v): address family holds %d prefixes, the maximum", p, f.live))
		}
	}
	if len(f.vals) == 0 {
		f.vals = make([]V, 1, 8)
	}
	slot := uint32(len(f.vals))
	f.vals = append(f.vals, v)
	key := keyOf(p.Addr())
	root, old := trie.Insert(&f.root, &key, p.Bits(), trie.Leaf(slot, p.Bits()))
	f.root = root
	if old == 0 {
		f.live++
	}
	f.derive(p)
	f.maybeCompact(p.Addr().Is4())
	t.cur.Store(s)
}

// Delete removes p and reports whether it was present.
func (t *Table[V]) Delete(p netip.Prefix) bool {
	p = p.Masked()
	if !p.IsValid() {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.cur.Load()
	if old == nil {
		return false
	}
	i := famOf(p.Addr())
	key := keyOf(p.Addr())
	root, _, ok := trie.Delete(&old.fam[i].root, &key, p.Bits())
	if !ok {
		return false
	}
	s := *old
	f := &s.fam[i]
	f.root = root
	f.live--
	f.derive(p)
	f.maybeCompact(p.Addr().Is4())
	t.cur.Store(&s)
	return true
}

// InsertBatch inserts every route of routes, as Insert would one by one
// (a later duplicate wins), but rebuilds the table once: use it to load
// a large table.
func (t *Table[V]) InsertBatch(routes iter.Seq2[netip.Prefix, V]) {
	var add [2][]route[V]
	for p, v := range routes {
		if p = p.Masked(); p.IsValid() {
			add[famOf(p.Addr())] = append(add[famOf(p.Addr())], route[V]{key: keyOf(p.Addr()), bits: uint8(p.Bits()), v: v})
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.cloneLocked()
	for i := range s.fam {
		if len(add[i]) == 0 {
			continue
		}
		rs := s.fam[i].routes()
		rs = append(rs, add[i]...)
		s.fam[i] = build(rs, i == v4)
	}
	t.cur.Store(s)
}

// Lookup returns the value of the longest prefix containing a, and that prefix.
// ok reports whether any prefix matched. Like netip.Prefix.Contains, an
// IPv4-mapped IPv6 address matches only IPv6 prefixes, and an address with
// an IPv6 zone matches nothing.
func (t *Table[V]) Lookup(a netip.Addr) (v V, p netip.Prefix, ok bool) {
	s := t.cur.Load()
	if s == nil {
		return v, p, false
	}
	if a.Is4() {
		b := a.As4()
		x := binary.BigEndian.Uint32(b[:])
		l := trie.LookupDirect4(&s.fam[v4].direct, x)
		if l == 0 {
			return v, p, false
		}
		n := trie.LeafBits(l)
		binary.BigEndian.PutUint32(b[:], x&^(1<<(32-n)-1))
		return s.fam[v4].vals[trie.LeafSlot(l)], netip.PrefixFrom(netip.AddrFrom4(b), n), true
	}
	if !a.Is6() || a.Zone() != "" {
		return v, p, false
	}
	k := a.As16()
	l := trie.Lookup6(&s.fam[v6].root, &k)
	if l == 0 {
		return v, p, false
	}
	n := trie.LeafBits(l)
	hi, lo := binary.BigEndian.Uint64(k[:8]), binary.BigEndian.Uint64(k[8:])
	if n < 64 {
		hi &^= 1<<(64-n) - 1
		lo = 0
	} else {
		lo &^= 1<<(128-n) - 1
	}
	binary.BigEndian.PutUint64(k[:8], hi)
	binary.BigEndian.PutUint64(k[8:], lo)
	return s.fam[v6].vals[trie.LeafSlot(l)], netip.PrefixFrom(netip.AddrFrom16(k), n), true
}

// LookupValue is Lookup without the matched prefix: the value of the
// longest prefix containing a. It skips rebuilding the prefix, which is all
// a router needs per packet.
func (t *Table[V]) LookupValue(a netip.Addr) (v V, ok bool) {
	s := t.cur.Load()
	if s == nil {
		return v, false
	}
	if a.Is4() {
		b := a.As4()
		if l := trie.LookupDirect4(&s.fam[v4].direct, binary.BigEndian.Uint32(b[:])); l != 0 {
			return s.fam[v4].vals[trie.LeafSlot(l)], true
		}
		return v, false
	}
	if !a.Is6() || a.Zone() != "" {
		return v, false
	}
	k := a.As16()
	if l := trie.Lookup6(&s.fam[v6].root, &k); l != 0 {
		return s.fam[v6].vals[trie.LeafSlot(l)], true
	}
	return v, false
}

// Get returns the value stored for exactly p.
func (t *Table[V]) Get(p netip.Prefix) (v V, ok bool) {
	p = p.Masked()
	s := t.cur.Load()
	if s == nil || !p.IsValid() {
		return v, false
	}
	f := &s.fam[famOf(p.Addr())]
	key := keyOf(p.Addr())
	l := trie.Get(&f.root, &key, p.Bits())
	if l == 0 {
		return v, false
	}
	return f.vals[trie.LeafSlot(l)], true
}

// Walk calls fn for every prefix, IPv4 before IPv6 and shorter prefixes
// before the longer ones they contain, until fn returns false. It sees
// the version of the table current when it was called.
func (t *Table[V]) Walk(fn func(netip.Prefix, V) bool) {
	s := t.cur.Load()
	if s == nil {
		return
	}
	for i := range s.fam {
		f := &s.fam[i]
		cont := trie.Walk(&f.root, func(key *[16]byte, bits int, leaf uint32) bool {
			return fn(prefixOf(i, key, bits), f.vals[trie.LeafSlot(leaf)])
		})
		if !cont {
			return
		}
	}
}

// Len returns the number of prefixes in the table.
func (t *Table[V]) Len() int {
	s := t.cur.Load()
	if s == nil {
		return 0
	}
	return s.fam[v4].live + s.fam[v6].live
}

// cloneLocked returns a copy of the current version for a writer to edit.
func (t *Table[V]) cloneLocked() *state[V] {
	if old := t.cur.Load(); old != nil {
		s := *old
		return &s
	}
	return new(state[V])
}

func famOf(a netip.Addr) int {
	if a.Is4() {
		return v4
	}
	return v6
}

func keyOf(a netip.Addr) [16]byte {
	if a.Is4() {
		var k [16]byte
		b := a.As4()
		copy(k[:], b[:])
		return k
	}
	return a.As16()
}

func prefixOf(fam int, key *[16]byte, bits int) netip.Prefix {
	if fam == v4 {
		return netip.PrefixFrom(netip.AddrFrom4([4]byte(key[:4])), bits)
	}
	return netip.PrefixFrom(netip.AddrFrom16(*key), bits)
}

// route is a prefix (as a trie key) and its value, for rebuilding.
type route[V any] struct {
	key  [16]byte
	bits uint8
	ord  int // insertion order, so the last of equal prefixes wins
	v    V
}

// routes returns the live routes of f.
func (f *family[V]) routes() []route[V] {
	rs := make([]route[V], 0, f.live)
	trie.Walk(&f.root, func(key *[16]byte, bits int, leaf uint32) bool {
		rs = append(rs, route[V]{key: *key, bits: uint8(bits), v: f.vals[trie.LeafSlot(leaf)]})
		return true
	})
	return rs
}

// maybeCompact rebuilds f when dead slots outnumber live ones.
func (f *family[V]) maybeCompact(is4 bool) {
	if dead := len(f.vals) - 1 - f.live; dead > f.live && dead >= 64 {
		f.compact(is4)
	}
}

func (f *family[V]) compact(is4 bool) { *f = build(f.routes(), is4) }

// derive updates the direct index of an IPv4 family after p changed.
func (f *family[V]) derive(p netip.Prefix) {
	if !p.Addr().Is4() {
		return
	}
	lo, hi := int(p.Addr().As4()[0]), 0
	if p.Bits() < 8 {
		hi = lo + 1<<(8-p.Bits())
	} else {
		hi = lo + 1
	}
	f.direct = f.direct.Update(&f.root, lo, hi)
}

// build returns a family holding rs; of equal prefixes the last wins.
// is4 asks for the direct index.
func build[V any](rs []route[V], is4 bool) family[V] {
	for i := range rs {
		rs[i].ord = i
	}
	slices.SortFunc(rs, func(a, b route[V]) int {
		if c := bytes.Compare(a.key[:], b.key[:]); c != 0 {
			return c
		}
		if c := cmp.Compare(a.bits, b.bits); c != 0 {
			return c
		}
		return cmp.Compare(a.ord, b.ord)
	})
	// keep the last of each run of equal prefixes
	out := rs[:0]
	for i, r := range rs {
		if i+1 < len(rs) && rs[i+1].key == r.key && rs[i+1].bits == r.bits {
			continue
		}
		out = append(out, r)
	}
	if len(out) > trie.MaxSlot {
		panic(fmt.Sprintf("fib: InsertBatch: %d prefixes in one address family, more than the maximum %d", len(out), trie.MaxSlot))
	}
	if len(out) == 0 {
		return family[V]{}
	}
	f := family[V]{vals: make([]V, len(out)+1), live: len(out)}
	items := make([]trie.Item, len(out))
	for i, r := range out {
		f.vals[i+1] = r.v
		items[i] = trie.Item{Key: r.key, Bits: r.bits, Leaf: trie.Leaf(uint32(i+1), int(r.bits))}
	}
	f.root = trie.Build(items)
	if is4 {
		f.direct = trie.BuildDirect4(&f.root)
	}
	return f
}

// Compact rebuilds t without the slots of replaced and deleted values, so
// that t no longer holds them; readers of the table before go on with it.
func (t *Table[V]) Compact() {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.cloneLocked()
	s.fam[v4].compact(true)
	s.fam[v6].compact(false)
	t.cur.Store(s)
}
