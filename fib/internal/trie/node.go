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
//     for none), k<<8|0xff for child node k, whose covering leaf is kept
//     beside the runs, or w<<8|0xfe for the inline prefix at word w: a
//     prefix alone below the slot, kept in the node's words as its key,
//     leaf and the slot's covering leaf, so that neither a child slot nor
//     a node is needed for it. Inline prefixes are kept in slot order, and
//     their entries name their words so that a lookup reads one without
//     working out where they start. Owned prefixes that no slot shows
//     (covered by longer ones) are listed last.
//   - dense: 256 leaves and 256 child slots, for nodes with many children
//     (the top of a large IPv4 table); a lookup reads one leaf and one
//     child without a popcount.
//   - single: one prefix with its full key, in place of the chain of
//     nodes that would hold it alone (path compression), in a root slot or
//     a dense node's child slot; a sparse node keeps such a prefix inline.
//     A table of ten routes is one sparse root. A single node with bit 2
//     of w[1] set is a double: it holds a second prefix after the first,
//     for a slot that holds two prefixes (a /25 learned below a /24 kept
//     inline), in place of a sparse node or, where the two share the
//     node's slot, a chain of them. The first is the longer, so a lookup
//     returns the first that matches.
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
// # Emptied slots
//
// A sparse node that owns prefixes keeps the child slot of a slot whose
// prefixes below it were all deleted, holding an empty node, rather than
// being copied without it. Routes learned and withdrawn below a route (a
// /25 below a /24, a peering's routes coming and going) then change only
// that slot: the node, which in a large table holds a dozen prefixes or
// more, is copied when the slot first empties and not again while the
// routes below it come and go. An emptied slot costs a slot and a small
// node until its node is next encoded, which leaves it out.
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
	"unsafe"
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

// init stores n into s, a slot no reader can reach yet: the store that
// publishes s orders this one before any reader's load, so it need not
// be atomic. (An atomic.Pointer is its pointer: see TestAtomicLayout.)
func (s *Slot) init(n *Node) { *(*unsafe.Pointer)(unsafe.Pointer(&s.p)) = unsafe.Pointer(n) }

// initPrev sets the prev link of n, a node no reader can reach yet.
func (n *Node) initPrev(p *Node) { *(*unsafe.Pointer)(unsafe.Pointer(&n.prev)) = unsafe.Pointer(p) }

// Node is one trie node. Its words follow the header in the same
// allocation (see newNode), read with word and half: a node costs 16
// bytes more than its words, and a reader reaches them without loading a
// slice header first. See the package doc for the kinds and words.
//
// A sparse node with one child node keeps its slot in its own allocation;
// a copy of the node gets its own slot holding the same child. Nodes with
// more children point at an array of slots, which the versions of a node
// with the same children share.
type Node struct {
	prev atomic.Pointer[Node] // the slot's content before word 0; nil once cut
	kids *Slot                // first child slot: sparse by child number, dense by slot
}

const (
	nodeSize = uint(unsafe.Sizeof(Node{}))
	slotSize = uint(unsafe.Sizeof(Slot{}))
)

// word returns word i of n.
func (n *Node) word(i uint) uint64 {
	return *(*uint64)(unsafe.Add(unsafe.Pointer(n), nodeSize+8*i))
}

// half returns the uint32 at index i of n's words taken as uint32s; runs
// and leaves are stored and read that way.
func (n *Node) half(i uint) uint32 {
	return *(*uint32)(unsafe.Add(unsafe.Pointer(n), nodeSize+4*i))
}

// kid returns child slot k of n.
func (n *Node) kid(k uint) *Slot {
	return (*Slot)(unsafe.Add(unsafe.Pointer(n.kids), slotSize*k))
}

// words returns the nw words of n, for the writer that made it.
func (n *Node) words(nw int) []uint64 {
	return unsafe.Slice((*uint64)(unsafe.Add(unsafe.Pointer(n), nodeSize)), nw)
}

// halves returns the words of n as 2*nw uint32s.
func (n *Node) halves(nw int) []uint32 {
	return unsafe.Slice((*uint32)(unsafe.Add(unsafe.Pointer(n), nodeSize)), 2*nw)
}

