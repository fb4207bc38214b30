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
		n = newNode(2) // kindEmpty
	}
	n.words(1)[wVer] = wr.ver
	switch old := s.p.Load(); {
	case old == nil:
		n.prev.Store(empty)
	case old.word(wVer) == wr.ver:
		n.prev.Store(old.prev.Load()) // old was never published
	default:
		n.prev.Store(old)
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
	old, n, changed := wr.del(root.p.Load(), 0, key, bits)
	if changed {
		wr.Set(root, n)
	}
	return old
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
		if singleBits(m) == bits && k == *key {
			return singleLeaf(m), wr.single(key, bits, leaf)
		}
		items := [2]Item{{Key: k, Bits: uint8(singleBits(m)), Leaf: singleLeaf(m)}, {Key: *key, Bits: uint8(bits), Leaf: leaf}}
		var tmp [2]Item
		b, _ := wr.build(items[:], tmp[:], d)
		return 0, b
	}
	if bits <= 8*d+8 {
		return wr.insOwned(n, d, key, bits, leaf)
	}
	if c := child(n, key[d]); c != nil {
		old, r := wr.ins(c.p.Load(), d+1, key, bits, leaf)
		if r != nil {
			wr.Set(c, r)
		}
		return old, nil
	}
	c := wr.single(key, bits, leaf)
	if m := n.word(wMeta); metaKids(m)+1 < denseAt {
		return 0, wr.addKid(n, m, uint(key[d]), c)
	}
	return 0, wr.withKid(n, d, key[d], c)
}

// del deletes from n, the content of a slot at depth d. It returns the
// leaf removed and, when the slot must change, changed and its new
// content (nil: empty).
func (wr *Writer) del(n *Node, d int, key *[16]byte, bits int) (old uint32, repl *Node, changed bool) {
	switch kindOf(n) {
	case kindEmpty:
		return 0, nil, false
	case kindSingle:
		m := n.word(wMeta)
		var k [16]byte
		n.singleKey(&k)
		if singleBits(m) == bits && k == *key {
			return singleLeaf(m), nil, true
		}
		return 0, nil, false
	}
	if bits <= 8*d+8 {
		return wr.delOwned(n, d, key, bits)
	}
	c := child(n, key[d])
	if c == nil {
		return 0, nil, false
	}
	old, r, ch := wr.del(c.p.Load(), d+1, key, bits)
	if !ch {
		return old, nil, false
	}
	if r != nil || kindOf(n) == kindDense {
		wr.Set(c, r)
		return old, nil, false
	}
	// Without the child, n must still hold two prefixes or one child
	// that is not a single to stay a node.
	m := n.word(wMeta)
	if nk := metaKids(m); nk > 2 || nk == 2 && n.ownsMore(m, 0) || n.ownsMore(m, 1) {
		return old, wr.dropKid(n, m, uint(key[d])), true
	}
	return old, wr.withoutKid(n, d, key), true
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
	var kbuf [32]uint8
	return old, encodeSparse(wr.ver, own, kidSlots(n, kbuf[:0]), n.kids)
}

func (wr *Writer) delOwned(n *Node, d int, key *[16]byte, bits int) (uint32, *Node, bool) {
	var obuf [32]owned
	own := decodeOwned(n, d, obuf[:0])
	r := bits - 8*d
	i, ok := searchOwned(own, uint16(key[d]&^(0xff>>r))<<4|uint16(r))
	if !ok {
		return 0, nil, false
	}
	old := own[i].leaf
	own = slices.Delete(own, i, i+1)
	if kindOf(n) == kindDense {
		return old, encodeDense(wr.ver, own, n.kids), true
	}
	var kbuf [32]uint8
	ks := kidSlots(n, kbuf[:0])
	if c, ok := wr.collapse(d, key, own, ks, n.kids); ok {
		return old, c, true
	}
	return old, encodeSparse(wr.ver, own, ks, n.kids), true
}

// withKid returns the sparse node n at depth d with the child c added at
// slot s.
func (wr *Writer) withKid(n *Node, d int, s uint8, c *Node) *Node {
	var obuf [32]owned
	var kbuf [32]uint8
	own := decodeOwned(n, d, obuf[:0])
	ks := kidSlots(n, kbuf[:0])
	i, _ := slices.BinarySearch(ks, s)
	ks = slices.Insert(ks, i, s)
	if len(ks) >= denseAt {
		first, kids := newKids(256)
		for j, t := range ks {
			if j < i {
				kids[t].p.Store(n.kid(uint(j)).p.Load())
			} else if j > i {
				kids[t].p.Store(n.kid(uint(j - 1)).p.Load())
			}
		}
		kids[s].p.Store(c)
		return encodeDense(wr.ver, own, first)
	}
	first, kids := newKids(len(ks))
	for j := range len(ks) - 1 {
		t := j
		if j >= i {
			t++
		}
		kids[t].p.Store(n.kid(uint(j)).p.Load())
	}
	kids[i].p.Store(c)
	return encodeSparse(wr.ver, own, ks, first)
}

