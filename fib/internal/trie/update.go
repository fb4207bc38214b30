package trie

import (
	"cmp"
	"math/bits"
	"slices"
)

// ownedEnt is a prefix owned by a node: its ART index within the node
// (1<<r | top r bits of the node's address byte, r = 1..8) and its leaf.
type ownedEnt struct {
	idx  uint16
	leaf uint32
}

// kidEnt is a child at a slot.
type kidEnt struct {
	slot uint8
	n    Node
}

// wide is the editable form of a node.
type wide struct {
	dflt  uint32
	owned []ownedEnt // sorted by idx, so by prefix length first
	kids  []kidEnt   // sorted by slot
}

func artIdx(b byte, r int) uint16 { return 1<<r | uint16(b)>>(8-r) }

// idxRange returns the slots [lo, hi) of ART index idx and its relative
// length.
func idxRange(idx uint16) (lo, hi uint, r int) {
	r = bits.Len16(idx) - 1
	lo = uint(idx&^(1<<r)) << (8 - r)
	return lo, lo + 1<<(8-r), r
}

func (n *Node) runCount() uint    { return uint(uint16(n.w[wBase] >> 32)) }
func (n *Node) ownedCount() uint  { return uint(uint16(n.w[wMeta] >> 32)) }
func (n *Node) hiddenCount() uint { return uint(n.w[wMeta] >> 48) }
func (n *Node) idxOff() uint      { return wRuns + (n.runCount()+1)/2 }
func (n *Node) hiddenOff() uint   { return n.idxOff() + (n.ownedCount()+3)/4 }

// hollow reports whether n owns no prefix and has no child.
func (n *Node) hollow() bool {
	return n.w == nil || (n.ownedCount() == 0 && len(n.kids) == 0)
}

// forRuns calls fn with the first slot and the entry of every run of n.
func (n *Node) forRuns(fn func(start uint, e uint32)) {
	r := uint(0)
	for wi := uint(0); wi < 4; wi++ {
		for v := n.w[wi]; v != 0; v &= v - 1 {
			s := wi<<6 | uint(bits.TrailingZeros64(v))
			fn(s, uint32(n.w[wRuns+r>>1]>>(32*(r&1))))
			r++
		}
	}
}

// ownedIdx returns the ART index of owned prefix i.
func (n *Node) ownedIdx(i uint) uint16 {
	return uint16(n.w[n.idxOff()+i>>2] >> (16 * (i & 3)))
}

// ownedLeaf returns the leaf of the owned prefix with ART index idx in a
// node at depth d: from the hidden list, or from a slot that shows it
// (the only leaf of its length in its range).
func (n *Node) ownedLeaf(idx uint16, d int) uint32 {
	off := n.hiddenOff()
	for i := range n.hiddenCount() {
		if h := n.w[off+i]; uint16(h>>32) == idx {
			return uint32(h)
		}
	}
	lo, hi, r := idxRange(idx)
	for s := lo; s < hi; s++ {
		if e := n.entry(s); !isKid(e) && LeafBits(e) == 8*d+r {
			return e
		}
	}
	return 0 // corrupt node
}

func decode(n *Node, d int) wide {
	if n.w == nil {
		return wide{}
	}
	cnt := n.ownedCount()
	wd := wide{dflt: n.dflt(), owned: make([]ownedEnt, cnt, cnt+1)}
	for i := range cnt {
		idx := n.ownedIdx(i)
		wd.owned[i] = ownedEnt{idx: idx, leaf: n.ownedLeaf(idx, d)}
	}
	if len(n.kids) > 0 {
		wd.kids = make([]kidEnt, 0, len(n.kids)+1)
		n.forRuns(func(s uint, e uint32) {
			if isKid(e) {
				wd.kids = append(wd.kids, kidEnt{slot: uint8(s), n: n.kids[e>>8]})
			}
		})
	}
	return wd
}

// paint fills p with the owned-prefix entry (number+1, or 0) of every slot.
func paint(owned []ownedEnt, p *[256]uint16) {
	for i, o := range owned {
		lo, hi, _ := idxRange(o.idx)
		for s := lo; s < hi; s++ {
			p[s] = uint16(i + 1)
		}
	}
}

// want returns the leaf of a slot painted e.
func (wd *wide) want(e uint16) uint32 {
	if e == 0 {
		return wd.dflt
	}
	return wd.owned[e-1].leaf
}

