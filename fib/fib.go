// Package fib is a longest-prefix-match forwarding table over net/netip
// prefixes, one per route table of a virtual router.
//
// A Table is safe for concurrent use: any number of goroutines may call
// Lookup, LookupValue, Get and Walk while others call Insert, Delete or
// Apply. Writers are serialised by a mutex; readers take no lock, never
// block on a writer, and see every change that completed before they
// started; lookups never allocate. The changes of one Apply become
// visible together: no reader sees some of them without the others.
//
// # Structure
//
// Each address family is a multibit trie with 8-bit strides (package
// fib/internal/trie). A node's 256 slots are run-length compressed behind
// a 256-bit vector, so the entry of a slot is found with one popcount; a
// node with many children (the top two levels of a large IPv4 table)
// keeps its 256 slots in full instead; and a prefix alone below a slot is
// kept in its parent's words, key and all, rather than in a chain of
// nodes. Leaves are uint32s packing a slot of a per-family value slice
// with the prefix length: the trie holds no values and no generic code,
// and a lookup learns the matched prefix without another memory access.
// Nothing is pushed down: a lookup carries the last prefix that covered
// the address on its way.
//
// Why this shape: 8-bit strides put the /16 and /24 routes that dominate
// real tables on node boundaries; run-length compression keeps a node of
// a dozen /24s near 200 bytes; full nodes at the top skip the popcount
// where every lookup passes; inline prefixes make a table of ten routes a
// single node of a few hundred bytes and end its lookups at the root.
// DIR-24-8 (DPDK rte_lpm) needs 64 MiB for its /24 table and cannot be
// copied on update; bart's ART nodes intersect a 256-bit prefix set per
// level and backtrack through the visited nodes.
//
// # Updates
//
// Published nodes are never modified. A child pointer is a versioned
// slot: a writer encodes a new copy of the one node whose content changes
// (adding a /25 below a /24 copies the node holding the /24, a few
// hundred bytes, and allocates nothing else), stores it into its parent's
// slot with the next version number and a link to the node it replaces,
// and publishes the version with one atomic store. A reader loads the
// version first and follows the links past nodes newer than it, so it
// sees one version whole. Links are cut two versions later; a reader
// that old starts again, and Walk keeps them while it runs. An Apply
// stores all its nodes under one version number and publishes them at
// once; an Apply as large as a quarter of the table builds the family
// anew in one pass instead.
//
// A node that owns prefixes keeps, empty, the child slot below one of
// them whose longer prefixes were all deleted: routes that come and go
// below a route then change that slot alone, not the node.
//
// A replaced or deleted value leaves a dead slot in its value slice. When
// the dead slots outnumber the live ones the slice is copied, and the
// copy reuses them: no reader of the copy can reach a slot that died
// before it was made, and readers of older versions keep the old slice.
package fib

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/vpcsim/vpcsim/fib/internal/trie"
)

// Table maps prefixes to values of type V. The zero Table is empty and ready
// to use. A Table must not be copied after first use.
//
// A Table holds at most 16,777,214 prefixes per address family; Insert and
// Apply panic beyond that.
type Table[V any] struct {
	root [2]trie.Slot // per family; a reader's version picks the node
	cur  atomic.Pointer[state[V]]
	pins atomic.Int32 // walks in progress: keep old versions reachable
	n    atomic.Int64 // Len

	mu  sync.Mutex // serialises writers and guards the fields below
	w   trie.Writer
	fam [2]famCount
}

// state is a version number and the value slices that the leaves of that
// version index. The version is bumped in place when a change keeps the
// value slices; a change that replaces one publishes a new state. The
// root slots live in the Table, so that a reader loads the root node and
// the state at once; the version it reads picks the root node.
type state[V any] struct {
	ver  atomic.Uint64
	vals [2][]V // len == cap; a slot is written once per slice, before a leaf names it
}

