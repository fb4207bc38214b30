package trie

import (
	"math/bits"
	"slices"
)

// Writer makes the versions of the tries of one table. Its methods must
// not be called concurrently; readers may run at any time.
type Writer struct {
	ver     uint64
	written []*Node // stored into existing slots at ver
	older   []*Node // stored before ver, whose prev chains are still kept
}

// Begin starts version ver, which must be the published version plus one.
// Unless pinned (a walk is reading an older version), it cuts the prev
// chains of the nodes stored two or more versions ago.
func (wr *Writer) Begin(ver uint64, pinned bool) {
	if !pinned {
		for i, n := range wr.older {
			n.prev.Store(nil)
			wr.older[i] = nil
		}
		wr.older = wr.older[:0]
	}
	wr.older = append(wr.older, wr.written...)
	clear(wr.written)
	wr.written = wr.written[:0]
	wr.ver = ver
}

// Set stores n, a node made for the current version, into s; nil empties
// s. Readers of older versions keep reaching the node s held before.
func (wr *Writer) Set(s *Slot, n *Node) {
	if n == nil {
		n = newNode(2, false) // kindEmpty
	}
	n.words(1)[wVer] = wr.ver
	switch old := s.p.Load(); {
	case old == nil:
		n.initPrev(empty)
	case old.word(wVer) == wr.ver:
		n.initPrev(old.prev.Load()) // old was never published
	default:
		n.initPrev(old)
	}
	s.p.Store(n)
	wr.written = append(wr.written, n)
}

// Insert maps key/bits to leaf in the trie below root and returns the
// leaf it replaced, or 0. key must be masked to bits.
func (wr *Writer) Insert(root *Slot, key *[16]byte, bits int, leaf uint32) uint32 {
	old, n := wr.ins(root.p.Load(), 0, key, bits, leaf)
	if n != nil {
		wr.Set(root, n)
	}
	return old
}

// Delete removes key/bits from the trie below root and returns the leaf
// it held, or 0 if it was absent. key must be masked to bits.
func (wr *Writer) Delete(root *Slot, key *[16]byte, bits int) uint32 {
	old, c, changed := wr.del(root.p.Load(), 0, key, bits)
	if changed {
		wr.Set(root, wr.node(c))
	}
	return old
}

// content is what a slot holds after a change: a node, one prefix (n nil,
// one.leaf set) not given a node yet, or nothing. A sparse parent keeps
// one prefix inline; a root or a dense node's slot needs a single node.
type content struct {
	n   *Node
	one child
}

// node returns c as the node of a slot of its own.
func (wr *Writer) node(c content) *Node {
	if c.n == nil && c.one.leaf != 0 {
		var k [16]byte
		recKey(&c.one, &k)
		return wr.single(&k, LeafBits(c.one.leaf), c.one.leaf)
	}
	return c.n
}

// ins inserts into n, the content of a slot at depth d. It returns the
// leaf replaced and, when the slot must hold a new node, that node; a
// change below n's own slots is stored in place.
func (wr *Writer) ins(n *Node, d int, key *[16]byte, bits int, leaf uint32) (uint32, *Node) {
	switch kindOf(n) {
	case kindEmpty:
		return 0, wr.single(key, bits, leaf)
	case kindSingle:
		m := n.word(wMeta)
		var k [16]byte
		n.singleKey(&k)
		if m&4 != 0 {
			return wr.insDouble(n, m, d, key, bits, leaf)
		}
		if singleBits(m) == bits && k == *key {
			return singleLeaf(m), wr.single(key, bits, leaf)
		}
		return 0, wr.double(&k, singleBits(m), singleLeaf(m), key, bits, leaf)
	}
	if bits <= 8*d+8 {
		return wr.insOwned(n, d, key, bits, leaf)
	}
	s := key[d]
	m := n.word(wMeta)
	if m&kindMask == kindDense {
		c := n.kid(uint(s))
		old, r := wr.ins(c.p.Load(), d+1, key, bits, leaf)
		if r != nil {
			wr.Set(c, r)
		}
		return old, nil
	}
	switch e := n.entry(m, uint(s)); e & 0xff {
	case kidMark:
		c := n.kid(uint(e >> 8))
		old, r := wr.ins(c.p.Load(), d+1, key, bits, leaf)
		if r != nil {
			wr.Set(c, r)
		}
		return old, nil
	case inlineMark:
		rec := n.record(m, recOff(e), s)
		var k [16]byte
		recKey(&rec, &k)
		rb := LeafBits(rec.leaf)
		if rb == bits && k == *key {
			return rec.leaf, wr.setRecordLeaf(n, m, recOff(e), leaf)
		}
		c := wr.double(&k, rb, rec.leaf, key, bits, leaf)
		if m&4 == 0 {
			return 0, wr.inlineToKid(n, m, uint(s), c)
		}
		return 0, wr.replaceChild(n, d, key, child{n: c, slot: s}).n
	}
	c := inlineChild(s, key, bits, leaf)
	if metaKids(m)+metaInline(m)+1 < denseAt && (bits <= 64 || m&4 != 0) {
		return 0, wr.addInline(n, m, &c)
	}
	return 0, wr.withChild(n, d, c)
}