// encode builds the node at depth d for wd, pushing defaults into
// children whose default changed.
func encode(wd *wide, d int) Node {
	if len(wd.owned) == 0 && len(wd.kids) == 0 && wd.dflt == 0 {
		return Node{}
	}
	var p [256]uint16
	paint(wd.owned, &p)
	var full [256]uint32
	for s := range full {
		full[s] = wd.want(p[s])
	}
	var kids []Node
	if len(wd.kids) > 0 {
		kids = make([]Node, len(wd.kids))
		for k, ke := range wd.kids {
			kn := ke.n
			if want := full[ke.slot]; kn.dflt() != want {
				kn = withDflt(&kn, want, d+1)
			}
			kids[k] = kn
			full[ke.slot] = uint32(k)<<8 | kidMark
			p[ke.slot] = 0
		}
	}
	var shown [511]bool
	for _, e := range p {
		shown[e] = true
	}
	var hidden []uint64
	for i, o := range wd.owned {
		if !shown[i+1] {
			hidden = append(hidden, uint64(o.idx)<<32|uint64(o.leaf))
		}
	}
	var vec [4]uint64
	var runs [256]uint32
	nr := 0
	for s := range 256 {
		if s == 0 || full[s] != full[s-1] {
			vec[s>>6] |= 1 << (s & 63)
			runs[nr] = full[s]
			nr++
		}
	}
	no := len(wd.owned)
	idxOff := wRuns + (nr+1)/2
	hidOff := idxOff + (no+3)/4
	w := make([]uint64, hidOff+len(hidden))
	copy(w, vec[:])
	b1 := uint64(bits.OnesCount64(vec[0]))
	b2 := b1 + uint64(bits.OnesCount64(vec[1]))
	b3 := b2 + uint64(bits.OnesCount64(vec[2]))
	w[wBase] = b1<<8 | b2<<16 | b3<<24 | uint64(nr)<<32
	w[wMeta] = uint64(wd.dflt) | uint64(no)<<32 | uint64(len(hidden))<<48
	for r := range nr {
		w[wRuns+r>>1] |= uint64(runs[r]) << (32 * (r & 1))
	}
	for i, o := range wd.owned {
		w[idxOff+i>>2] |= uint64(o.idx) << (16 * (i & 3))
	}
	copy(w[hidOff:], hidden)
	return Node{w: w, kids: kids}
}

func withDflt(n *Node, dflt uint32, d int) Node {
	wd := decode(n, d)
	wd.dflt = dflt
	return encode(&wd, d)
}

func (wd *wide) findOwned(idx uint16) (int, bool) {
	return slices.BinarySearchFunc(wd.owned, idx, func(o ownedEnt, t uint16) int { return cmp.Compare(o.idx, t) })
}

func (wd *wide) findKid(s uint8) (int, bool) {
	return slices.BinarySearchFunc(wd.kids, s, func(k kidEnt, t uint8) int { return cmp.Compare(k.slot, t) })
}

// Insert returns a copy of root with key/bits mapped to leaf, and the leaf
// it replaced (0 if the prefix was new). key must be masked to bits.
func Insert(root *Node, key *[16]byte, bits int, leaf uint32) (Node, uint32) {
	return insert(root, key, bits, 0, leaf)
}

func insert(n *Node, key *[16]byte, bits, depth int, leaf uint32) (Node, uint32) {
	if bits > 8*depth+8 && n.w != nil {
		if e := n.entry(uint(key[depth])); isKid(e) {
			// Only the child changes: its default stays, and so do this
			// node's words.
			kid, old := insert(&n.kids[e>>8], key, bits, depth+1, leaf)
			return n.withKid(e>>8, kid), old
		}
	}
	wd := decode(n, depth)
	var old uint32
	switch {
	case bits == 0:
		old, wd.dflt = wd.dflt, leaf
	case bits <= 8*depth+8:
		idx := artIdx(key[depth], bits-8*depth)
		if i, ok := wd.findOwned(idx); ok {
			old, wd.owned[i].leaf = wd.owned[i].leaf, leaf
		} else {
			wd.owned = slices.Insert(wd.owned, i, ownedEnt{idx, leaf})
		}
	default:
		s := key[depth]
		k, ok := wd.findKid(s)
		var kid Node
		if ok {
			kid = wd.kids[k].n
		}
		kid, old = insert(&kid, key, bits, depth+1, leaf)
		if ok {
			wd.kids[k].n = kid
		} else {
			wd.kids = slices.Insert(wd.kids, k, kidEnt{s, kid})
		}
	}
	return encode(&wd, depth), old
}

// Delete returns a copy of root without key/bits and the leaf it held;
// ok reports whether the prefix was present (if not, root is returned).
func Delete(root *Node, key *[16]byte, bits int) (n Node, old uint32, ok bool) {
	return remove(root, key, bits, 0)
}