// famCount is the writer's accounting of one family's value slice.
//
// A slot is written once per value slice: a reader of an older version
// may still read a slot that died, so a dead slot is reused only in a
// value slice made after it died, which no reader of that version uses.
type famCount struct {
	used int      // slots handed out, including the unused slot 0
	live int      // prefixes
	free []uint32 // dead before the current value slice was made: reusable
	dead []uint32 // dead since
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
	x := t.beginLocked()
	x.insert(famOf(p.Addr()), keyOf(p.Addr()), p.Bits(), v)
	x.commit()
}

// Delete removes p and reports whether it was present.
func (t *Table[V]) Delete(p netip.Prefix) bool {
	p = p.Masked()
	if !p.IsValid() {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cur.Load() == nil {
		return false
	}
	x := t.beginLocked()
	ok := x.delete(famOf(p.Addr()), keyOf(p.Addr()), p.Bits())
	if ok {
		x.commit()
	}
	return ok
}

// Lookup returns the value of the longest prefix containing a, and that prefix.
// ok reports whether any prefix matched. Like netip.Prefix.Contains, an
// IPv4-mapped IPv6 address matches only IPv6 prefixes, and an address with
// an IPv6 zone matches nothing.
func (t *Table[V]) Lookup(a netip.Addr) (v V, p netip.Prefix, ok bool) {
	if a.Is4() {
		b := a.As4()
		x := binary.BigEndian.Uint32(b[:])
		for {
			s := t.cur.Load()
			if s == nil {
				return v, p, false
			}
			l := trie.Lookup4(&t.root[v4], s.ver.Load(), x)
			if l == trie.Retry {
				continue
			}
			if l == 0 {
				return v, p, false
			}
			n := trie.LeafBits(l)
			binary.BigEndian.PutUint32(b[:], x&masks4[n&63])
			return s.vals[v4][trie.LeafSlot(l)], netip.PrefixFrom(netip.AddrFrom4(b), n), true
		}
	}
	if !a.Is6() || a.Zone() != "" {
		return v, p, false
	}
	k := a.As16()
	for {
		s := t.cur.Load()
		if s == nil {
			return v, p, false
		}
		l := trie.Lookup6(&t.root[v6], s.ver.Load(), &k)
		if l == trie.Retry {
			continue
		}
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
		return s.vals[v6][trie.LeafSlot(l)], netip.PrefixFrom(netip.AddrFrom16(k), n), true
	}
}

// masks4[n] is the netmask of an IPv4 prefix of length n (n <= 32); the
// table is as long as a leaf's length mask can index.
var masks4 = func() (m [64]uint32) {
	for n := 1; n <= 32; n++ {
		m[n] = ^uint32(0) << (32 - n)
	}
	return m
}()

// LookupValue is Lookup without the matched prefix: the value of the
// longest prefix containing a. It skips rebuilding the prefix, which is all
// a router needs per packet.
func (t *Table[V]) LookupValue(a netip.Addr) (v V, ok bool) {
	if a.Is4() {
		b := a.As4()
		x := binary.BigEndian.Uint32(b[:])
		for {
			s := t.cur.Load()
			if s == nil {
				return v, false
			}
			l := trie.Lookup4(&t.root[v4], s.ver.Load(), x)
			if l == trie.Retry {
				continue
			}
			if l == 0 {
				return v, false
			}
			return s.vals[v4][trie.LeafSlot(l)], true
		}
	}
	if !a.Is6() || a.Zone() != "" {
		return v, false
	}
	k := a.As16()
	for {
		s := t.cur.Load()
		if s == nil {
			return v, false
		}
		l := trie.Lookup6(&t.root[v6], s.ver.Load(), &k)
		if l == trie.Retry {
			continue
		}
		if l == 0 {
			return v, false
		}
		return s.vals[v6][trie.LeafSlot(l)], true
	}
}

// Get returns the value stored for exactly p.
func (t *Table[V]) Get(p netip.Prefix) (v V, ok bool) {
	p = p.Masked()
	if !p.IsValid() {
		return v, false
	}
	f, key := famOf(p.Addr()), keyOf(p.Addr())
	for {
		s := t.cur.Load()
		if s == nil {
			return v, false
		}
		l := trie.Get(&t.root[f], s.ver.Load(), &key, p.Bits())
		if l == trie.Retry {
			continue
		}
		if l == 0 {
			return v, false
		}
		return s.vals[f][trie.LeafSlot(l)], true
	}
}

// Walk calls fn for every prefix, IPv4 before IPv6, each family in
// address order with shorter prefixes first, until fn returns false. It
// sees the version of the table current when it was called, whatever
// changes while it runs. fn must not change t.
func (t *Table[V]) Walk(fn func(netip.Prefix, V) bool) {
	t.pins.Add(1)
	defer t.pins.Add(-1)
	s := t.cur.Load()
	if s == nil {
		return
	}
	sv := s.ver.Load()
	for f := range t.root {
		vals := s.vals[f]
		cont := trie.Walk(&t.root[f], sv, func(key *[16]byte, bits int, leaf uint32) bool {
			return fn(prefixOf(f, key, bits), vals[trie.LeafSlot(leaf)])
		})
		if !cont {
			return
		}
	}
}

// Len returns the number of prefixes in the table.
func (t *Table[V]) Len() int { return int(t.n.Load()) }

// Batch is a list of route changes for Table.Apply, which makes them
// visible to readers at once. The zero Batch is empty and ready to use; a
// Batch may be reused after Reset.
type Batch[V any] struct {
	// chunks hold the changes in order. A full chunk is followed by a
	// new one instead of being copied into a larger one: loading a
	// million routes copies nothing.
	chunks [][]batchOp[V]
	n      int
	fam    [2]int // changes per family
}

type batchOp[V any] struct {
	key  [16]byte
	bits uint8
	fam  uint8
	del  bool
	v    V
}

// maxChunk is the length of a Batch's chunks once it has grown.
const maxChunk = 4096

// Insert adds the insertion of p with value v to b. The prefix is masked
// first; invalid prefixes are ignored.
func (b *Batch[V]) Insert(p netip.Prefix, v V) {
	if p = p.Masked(); p.IsValid() {
		b.add(batchOp[V]{key: keyOf(p.Addr()), bits: uint8(p.Bits()), fam: uint8(famOf(p.Addr())), v: v})
	}
}

// Delete adds the removal of p to b. The prefix is masked first; invalid
// prefixes are ignored.
func (b *Batch[V]) Delete(p netip.Prefix) {
	if p = p.Masked(); p.IsValid() {
		b.add(batchOp[V]{key: keyOf(p.Addr()), bits: uint8(p.Bits()), fam: uint8(famOf(p.Addr())), del: true})
	}
}

func (b *Batch[V]) add(op batchOp[V]) {
	if k := len(b.chunks); k == 0 || len(b.chunks[k-1]) == cap(b.chunks[k-1]) {
		b.grow()
	}
	last := &b.chunks[len(b.chunks)-1]
	*last = append(*last, op)
	b.n++
	b.fam[op.fam]++
}

// grow starts the next chunk: one that Reset kept, or a new one twice as
// long as the last, up to maxChunk.
func (b *Batch[V]) grow() {
	k := len(b.chunks)
	if k < cap(b.chunks) && b.chunks[:k+1][k] != nil {
		b.chunks = b.chunks[:k+1]
		return
	}
	size := 8
	if k > 0 {
		size = min(2*cap(b.chunks[k-1]), maxChunk)
	}
	b.chunks = append(b.chunks, make([]batchOp[V], 0, size))
}

// Len returns the number of changes in b.
func (b *Batch[V]) Len() int { return b.n }

// Reset empties b, keeping its storage.
func (b *Batch[V]) Reset() {
	for i := range b.chunks {
		clear(b.chunks[i])
		b.chunks[i] = b.chunks[i][:0]
	}
	b.chunks = b.chunks[:0]
	b.n, b.fam = 0, [2]int{}
}

// Apply makes the changes of b, in order (of two changes to one prefix the
// later wins), and publishes them as one version: a reader sees all of
// them or none. A batch as large as a quarter of the table rebuilds the
// family in one pass, which is how to load a large table. b is not
// modified.
func (t *Table[V]) Apply(b *Batch[V]) {
	if b.n == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	x := t.beginLocked()
	for f := range 2 {
		if b.fam[f] == 0 {
			continue
		}
		if 4*b.fam[f] >= t.fam[f].live {
			x.rebuild(f, b)
			continue
		}
		for _, chunk := range b.chunks {
			for i := range chunk {
				if op := &chunk[i]; int(op.fam) == f {
					if op.del {
						x.delete(f, op.key, int(op.bits))
					} else {
						x.insert(f, op.key, int(op.bits), op.v)
					}
				}
			}
		}
	}
	x.commit()
}

// tx is a version being written; t.mu is held.
type tx[V any] struct {
	t     *Table[V]
	s     *state[V] // the current state, or an unpublished one
	fresh bool      // s is unpublished
}

func (t *Table[V]) beginLocked() tx[V] {
	s := t.cur.Load()
	x := tx[V]{t: t, s: s}
	ver := uint64(1)
	if s == nil {
		x.s, x.fresh = new(state[V]), true
		x.s.ver.Store(ver)
	} else {
		ver = s.ver.Load() + 1
	}
	t.w.Begin(ver, t.pins.Load() > 0)
	return x
}

// own makes x.s an unpublished state the transaction may change the value
// slices of.
func (x *tx[V]) own() *state[V] {
	if !x.fresh {
		s := new(state[V])
		s.ver.Store(x.s.ver.Load() + 1)
		s.vals = x.s.vals
		x.s, x.fresh = s, true
	}
	return x.s
}

// put stores v in a value slot of family f and returns the slot.
func (x *tx[V]) put(f int, v V) uint32 {
	fc := &x.t.fam[f]
	if n := len(fc.free); n > 0 {
		slot := fc.free[n-1]
		fc.free = fc.free[:n-1]
		x.s.vals[f][slot] = v
		return slot
	}
	if n := len(x.s.vals[f]); fc.used == n {
		// The slice is full. When over a quarter of it is dead, a copy of
		// the same length makes the dead reusable; otherwise it
		// doubles. Doubling whatever the dead would let a table that
		// churns without growing reach four times its live values.
		if 4*len(fc.dead) <= n {
			if fc.used > trie.MaxSlot {
				panic(fmt.Sprintf("fib: address family holds %d prefixes, the maximum", fc.live))
			}
			n = min(max(8, 2*n), trie.MaxSlot+1)
		}
		x.newVals(f, n)
		if len(fc.free) > 0 {
			return x.put(f, v)
		}
	}
	x.s.vals[f][fc.used] = v
	fc.used++
	return uint32(fc.used - 1)
}

// newVals gives family f a copy of its value slice with n slots, in which
// the slots that died so far may be reused.
func (x *tx[V]) newVals(f, n int) {
	fc := &x.t.fam[f]
	s := x.own()
	vals := make([]V, n)
	copy(vals, s.vals[f][:fc.used])
	for _, slot := range fc.dead {
		var zero V
		vals[slot] = zero // let go of what the value refers to
	}
	s.vals[f] = vals
	fc.used = max(fc.used, 1)
	fc.free = append(fc.free, fc.dead...)
	fc.dead = fc.dead[:0]
}

func (x *tx[V]) insert(f int, key [16]byte, bits int, v V) {
	leaf := trie.Leaf(x.put(f, v), bits)
	fc := &x.t.fam[f]
	if old := x.t.w.Insert(&x.t.root[f], &key, bits, leaf); old != 0 {
		fc.dead = append(fc.dead, trie.LeafSlot(old))
	} else {
		fc.live++
	}
}

func (x *tx[V]) delete(f int, key [16]byte, bits int) bool {
	old := x.t.w.Delete(&x.t.root[f], &key, bits)
	if old == 0 {
		return false
	}
	fc := &x.t.fam[f]
	fc.dead = append(fc.dead, trie.LeafSlot(old))
	fc.live--
	return true
}

// rebuild replaces family f with a trie built in one pass from its routes
// followed by the changes of family f in b (if any), and a value slice
// holding their values.
func (x *tx[V]) rebuild(f int, b *Batch[V]) {
	fc := &x.t.fam[f]
	n := fc.live
	if b != nil {
		n += b.fam[f]
	}
	items := make([]trie.Item, 0, n)
	vals := make([]V, 1, n+1)
	old := x.s.vals[f]
	trie.Walk(&x.t.root[f], ^uint64(0), func(key *[16]byte, bits int, leaf uint32) bool {
		vals = append(vals, old[trie.LeafSlot(leaf)])
		items = append(items, trie.Item{Key: *key, Bits: uint8(bits), Leaf: trie.Leaf(uint32(len(vals)-1), bits)})
		return true
	})
	if b != nil {
		for _, chunk := range b.chunks {
			for i := range chunk {
				op := &chunk[i]
				if int(op.fam) != f {
					continue
				}
				it := trie.Item{Key: op.key, Bits: op.bits}
				if !op.del {
					vals = append(vals, op.v)
					it.Leaf = trie.Leaf(uint32(len(vals)-1), int(op.bits))
				}
				items = append(items, it)
			}
		}
	}
	if len(vals) > trie.MaxSlot+1 {
		panic(fmt.Sprintf("fib: Apply: %d prefixes in one address family, more than the maximum %d", len(vals)-1, trie.MaxSlot))
	}
	root, live := x.t.w.Build(items)
	s := x.own()
	s.vals[f] = vals[:cap(vals)]
	x.t.w.Set(&x.t.root[f], root)
	fc.used, fc.live = len(vals), live
	fc.free, fc.dead = nil, nil
	if len(vals)-1 > live {
		// Values that a later change of the batch replaced or deleted.
		held := make([]bool, len(vals))
		trie.Walk(&x.t.root[f], ^uint64(0), func(_ *[16]byte, _ int, leaf uint32) bool {
			held[trie.LeafSlot(leaf)] = true
			return true
		})
		for slot := 1; slot < len(vals); slot++ {
			if !held[slot] {
				fc.dead = append(fc.dead, uint32(slot))
			}
		}
	}
}

// commit publishes the version. When the slots that died since the value
// slice of a family was made outnumber its live ones, it copies the slice
// so that they can be reused: a copy per dead slot, amortised, and a value
// slice at most about twice as long as the live values.
func (x *tx[V]) commit() {
	t := x.t
	for f := range t.fam {
		if fc := &t.fam[f]; len(fc.dead) > fc.live+64 {
			x.newVals(f, len(x.s.vals[f]))
		}
	}
	if x.fresh {
		t.cur.Store(x.s)
	} else {
		x.s.ver.Add(1)
	}
	t.n.Store(int64(t.fam[v4].live + t.fam[v6].live))
}

// Compact lets go of the values of replaced and deleted prefixes. A table
// keeps them in its value slices, where readers of older versions may
// still find them, until enough have died to copy the slices; a value that
// refers to something large (a router's link, say) keeps that alive
// meanwhile. Compact copies the slices now, without them. Readers go on
// with the slices they hold.
func (t *Table[V]) Compact() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.fam[v4].dead) == 0 && len(t.fam[v6].dead) == 0 {
		return
	}
	x := t.beginLocked()
	for f := range t.fam {
		if len(t.fam[f].dead) > 0 {
			x.newVals(f, len(x.s.vals[f]))
		}
	}
	x.commit()
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