// del deletes from n, the content of a slot at depth d. It returns the
// leaf removed and, when the slot must change, changed and its new
// content.
func (wr *Writer) del(n *Node, d int, key *[16]byte, bits int) (old uint32, repl content, changed bool) {
	switch kindOf(n) {
	case kindEmpty:
		return 0, content{}, false
	case kindSingle:
		m := n.word(wMeta)
		var k [16]byte
		n.singleKey(&k)
		if m&4 == 0 {
			if singleBits(m) == bits && k == *key {
				return singleLeaf(m), content{}, true
			}
			return 0, content{}, false
		}
		var k2 [16]byte
		l2 := n.secondKey(m, &k2)
		switch {
		case singleBits(m) == bits && k == *key:
			return singleLeaf(m), content{one: inlineChild(0, &k2, LeafBits(l2), l2)}, true
		case LeafBits(l2) == bits && k2 == *key:
			return l2, content{one: inlineChild(0, &k, singleBits(m), singleLeaf(m))}, true
		}
		return 0, content{}, false
	}
	if bits <= 8*d+8 {
		return wr.delOwned(n, d, key, bits)
	}
	s := key[d]
	m := n.word(wMeta)
	if m&kindMask == kindDense {
		c := n.kid(uint(s))
		old, r, ch := wr.del(c.p.Load(), d+1, key, bits)
		if ch {
			wr.Set(c, wr.node(r))
		}
		return old, content{}, false
	}
	switch e := n.entry(m, uint(s)); e & 0xff {
	case kidMark:
		c := n.kid(uint(e >> 8))
		old, r, ch := wr.del(c.p.Load(), d+1, key, bits)
		switch {
		case !ch:
			return old, content{}, false
		case r.n != nil:
			wr.Set(c, r.n)
			return old, content{}, false
		case r.one.leaf == 0:
			if n.ownsMore(m, 0) {
				wr.Set(c, nil) // keep the slot (see Emptied slots in the package doc)
				return old, content{}, false
			}
			return old, wr.withoutChild(n, d, key), true
		}
		// The child node holds one prefix now: keep it inline, unless n
		// then holds nothing else.
		r.one.slot = s
		if m&4 == 0 && LeafBits(r.one.leaf) <= 64 && (metaKids(m)+metaInline(m) > 1 || n.ownsMore(m, 0)) {
			return old, content{n: wr.kidToInline(n, m, uint(s), &r.one)}, true
		}
		return old, wr.replaceChild(n, d, key, r.one), true
	case inlineMark:
		rec := n.record(m, recOff(e), s)
		var k [16]byte
		recKey(&rec, &k)
		if LeafBits(rec.leaf) != bits || k != *key {
			return 0, content{}, false
		}
		if m&4 == 0 && n.ownsMore(m, 0) {
			// Keep the slot (see Emptied slots in the package doc).
			return rec.leaf, content{n: wr.inlineToKid(n, m, uint(s), empty)}, true
		}
		// Without the prefix, n must still hold two prefixes or a child
		// node to stay a node; a node with wide keys may become narrow.
		if m&4 == 0 && (metaKids(m) > 0 || metaInline(m) > 2 || metaInline(m) == 2 && n.ownsMore(m, 0) || n.ownsMore(m, 1)) {
			return rec.leaf, content{n: wr.dropInline(n, m, uint(s))}, true
		}
		return rec.leaf, wr.withoutChild(n, d, key), true
	}
	return 0, content{}, false
}