// newKids returns n new child slots and a pointer to the first (nil for 0).
func newKids(n int) (*Slot, []Slot) {
	if n == 0 {
		return nil, nil
	}
	s := make([]Slot, n)
	return &s[0], s
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

	kidMark    = 0xff // low byte of an entry naming a child node
	inlineMark = 0xfe // low byte of an entry naming an inline prefix

	hRuns   = 2 * wRuns   // runs, as a half index
	hLeaves = 2 * wLeaves // dense leaves, as a half index
)

// Meta word (w[1]) fields. Sparse: bit 2 set when inline prefixes take
// three words (keys over 64 bits), nine bits each for the counts of runs,
// child nodes, inline prefixes and hidden prefixes, and in bytes 5…7 the
// number of run starts in vector words before words 1…3. Dense: hidden
// count. Single: prefix length in bits 8…15, leaf in bits 32…63.
func metaRuns(m uint64) uint   { return uint(m>>3) & 0x1ff }
func metaKids(m uint64) uint   { return uint(m>>12) & 0x1ff }
func metaInline(m uint64) uint { return uint(m>>21) & 0x1ff }
func metaHidden(m uint64) uint { return uint(m>>30) & 0x1ff }
func recWords(m uint64) uint   { return 2 + uint(m>>2)&1 }

// runBase returns the number of run starts in the vector words before
// word wi of a sparse node with meta m.
func runBase(m uint64, wi uint) uint { return uint(uint8(m &^ (0xff << 32) >> (32 + 8*wi))) }

// denseAt is the number of children from which a node is encoded dense.
const denseAt = 96

// empty is the content of a slot that never held a node, for the prev of
// the first node stored into it.
var empty = newNode(2, false) // version 0, kindEmpty

func trailingZeros(v uint64) int { return bits.TrailingZeros64(v) }

func kindOf(n *Node) uint64 {
	if n == nil {
		return kindEmpty
	}
	return n.word(wMeta) & kindMask
}

// older returns the node the slot holding n held at version sv, or nil
// when its chain was cut.
func older(n *Node, sv uint64) *Node {
	for n != nil && n.word(wVer) > sv {
		n = n.prev.Load()
	}
	return n
}

// size returns the number of words of n.
func (n *Node) size() int {
	m := n.word(wMeta)
	switch m & kindMask {
	case kindSingle:
		nw := wKey + keyWords(singleBits(m))
		if m&4 != 0 {
			nw += 1 + keyWords(LeafBits(uint32(n.word(uint(nw)))))
		}
		return nw
	case kindSparse:
		return int(sparseHiddenOff(m) + metaHidden(m))
	case kindDense:
		return wDenseH + int(metaHidden(m))
	}
	return 2
}

// entry returns the run entry of slot s of a sparse node with meta m.
func (n *Node) entry(m uint64, s uint) uint32 { return n.half(hRuns + n.runOf(m, s)) }

// runOf returns the index of the run of a sparse node with meta m that
// holds slot s.
func (n *Node) runOf(m uint64, s uint) uint {
	wi := s >> 6
	v := n.word(wVec+wi) << (63 - s&63)
	return runBase(m, wi) + uint(bits.OnesCount64(v)) - 1
}

// kidLeaf returns the covering leaf of child k of a sparse node with meta m.
func (n *Node) kidLeaf(m uint64, k uint) uint32 {
	return n.half(hKidLeaf(m) + k)
}

func hKidLeaf(m uint64) uint { return hRuns + (metaRuns(m)+1)&^1 }

// wRecs returns the first word of the inline prefixes of a sparse node.
func wRecs(m uint64) uint { return wRuns + (metaRuns(m)+1)/2 + (metaKids(m)+1)/2 }

func sparseHiddenOff(m uint64) uint { return wRecs(m) + metaInline(m)*recWords(m) }

// inlineEntry returns the run entry of the inline prefix at word off.
func inlineEntry(off uint) uint32 { return uint32(off)<<8 | inlineMark }

// recOff returns the word of the inline prefix that entry e names.
func recOff(e uint32) uint { return uint(e >> 8) }

