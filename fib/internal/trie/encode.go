package trie

import (
	"math/bits"
	"slices"
)

// owned is a prefix owned by a node: the slots [lo, lo+256>>r) and its
// leaf; r is the length relative to the node (0 only for /0 at the root).
type owned struct {
	leaf  uint32
	lo    uint8
	r     uint8
	shown bool // set by the encoders: some slot or child shows it
}

func (o *owned) end() int    { return int(o.lo) + 256>>o.r }
func (o *owned) key() uint16 { return uint16(o.lo)<<4 | uint16(o.r) }

// searchOwned returns where an owned prefix with key k is or would be in
// own, which is sorted by key.
func searchOwned(own []owned, k uint16) (int, bool) {
	lo, hi := 0, len(own)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if own[m].key() < k {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(own) && own[lo].key() == k
}

// sortOwned sorts own by key, stably: by first slot and then length, so a
// prefix comes before the prefixes it contains.
func sortOwned(own []owned) {
	if len(own) > 32 {
		slices.SortStableFunc(own, func(a, b owned) int { return int(a.key()) - int(b.key()) })
		return
	}
	for i := 1; i < len(own); i++ {
		for j := i; j > 0 && own[j].key() < own[j-1].key(); j-- {
			own[j], own[j-1] = own[j-1], own[j]
		}
	}
}

// runIter iterates over the runs of a sparse node.
type runIter struct {
	n  *Node
	wi uint
	v  uint64
	r  uint
	ok bool // v is loaded
}

// next returns the first slot and the entry of the next run.
func (it *runIter) next() (s uint, e uint32, ok bool) {
	if !it.ok {
		it.v, it.ok = it.n.word(wVec), true
	}
	for it.v == 0 {
		if it.wi == 3 {
			return 0, 0, false
		}
		it.wi++
		it.v = it.n.word(wVec + it.wi)
	}
	s = it.wi<<6 | uint(bits.TrailingZeros64(it.v))
	it.v &= it.v - 1
	e = it.n.half(hRuns + it.r)
	it.r++
	return s, e, true
}

// collector recognises the owned prefixes of a node from the leaves its
// slots show, in slot order, skipping a prefix shown again after the
// longer prefixes or children inside it.
type collector struct {
	d    int
	sp   int
	hi   [10]uint
	leaf [10]uint32
}

// add returns the prefix whose leaf l slot s shows, and false if it was
// seen before (or l is 0).
func (c *collector) add(s uint, l uint32) (owned, bool) {
	if l == 0 {
		return owned{}, false
	}
	for c.sp > 0 && c.hi[c.sp] <= s {
		c.sp--
	}
	if c.sp > 0 && c.leaf[c.sp] == l {
		return owned{}, false
	}
	r := LeafBits(l) - 8*c.d
	lo := uint8(s) &^ (0xff >> r)
	c.sp++
	c.hi[c.sp] = uint(lo) + 256>>r
	c.leaf[c.sp] = l
	return owned{leaf: l, lo: lo, r: uint8(r)}, true
}

// decodeOwned appends the prefixes that the sparse or dense node n at
// depth d owns to own, sorted by key.
func decodeOwned(n *Node, d int, own []owned) []owned {
	m := n.word(wMeta)
	base := len(own)
	c := collector{d: d}
	var hoff uint
	if m&kindMask == kindDense {
		last := uint32(0)
		for s := uint(0); s < 256; s++ {
			if l := n.denseLeaf(s); l != last {
				if o, ok := c.add(s, l); ok {
					own = append(own, o)
				}
				last = l
			}
		}
		hoff = wDenseH
	} else {
		it := runIter{n: n}
		for {
			s, e, ok := it.next()
			if !ok {
				break
			}
			if o, ok := c.add(s, n.cover(m, e)); ok {
				own = append(own, o)
			}
		}
		hoff = sparseHiddenOff(m)
	}
	for i := range metaHidden(m) {
		h := n.word(hoff + i)
		l := hiddenLeaf(h)
		own = append(own, owned{leaf: l, lo: uint8(hiddenLo(h)), r: uint8(LeafBits(l) - 8*d)})
	}
	sortOwned(own[base:])
	return own
}

// child is a child of a sparse node: a node below its slot, or, with n
// nil, a prefix kept inline with its key words and leaf.
type child struct {
	n      *Node
	hi, lo uint64
	leaf   uint32
	slot   uint8
}

func (c *child) inline() bool { return c.n == nil }

// inlineChild returns the child holding key/bits → leaf inline at slot s.
func inlineChild(s uint8, key *[16]byte, bits int, leaf uint32) child {
	c := child{hi: keyHi(key), leaf: leaf, slot: s}
	if bits > 64 {
		c.lo = keyLo(key)
	}
	return c
}

// children appends the children of the sparse node n to ch, in slot
// order, leaving out child slots that hold an empty node (see Emptied slots in
// the package doc).
func children(n *Node, ch []child) []child {
	m := n.word(wMeta)
	if metaKids(m)+metaInline(m) == 0 {
		return ch
	}
	it := runIter{n: n}
	for {
		s, e, ok := it.next()
		if !ok {
			return ch
		}
		switch e & 0xff {
		case kidMark:
			if c := n.kid(uint(e >> 8)).p.Load(); kindOf(c) != kindEmpty {
				ch = append(ch, child{n: c, slot: uint8(s)})
			}
		case inlineMark:
			ch = append(ch, n.record(m, recOff(e), uint8(s)))
		}
	}
}

// record returns the inline prefix at word off of the sparse node n (meta
// m), at slot s.
func (n *Node) record(m uint64, off uint, s uint8) child {
	c := child{hi: n.word(off), slot: s}
	if m&4 != 0 {
		c.lo = n.word(off + 1)
	}
	c.leaf = recLeaf(n.word(off + recWords(m) - 1))
	return c
}

// cover returns the owned leaf that entry e of the sparse node n (meta m)
// shows: the entry itself, or the covering leaf of a child's slot.
func (n *Node) cover(m uint64, e uint32) uint32 {
	switch e & 0xff {
	case kidMark:
		return n.kidLeaf(m, uint(e>>8))
	case inlineMark:
		return recCover(n.word(recOff(e) + recWords(m) - 1))
	}
	return e
}

// childSlots appends the slots of ch to ks.
func childSlots(ch []child, ks []uint8) []uint8 {
	for i := range ch {
		ks = append(ks, ch[i].slot)
	}
	return ks
}

// sweep walks the 256 slots of a node being encoded in order, yielding
// segments of slots covered by the same owned prefix and each child slot
// on its own. own must be sorted by key and ks ascending.
type sweep struct {
	own []owned
	ks  []uint8
	pos int
	oi  int
	ki  int
	sp  int
	hi  [10]int
	top [10]int
}

func (sw *sweep) reset() {
	sw.pos, sw.oi, sw.ki, sw.sp = 0, 0, 0, 0
	sw.hi[0], sw.top[0] = 256, -1
}

func (sw *sweep) done() bool { return sw.pos >= 256 }

// next returns the next segment [start, end), the index in own of the
// prefix covering it (-1 for none) and whether it is a child's slot.
func (sw *sweep) next() (start, end, o int, kid bool) {
	for sw.hi[sw.sp] <= sw.pos {
		sw.sp--
	}
	for sw.oi < len(sw.own) && int(sw.own[sw.oi].lo) == sw.pos {
		sw.sp++
		sw.hi[sw.sp] = sw.own[sw.oi].end()
		sw.top[sw.sp] = sw.oi
		sw.oi++
	}
	start, o = sw.pos, sw.top[sw.sp]
	if sw.ki < len(sw.ks) && int(sw.ks[sw.ki]) == start {
		sw.ki++
		sw.pos++
		return start, start + 1, o, true
	}
	end = sw.hi[sw.sp]
	if sw.oi < len(sw.own) && int(sw.own[sw.oi].lo) < end {
		end = int(sw.own[sw.oi].lo)
	}
	if sw.ki < len(sw.ks) && int(sw.ks[sw.ki]) < end {
		end = int(sw.ks[sw.ki])
	}
	sw.pos = end
	return start, end, o, false
}

// encodeSparse returns a sparse node of version ver owning own (sorted by
// key) with the children ch (by slot). Its child nodes are those in the
// slots from kids if not nil (of a node with the same child nodes), else
// those of ch. It sweeps the slots twice, counting and then writing, rather
// than zeroing buffers as large as the largest node.
func encodeSparse(ver uint64, own []owned, ch []child, kids *Slot) *Node {
	for i := range own {
		own[i].shown = false
	}
	var ksb [32]uint8
	ks := childSlots(ch, ksb[:0])
	sw := sweep{own: own, ks: ks}
	sw.reset()
	nr, nk, ni, prevO, prevKid := 0, 0, 0, -2, true
	wide := false
	for !sw.done() {
		_, _, o, kid := sw.next()
		if o >= 0 {
			own[o].shown = true
		}
		if kid || prevKid || o != prevO {
			nr++
		}
		prevO, prevKid = o, kid
	}
	for i := range ch {
		if ch[i].inline() {
			ni++
			wide = wide || LeafBits(ch[i].leaf) > 64
		} else {
			nk++
		}
	}
	rs := 2
	if wide {
		rs = 3
	}
	nh := 0
	for i := range own {
		if !own[i].shown {
			nh++
		}
	}
	hk := hRuns + (nr+1)&^1 // first kid leaf, as a half index
	wr := hk/2 + (nk+1)/2   // first inline prefix
	nw := wr + ni*rs + nh
	n := newNode(nw, nk == 1)
	w, h := n.words(nw), n.halves(nw)
	sw.reset()
	r, c, k, i := 0, 0, 0, 0
	prevO, prevKid = -2, true
	for !sw.done() {
		start, _, o, kid := sw.next()
		leaf := uint32(0)
		if o >= 0 {
			leaf = own[o].leaf
		}
		switch {
		case kid && ch[c].inline():
			w[wVec+start>>6] |= 1 << (start & 63)
			off := wr + i*rs
			h[hRuns+r] = inlineEntry(uint(off))
			w[off] = ch[c].hi
			if wide {
				w[off+1] = ch[c].lo
			}
			w[off+rs-1] = uint64(leaf)<<32 | uint64(ch[c].leaf)
			r, i, c = r+1, i+1, c+1
		case kid:
			w[wVec+start>>6] |= 1 << (start & 63)
			h[hRuns+r] = uint32(k)<<8 | kidMark
			h[hk+k] = leaf
			r, k, c = r+1, k+1, c+1
		case prevKid || o != prevO:
			w[wVec+start>>6] |= 1 << (start & 63)
			h[hRuns+r] = leaf
			r++
		}
		prevO, prevKid = o, kid
	}
	ho := wr + ni*rs
	for i := range own {
		if !own[i].shown {
			w[ho] = packHidden(own[i].lo, own[i].leaf)
			ho++
		}
	}
	switch {
	case nk == 1 && kids != nil:
		n.kids.init(kids.p.Load())
	case nk == 1:
		for j := range ch {
			if !ch[j].inline() {
				n.kids.init(ch[j].n)
			}
		}
	case nk > 1 && kids != nil:
		n.kids = kids
	case nk > 1:
		var slots []Slot
		n.kids, slots = newKids(nk)
		k := 0
		for j := range ch {
			if !ch[j].inline() {
				slots[k].init(ch[j].n)
				k++
			}
		}
	}
	w[wVer] = ver
	w[wMeta] = sparseMeta(w, uint(nr), uint(nk), uint(ni), uint(nh), wide)
	return n
}

// encodeDense returns a dense node of version ver owning own (sorted by
// key) with the 256 child slots starting at kids.
func encodeDense(ver uint64, own []owned, kids *Slot) *Node {
	for i := range own {
		own[i].shown = false
	}
	sw := sweep{own: own}
	sw.reset()
	for !sw.done() {
		if _, _, o, _ := sw.next(); o >= 0 {
			own[o].shown = true
		}
	}
	nh := 0
	for i := range own {
		if !own[i].shown {
			nh++
		}
	}
	n := newNode(wDenseH+nh, false)
	n.kids = kids
	w, hw := n.words(wDenseH+nh), n.halves(wDenseH+nh)
	sw.reset()
	for !sw.done() {
		start, end, o, _ := sw.next()
		if o >= 0 {
			leaves := hw[hLeaves+start : hLeaves+end]
			for i := range leaves {
				leaves[i] = own[o].leaf
			}
		}
	}
	h := wDenseH
	for i := range own {
		if !own[i].shown {
			w[h] = packHidden(own[i].lo, own[i].leaf)
			h++
		}
	}
	w[wVer] = ver
	w[wMeta] = kindDense | uint64(nh)<<30
	return n
}