func (wr *Writer) insOwned(n *Node, d int, key *[16]byte, bits int, leaf uint32) (uint32, *Node) {
	var obuf [32]owned
	own := decodeOwned(n, d, obuf[:0])
	r := bits - 8*d
	o := owned{leaf: leaf, lo: key[d] &^ (0xff >> r), r: uint8(r)}
	var old uint32
	if i, ok := searchOwned(own, o.key()); ok {
		old, own[i].leaf = own[i].leaf, leaf
	} else {
		own = slices.Insert(own, i, o)
	}
	if kindOf(n) == kindDense {
		return old, encodeDense(wr.ver, own, n.kids)
	}
	var cbuf [16]child
	ch := children(n, cbuf[:0])
	return old, encodeSparse(wr.ver, own, ch, sameKidSlots(n, ch))
}

// sameKidSlots returns the child slots of the sparse node n for a copy of
// it with the children ch, n's children less its empty slots: n's, unless
// there were empty slots to drop.
func sameKidSlots(n *Node, ch []child) *Slot {
	nk := uint(0)
	for i := range ch {
		if !ch[i].inline() {
			nk++
		}
	}
	if nk != metaKids(n.word(wMeta)) {
		return nil
	}
	return n.kids
}

func (wr *Writer) delOwned(n *Node, d int, key *[16]byte, bits int) (uint32, content, bool) {
	var obuf [32]owned
	own := decodeOwned(n, d, obuf[:0])
	r := bits - 8*d
	i, ok := searchOwned(own, uint16(key[d]&^(0xff>>r))<<4|uint16(r))
	if !ok {
		return 0, content{}, false
	}
	old := own[i].leaf
	own = slices.Delete(own, i, i+1)
	if kindOf(n) == kindDense {
		return old, content{n: encodeDense(wr.ver, own, n.kids)}, true
	}
	var cbuf [16]child
	ch := children(n, cbuf[:0])
	if c, ok := collapse(d, key, own, ch); ok {
		return old, c, true
	}
	return old, content{n: encodeSparse(wr.ver, own, ch, sameKidSlots(n, ch))}, true
}

// withChild returns the sparse node n at depth d with the child c added.
func (wr *Writer) withChild(n *Node, d int, c child) *Node {
	var obuf [32]owned
	var cbuf [16]child
	own := decodeOwned(n, d, obuf[:0])
	ch := children(n, cbuf[:0])
	i, _ := slices.BinarySearchFunc(ch, c.slot, func(x child, s uint8) int { return int(x.slot) - int(s) })
	ch = slices.Insert(ch, i, c)
	return wr.encode(own, ch)
}

// replaceChild returns what replaces the sparse node n at depth d once
// its child at c.slot is replaced by c.
func (wr *Writer) replaceChild(n *Node, d int, key *[16]byte, c child) content {
	var obuf [32]owned
	var cbuf [16]child
	own := decodeOwned(n, d, obuf[:0])
	ch := children(n, cbuf[:0])
	for i := range ch {
		if ch[i].slot == c.slot {
			ch[i] = c
		}
	}
	if c, ok := collapse(d, key, own, ch); ok {
		return c
	}
	return content{n: wr.encode(own, ch)}
}

// withoutChild returns what replaces the sparse node n at depth d once
// its child at slot key[d] is gone.
func (wr *Writer) withoutChild(n *Node, d int, key *[16]byte) content {
	var obuf [32]owned
	var cbuf [16]child
	own := decodeOwned(n, d, obuf[:0])
	ch := slices.DeleteFunc(children(n, cbuf[:0]), func(c child) bool { return c.slot == key[d] })
	if c, ok := collapse(d, key, own, ch); ok {
		return c
	}
	return content{n: wr.encode(own, ch)}
}

