package fib

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
)

// TestApplyAtomic applies batches that replace one set of routes over
// 198.18.0.0/15 with another while readers look up addresses there. Batch
// k holds shape k%2, every route with value k; both shapes cover every
// probe, with different prefixes. A reader must get a route for every
// probe, the prefix shape k%2 gives it, and versions that never go back;
// a walk must see one shape whole, with one value. A reader that saw half
// a batch would see a probe without a route, a prefix of the other shape,
// or a value older than one it saw before.
func TestApplyAtomic(t *testing.T) {
	for _, tc := range []struct {
		name       string
		background int // other routes: with many, a batch is applied change by change
	}{
		{"incremental", 2000},
		{"rebuild", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, 3))
			shapes := [2][]netip.Prefix{randomShape(r, mp("198.18.0.0/15")), randomShape(r, mp("198.18.0.0/16"), mp("198.19.0.0/16"))}
			var probes []netip.Addr
			for range 64 {
				b := [4]byte{198, 18 | byte(r.IntN(2)), byte(r.IntN(256)), byte(r.IntN(256))}
				probes = append(probes, netip.AddrFrom4(b))
			}
			var want [2][]netip.Prefix // per shape, per probe
			inShape := [2]map[netip.Prefix]bool{{}, {}}
			for s, shape := range shapes {
				var ref refTable[int]
				for _, p := range shape {
					ref.Insert(p, 0)
					inShape[s][p] = true
				}
				for _, a := range probes {
					_, p, ok := ref.Lookup(a)
					if !ok {
						t.Fatalf("shape %d does not cover %v", s, a)
					}
					want[s] = append(want[s], p)
				}
			}

			var tb Table[int]
			g := newGen(4, false)
			for tb.Len() < tc.background {
				if p := g.prefix(); !p.Overlaps(mp("198.18.0.0/15")) {
					tb.Insert(p, -1)
				}
			}
			apply := func(k int) {
				var b Batch[int]
				for _, p := range shapes[(k+1)%2] {
					if !inShape[k%2][p] {
						b.Delete(p)
					}
				}
				for _, p := range shapes[k%2] {
					b.Insert(p, k)
				}
				tb.Apply(&b)
			}
			apply(2)

			const batches = 800
			var done atomic.Bool
			var wg sync.WaitGroup
			var seen [2]atomic.Int64 // versions readers saw change
			for rd := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rr := rand.New(rand.NewPCG(uint64(rd), 1))
					last := 0
					for i := 0; !done.Load(); i++ {
						j := rr.IntN(len(probes))
						k, p, ok := tb.Lookup(probes[j])
						if !ok || k < 2 {
							t.Errorf("Lookup(%v) = %v, %v, %v: no route of a batch", probes[j], k, p, ok)
							return
						}
						if p != want[k%2][j] {
							t.Errorf("Lookup(%v) = value %d with prefix %v, want %v of shape %d", probes[j], k, p, want[k%2][j], k%2)
							return
						}
						if k < last {
							t.Errorf("Lookup(%v) = value %d after a lookup returned %d", probes[j], k, last)
							return
						}
						if k > last {
							seen[rd].Add(1)
						}
						last = k
						if v, ok := tb.LookupValue(probes[j]); !ok || v < last {
							t.Errorf("LookupValue(%v) = %d, %v after a lookup returned %d", probes[j], v, ok, last)
							return
						}
						if i%512 == 0 {
							if err := checkWalk(&tb, shapes, &last); err != nil {
								t.Error(err)
								return
							}
						}
					}
				}()
			}
			for k := 3; k < 3+batches; k++ {
				apply(k)
			}
			done.Store(true)
			wg.Wait()
			for rd := range seen {
				if seen[rd].Load() < 2 {
					t.Errorf("reader %d saw %d versions change: the readers did not overlap the batches", rd, seen[rd].Load())
				}
			}
		})
	}
}

// checkWalk walks tb and checks that its routes in 198.18.0.0/15 are one
// shape with one value, not older than *last, which it advances.
func checkWalk(tb *Table[int], shapes [2][]netip.Prefix, last *int) error {
	k, n := -1, 0
	var bad error
	tb.Walk(func(p netip.Prefix, v int) bool {
		if !p.Overlaps(mp("198.18.0.0/15")) {
			return true
		}
		if k == -1 {
			k = v
		}
		if v != k {
			bad = fmt.Errorf("Walk yields %v = %d beside routes of value %d", p, v, k)
			return false
		}
		n++
		return true
	})
	switch {
	case bad != nil:
		return bad
	case k < *last:
		return fmt.Errorf("Walk sees value %d after a lookup returned %d", k, *last)
	case n != len(shapes[k%2]):
		return fmt.Errorf("Walk yields %d routes of value %d, shape %d has %d", n, k, k%2, len(shapes[k%2]))
	}
	*last = k
	return nil
}

// randomShape returns the covering prefixes and 40 random longer prefixes
// inside them.
func randomShape(r *rand.Rand, cover ...netip.Prefix) []netip.Prefix {
	seen := map[netip.Prefix]bool{}
	out := append([]netip.Prefix(nil), cover...)
	for _, p := range cover {
		seen[p] = true
	}
	for len(out) < len(cover)+40 {
		c := cover[r.IntN(len(cover))]
		b := c.Addr().As4()
		x := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]) | r.Uint32()&(1<<(32-c.Bits())-1)
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(x >> 24), byte(x >> 16), byte(x >> 8), byte(x)}), c.Bits()+1+r.IntN(32-c.Bits())).Masked()
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// TestBatchReset reuses a batch of several chunks after Reset: Apply must
// see only the changes made since.
func TestBatchReset(t *testing.T) {
	c := &pair{t: t}
	g := newGen(12, false)
	var b Batch[int]
	for round := range 3 {
		b.Reset()
		if b.Len() != 0 {
			t.Fatalf("Len() after Reset = %d, want 0", b.Len())
		}
		n := []int{9000, 5, 7000}[round] // several chunks, one, several
		for i := range n {
			p := g.prefix()
			if i%5 == 4 {
				b.Delete(p)
				c.ref.Delete(p)
			} else {
				b.Insert(p, 100*round+i)
				c.ref.Insert(p, 100*round+i)
			}
		}
		if b.Len() != n {
			t.Fatalf("round %d: Len() = %d, want %d", round, b.Len(), n)
		}
		c.fib.Apply(&b)
		c.full()
	}
}
