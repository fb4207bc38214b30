package trie

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestDirectMatchesTrie checks that the IPv4 direct index answers as the
// trie does, after incremental updates and after a bulk build.
func TestDirectMatchesTrie(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var root Node
	var d Direct4
	type pfx struct {
		a    uint32
		bits int
	}
	var have []pfx
	key := func(p pfx) *[16]byte {
		var k [16]byte
		binary.BigEndian.PutUint32(k[:], p.a)
		return &k
	}
	rnd := func() pfx {
		bits := r.IntN(33)
		a := uint32(10)<<24 | r.Uint32()&0x0003ffff | r.Uint32()&0x3<<20
		if bits < 32 {
			a &^= 1<<(32-bits) - 1
		}
		return pfx{a, bits}
	}
	check := func(step int) {
		t.Helper()
		for range 200 {
			a := uint32(10)<<24 | r.Uint32()&0x003fffff
			if r.IntN(8) == 0 {
				a = r.Uint32()
			}
			if got, want := LookupDirect4(&d, a), Lookup4(&root, a); got != want {
				t.Fatalf("step %d: LookupDirect4(%08x) = %x, Lookup4 = %x", step, a, got, want)
			}
		}
	}
	for i := range 3000 {
		p := rnd()
		lo, hi := int(p.a>>24), int(p.a>>24)+1
		if p.bits < 8 {
			hi = lo + 1<<(8-p.bits)
		}
		if r.IntN(3) == 0 && len(have) > 0 {
			p = have[r.IntN(len(have))]
			lo, hi = int(p.a>>24), int(p.a>>24)+1
			if p.bits < 8 {
				hi = lo + 1<<(8-p.bits)
			}
			var ok bool
			root, _, ok = Delete(&root, key(p), p.bits)
			if !ok {
				t.Fatalf("Delete(%08x/%d) = false for a present prefix", p.a, p.bits)
			}
			have = slices.DeleteFunc(have, func(q pfx) bool { return q == p })
		} else {
			var old uint32
			root, old = Insert(&root, key(p), p.bits, Leaf(uint32(i+1), p.bits))
			if old == 0 {
				have = append(have, p)
			}
		}
		d = d.Update(&root, lo, hi)
		if i%100 == 0 {
			check(i)
		}
	}
	check(-1)
	// A bulk build of the same prefixes answers the same.
	var items []Item
	Walk(&root, func(k *[16]byte, bits int, leaf uint32) bool {
		items = append(items, Item{Key: *k, Bits: uint8(bits), Leaf: leaf})
		return true
	})
	if len(items) != len(have) {
		t.Fatalf("Walk yields %d prefixes, want %d", len(items), len(have))
	}
	slices.SortFunc(items, func(a, b Item) int {
		if c := slices.Compare(a.Key[:], b.Key[:]); c != 0 {
			return c
		}
		return int(a.Bits) - int(b.Bits)
	})
	built := Build(items)
	bd := BuildDirect4(&built)
	for range 2000 {
		a := uint32(10)<<24 | r.Uint32()&0x003fffff
		if got, want := LookupDirect4(&bd, a), Lookup4(&root, a); got != want {
			t.Fatalf("built: LookupDirect4(%08x) = %x, Lookup4 of the updated trie = %x", a, got, want)
		}
		if got, want := Lookup4(&built, a), Lookup4(&root, a); got != want {
			t.Fatalf("built: Lookup4(%08x) = %x, Lookup4 of the updated trie = %x", a, got, want)
		}
	}
}