// encode returns a node owning own with the children ch: dense with that
// many children, else sparse.
func (wr *Writer) encode(own []owned, ch []child) *Node {
	if len(ch) < denseAt {
		return encodeSparse(wr.ver, own, ch, nil)
	}
	first, kids := newKids(256)
	for i := range ch {
		c := ch[i].n
		if ch[i].inline() {
			var k [16]byte
			recKey(&ch[i], &k)
			c = wr.single(&k, LeafBits(ch[i].leaf), ch[i].leaf)
		}
		kids[ch[i].slot].init(c)
	}
	return encodeDense(wr.ver, own, first)
}

// collapse returns what replaces a sparse node at depth d below key
// holding own and the children ch when it holds at most one prefix:
// nothing, or that prefix. ok is false if it must stay a node.
func collapse(d int, key *[16]byte, own []owned, ch []child) (c content, ok bool) {
	switch {
	case len(own)+len(ch) == 0:
		return content{}, true
	case len(own) == 1 && len(ch) == 0:
		var k [16]byte
		copy(k[:d], key[:d])
		k[d] = own[0].lo
		return content{one: inlineChild(0, &k, 8*d+int(own[0].r), own[0].leaf)}, true
	case len(own) == 0 && len(ch) == 1 && ch[0].inline():
		return content{one: ch[0]}, true
	}
	return content{}, false
}

// recKey writes the key of the inline child c into k.
func recKey(c *child, k *[16]byte) {
	*k = [16]byte{}
	putKey(k, c.hi, c.lo)
}

// single returns a single node holding key/bits → leaf.
func (wr *Writer) single(key *[16]byte, bits int, leaf uint32) *Node {
	nw := wKey + keyWords(bits)
	n := newNode(nw, false)
	w := n.words(nw)
	w[wVer] = wr.ver
	w[wMeta] = kindSingle | uint64(bits)<<8 | uint64(leaf)<<32
	w[wKey] = keyHi(key)
	if bits > 64 {
		w[wKey+1] = keyLo(key)
	}
	return n
}

// double returns a double node holding two different prefixes: what a
// slot holding one prefix holds once a second is added. It takes one
// small node where a sparse node, or below a shared slot a chain of them
// down to where the prefixes part, would take more.
func (wr *Writer) double(k1 *[16]byte, b1 int, l1 uint32, k2 *[16]byte, b2 int, l2 uint32) *Node {
	if b2 > b1 {
		k1, b1, l1, k2, b2, l2 = k2, b2, l2, k1, b1, l1
	}
	off := wKey + keyWords(b1)
	nw := off + 1 + keyWords(b2)
	n := newNode(nw, false)
	w := n.words(nw)
	w[wVer] = wr.ver
	w[wMeta] = kindSingle | 4 | uint64(b1)<<8 | uint64(l1)<<32
	w[wKey] = keyHi(k1)
	if b1 > 64 {
		w[wKey+1] = keyLo(k1)
	}
	w[off] = uint64(l2)
	w[off+1] = keyHi(k2)
	if b2 > 64 {
		w[off+2] = keyLo(k2)
	}
	return n
}

// insDouble inserts into the double node n (meta m), the content of a
// slot at depth d: a new leaf for one of its prefixes, or a third prefix,
// after which the slot holds what Build makes of the three.
func (wr *Writer) insDouble(n *Node, m uint64, d int, key *[16]byte, bits int, leaf uint32) (uint32, *Node) {
	var items [3]Item
	n.singleKey(&items[0].Key)
	items[0].Bits, items[0].Leaf = uint8(singleBits(m)), singleLeaf(m)
	items[1].Leaf = n.secondKey(m, &items[1].Key)
	items[1].Bits = uint8(LeafBits(items[1].Leaf))
	for i := range 2 {
		if int(items[i].Bits) == bits && items[i].Key == *key {
			old := items[i].Leaf
			items[i].Leaf = leaf
			return old, wr.double(&items[0].Key, int(items[0].Bits), items[0].Leaf, &items[1].Key, int(items[1].Bits), items[1].Leaf)
		}
	}
	items[2] = Item{Key: *key, Bits: uint8(bits), Leaf: leaf}
	var tmp [3]Item
	c, _ := wr.build(items[:], tmp[:], d)
	return 0, wr.node(c)
}

