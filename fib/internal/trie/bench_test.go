package trie

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkInsertDelete inserts a /25 below a /24 of a node holding 17
// other /24s and deletes it again, in a trie of 223 such nodes: the
// writer's work per update pair without a large heap around it.
func BenchmarkInsertDelete(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	var wr Writer
	var root Slot
	wr.Begin(1, false)
	var items []Item
	for i := range 223 * 18 {
		var k [16]byte
		k[0], k[2] = byte(1+i%223), byte(r.IntN(256))
		items = append(items, Item{Key: k, Bits: 24, Leaf: Leaf(uint32(i+1), 24)})
	}
	n, _ := wr.Build(items)
	wr.Set(&root, n)
	keys := make([][16]byte, 1024)
	for i := range keys {
		keys[i] = items[r.IntN(len(items))].Key
	}
	b.ReportAllocs()
	ver := uint64(1)
	for i := 0; i < b.N; i++ {
		k := &keys[i&1023]
		ver++
		wr.Begin(ver, false)
		wr.Insert(&root, k, 25, Leaf(1, 25))
		ver++
		wr.Begin(ver, false)
		wr.Delete(&root, k, 25)
	}
}