// withoutKid returns the content replacing the sparse node n at depth d
// once its child at slot key[d] is gone.
func (wr *Writer) withoutKid(n *Node, d int, key *[16]byte) *Node {
	var obuf [32]owned
	var kbuf [32]uint8
	own := decodeOwned(n, d, obuf[:0])
	ks := kidSlots(n, kbuf[:0])
	i, _ := slices.BinarySearch(ks, key[d])
	ks = slices.Delete(ks, i, i+1)
	first, kids := newKids(len(ks))
	for j := range kids {
		t := j
		if j >= i {
			t++
		}
		kids[j].p.Store(n.kid(uint(t)).p.Load())
	}
	if c, ok := wr.collapse(d, key, own, ks, first); ok {
		return c
	}
	return encodeSparse(wr.ver, own, ks, first)
}

// collapse returns what replaces a sparse node at depth d below key
// holding own and the children at ks in the slots from kids when it holds
// at most one prefix: nothing, or a single. ok is false if it must stay a
// node.
func (wr *Writer) collapse(d int, key *[16]byte, own []owned, ks []uint8, kids *Slot) (n *Node, ok bool) {
	switch {
	case len(own)+len(ks) == 0:
		return nil, true
	case len(own) == 1 && len(ks) == 0:
		var k [16]byte
		copy(k[:d], key[:d])
		k[d] = own[0].lo
		return wr.single(&k, 8*d+int(own[0].r), own[0].leaf), true
	case len(own) == 0 && len(ks) == 1:
		c := kids.p.Load()
		if kindOf(c) != kindSingle {
			return nil, false
		}
		// A node is stored into one slot only: its prev chain is that
		// slot's history.
		nw := c.size()
		cp := newNode(nw)
		w := cp.words(nw)
		copy(w, c.words(nw))
		w[wVer] = wr.ver
		return cp, true
	}
	return nil, false
}