// addInline returns the sparse node n (meta m) with the inline child c at
// a slot that has no child, by editing its runs: the run holding the slot
// is split around it and the entries of the inline prefixes are moved.
// The child nodes stay where they are. c must fit the node's key width.
func (wr *Writer) addInline(n *Node, m uint64, c *child) *Node {
	nr, ni, nh, rs := metaRuns(m), metaInline(m), metaHidden(m), recWords(m)
	s := uint(c.slot)
	old := n.halves(n.size())
	ow := n.words(n.size())
	r := n.runOf(m, s)
	e := old[hRuns+r] // the leaf covering s
	split := n.word(wVec+s>>6)&(1<<(s&63)) == 0
	tail := s+1 < n.nextRun(s)
	i := marked(old[hRuns:hRuns+r], inlineMark) // the new prefix's number
	nr2 := nr + b2u(split) + b2u(tail)
	hk, hk2 := hKidLeaf(m), hRuns+(nr2+1)&^1
	nk := metaKids(m)
	wr0, wr2 := wRecs(m), hk2/2+(nk+1)/2
	nw := int(wr2 + (ni+1)*rs + nh)
	x := newNode(nw, nk == 1)
	w, h := x.words(nw), x.halves(nw)
	copy(w[wVec:wVec+4], ow[wVec:wVec+4])
	w[wVec+s>>6] |= 1 << (s & 63)
	if tail {
		w[wVec+(s+1)>>6] |= 1 << ((s + 1) & 63)
	}
	// runs: those before r, r's head, the prefix, r's tail, the rest
	mv := int(wr2) - int(wr0) // how far the inline prefixes before c move
	j := hRuns + copy(h[hRuns:], old[hRuns:hRuns+r])
	moveInline(h[hRuns:j], mv)
	if split {
		h[j] = e
		j++
	}
	h[j] = inlineEntry(wr2 + i*rs)
	j++
	if tail {
		h[j] = e
		j++
	}
	moveInline(h[j:j+copy(h[j:], old[hRuns+r+1:hRuns+nr])], mv+int(rs))
	copy(h[hk2:], old[hk:hk+nk])
	p := wr2 + uint(copy(w[wr2:], ow[wr0:wr0+i*rs]))
	w[p] = c.hi
	if rs == 3 {
		w[p+1] = c.lo
	}
	w[p+rs-1] = uint64(e)<<32 | uint64(c.leaf)
	copy(w[p+rs:], ow[wr0+i*rs:wr0+(ni*rs)+nh])
	w[wVer] = wr.ver
	w[wMeta] = sparseMeta(w, nr2, nk, ni+1, nh, rs == 3)
	sameKids(x, n, nk)
	return x
}

// marked returns how many of the run entries es name a child of one kind
// (mark is kidMark or inlineMark): the number the next such child takes.
func marked(es []uint32, mark uint32) uint {
	k := uint(0)
	for _, e := range es {
		if e&0xff == mark {
			k++
		}
	}
	return k
}

// sameKids gives x, a copy of the sparse node n with its nk child nodes,
// those children: a slot of its own holding n's one child, or n's slots.
func sameKids(x, n *Node, nk uint) {
	switch {
	case nk == 1:
		x.kids.init(n.kids.p.Load())
	case nk > 1:
		x.kids = n.kids
	}
}

