package trie

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"unsafe"
)

// pfx is a prefix in the tests: a masked key and a length.
type pfx struct {
	key  [16]byte
	bits int
}

// refTrie is the slow, obviously correct reference: a map, searched by
// trying every prefix.
type refTrie map[pfx]uint32

func (r refTrie) lookup(a [16]byte) uint32 {
	best, bestBits := uint32(0), -1
	for p, l := range r {
		if p.bits > bestBits && contains(p, a) {
			best, bestBits = l, p.bits
		}
	}
	return best
}

func contains(p pfx, a [16]byte) bool { return mask(a, p.bits) == p.key }

func mask(a [16]byte, bits int) [16]byte {
	for i := range a {
		switch {
		case bits >= 8*(i+1):
		case bits <= 8*i:
			a[i] = 0
		default:
			a[i] &= 0xff << (8 - (bits - 8*i))
		}
	}
	return a
}

// gen makes prefixes and addresses of one family: around a few bases for
// nesting, and spread over one /8 so that nodes get many children and are
// encoded dense.
type gen struct {
	r     *rand.Rand
	is6   bool
	bases [][16]byte
}

func newGen(seed uint64, is6 bool) *gen {
	g := &gen{r: rand.New(rand.NewPCG(seed, 77)), is6: is6}
	for range 6 {
		var b [16]byte
		for i := range b {
			b[i] = byte(g.r.Uint32())
		}
		g.bases = append(g.bases, b)
	}
	return g
}

func (g *gen) width() int {
	if g.is6 {
		return 128
	}
	return 32
}

func (g *gen) addr() [16]byte {
	var a [16]byte
	if g.r.IntN(3) == 0 {
		// spread: 10.x.y.z or 2001:db8:x:y::z
		a[0], a[1], a[2], a[3] = 10, byte(g.r.Uint32()), byte(g.r.Uint32()), byte(g.r.Uint32())
	} else {
		a = g.bases[g.r.IntN(len(g.bases))]
		for range g.r.IntN(4) {
			i := g.r.IntN(g.width())
			a[i/8] ^= 0x80 >> (i % 8)
		}
	}
	if !g.is6 {
		clear(a[4:])
	}
	return a
}

func (g *gen) prefix() pfx {
	a := g.addr()
	var n int
	switch x := g.r.IntN(10); {
	case x == 0:
		n = g.r.IntN(g.width() + 1)
	case x < 4:
		n = g.width() - g.r.IntN(9)
	default:
		n = 8 + g.r.IntN(g.width()-7)
	}
	return pfx{mask(a, n), n}
}

func lookup(root *Slot, sv uint64, a [16]byte, is6 bool) uint32 {
	if is6 {
		return Lookup6(root, sv, &a)
	}
	return Lookup4(root, sv, binary.BigEndian.Uint32(a[:4]))
}