func remove(n *Node, key *[16]byte, bits, depth int) (Node, uint32, bool) {
	if n.w == nil {
		return *n, 0, false
	}
	if bits > 8*depth+8 {
		e := n.entry(uint(key[depth]))
		if !isKid(e) {
			return *n, 0, false
		}
		kid, old, ok := remove(&n.kids[e>>8], key, bits, depth+1)
		if !ok {
			return *n, 0, false
		}
		if !kid.hollow() {
			return n.withKid(e>>8, kid), old, true
		}
		wd := decode(n, depth)
		k, _ := wd.findKid(key[depth])
		wd.kids = slices.Delete(wd.kids, k, k+1)
		return encode(&wd, depth), old, true
	}
	wd := decode(n, depth)
	var old uint32
	switch {
	case bits == 0:
		if wd.dflt == 0 {
			return *n, 0, false
		}
		old, wd.dflt = wd.dflt, 0
	case bits <= 8*depth+8:
		i, ok := wd.findOwned(artIdx(key[depth], bits-8*depth))
		if !ok {
			return *n, 0, false
		}
		old = wd.owned[i].leaf
		wd.owned = slices.Delete(wd.owned, i, i+1)
	}
	return encode(&wd, depth), old, true
}

// withKid returns n with child k replaced by kid.
func (n *Node) withKid(k uint32, kid Node) Node {
	kids := slices.Clone(n.kids)
	kids[k] = kid
	return Node{w: n.w, kids: kids}
}

// Get returns the leaf stored for exactly key/bits, or 0.
func Get(n *Node, key *[16]byte, bits int) uint32 {
	if n.w == nil {
		return 0
	}
	if bits == 0 {
		return n.dflt()
	}
	for depth := 0; n.w != nil; depth++ {
		if bits <= 8*depth+8 {
			idx := artIdx(key[depth], bits-8*depth)
			for i := range n.ownedCount() {
				if n.ownedIdx(i) == idx {
					return n.ownedLeaf(idx, depth)
				}
			}
			return 0
		}
		e := n.entry(uint(key[depth]))
		if !isKid(e) {
			return 0
		}
		n = &n.kids[e>>8]
	}
	return 0
}

// Walk calls fn for every prefix below root, parents before children,
// until fn returns false. It reports whether the walk ran to the end.
func Walk(root *Node, fn func(key *[16]byte, bits int, leaf uint32) bool) bool {
	if root.w == nil {
		return true
	}
	var key [16]byte
	if d := root.dflt(); d != 0 && !fn(&key, 0, d) {
		return false
	}
	return walk(root, &key, 0, fn)
}

func walk(n *Node, key *[16]byte, depth int, fn func(key *[16]byte, bits int, leaf uint32) bool) bool {
	for i := range n.ownedCount() {
		idx := n.ownedIdx(i)
		r := bits.Len16(idx) - 1
		key[depth] = byte(idx&^(1<<r)) << (8 - r)
		if !fn(key, 8*depth+r, n.ownedLeaf(idx, depth)) {
			return false
		}
	}
	key[depth] = 0
	if len(n.kids) == 0 {
		return true
	}
	cont := true
	n.forRuns(func(s uint, e uint32) {
		if !cont || !isKid(e) {
			return
		}
		key[depth] = byte(s)
		cont = walk(&n.kids[e>>8], key, depth+1, fn)
		key[depth] = 0
	})
	return cont
}

// Item is one prefix for Build.
type Item struct {
	Key  [16]byte // masked to Bits
	Bits uint8
	Leaf uint32
}

// Build returns a root holding items, which must be sorted by Key then
// Bits and free of duplicates.
func Build(items []Item) Node {
	return build(items, 0, 0)
}

func build(items []Item, depth int, dflt uint32) Node {
	lim := 8*depth + 8
	wd := wide{dflt: dflt}
	nk := 0
	last := -1
	for i := range items {
		it := &items[i]
		switch {
		case depth > 0 && int(it.Bits) <= 8*depth:
			// owned by an ancestor
		case it.Bits == 0:
			wd.dflt = it.Leaf
		case int(it.Bits) <= lim:
			wd.owned = append(wd.owned, ownedEnt{artIdx(it.Key[depth], int(it.Bits)-8*depth), it.Leaf})
		case int(it.Key[depth]) != last:
			last = int(it.Key[depth])
			nk++
		}
	}
	slices.SortFunc(wd.owned, func(a, b ownedEnt) int { return cmp.Compare(a.idx, b.idx) })
	if nk > 0 {
		var p [256]uint16
		paint(wd.owned, &p)
		wd.kids = make([]kidEnt, 0, nk)
		for i := 0; i < len(items); {
			if int(items[i].Bits) <= lim {
				i++
				continue
			}
			s := items[i].Key[depth]
			j := i + 1
			for j < len(items) && (int(items[j].Bits) <= lim || items[j].Key[depth] == s) {
				j++
			}
			// items[i:j] may hold prefixes of this node or its
			// ancestors; the child skips those.
			wd.kids = append(wd.kids, kidEnt{s, build(items[i:j], depth+1, wd.want(p[s]))})
			i = j
		}
	}
	return encode(&wd, depth)
}