// dropInline returns the sparse node n (meta m) without its inline child
// at slot s, by editing its runs: the child's run takes its covering leaf
// and merges with equal neighbours, and the entries of the inline
// prefixes are moved. The caller makes sure the result is still a node (see
// collapse).
func (wr *Writer) dropInline(n *Node, m uint64, s uint) *Node {
	nr, ni, nh, rs, nk := metaRuns(m), metaInline(m), metaHidden(m), recWords(m), metaKids(m)
	old := n.halves(n.size())
	ow := n.words(n.size())
	r := n.runOf(m, s)
	off, wr0 := recOff(old[hRuns+r]), wRecs(m) // the child's words, the first inline prefix's
	l := recCover(ow[off+rs-1])
	mergePrev := r > 0 && old[hRuns+r-1] == l && l&0xff < inlineMark
	mergeNext := r+1 < nr && old[hRuns+r+1] == l
	nr2 := nr - b2u(mergePrev) - b2u(mergeNext)
	hk, hk2 := hKidLeaf(m), hRuns+(nr2+1)&^1
	wr2 := hk2/2 + (nk+1)/2
	nw := int(wr2 + (ni-1)*rs + nh)
	x := newNode(nw, nk == 1)
	w, h := x.words(nw), x.halves(nw)
	copy(w[wVec:wVec+4], ow[wVec:wVec+4])
	if mergePrev {
		w[wVec+s>>6] &^= 1 << (s & 63)
	}
	if mergeNext {
		w[wVec+(s+1)>>6] &^= 1 << ((s + 1) & 63)
	}
	mv := int(wr2) - int(wr0) // how far the inline prefixes before the child move
	j := hRuns + copy(h[hRuns:], old[hRuns:hRuns+r])
	moveInline(h[hRuns:j], mv)
	if !mergePrev {
		h[j] = l
		j++
	}
	rest := old[hRuns+r+1 : hRuns+nr]
	if mergeNext {
		rest = rest[1:]
	}
	moveInline(h[j:j+copy(h[j:], rest)], mv-int(rs))
	copy(h[hk2:], old[hk:hk+nk])
	p := wr2 + uint(copy(w[wr2:], ow[wr0:off]))
	copy(w[p:], ow[off+rs:wr0+ni*rs+nh])
	w[wVer] = wr.ver
	w[wMeta] = sparseMeta(w, nr2, nk, ni-1, nh, rs == 3)
	sameKids(x, n, nk)
	return x
}

// setRecordLeaf returns the sparse node n (meta m) with the leaf of its
// inline prefix at word off replaced by leaf.
func (wr *Writer) setRecordLeaf(n *Node, m uint64, off uint, leaf uint32) *Node {
	nw := n.size()
	x := newNode(nw, metaKids(m) == 1)
	w := x.words(nw)
	copy(w, n.words(nw))
	off += recWords(m) - 1
	w[off] = w[off]&^0xffffffff | uint64(leaf)
	w[wVer] = wr.ver
	sameKids(x, n, metaKids(m))
	return x
}

// sparseMeta returns the meta word of a sparse node with run-start vector
// w[wVec:wVec+4] and the given counts.
func sparseMeta(w []uint64, nr, nk, ni, nh uint, wide bool) uint64 {
	b1 := uint64(bits.OnesCount64(w[wVec]))
	b2 := b1 + uint64(bits.OnesCount64(w[wVec+1]))
	b3 := b2 + uint64(bits.OnesCount64(w[wVec+2]))
	m := kindSparse | uint64(nr)<<3 | uint64(nk)<<12 | uint64(ni)<<21 | uint64(nh)<<30 | b1<<40 | b2<<48 | b3<<56
	if wide {
		m |= 4
	}
	return m
}

func b2u(b bool) uint {
	if b {
		return 1
	}
	return 0
}

// ownsMore reports whether the sparse node n (meta m) owns more than k
// prefixes, k < 2.
func (n *Node) ownsMore(m uint64, k int) bool {
	seen, count := uint32(0), int(metaHidden(m))
	it := runIter{n: n}
	for count <= k {
		_, e, ok := it.next()
		if !ok {
			break
		}
		if e = n.cover(m, e); e != 0 && e != seen {
			if seen != 0 {
				return true // two leaves differ: two prefixes at least
			}
			seen = e
			count++
		}
	}
	return count > k
}

// Item is a prefix for Build. A Leaf of 0 removes the prefix.
type Item struct {
	Key  [16]byte // masked to Bits
	Bits uint8
	Leaf uint32
}

// order is the rank of it among the items of a node at depth d whose
// prefixes up to lim bits it owns: by its byte at d, owned first.
func order(it *Item, d int, lim uint8) int {
	o := 2 * int(it.Key[d])
	if it.Bits > lim {
		o++
	}
	return o
}