// moveInline moves the inline prefixes that the entries es name by d words.
func moveInline(es []uint32, d int) {
	if d == 0 {
		return
	}
	for j, e := range es {
		if e&0xff == inlineMark {
			es[j] = e + uint32(d)<<8
		}
	}
}

// An inline prefix is recWords words: its key (one word, or two when the
// node's keys exceed 64 bits) and an info word holding its leaf and, in
// the high half, the covering leaf of its slot.
func recLeaf(info uint64) uint32  { return uint32(info) }
func recCover(info uint64) uint32 { return uint32(info >> 32) }

// recMatch reports whether the inline prefix at word off of n (meta m)
// contains the address hi:lo, and returns its info word.
func (n *Node) recMatch(m uint64, off uint, hi, lo uint64) (uint64, bool) {
	if m&4 == 0 {
		info := n.word(off + 1)
		return info, (hi^n.word(off))&mask64(uint(info&0xff)) == 0
	}
	info := n.word(off + 2)
	b := uint(info & 0xff)
	if b <= 64 {
		return info, (hi^n.word(off))&mask64(b) == 0
	}
	return info, hi == n.word(off) && (lo^n.word(off+1))&mask64(b-64) == 0
}

// denseLeaf returns the leaf of slot s of a dense node.
func (n *Node) denseLeaf(s uint) uint32 { return n.half(hLeaves + s) }

// single accessors
func singleBits(m uint64) int                 { return int(m>>8) & 0xff }
func singleUbits(m uint64) uint               { return uint(m>>8) & 0xff }
func singleLeaf(m uint64) uint32              { return uint32(m >> 32) }
func keyWords(bits int) int                   { return 1 + bits/65 }
func mask64(bits uint) uint64                 { return ^uint64(0) << (64 - bits) }        // 0 for bits 0 and > 64
func mask64nz(bits uint) uint64               { return ^uint64(0) << ((64 - bits) & 63) } // mask64 for 1 <= bits <= 64
func keyHi(k *[16]byte) uint64                { return binary.BigEndian.Uint64(k[:8]) }
func keyLo(k *[16]byte) uint64                { return binary.BigEndian.Uint64(k[8:]) }
func hiddenLo(h uint64) uint                  { return uint(h >> 32) }
func hiddenLeaf(h uint64) uint32              { return uint32(h) }
func packHidden(lo uint8, leaf uint32) uint64 { return uint64(lo)<<32 | uint64(leaf) }

// singleMatch reports whether the single node n with meta m contains the
// address hi:lo.
func (n *Node) singleMatch(m uint64, hi, lo uint64) bool {
	b := singleUbits(m)
	if b <= 64 {
		return (hi^n.word(wKey))&mask64(b) == 0
	}
	return hi == n.word(wKey) && (lo^n.word(wKey+1))&mask64(b-64) == 0
}

// second returns the word offset of the second prefix of the double node
// n (meta m): its leaf, followed by its key.
func second(m uint64) uint { return wKey + uint(keyWords(singleBits(m))) }

// secondMatch reports whether the second prefix of the double node n with
// meta m contains the address hi:lo, and returns its leaf.
func (n *Node) secondMatch(m uint64, hi, lo uint64) (uint32, bool) {
	off := second(m)
	l := uint32(n.word(off))
	b := uint(LeafBits(l))
	if b <= 64 {
		return l, (hi^n.word(off+1))&mask64(b) == 0
	}
	return l, hi == n.word(off+1) && (lo^n.word(off+2))&mask64(b-64) == 0
}

// secondKey writes the key of the second prefix of the double node n
// (meta m) into k and returns its leaf.
func (n *Node) secondKey(m uint64, k *[16]byte) uint32 {
	off := second(m)
	l := uint32(n.word(off))
	lo := uint64(0)
	if LeafBits(l) > 64 {
		lo = n.word(off + 2)
	}
	putKey(k, n.word(off+1), lo)
	return l
}

