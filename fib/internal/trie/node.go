// Package trie is the lookup structure behind fib.Table: an immutable,
// path-copied multibit trie with 8-bit strides whose nodes are
// popcount-compressed arrays of uint32 leaves.
//
// # Node layout
//
// A node at depth d covers address byte d. Its 256 slots are painted with
// the prefixes it owns (lengths 8d+1 … 8d+8; the root also owns /0 as its
// default) and with its children, then run-length compressed: bit s of a
// 256-bit vector is set where a run of equal slots starts, so the entry of
// slot s is runs[popcount(vector ≤ s) - 1]. A run entry is a uint32: a
// leaf (see below; 0 for no route) or, with the low byte 0xff, k<<8|0xff
// for child k.
//
// Every node records a default: the leaf of the longest prefix that covers
// the whole node and is owned by an ancestor, and slots no owned prefix
// covers hold it. Defaults are pushed down when an ancestor changes, so a
// lookup reads exactly one entry per level and never backtracks.
//
// A node is a single []uint64 (header, runs, then the ART indexes of the
// owned prefixes so writers can rebuild it, then the leaves of owned
// prefixes that no slot shows) plus a []Node of children. Nodes are never
// modified once reachable from a published root: writers decode a node
// into a wide form, change it and encode a new one (path copying).
//
// # Leaves
//
// A leaf is a uint32 slot<<8 | bits: the slot indexes the value store of
// fib.Table and bits is the prefix length, so a lookup learns the matched
// prefix without touching another cache line. Leaf 0 means no route.
package trie

import "math/bits"

// Header words of Node.w.
const (
	wBase = 4 // bytes 1..3: run starts in vector words before word i; bits 32..47: run count
	wMeta = 5 // bits 0..31: default leaf; 32..47: owned count; 48..63: hidden count
	wRuns = 6 // first word of the runs (two uint32 per word)

	kidMark = 0xff // low byte of a run entry naming a child
)

// MaxSlot is the largest value slot a leaf can address.
const MaxSlot = 1<<24 - 1

// Leaf packs a value slot and a prefix length into a leaf.
func Leaf(slot uint32, bits int) uint32 { return slot<<8 | uint32(bits) }

// LeafSlot returns the value slot of leaf l.
func LeafSlot(l uint32) uint32 { return l >> 8 }

// LeafBits returns the prefix length of leaf l.
func LeafBits(l uint32) int { return int(l & 0xff) }

// Node is one trie node. The zero Node is an empty root.
type Node struct {
	w    []uint64
	kids []Node
}

// Empty reports whether n holds no prefix at all.
func (n *Node) Empty() bool { return n.w == nil }

// dflt returns the default leaf of n.
func (n *Node) dflt() uint32 { return uint32(n.w[wMeta]) }

// entry returns the run entry of slot s.
func (n *Node) entry(s uint) uint32 { return entryOf(n.w, s) }

// entryOf returns the run entry of slot s of the node with words w.
func entryOf(w []uint64, s uint) uint32 {
	wi := s >> 6 & 3
	v := w[wi] << (63 - s&63)
	r := uint(uint8(w[wBase]>>(8*wi))) + uint(bits.OnesCount64(v)) - 1
	return uint32(w[wRuns+r>>1] >> (32 * (r & 1)))
}

// isKid reports whether run entry e names a child.
func isKid(e uint32) bool { return e&0xff == kidMark }

// Lookup4 returns the leaf of the longest prefix containing the IPv4
// address a (big-endian), or 0.
func Lookup4(n *Node, a uint32) uint32 {
	if n.w == nil {
		return 0
	}
	for shift := 24; shift >= 0; shift -= 8 {
		e := n.entry(uint(a>>shift) & 0xff)
		if !isKid(e) {
			return e
		}
		n = &n.kids[e>>8]
	}
	return 0
}

// Lookup6 returns the leaf of the longest prefix containing the IPv6
// address a, or 0.
func Lookup6(n *Node, a *[16]byte) uint32 {
	if n.w == nil {
		return 0
	}
	for d := 0; d < len(a); d++ {
		e := n.entry(uint(a[d]))
		if !isKid(e) {
			return e
		}
		n = &n.kids[e>>8]
	}
	return 0
}
