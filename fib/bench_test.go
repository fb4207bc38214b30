package fib

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gaissmai/bart"
	"github.com/yl2chen/cidranger"
)

// The benchmarks put Table beside bart.Table, bart.Fast and cidranger on
// the same tables and addresses, so `make bench-fib` can print ratios.
// Names are Benchmark<What>/<workload>/size=<n>/impl=<impl>.

var benchSizes = []int{10, 1_000, 100_000, 1_000_000}

// impls in the order the report prints them; fib first. The lookup
// benchmarks add fib.Lookup: fib's Lookup, which also returns the
// matched prefix, on fib's table (impl fib is LookupValue).
var benchImpls = []string{"fib", "bart", "bartfast", "cidranger"}

// routingTable returns n distinct IPv4 prefixes with the length mix of an
// Internet routing table (about 60% /24, most of the rest /16–/23, a few
// shorter and longer), spread over unicast space. The seed is fixed.
func routingTable(n int) []netip.Prefix {
	r := rand.New(rand.NewPCG(2026, uint64(n)))
	seen := make(map[netip.Prefix]struct{}, n)
	out := make([]netip.Prefix, 0, n)
	for len(out) < n {
		var bits int
		switch x := r.IntN(100); {
		case x < 58:
			bits = 24
		case x < 70:
			bits = 23
		case x < 80:
			bits = 22
		case x < 86:
			bits = 21
		case x < 90:
			bits = 20
		case x < 93:
			bits = 19
		case x < 95:
			bits = 16
		case x < 97:
			bits = 17 + r.IntN(2)
		case x < 98:
			bits = 8 + r.IntN(8)
		default:
			bits = 25 + r.IntN(8)
		}
		a := r.Uint32()&0x00ffffff | uint32(1+r.IntN(223))<<24
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}), bits).Masked()
		if _, dup := seen[p]; !dup {
			seen[p] = struct{}{}
			out = append(out, p)
		}
	}
	return out
}

// benchTables is one table size built once for every implementation.
type benchTables struct {
	prefixes []netip.Prefix
	random   []netip.Addr // addresses inside random prefixes of the table
	randomIP []net.IP     // the same, for cidranger
	hot      []netip.Addr // a few addresses, looked up over and over
	hotIP    []net.IP
	fresh    []netip.Prefix // not in the table, for insert+delete

	fib  *Table[int]
	bart *bart.Table[int]
	fast *bart.Fast[int]
	cr   cidranger.Ranger

	built map[string]bool
}

// buildCost is what the first build of a table of one size took, per prefix.
type buildCost struct{ bytes, ns float64 }

// build builds the table of impl unless it exists. The first build of a
// size measures its heap growth and time per prefix over enough copies of
// the table to hold 100,000 prefixes (at most 1,000 copies), so that a
// table of ten prefixes is not measured by the bytes and nanoseconds of
// one build.
func (bt *benchTables) build(b *testing.B, impl string) {
	b.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	if bt.built[impl] {
		return
	}
	bt.built[impl] = true
	n := len(bt.prefixes)
	key := fmt.Sprint(n, impl)
	if _, measured := buildCosts[key]; measured {
		bt.buildOne(b, impl)
		return
	}
	made := []*benchTables{bt} // bt and copies
	for len(made) < max(1, min(1000, 100_000/n)) {
		made = append(made, &benchTables{prefixes: bt.prefixes})
	}
	before := heapInUse()
	start := time.Now()
	for _, t := range made {
		t.buildOne(b, impl)
	}
	took := time.Since(start)
	grew := heapInUse() - before
	runtime.KeepAlive(made)
	total := float64(n * len(made))
	buildCosts[key] = buildCost{bytes: float64(grew) / total, ns: float64(took.Nanoseconds()) / total}
}

