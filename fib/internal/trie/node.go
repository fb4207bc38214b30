// Package trie is the lookup structure behind fib.Table: a multibit trie
// with 8-bit strides whose nodes are immutable arrays of words, linked
// through versioned child slots so that an update copies only the node
// whose content changes.
//
// # Nodes
//
// A node at depth d covers address byte d and owns the prefixes of
// lengths 8d+1 … 8d+8 below its parent's slot (the root also owns /0).
// Every node is one allocation: a small header and its words. w[0] is the
// version the node was stored at, w[1] its kind and counts. The kinds:
//
//   - sparse: the 256 slots are painted with the owned prefixes and the
//     children, then run-length compressed behind a 256-bit vector of run
//     starts, so the entry of slot s is runs[popcount(vector ≤ s) - 1].
//     An entry is a leaf (the longest owned prefix covering the slot, 0
//     for none) or, with the low byte 0xff, k<<8|0xff for child k, whose
//     covering leaf is kept beside the runs. Owned prefixes that no slot
//     shows (covered by longer ones) are listed after them.
//   - dense: 256 leaves and 256 child slots, for nodes with many children
//     (the top of a large IPv4 table); a lookup reads one leaf and one
//     child without a popcount.
//   - single: one prefix below the parent's slot with its full key, in
//     place of the chain of nodes that would hold it alone (path
//     compression): a table of ten routes is a root and ten singles.
//   - empty: a slot whose content was removed.
//
// Nothing is pushed down: a lookup remembers the last leaf that covered
// the address on its way down and returns it when a slot has no child.
// An update therefore changes only the node that owns the prefix.
//
// # Versions
//
// A writer builds version v+1 while readers use version v. It never
// modifies a published node's words; it encodes a new node and stores it
// into the parent's slot (an atomic pointer) with w[0] = v+1 and prev set
// to the node it replaces. A reader that loaded version v and finds a node
// newer than v follows prev to the node the slot held at v. Publishing the
// version number (one atomic store) makes every change of a batch visible
// at once. A writer keeps prev chains for two versions and then cuts them
// (prev = nil); a reader still holding an older version that meets a cut
// chain starts again with the current version (Retry). Walks pin the
// chains while they run.
//
// # Leaves
//
// A leaf is a uint32 slot<<8 | bits: the slot indexes the value store of
// fib.Table and bits is the prefix length, so a lookup learns the matched
// prefix without another memory access. Leaf 0 means no route.
package trie

import (
	"encoding/binary"
	"math/bits"
	"sync/atomic"
)

// MaxSlot is the largest value slot a leaf can address.
const MaxSlot = 1<<24 - 1

// Retry is returned by the readers in place of a leaf when the version
// they read is too old to finish: the caller starts again with the
// current version.
const Retry = ^uint32(0)

// Leaf packs a value slot and a prefix length into a leaf.
func Leaf(slot uint32, bits int) uint32 { return slot<<8 | uint32(bits) }

// LeafSlot returns the value slot of leaf l.
func LeafSlot(l uint32) uint32 { return l >> 8 }

// LeafBits returns the prefix length of leaf l.
func LeafBits(l uint32) int { return int(l & 0xff) }

// Slot holds a node: the current content of a root or a child position.
// The zero Slot is empty.
type Slot struct{ p atomic.Pointer[Node] }

// Node is one trie node. See the package doc for its kinds and words.
type Node struct {
	prev atomic.Pointer[Node] // the slot's content before w[0]; nil once cut
	kids []Slot               // sparse: by child number; dense: by slot
	w    []uint64
}

// Kinds, in the low bits of w[1].
const (
	kindEmpty  = 0
	kindSingle = 1
	kindSparse = 2
	kindDense  = 3
	kindMask   = 3
)

// Word offsets.
const (
	wVer    = 0
	wMeta   = 1
	wVec    = 2   // sparse: 4 words of run starts
	wRuns   = 6   // sparse: runs, two per word
	wLeaves = 2   // dense: 256 leaves, two per word
	wDenseH = 130 // dense: hidden list
	wKey    = 2   // single: key, big-endian, one or two words

	kidMark = 0xff // low byte of an entry naming a child
)

// Meta word (w[1]) fields. Sparse: runs, kids and hidden counts, and in
// bytes 5…7 the number of run starts in vector words before words 1…3
// (byte 4 stays 0 for word 0). Dense: hidden count. Single: prefix length
// in bits 8…15, leaf in bits 32…63.
func metaRuns(m uint64) uint   { return uint(m>>8) & 0x1ff }
func metaKids(m uint64) uint   { return uint(m>>17) & 0x1ff }
func metaHidden(m uint64) uint { return uint(m>>26) & 0x1ff }

// denseAt is the number of children from which a node is encoded dense.
const denseAt = 96

// empty is the content of a slot that never held a node, for the prev of
// the first node stored into it.
var empty = &Node{w: []uint64{0, kindEmpty}}

func trailingZeros(v uint64) int { return bits.TrailingZeros64(v) }

func kindOf(n *Node) uint64 {
	if n == nil {
		return kindEmpty
	}
	return n.w[wMeta] & kindMask
}

// older returns the node the slot holding n held at version sv, or nil
// when its chain was cut.
func older(n *Node, sv uint64) *Node {
	for n != nil && n.w[wVer] > sv {
		n = n.prev.Load()
	}
	return n
}

// entry returns the run entry of slot s of a sparse node.
func entry(w []uint64, m uint64, s uint) uint32 {
	wi := s >> 6
	v := w[wVec+wi] << (63 - s&63)
	r := uint(uint8(m>>(32+8*wi))) + uint(bits.OnesCount64(v)) - 1
	return uint32(w[wRuns+r>>1] >> (32 * (r & 1)))
}