// TestVersions builds versions with random batches and checks that every
// version whose chains the writer keeps answers lookups, gets and walks
// exactly as its reference snapshot, and that the version before those
// answers right or asks for a retry, never wrongly.
func TestVersions(t *testing.T) {
	for _, is6 := range []bool{false, true} {
		t.Run(fmt.Sprintf("ipv6=%v", is6), func(t *testing.T) {
			g := newGen(5, is6)
			var wr Writer
			var root Slot
			hist := []refTrie{{}} // hist[v]: the reference at version v
			leaf := uint32(0)
			retries := 0
			for ver := uint64(1); ver <= 420; ver++ {
				// A walk of version 299 pins the chains from 300 to 339.
				pinned := ver >= 300 && ver < 340
				wr.Begin(ver, pinned)
				cur := maps.Clone(hist[ver-1])
				have := slices.SortedFunc(maps.Keys(cur), cmpPfx)
				for range 1 + g.r.IntN(6) {
					if len(have) > 0 && g.r.IntN(3) == 0 {
						p := have[g.r.IntN(len(have))]
						if got, want := wr.Delete(&root, &p.key, p.bits), cur[p]; got != want {
							t.Fatalf("v%d: Delete(%v/%d) = %x, want %x", ver, p.key, p.bits, got, want)
						}
						delete(cur, p)
						continue
					}
					p := g.prefix()
					leaf++
					l := Leaf(leaf, p.bits)
					if got, want := wr.Insert(&root, &p.key, p.bits, l), cur[p]; got != want {
						t.Fatalf("v%d: Insert(%v/%d) = %x, want %x", ver, p.key, p.bits, got, want)
					}
					cur[p] = l
				}
				hist = append(hist, cur)
				kept := []uint64{ver}
				for sv := ver - 1; sv >= 1 && sv+2 >= ver; sv-- {
					kept = append(kept, sv)
				}
				if pinned {
					kept = append(kept, 299)
				}
				for _, sv := range kept {
					checkVersion(t, &root, sv, hist[sv], g, is6, ver%25 == 0)
				}
				if ver > 3 && !pinned {
					old := hist[ver-3]
					for range 50 {
						a := g.addr()
						got := lookup(&root, ver-3, a, is6)
						if got == Retry {
							retries++
						} else if want := old.lookup(a); got != want {
							t.Fatalf("v%d: lookup at v%d of %v = %x, want %x or Retry", ver, ver-3, a, got, want)
						}
					}
				}
			}
			if retries == 0 {
				t.Errorf("no lookup at a cut version asked for a retry: are chains ever cut?")
			}
		})
	}
}

func cmpPfx(a, b pfx) int {
	if c := slices.Compare(a.key[:], b.key[:]); c != 0 {
		return c
	}
	return cmp.Compare(a.bits, b.bits)
}

// checkVersion compares lookups of version sv below root with ref and,
// if full, every Get and a Walk.
func checkVersion(t *testing.T, root *Slot, sv uint64, ref refTrie, g *gen, is6, full bool) {
	t.Helper()
	for range 40 {
		a := g.addr()
		if got, want := lookup(root, sv, a, is6), ref.lookup(a); got != want {
			t.Fatalf("lookup at v%d of %v = %x, want %x", sv, a, got, want)
		}
	}
	if !full {
		return
	}
	for p, l := range ref {
		if got := Get(root, sv, &p.key, p.bits); got != l {
			t.Fatalf("Get at v%d of %v/%d = %x, want %x", sv, p.key, p.bits, got, l)
		}
		a := p.key
		if got, want := lookup(root, sv, a, is6), ref.lookup(a); got != want {
			t.Fatalf("lookup at v%d of %v = %x, want %x", sv, a, got, want)
		}
	}
	var walked []pfx
	Walk(root, sv, func(key *[16]byte, bits int, leaf uint32) bool {
		p := pfx{*key, bits}
		if ref[p] != leaf {
			t.Fatalf("Walk at v%d yields %v/%d = %x, want %x", sv, key, bits, leaf, ref[p])
		}
		walked = append(walked, p)
		return true
	})
	if len(walked) != len(ref) {
		t.Fatalf("Walk at v%d yields %d prefixes, want %d", sv, len(walked), len(ref))
	}
	if !slices.IsSortedFunc(walked, cmpPfx) {
		t.Fatalf("Walk at v%d is not in address order, shorter first", sv)
	}
}