// buildOne builds the table of impl in t.
func (t *benchTables) buildOne(b *testing.B, impl string) {
	switch impl {
	case "fib":
		t.fib = new(Table[int])
		var batch Batch[int]
		for i, p := range t.prefixes {
			batch.Insert(p, i)
		}
		t.fib.Apply(&batch)
	case "bart":
		t.bart = new(bart.Table[int])
		for i, p := range t.prefixes {
			t.bart.Insert(p, i)
		}
	case "bartfast":
		t.fast = new(bart.Fast[int])
		for i, p := range t.prefixes {
			t.fast.Insert(p, i)
		}
	case "cidranger":
		t.cr = cidranger.NewPCTrieRanger()
		for _, p := range t.prefixes {
			_, ipn, _ := net.ParseCIDR(p.String())
			if err := t.cr.Insert(cidranger.NewBasicRangerEntry(*ipn)); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// The benchmarks keep the tables of one size at a time, so that what one
// size measures, the random lookups in particular, does not depend on the
// tables of the other sizes around it in the heap.
var (
	benchMu    sync.Mutex
	benchSize  *benchTables             // the tables of the size asked for last
	buildCosts = map[string]buildCost{} // by "size impl"
)

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func costOf(n int, impl string) (buildCost, bool) {
	benchMu.Lock()
	defer benchMu.Unlock()
	c, ok := buildCosts[fmt.Sprint(n, impl)]
	return c, ok
}

// tables returns the tables of size n with impl built.
func tables(b *testing.B, n int, impl string) *benchTables {
	bt := sizeTables(b, n)
	bt.build(b, impl)
	return bt
}

// sizeTables returns the prefixes and addresses of size n, and the
// tables of that size built so far, letting go of those of another size.
func sizeTables(b *testing.B, n int) *benchTables {
	b.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	if bt := benchSize; bt != nil && len(bt.prefixes) == n {
		return bt
	}
	benchSize = nil
	runtime.GC()
	bt := &benchTables{prefixes: routingTable(n), built: map[string]bool{}}
	r := rand.New(rand.NewPCG(7, uint64(n)))
	inside := func() netip.Addr {
		p := bt.prefixes[r.IntN(len(bt.prefixes))]
		b := p.Addr().As4()
		x := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		if p.Bits() < 32 {
			x |= r.Uint32() & (1<<(32-p.Bits()) - 1)
		}
		return netip.AddrFrom4([4]byte{byte(x >> 24), byte(x >> 16), byte(x >> 8), byte(x)})
	}
	for range 1 << 16 {
		a := inside()
		bt.random = append(bt.random, a)
		bt.randomIP = append(bt.randomIP, net.IP(a.AsSlice()))
	}
	// /25s and /27s inside the table's routes: new prefixes below existing
	// routes, as a router would learn them.
	in := make(map[netip.Prefix]bool, n)
	for _, p := range bt.prefixes {
		in[p] = true
	}
	for i, p := range bt.prefixes[:min(n, 1024)] {
		q := netip.PrefixFrom(p.Addr(), 25+2*(i&1))
		if q.Bits() > p.Bits() && !in[q] {
			bt.fresh = append(bt.fresh, q)
		}
	}
	for range 16 {
		a := inside()
		bt.hot = append(bt.hot, a)
		bt.hotIP = append(bt.hotIP, net.IP(a.AsSlice()))
	}
	benchSize = bt
	return bt
}

var sink int

// BenchmarkUpdate inserts a new prefix into the table and deletes it again;
// one op is the pair.
func BenchmarkUpdate(b *testing.B) {
	for _, n := range benchSizes {
		for _, impl := range benchImpls {
			b.Run(fmt.Sprintf("insert+delete/size=%d/impl=%s", n, impl), func(b *testing.B) {
				bt := tables(b, n, impl)
				fresh := bt.fresh
				nets := make([]net.IPNet, len(fresh))
				for i, q := range fresh {
					_, ipn, _ := net.ParseCIDR(q.String())
					nets[i] = *ipn
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					j := i % len(fresh)
					q := fresh[j]
					switch impl {
					case "fib":
						bt.fib.Insert(q, i)
						bt.fib.Delete(q)
					case "bart":
						bt.bart.Insert(q, i)
						bt.bart.Delete(q)
					case "bartfast":
						bt.fast.Insert(q, i)
						bt.fast.Delete(q)
					case "cidranger":
						if err := bt.cr.Insert(cidranger.NewBasicRangerEntry(nets[j])); err != nil {
							b.Fatal(err)
						}
						if _, err := bt.cr.Remove(nets[j]); err != nil {
							b.Fatal(err)
						}
					}
				}
			})
		}
	}
}

func BenchmarkLookup(b *testing.B) {
	impls := append([]string{"fib", "fib.Lookup"}, benchImpls[1:]...)
	for _, n := range benchSizes { // by size first: see sizeTables
		for _, workload := range []string{"random", "hot"} {
			for _, impl := range impls {
				b.Run(fmt.Sprintf("%s/size=%d/impl=%s", workload, n, impl), func(b *testing.B) {
					bt := tables(b, n, strings.TrimSuffix(impl, ".Lookup"))
					addrs, ips := bt.random, bt.randomIP
					if workload == "hot" {
						addrs, ips = bt.hot, bt.hotIP
					}
					mask := len(addrs) - 1
					b.ReportAllocs()
					b.ResetTimer()
					switch impl {
					case "fib":
						for i := 0; i < b.N; i++ {
							v, ok := bt.fib.LookupValue(addrs[i&mask]) // value only, as bart's Lookup
							if !ok {
								b.Fatal("no match")
							}
							sink += v
						}
					case "fib.Lookup":
						for i := 0; i < b.N; i++ {
							v, p, ok := bt.fib.Lookup(addrs[i&mask])
							if !ok {
								b.Fatal("no match")
							}
							sink += v + p.Bits()
						}
					case "bart":
						for i := 0; i < b.N; i++ {
							v, ok := bt.bart.Lookup(addrs[i&mask])
							if !ok {
								b.Fatal("no match")
							}
							sink += v
						}
					case "bartfast":
						for i := 0; i < b.N; i++ {
							v, ok := bt.fast.Lookup(addrs[i&mask])
							if !ok {
								b.Fatal("no match")
							}
							sink += v
						}
					case "cidranger":
						for i := 0; i < b.N; i++ {
							nets, err := bt.cr.ContainingNetworks(ips[i&mask])
							if err != nil || len(nets) == 0 {
								b.Fatal("no match")
							}
							sink += len(nets[len(nets)-1].Network().IP)
						}
					}
				})
			}
		}
	}
}

// BenchmarkBuild reports the memory and build time per prefix measured
// when the tables of each size were first built (fib from one Batch with
// Apply, the others with Insert). Its ns/op is meaningless.
func BenchmarkBuild(b *testing.B) {
	for _, n := range benchSizes {
		for _, impl := range benchImpls {
			b.Run(fmt.Sprintf("table/size=%d/impl=%s", n, impl), func(b *testing.B) {
				c, ok := costOf(n, impl)
				if !ok {
					tables(b, n, impl)
					c, _ = costOf(n, impl)
				}
				for range b.N {
				}
				b.ReportMetric(c.bytes, "B/prefix")
				b.ReportMetric(c.ns, "ns/prefix")
			})
		}
	}
}