// Build returns the content of a root slot holding items, and the number
// of prefixes it holds. Of equal prefixes the last wins; a Leaf of 0
// removes the prefix. Build reorders items.
func (wr *Writer) Build(items []Item) (*Node, int) {
	if len(items) == 0 {
		return nil, 0
	}
	c, n := wr.build(items, make([]Item, len(items)), 0)
	return wr.node(c), n
}

// build returns the content of a slot at depth d holding items, using tmp
// (as long as items) as scratch.
func (wr *Writer) build(items, tmp []Item, d int) (content, int) {
	if len(items) == 1 {
		it := &items[0]
		if it.Leaf == 0 {
			return content{}, 0
		}
		return content{one: inlineChild(0, &it.Key, int(it.Bits), it.Leaf)}, 1
	}
	path := items[0].Key
	lim := uint8(8*d + 8)
	// Order the items by their byte at d, those this node owns before
	// those below it, keeping their order otherwise: one copy into tmp.
	sorted, scratch := tmp, items
	if len(items) > 32 {
		var pos [513]int32
		for i := range items {
			pos[1+order(&items[i], d, lim)]++
		}
		for b := 1; b < len(pos); b++ {
			pos[b] += pos[b-1]
		}
		for i := range items {
			o := order(&items[i], d, lim)
			sorted[pos[o]] = items[i]
			pos[o]++
		}
	} else {
		var keys [32]uint16 // order<<5 | index
		for i := range items {
			keys[i] = uint16(order(&items[i], d, lim))<<5 | uint16(i)
		}
		ks := keys[:len(items)]
		for i := 1; i < len(ks); i++ {
			for j := i; j > 0 && ks[j] < ks[j-1]; j-- {
				ks[j], ks[j-1] = ks[j-1], ks[j]
			}
		}
		for i, k := range ks {
			sorted[i] = items[k&31]
		}
	}
	var obuf [32]owned
	var cbuf [16]child
	own, ch := obuf[:0], cbuf[:0]
	count := 0
	for i := 0; i < len(sorted); {
		s := sorted[i].Key[d]
		for ; i < len(sorted) && sorted[i].Key[d] == s && sorted[i].Bits <= lim; i++ {
			r := int(sorted[i].Bits) - 8*d
			own = append(own, owned{leaf: sorted[i].Leaf, lo: s, r: uint8(r)})
		}
		j := i
		for j < len(sorted) && sorted[j].Key[d] == s {
			j++
		}
		switch {
		case j == i+1 && sorted[i].Leaf != 0:
			ch = append(ch, inlineChild(s, &sorted[i].Key, int(sorted[i].Bits), sorted[i].Leaf))
			count++
		case j > i+1:
			c, cnt := wr.build(sorted[i:j], scratch[i:j], d+1)
			switch {
			case c.n != nil:
				ch = append(ch, child{n: c.n, slot: s})
			case c.one.leaf != 0:
				c.one.slot = s
				ch = append(ch, c.one)
			}
			count += cnt
		}
		i = j
	}
	sortOwned(own) // by first slot already: orders lengths within a slot
	// Of equal prefixes keep the last; drop removals.
	out := own[:0]
	for i := range own {
		if i+1 < len(own) && own[i+1].key() == own[i].key() {
			continue
		}
		if own[i].leaf != 0 {
			out = append(out, own[i])
		}
	}
	own = out
	count += len(own)
	if c, ok := collapse(d, &path, own, ch); ok {
		return c, count
	}
	return content{n: wr.encode(own, ch)}, count
}

