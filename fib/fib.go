// Package fib is a longest-prefix-match forwarding table over net/netip
// prefixes, one per route table of a virtual router.
//
// A Table is safe for concurrent use: any number of goroutines may call
// Lookup while one or more others call Insert or Delete. Writers publish a
// new immutable version atomically, so a lookup never blocks on a writer and
// sees every update that completed before it started.
package fib

import (
	"net/netip"
	"sort"
	"sync"
	"sync/atomic"
)

// Table maps prefixes to values of type V. The zero Table is empty and ready
// to use. A Table must not be copied after first use.
type Table[V any] struct {
	mu  sync.Mutex // serialises writers
	cur atomic.Pointer[[]entry[V]]
}

type entry[V any] struct {
	p netip.Prefix
	v V
}

// Insert adds p with value v, replacing the value of an existing p.
// The prefix is masked first: 10.0.1.7/24 is stored as 10.0.1.0/24.
func (t *Table[V]) Insert(p netip.Prefix, v V) {
	p = p.Masked()
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.load()
	next := make([]entry[V], 0, len(old)+1)
	for _, e := range old {
		if e.p != p {
			next = append(next, e)
		}
	}
	next = append(next, entry[V]{p, v})
	sort.SliceStable(next, func(i, j int) bool { return next[i].p.Bits() > next[j].p.Bits() })
	t.cur.Store(&next)
}

// Delete removes p and reports whether it was present.
func (t *Table[V]) Delete(p netip.Prefix) bool {
	p = p.Masked()
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.load()
	next := make([]entry[V], 0, len(old))
	for _, e := range old {
		if e.p != p {
			next = append(next, e)
		}
	}
	if len(next) == len(old) {
		return false
	}
	t.cur.Store(&next)
	return true
}

// Lookup returns the value of the longest prefix containing a, and that prefix.
// ok reports whether any prefix matched.
func (t *Table[V]) Lookup(a netip.Addr) (v V, p netip.Prefix, ok bool) {
	for _, e := range t.load() {
		if e.p.Contains(a) {
			return e.v, e.p, true
		}
	}
	return v, p, false
}

// Get returns the value stored for exactly p.
func (t *Table[V]) Get(p netip.Prefix) (v V, ok bool) {
	p = p.Masked()
	for _, e := range t.load() {
		if e.p == p {
			return e.v, true
		}
	}
	return v, false
}

// Walk calls fn for every prefix, in no particular order, until fn returns false.
func (t *Table[V]) Walk(fn func(netip.Prefix, V) bool) {
	for _, e := range t.load() {
		if !fn(e.p, e.v) {
			return
		}
	}
}

// Len returns the number of prefixes in the table.
func (t *Table[V]) Len() int { return len(t.load()) }

func (t *Table[V]) load() []entry[V] {
	if p := t.cur.Load(); p != nil {
		return *p
	}
	return nil
}