// TestInlineEdits checks that adding, dropping and changing an inline
// prefix, and turning one into a child node and back, by editing the runs
// gives the same node, word for word, as decoding and encoding it.
func TestInlineEdits(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	wr := Writer{ver: 1}
	checked := [5]int{}
	for iter := range 4000 {
		// a sparse node at depth 1 below 10.0.0.0/8 or 2001:db8::/32
		is6 := iter%3 == 0
		var path [16]byte
		path[0] = 10
		if is6 {
			path = [16]byte{0x20, 0x01, 0x0d, 0xb8}
		}
		var items []Item
		for range 1 + r.IntN(12) {
			k := path
			k[1], k[2], k[9] = byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))
			bits := 9 + r.IntN(8)
			switch r.IntN(4) {
			case 0:
				bits = 17 + r.IntN(8) // below a slot, often one of a few: a child node
				k[1] = byte(r.IntN(4))
			case 1:
				if is6 {
					bits = 65 + r.IntN(60) // below a slot, a wide key
				}
			}
			k = mask(k, bits)
			items = append(items, Item{Key: k, Bits: uint8(bits), Leaf: Leaf(uint32(len(items)+1), bits)})
		}
		c, _ := wr.build(items, make([]Item, len(items)), 1)
		n := c.n
		if kindOf(n) != kindSparse {
			continue
		}
		m := n.word(wMeta)
		s := uint8(r.IntN(256))
		if ch := children(n, nil); len(ch) > 0 && r.IntN(2) == 0 {
			s = ch[r.IntN(len(ch))].slot
		}
		key := path
		key[1], key[2] = s, byte(r.IntN(256))
		bits := 17 + r.IntN(8)
		key = mask(key, bits)
		switch e := n.entry(m, uint(s)); e & 0xff {
		case kidMark:
			if m&4 != 0 || is6 {
				continue
			}
			c := inlineChild(s, &key, bits, Leaf(55, bits))
			slow := wr.replaceChild(n, 1, &key, c).n
			if kindOf(slow) == kindSparse {
				sameNode(t, fmt.Sprintf("%d: the child node at %d made inline", iter, s), wr.kidToInline(n, m, uint(s), &c), slow)
				checked[3]++
			}
		case inlineMark:
			off := recOff(e)
			rec := n.record(m, off, s)
			var k [16]byte
			recKey(&rec, &k)
			if m&4 == 0 && r.IntN(3) == 0 {
				k2 := k
				k2[7] ^= 1
				c := wr.double(&k, LeafBits(rec.leaf), rec.leaf, &k2, 64, Leaf(66, 64))
				fast := wr.inlineToKid(n, m, uint(s), c)
				slow := wr.replaceChild(n, 1, &k, child{n: c, slot: s}).n
				sameNode(t, fmt.Sprintf("%d: the prefix at %d below a child node", iter, s), fast, slow)
				checked[4]++
				continue
			}
			if r.IntN(2) == 0 {
				leaf := Leaf(99, LeafBits(rec.leaf))
				fast := wr.setRecordLeaf(n, m, off, leaf)
				slow := wr.replaceChild(n, 1, &k, inlineChild(s, &k, LeafBits(rec.leaf), leaf)).n
				sameNode(t, fmt.Sprintf("%d: leaf of the prefix at %d", iter, s), fast, slow)
				checked[0]++
				continue
			}
			slow := wr.withoutChild(n, 1, &k).n
			if kindOf(slow) == kindSparse && m&4 == 0 {
				sameNode(t, fmt.Sprintf("%d: drop the prefix at %d", iter, s), wr.dropInline(n, m, uint(s)), slow)
				checked[1]++
			}
		default:
			if m&4 == 0 && is6 && r.IntN(2) == 0 {
				continue
			}
			c := inlineChild(s, &key, bits, Leaf(77, bits))
			sameNode(t, fmt.Sprintf("%d: add a prefix at %d", iter, s), wr.addInline(n, m, &c), wr.withChild(n, 1, c))
			checked[2]++
		}
	}
	for i, what := range []string{"changed", "dropped", "added", "made from child nodes", "made child nodes"} {
		if checked[i] < 100 {
			t.Errorf("only %d inline prefixes %s", checked[i], what)
		}
	}
}

func sameNode(t *testing.T, what string, a, b *Node) {
	t.Helper()
	if !slices.Equal(a.words(a.size()), b.words(b.size())) {
		t.Fatalf("%s: edited %x, encoded %x", what, a.words(a.size()), b.words(b.size()))
	}
	for k := range metaKids(a.word(wMeta)) {
		if a.kid(k).p.Load() != b.kid(k).p.Load() {
			t.Fatalf("%s: child node %d differs", what, k)
		}
	}
}