// kidLeaf returns the covering leaf of child k of a sparse node.
func kidLeaf(w []uint64, m uint64, k uint) uint32 {
	return uint32(w[wRuns+(metaRuns(m)+1)/2+k>>1] >> (32 * (k & 1)))
}

func sparseHiddenOff(m uint64) uint { return wRuns + (metaRuns(m)+1)/2 + (metaKids(m)+1)/2 }

// denseLeaf returns the leaf of slot s of a dense node.
func denseLeaf(w []uint64, s uint) uint32 { return uint32(w[wLeaves+s>>1] >> (32 * (s & 1))) }

// single accessors
func singleBits(m uint64) int                 { return int(m>>8) & 0xff }
func singleLeaf(m uint64) uint32              { return uint32(m >> 32) }
func keyWords(bits int) int                   { return 1 + bits/65 }
func mask64(bits int) uint64                  { return ^uint64(0) << (64 - bits) } // 0 for bits 0
func keyHi(k *[16]byte) uint64                { return binary.BigEndian.Uint64(k[:8]) }
func keyLo(k *[16]byte) uint64                { return binary.BigEndian.Uint64(k[8:]) }
func hiddenLo(h uint64) uint                  { return uint(h >> 32) }
func hiddenLeaf(h uint64) uint32              { return uint32(h) }
func packHidden(lo uint8, leaf uint32) uint64 { return uint64(lo)<<32 | uint64(leaf) }

// singleMatch reports whether the single node with words w contains the
// address hi:lo.
func singleMatch(w []uint64, m uint64, hi, lo uint64) bool {
	b := singleBits(m)
	if b <= 64 {
		return (hi^w[wKey])&mask64(b) == 0
	}
	return hi == w[wKey] && (lo^w[wKey+1])&mask64(b-64) == 0
}

// singleKey writes the key of a single node into k.
func singleKey(w []uint64, k *[16]byte) {
	*k = [16]byte{}
	binary.BigEndian.PutUint64(k[:8], w[wKey])
	if len(w) > wKey+1 {
		binary.BigEndian.PutUint64(k[8:], w[wKey+1])
	}
}

// newNode allocates a node with nw words in one allocation, rounded to
// the allocator's size classes (a Node header is 56 bytes).
func newNode(nw int) *Node {
	switch {
	case nw <= 1:
		return alloc(nw, func(a *[1]uint64) []uint64 { return a[:] })
	case nw <= 3:
		return alloc(nw, func(a *[3]uint64) []uint64 { return a[:] })
	case nw <= 5:
		return alloc(nw, func(a *[5]uint64) []uint64 { return a[:] })
	case nw <= 7:
		return alloc(nw, func(a *[7]uint64) []uint64 { return a[:] })
	case nw <= 9:
		return alloc(nw, func(a *[9]uint64) []uint64 { return a[:] })
	case nw <= 11:
		return alloc(nw, func(a *[11]uint64) []uint64 { return a[:] })
	case nw <= 13:
		return alloc(nw, func(a *[13]uint64) []uint64 { return a[:] })
	case nw <= 15:
		return alloc(nw, func(a *[15]uint64) []uint64 { return a[:] })
	case nw <= 17:
		return alloc(nw, func(a *[17]uint64) []uint64 { return a[:] })
	case nw <= 19:
		return alloc(nw, func(a *[19]uint64) []uint64 { return a[:] })
	case nw <= 21:
		return alloc(nw, func(a *[21]uint64) []uint64 { return a[:] })
	case nw <= 23:
		return alloc(nw, func(a *[23]uint64) []uint64 { return a[:] })
	case nw <= 25:
		return alloc(nw, func(a *[25]uint64) []uint64 { return a[:] })
	case nw <= 29:
		return alloc(nw, func(a *[29]uint64) []uint64 { return a[:] })
	case nw <= 33:
		return alloc(nw, func(a *[33]uint64) []uint64 { return a[:] })
	case nw <= 37:
		return alloc(nw, func(a *[37]uint64) []uint64 { return a[:] })
	case nw <= 41:
		return alloc(nw, func(a *[41]uint64) []uint64 { return a[:] })
	case nw <= 45:
		return alloc(nw, func(a *[45]uint64) []uint64 { return a[:] })
	case nw <= 49:
		return alloc(nw, func(a *[49]uint64) []uint64 { return a[:] })
	case nw <= 53:
		return alloc(nw, func(a *[53]uint64) []uint64 { return a[:] })
	case nw <= 57:
		return alloc(nw, func(a *[57]uint64) []uint64 { return a[:] })
	case nw <= 65:
		return alloc(nw, func(a *[65]uint64) []uint64 { return a[:] })
	case nw <= 73:
		return alloc(nw, func(a *[73]uint64) []uint64 { return a[:] })
	case nw <= 81:
		return alloc(nw, func(a *[81]uint64) []uint64 { return a[:] })
	case nw <= 89:
		return alloc(nw, func(a *[89]uint64) []uint64 { return a[:] })
	case nw <= 105:
		return alloc(nw, func(a *[105]uint64) []uint64 { return a[:] })
	case nw <= 121:
		return alloc(nw, func(a *[121]uint64) []uint64 { return a[:] })
	case nw <= 137:
		return alloc(nw, func(a *[137]uint64) []uint64 { return a[:] })
	}
	return &Node{w: make([]uint64, nw)}
}

// sized is a node and its words in one allocation.
type sized[A any] struct {
	n Node
	a A
}

func alloc[A any](nw int, words func(*A) []uint64) *Node {
	x := new(sized[A])
	x.n.w = words(&x.a)[:nw:nw]
	return &x.n
}

// Init makes s, a slot no reader can see yet, hold what from holds.
func (s *Slot) Init(from *Slot) { s.p.Store(from.p.Load()) }