// inlineToKid returns the sparse node n (meta m, narrow keys) with its
// inline prefix at slot s replaced by the child node c: the entry changes
// kind, the prefix's covering leaf moves beside the child nodes, and the
// entries of the other children are renumbered or moved. The runs keep
// their starts.
func (wr *Writer) inlineToKid(n *Node, m uint64, s uint, c *Node) *Node {
	nr, nk, ni, nh := metaRuns(m), metaKids(m), metaInline(m), metaHidden(m)
	old := n.halves(n.size())
	ow := n.words(n.size())
	r := n.runOf(m, s)
	off := recOff(old[hRuns+r])              // the prefix's words
	k := marked(old[hRuns:hRuns+r], kidMark) // the child's number
	hk, wr0 := hKidLeaf(m), wRecs(m)
	wr2 := hk/2 + (nk+2)/2
	nw := int(wr2 + (ni-1)*2 + nh)
	x := newNode(nw, nk+1 == 1)
	w, h := x.words(nw), x.halves(nw)
	mv := int(wr2) - int(wr0)         // how far the inline prefixes before s move
	copy(w[wVec:hk/2], ow[wVec:hk/2]) // vector and runs
	moveInline(h[hRuns:hRuns+r], mv)
	for j := hRuns + r + 1; j < hRuns+nr; j++ {
		switch h[j] & 0xff {
		case kidMark:
			h[j] += 1 << 8
		case inlineMark:
			h[j] += uint32(mv-2) << 8
		}
	}
	h[hRuns+r] = uint32(k)<<8 | kidMark
	copy(h[hk:], old[hk:hk+k])
	h[hk+k] = recCover(ow[off+1])
	copy(h[hk+k+1:], old[hk+k:hk+nk])
	p := wr2 + uint(copy(w[wr2:], ow[wr0:off]))
	copy(w[p:], ow[off+2:wr0+2*ni+nh])
	w[wVer] = wr.ver
	w[wMeta] = sparseMeta(w, nr, nk+1, ni-1, nh, false)
	if nk == 0 {
		x.kids.init(c)
		return x
	}
	first, kids := newKids(int(nk + 1))
	for j := range nk + 1 {
		switch {
		case j < k:
			kids[j].init(n.kid(j).p.Load())
		case j > k:
			kids[j].init(n.kid(j - 1).p.Load())
		}
	}
	kids[k].init(c)
	x.kids = first
	return x
}

// kidToInline returns the sparse node n (meta m, narrow keys) with its
// child node at slot s replaced by the inline prefix c (narrow): the
// inverse of inlineToKid. The caller makes sure the result is still a
// node (see collapse).
func (wr *Writer) kidToInline(n *Node, m uint64, s uint, c *child) *Node {
	nr, nk, ni, nh := metaRuns(m), metaKids(m), metaInline(m), metaHidden(m)
	old := n.halves(n.size())
	ow := n.words(n.size())
	r := n.runOf(m, s)
	k := uint(old[hRuns+r] >> 8)
	i := marked(old[hRuns:hRuns+r], inlineMark) // the prefix's number
	hk, wr0 := hKidLeaf(m), wRecs(m)
	wr2 := hk/2 + nk/2
	nw := int(wr2 + (ni+1)*2 + nh)
	x := newNode(nw, nk-1 == 1)
	w, h := x.words(nw), x.halves(nw)
	mv := int(wr2) - int(wr0) // how far the inline prefixes before s move
	copy(w[wVec:hk/2], ow[wVec:hk/2])
	moveInline(h[hRuns:hRuns+r], mv)
	for j := hRuns + r + 1; j < hRuns+nr; j++ {
		switch h[j] & 0xff {
		case kidMark:
			h[j] -= 1 << 8
		case inlineMark:
			h[j] += uint32(mv+2) << 8
		}
	}
	h[hRuns+r] = inlineEntry(wr2 + 2*i)
	cover := old[hk+k]
	copy(h[hk:], old[hk:hk+k])
	copy(h[hk+k:], old[hk+k+1:hk+nk])
	p := wr2 + uint(copy(w[wr2:], ow[wr0:wr0+2*i]))
	w[p] = c.hi
	w[p+1] = uint64(cover)<<32 | uint64(c.leaf)
	copy(w[p+2:], ow[wr0+2*i:wr0+2*ni+nh])
	w[wVer] = wr.ver
	w[wMeta] = sparseMeta(w, nr, nk-1, ni+1, nh, false)
	if nk-1 == 1 {
		x.kids.init(n.kid(1 - k).p.Load())
		return x
	}
	first, kids := newKids(int(nk - 1))
	for j := range nk - 1 {
		t := j
		if j >= k {
			t++
		}
		kids[j].init(n.kid(t).p.Load())
	}
	x.kids = first
	return x
}