// TestAtomicLayout checks what Slot.init and Node.initPrev rely on: an
// atomic.Pointer is nothing but its pointer.
func TestAtomicLayout(t *testing.T) {
	var p atomic.Pointer[Node]
	if unsafe.Sizeof(p) != unsafe.Sizeof(unsafe.Pointer(nil)) {
		t.Fatalf("atomic.Pointer takes %d bytes, a pointer %d", unsafe.Sizeof(p), unsafe.Sizeof(unsafe.Pointer(nil)))
	}
	var s Slot
	n := newNode(2, false)
	s.init(n)
	if s.p.Load() != n {
		t.Fatal("Slot.init did not store the node")
	}
	n.initPrev(empty)
	if n.prev.Load() != empty {
		t.Fatal("Node.initPrev did not store the link")
	}
}

// TestEmptiedSlotIsKept checks that a node owning prefixes keeps the child
// slot of a slot whose prefixes below it were all deleted, so that a
// prefix coming and going below it changes that slot and leaves the node
// as it is, and that the node drops the slot when it is next encoded.
func TestEmptiedSlotIsKept(t *testing.T) {
	var wr Writer
	var root Slot
	ver := uint64(0)
	begin := func() { ver++; wr.Begin(ver, false) }
	key := func(b1, b2, b3 byte) *[16]byte { return &[16]byte{10, b1, b2, b3} }
	for i := range 32 { // 10.1.0.0/24 … 10.1.31.0/24, owned by the node below 10.1
		begin()
		wr.Insert(&root, key(1, byte(i), 0), 24, Leaf(uint32(i+1), 24))
	}
	below := func(n *Node, s uint) *Node {
		if n == nil {
			return nil
		}
		m := n.word(wMeta)
		switch m & kindMask {
		case kindDense:
			return n.kid(s).p.Load()
		case kindSparse:
			if e := n.entry(m, s); e&0xff == kidMark {
				return n.kid(uint(e >> 8)).p.Load()
			}
		}
		return nil
	}
	node := func() *Node { return below(below(root.p.Load(), 10), 1) }
	lookup := func(b2, b3 byte) uint32 { return Lookup4(&root, ver, binary.BigEndian.Uint32([]byte{10, 1, b2, b3})) }
	if n := node(); kindOf(n) != kindSparse || metaKids(n.word(wMeta)) != 0 {
		t.Fatalf("the node below 10.1 is not a sparse node without children")
	}

	const slash25 = 1000
	begin()
	wr.Insert(&root, key(1, 5, 128), 25, Leaf(slash25, 25))
	begin()
	if old := wr.Delete(&root, key(1, 5, 128), 25); old != Leaf(slash25, 25) {
		t.Fatalf("Delete(10.1.5.128/25) = %x", old)
	}
	n := node()
	if e := n.entry(n.word(wMeta), 5); e&0xff != kidMark || kindOf(below(n, 5)) != kindEmpty {
		t.Fatalf("after the /25 below 10.1.5.0/24 was deleted, slot 5 holds %#x, want a child slot holding an empty node", e)
	}
	for i := range 100 {
		begin()
		wr.Insert(&root, key(1, 5, 128), 25, Leaf(slash25, 25))
		if l := lookup(5, 200); l != Leaf(slash25, 25) {
			t.Fatalf("round %d: 10.1.5.200 -> %x with the /25, want %x", i, l, Leaf(slash25, 25))
		}
		begin()
		wr.Delete(&root, key(1, 5, 128), 25)
		if l := lookup(5, 200); l != Leaf(6, 24) {
			t.Fatalf("round %d: 10.1.5.200 -> %x without the /25, want %x", i, l, Leaf(6, 24))
		}
		if node() != n {
			t.Fatalf("round %d: the /25 coming and going copied the node that owns 10.1.5.0/24", i)
		}
	}

	begin()
	wr.Delete(&root, key(1, 7, 0), 24) // encodes the node anew
	n = node()
	if e := n.entry(n.word(wMeta), 5); e&0xff == kidMark || metaKids(n.word(wMeta)) != 0 {
		t.Errorf("after the node was encoded anew, slot 5 holds %#x and the node %d children, want neither", e, metaKids(n.word(wMeta)))
	}
	if l := lookup(5, 200); l != Leaf(6, 24) {
		t.Errorf("10.1.5.200 -> %x, want %x", l, Leaf(6, 24))
	}
}