// singleKey writes the key of the single node n into k.
func (n *Node) singleKey(k *[16]byte) {
	lo := uint64(0)
	if singleBits(n.word(wMeta)) > 64 {
		lo = n.word(wKey + 1)
	}
	putKey(k, n.word(wKey), lo)
}

// putKey writes the key words hi and lo into k.
func putKey(k *[16]byte, hi, lo uint64) {
	binary.BigEndian.PutUint64(k[:8], hi)
	binary.BigEndian.PutUint64(k[8:], lo)
}

// newNode allocates a zeroed node with nw words after its header, in one
// allocation rounded up to the allocator's size classes, with its single
// child slot after the words if kid0 (see Node.kids). Only the header
// and that slot hold pointers, so the garbage collector does not scan the
// words.
func newNode(nw int, kid0 bool) *Node {
	switch {
	case nw <= 2:
		return alloc[[2]uint64](kid0)
	case nw <= 4:
		return alloc[[4]uint64](kid0)
	case nw <= 6:
		return alloc[[6]uint64](kid0)
	case nw <= 8:
		return alloc[[8]uint64](kid0)
	case nw <= 10:
		return alloc[[10]uint64](kid0)
	case nw <= 12:
		return alloc[[12]uint64](kid0)
	case nw <= 14:
		return alloc[[14]uint64](kid0)
	case nw <= 16:
		return alloc[[16]uint64](kid0)
	case nw <= 18:
		return alloc[[18]uint64](kid0)
	case nw <= 20:
		return alloc[[20]uint64](kid0)
	case nw <= 22:
		return alloc[[22]uint64](kid0)
	case nw <= 24:
		return alloc[[24]uint64](kid0)
	case nw <= 26:
		return alloc[[26]uint64](kid0)
	case nw <= 28:
		return alloc[[28]uint64](kid0)
	case nw <= 30:
		return alloc[[30]uint64](kid0)
	case nw <= 34:
		return alloc[[34]uint64](kid0)
	case nw <= 38:
		return alloc[[38]uint64](kid0)
	case nw <= 42:
		return alloc[[42]uint64](kid0)
	case nw <= 46:
		return alloc[[46]uint64](kid0)
	case nw <= 50:
		return alloc[[50]uint64](kid0)
	case nw <= 54:
		return alloc[[54]uint64](kid0)
	case nw <= 58:
		return alloc[[58]uint64](kid0)
	case nw <= 62:
		return alloc[[62]uint64](kid0)
	case nw <= 70:
		return alloc[[70]uint64](kid0)
	case nw <= 78:
		return alloc[[78]uint64](kid0)
	case nw <= 86:
		return alloc[[86]uint64](kid0)
	case nw <= 94:
		return alloc[[94]uint64](kid0)
	case nw <= 110:
		return alloc[[110]uint64](kid0)
	case nw <= 126:
		return alloc[[126]uint64](kid0)
	case nw <= 142:
		return alloc[[142]uint64](kid0)
	case nw <= 158:
		return alloc[[158]uint64](kid0)
	case nw <= 190:
		return alloc[[190]uint64](kid0)
	case nw <= 254:
		return alloc[[254]uint64](kid0)
	case nw <= 382:
		return alloc[[382]uint64](kid0)
	case nw <= 510:
		return alloc[[510]uint64](kid0)
	case nw <= maxWords:
		return alloc[[maxWords]uint64](kid0)
	}
	panic("trie: node too large")
}

// maxWords bounds the words of a node: a sparse node has at most 256
// runs, denseAt-1 children (nodes or inline prefixes of up to three words)
// and 511 owned prefixes, a dense one 256 leaves and 511 owned prefixes.
const maxWords = wRuns + 128 + (denseAt-1+1)/2 + 3*(denseAt-1) + 511

// sized is a node and its words in one allocation; sizedKid adds the
// node's one child slot. The words (of array type A) are reached through
// the node, never by name.
type sized[A any] struct {
	n Node
	_ A
}

type sizedKid[A any] struct {
	n Node
	_ A
	k Slot
}

func alloc[A any](kid0 bool) *Node {
	if kid0 {
		x := new(sizedKid[A])
		x.n.kids = &x.k
		return &x.n
	}
	return &new(sized[A]).n
}