// single returns a single node holding key/bits → leaf.
func (wr *Writer) single(key *[16]byte, bits int, leaf uint32) *Node {
	nw := wKey + keyWords(bits)
	n := newNode(nw)
	w := n.words(nw)
	w[wVer] = wr.ver
	w[wMeta] = kindSingle | uint64(bits)<<8 | uint64(leaf)<<32
	w[wKey] = keyHi(key)
	if bits > 64 {
		w[wKey+1] = keyLo(key)
	}
	return n
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

// Item is a prefix for Build. A Leaf of 0 removes the prefix.
type Item struct {
	Key  [16]byte // masked to Bits
	Bits uint8
	Leaf uint32
}

// Build returns the content of a root slot holding items, and the number
// of prefixes it holds. Of equal prefixes the last wins; a Leaf of 0
// removes the prefix. Build reorders items.
func (wr *Writer) Build(items []Item) (*Node, int) {
	if len(items) == 0 {
		return nil, 0
	}
	return wr.build(items, make([]Item, len(items)), 0)
}

// build returns the content of a slot at depth d holding items, using tmp
// (as long as items) as scratch.
func (wr *Writer) build(items, tmp []Item, d int) (*Node, int) {
	if len(items) == 1 {
		it := &items[0]
		if it.Leaf == 0 {
			return nil, 0
		}
		return wr.single(&it.Key, int(it.Bits), it.Leaf), 1
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
	var kbuf [32]uint8
	var nbuf [32]*Node
	own, ks, kn := obuf[:0], kbuf[:0], nbuf[:0]
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
		if j > i {
			if c, cnt := wr.build(sorted[i:j], scratch[i:j], d+1); c != nil {
				ks, kn = append(ks, s), append(kn, c)
				count += cnt
			}
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
	switch {
	case len(own)+len(ks) == 0:
		return nil, 0
	case len(own) == 1 && len(ks) == 0:
		var k [16]byte
		copy(k[:d], path[:d])
		k[d] = own[0].lo
		return wr.single(&k, 8*d+int(own[0].r), own[0].leaf), count
	case len(own) == 0 && len(ks) == 1 && kindOf(kn[0]) == kindSingle:
		return kn[0], count // not stored anywhere yet
	case len(ks) >= denseAt:
		first, kids := newKids(256)
		for i, s := range ks {
			kids[s].p.Store(kn[i])
		}
		return encodeDense(wr.ver, own, first), count
	}
	first, kids := newKids(len(ks))
	for i := range kids {
		kids[i].p.Store(kn[i])
	}
	return encodeSparse(wr.ver, own, ks, first), count
}

// addKid returns the sparse node n (meta m) with the child c added at
// slot s, which has none, by editing its runs: the run holding s is split
// around it and the children after it are renumbered. The result has
// fewer than denseAt children.
func (wr *Writer) addKid(n *Node, m uint64, s uint, c *Node) *Node {
	nr, nk, nh := metaRuns(m), metaKids(m), metaHidden(m)
	old := n.halves(n.size())
	r := n.runOf(m, s)
	e := old[hRuns+r] // the leaf covering s
	split := r > 0 || s > 0
	if split {
		split = n.word(wVec+s>>6)&(1<<(s&63)) == 0 // s is inside run r
	}
	end := n.nextRun(s)
	tail := s+1 < end
	i := uint(0) // the new child's number
	for _, x := range old[hRuns : hRuns+r] {
		if x&0xff == kidMark {
			i++
		}
	}
	nr2, nk2 := nr+b2u(split)+b2u(tail), nk+1
	kl, kl2 := hKidLeaf(m), hRuns+(nr2+1)&^1
	ho, ho2 := kl/2+(nk+1)/2, kl2/2+(nk2+1)/2
	nw := int(ho2 + nh)
	x := newNode(nw)
	w, h := x.words(nw), x.halves(nw)
	copy(w[wVec:wVec+4], n.words(wVec + 4)[wVec:])
	w[wVec+s>>6] |= 1 << (s & 63)
	if tail {
		w[wVec+(s+1)>>6] |= 1 << ((s + 1) & 63)
	}
	// runs: those before r, r's head, the child, r's tail, the rest
	j := hRuns + copy(h[hRuns:], old[hRuns:hRuns+r])
	if split {
		h[j] = e
		j++
	}
	h[j] = uint32(i)<<8 | kidMark
	j++
	if tail {
		h[j] = e
		j++
	}
	for _, y := range old[hRuns+r+1 : hRuns+nr] {
		if y&0xff == kidMark {
			y += 1 << 8
		}
		h[j] = y
		j++
	}
	copy(h[kl2:], old[kl:kl+i])
	h[kl2+i] = e
	copy(h[kl2+i+1:], old[kl+i:kl+nk])
	copy(w[ho2:], n.words(int(ho + nh))[ho:])
	w[wVer] = wr.ver
	w[wMeta] = sparseMeta(w, nr2, nk2, nh)
	first, kids := newKids(int(nk2))
	for k := range nk {
		t := k
		if k >= i {
			t++
		}
		kids[t].p.Store(n.kid(k).p.Load())
	}
	kids[i].p.Store(c)
	x.kids = first
	return x
}

// dropKid returns the sparse node n (meta m) without its child at slot s,
// by editing its runs: the child's run takes its covering leaf and merges
// with equal neighbours, and the children after it are renumbered. The
// caller makes sure the result is still a node (see collapse).
func (wr *Writer) dropKid(n *Node, m uint64, s uint) *Node {
	nr, nk, nh := metaRuns(m), metaKids(m), metaHidden(m)
	old := n.halves(n.size())
	r := n.runOf(m, s)
	i := uint(old[hRuns+r] >> 8)
	kl := hKidLeaf(m)
	l := old[kl+i]
	mergePrev := r > 0 && old[hRuns+r-1] == l && l&0xff != kidMark
	mergeNext := r+1 < nr && old[hRuns+r+1] == l
	nr2, nk2 := nr-b2u(mergePrev)-b2u(mergeNext), nk-1
	kl2 := hRuns + (nr2+1)&^1
	ho, ho2 := kl/2+(nk+1)/2, kl2/2+(nk2+1)/2
	nw := int(ho2 + nh)
	x := newNode(nw)
	w, h := x.words(nw), x.halves(nw)
	copy(w[wVec:wVec+4], n.words(wVec + 4)[wVec:])
	if mergePrev {
		w[wVec+s>>6] &^= 1 << (s & 63)
	}
	if mergeNext {
		w[wVec+(s+1)>>6] &^= 1 << ((s + 1) & 63)
	}
	j := hRuns + copy(h[hRuns:], old[hRuns:hRuns+r])
	if !mergePrev {
		h[j] = l
		j++
	}
	rest := old[hRuns+r+1 : hRuns+nr]
	if mergeNext {
		rest = rest[1:]
	}
	for _, y := range rest {
		if y&0xff == kidMark {
			y -= 1 << 8
		}
		h[j] = y
		j++
	}
	copy(h[kl2:], old[kl:kl+i])
	copy(h[kl2+i:], old[kl+i+1:kl+nk])
	copy(w[ho2:], n.words(int(ho + nh))[ho:])
	w[wVer] = wr.ver
	w[wMeta] = sparseMeta(w, nr2, nk2, nh)
	first, kids := newKids(int(nk2))
	for k := range nk2 {
		t := k
		if k >= i {
			t++
		}
		kids[k].p.Store(n.kid(t).p.Load())
	}
	x.kids = first
	return x
}

// sparseMeta returns the meta word of a sparse node with run-start vector
// w[wVec:wVec+4] and the given counts.
func sparseMeta(w []uint64, nr, nk, nh uint) uint64 {
	b1 := uint64(bits.OnesCount64(w[wVec]))
	b2 := b1 + uint64(bits.OnesCount64(w[wVec+1]))
	b3 := b2 + uint64(bits.OnesCount64(w[wVec+2]))
	return kindSparse | uint64(nr)<<8 | uint64(nk)<<17 | uint64(nh)<<26 | b1<<40 | b2<<48 | b3<<56
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
		if e&0xff == kidMark {
			e = n.kidLeaf(m, uint(e>>8))
		}
		if e != 0 && e != seen {
			if seen != 0 {
				return true // two leaves differ: two prefixes at least
			}
			seen = e
			count++
		}
	}
	return count > k
}
