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
// slot s is runs[popcount(vector ≤ s) - 1]. A run entry is a uint16:
//
//	0            no owned prefix covers the slot: the answer is the node's default
//	1 … 510      owned prefix number e-1 (its leaf is in the owned table)
//	kidTag | k   the slot continues in child k
//
// Every node records a default: the leaf of the longest prefix that covers
// the whole node and is owned by an ancestor. Defaults are pushed down when
// an ancestor changes, so a lookup reads exactly one entry per level and
// never backtracks.
//
// A node is a single []uint64 holding header, runs, owned leaves and owned
// ART indexes, plus a []Node of children. Nodes are never modified once
// reachable from a published root: writers decode a node into a wide form,
// change it and encode a new one (path copying).
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
	wBase   = 4 // bytes 0..3: number of run starts in vector words before word i
	wMeta   = 5 // bits 0..31 default leaf; 32..47 owned-leaf offset; 48..63 owned count
	wRuns   = 6 // first word of the runs (four uint16 per word)
	kidTag  = 0x8000
	maxKids = 256
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
func (n *Node) entry(s uint) uint16 {
	w := n.w
	wi := s >> 6
	v := w[wi&3] << (63 - s&63)
	r := uint(uint8(w[wBase]>>(8*(wi&3)))) + uint(bits.OnesCount64(v)) - 1
	return uint16(w[wRuns+r>>2] >> (16 * (r & 3)))
}

// owned returns the leaf of owned prefix number i.
func (n *Node) owned(i uint) uint32 {
	off := uint(uint16(n.w[wMeta] >> 32))
	return uint32(n.w[off+i>>1] >> (32 * (i & 1)))
}

// Lookup4 returns the leaf of the longest prefix containing the IPv4
// address a (big-endian), or 0.
func Lookup4(n *Node, a uint32) uint32 {
	if n.w == nil {
		return 0
	}
	for shift := 24; shift >= 0; shift -= 8 {
		e := n.entry(uint(a>>shift) & 0xff)
		if e&kidTag != 0 {
			n = &n.kids[e&^kidTag]
			continue
		}
		if e == 0 {
			return n.dflt()
		}
		return n.owned(uint(e - 1))
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
		if e&kidTag != 0 {
			n = &n.kids[e&^kidTag]
			continue
		}
		if e == 0 {
			return n.dflt()
		}
		return n.owned(uint(e - 1))
	}
	return 0
}
