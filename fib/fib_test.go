package fib

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"weak"

	"github.com/yl2chen/cidranger"
)

var (
	mp = netip.MustParsePrefix
	ma = netip.MustParseAddr
)

func TestLookupEdgeCases(t *testing.T) {
	type op struct {
		insert, delete netip.Prefix
		v              int
	}
	tests := []struct {
		name   string
		ops    []op
		addr   netip.Addr
		want   int
		wantP  netip.Prefix
		wantOK bool
	}{
		{name: "empty", addr: ma("10.0.0.1")},
		{name: "default v4", ops: []op{{insert: mp("0.0.0.0/0"), v: 1}}, addr: ma("203.0.113.9"), want: 1, wantP: mp("0.0.0.0/0"), wantOK: true},
		{name: "default v6", ops: []op{{insert: mp("::/0"), v: 2}}, addr: ma("2001:db8::1"), want: 2, wantP: mp("::/0"), wantOK: true},
		{name: "v4 default does not match v6", ops: []op{{insert: mp("0.0.0.0/0"), v: 1}}, addr: ma("2001:db8::1")},
		{name: "v4-mapped v6 matches v6 only", ops: []op{{insert: mp("10.0.0.0/8"), v: 1}}, addr: ma("::ffff:10.1.2.3")},
		{name: "zoned v6 matches nothing", ops: []op{{insert: mp("::/0"), v: 1}}, addr: ma("fe80::1%eth0")},
		{name: "invalid addr", ops: []op{{insert: mp("0.0.0.0/0"), v: 1}}, addr: netip.Addr{}},
		{name: "host route /32", ops: []op{{insert: mp("10.0.0.0/8"), v: 1}, {insert: mp("10.1.2.3/32"), v: 2}}, addr: ma("10.1.2.3"), want: 2, wantP: mp("10.1.2.3/32"), wantOK: true},
		{name: "beside host route", ops: []op{{insert: mp("10.0.0.0/8"), v: 1}, {insert: mp("10.1.2.3/32"), v: 2}}, addr: ma("10.1.2.2"), want: 1, wantP: mp("10.0.0.0/8"), wantOK: true},
		{name: "host route /128", ops: []op{{insert: mp("2001:db8::/32"), v: 1}, {insert: mp("2001:db8::7/128"), v: 2}}, addr: ma("2001:db8::7"), want: 2, wantP: mp("2001:db8::7/128"), wantOK: true},
		{name: "unmasked insert", ops: []op{{insert: mp("10.0.1.7/24"), v: 3}}, addr: ma("10.0.1.200"), want: 3, wantP: mp("10.0.1.0/24"), wantOK: true},
		{name: "replace", ops: []op{{insert: mp("10.0.0.0/16"), v: 1}, {insert: mp("10.0.0.0/16"), v: 9}}, addr: ma("10.0.3.4"), want: 9, wantP: mp("10.0.0.0/16"), wantOK: true},
		{name: "delete falls back", ops: []op{{insert: mp("10.0.0.0/8"), v: 1}, {insert: mp("10.0.0.0/24"), v: 2}, {delete: mp("10.0.0.0/24")}}, addr: ma("10.0.0.1"), want: 1, wantP: mp("10.0.0.0/8"), wantOK: true},
		{name: "delete default", ops: []op{{insert: mp("0.0.0.0/0"), v: 1}, {delete: mp("0.0.0.0/0")}}, addr: ma("10.0.0.1")},
		{name: "delete missing", ops: []op{{insert: mp("10.0.0.0/8"), v: 1}, {delete: mp("10.0.0.0/9")}}, addr: ma("10.0.0.1"), want: 1, wantP: mp("10.0.0.0/8"), wantOK: true},
		{name: "stride boundary /24 over /25", ops: []op{{insert: mp("192.0.2.0/24"), v: 1}, {insert: mp("192.0.2.128/25"), v: 2}}, addr: ma("192.0.2.1"), want: 1, wantP: mp("192.0.2.0/24"), wantOK: true},
		{name: "stride boundary /25", ops: []op{{insert: mp("192.0.2.0/24"), v: 1}, {insert: mp("192.0.2.128/25"), v: 2}}, addr: ma("192.0.2.200"), want: 2, wantP: mp("192.0.2.128/25"), wantOK: true},
		{name: "/16 pushed below /17s", ops: []op{{insert: mp("10.1.0.0/16"), v: 1}, {insert: mp("10.1.200.0/24"), v: 2}, {insert: mp("10.1.200.9/32"), v: 3}}, addr: ma("10.1.200.10"), want: 2, wantP: mp("10.1.200.0/24"), wantOK: true},
		{name: "short prefix inserted after long", ops: []op{{insert: mp("10.1.200.9/32"), v: 3}, {insert: mp("10.0.0.0/8"), v: 1}}, addr: ma("10.1.200.10"), want: 1, wantP: mp("10.0.0.0/8"), wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tb Table[int]
			for _, o := range tt.ops {
				if o.insert.IsValid() {
					tb.Insert(o.insert, o.v)
				} else {
					tb.Delete(o.delete)
				}
			}
			v, p, ok := tb.Lookup(tt.addr)
			if v != tt.want || p != tt.wantP || ok != tt.wantOK {
				t.Errorf("Lookup(%v) = %v, %v, %v, want %v, %v, %v", tt.addr, v, p, ok, tt.want, tt.wantP, tt.wantOK)
			}
		})
	}
}

func TestInvalidPrefix(t *testing.T) {
	var tb Table[int]
	tb.Insert(netip.Prefix{}, 1)
	if tb.Len() != 0 {
		t.Errorf("Len() after Insert(invalid) = %d, want 0", tb.Len())
	}
	if tb.Delete(netip.Prefix{}) {
		t.Errorf("Delete(invalid) = true, want false")
	}
	if _, ok := tb.Get(netip.Prefix{}); ok {
		t.Errorf("Get(invalid) ok = true, want false")
	}
}

func TestDifferential(t *testing.T) {
	for _, is6 := range []bool{false, true} {
		for seed := uint64(1); seed <= 6; seed++ {
			t.Run(fmt.Sprintf("ipv6=%v/seed=%d", is6, seed), func(t *testing.T) {
				c := &pair{t: t}
				g := newGen(seed, is6)
				other := newGen(seed+100, !is6) // a few routes of the other family
				for i := range 4000 {
					switch x := g.r.IntN(100); {
					case x < 40:
						c.insert(g.prefix(), i)
					case x < 45:
						c.insert(other.prefix(), i)
					case x < 60:
						if n := len(c.ref.routes); n > 0 && g.r.IntN(2) == 0 {
							c.delete(c.ref.routes[g.r.IntN(n)].p) // present
						} else {
							c.delete(g.prefix()) // mostly missing
						}
					case x < 65 && len(c.ref.routes) > 0:
						c.insert(c.ref.routes[g.r.IntN(len(c.ref.routes))].p, -i) // replace
					default:
						c.lookup(g.addr())
						c.get(g.prefix())
					}
					if i%500 == 0 {
						c.full()
					}
				}
				c.full()
				// drain
				for len(c.ref.routes) > 0 {
					c.delete(c.ref.routes[g.r.IntN(len(c.ref.routes))].p)
					c.lookup(g.addr())
				}
				c.full()
			})
		}
	}
}

// TestApply loads a table with one batch of inserts, replacements and
// deletions and compares it with the reference.
func TestApply(t *testing.T) {
	c := &pair{t: t}
	g4, g6 := newGen(7, false), newGen(8, true)
	for i := range 300 {
		c.insert(g4.prefix(), i)
		c.insert(g6.prefix(), i)
	}
	var b Batch[int]
	n := 0 // valid changes
	apply := func(p netip.Prefix, v int, del bool) {
		if p.IsValid() {
			n++
		}
		if del {
			b.Delete(p)
			c.ref.Delete(p)
		} else {
			b.Insert(p, v)
			c.ref.Insert(p, v)
		}
	}
	for i := range 3000 {
		apply(g4.prefix(), 1000+i, false)
		apply(g6.prefix(), 1000+i, false)
		if i%7 == 0 && len(c.ref.routes) > 0 {
			apply(c.ref.routes[g4.r.IntN(len(c.ref.routes))].p, 0, true)
		}
	}
	apply(mp("0.0.0.0/0"), 5, false)
	apply(mp("::/0"), 6, false)
	apply(netip.Prefix{}, 7, false)
	if b.Len() != n {
		t.Fatalf("Batch.Len() = %d, want %d (the invalid prefix is ignored)", b.Len(), n)
	}
	c.fib.Apply(&b)
	c.full()
	for range 2000 {
		c.lookup(g4.addr())
		c.lookup(g6.addr())
	}
}

func TestWalkStops(t *testing.T) {
	var tb Table[int]
	for i, p := range []string{"10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "2001:db8::/32"} {
		tb.Insert(mp(p), i)
	}
	n := 0
	tb.Walk(func(netip.Prefix, int) bool { n++; return n < 2 })
	if n != 2 {
		t.Errorf("Walk called fn %d times after it returned false, want 2", n)
	}
}

func TestLookupAllocs(t *testing.T) {
	var tb Table[*int]
	x := 1
	for _, p := range []string{"0.0.0.0/0", "10.0.0.0/8", "10.1.2.0/24", "10.1.2.3/32", "::/0", "2001:db8::/32", "2001:db8::1/128"} {
		tb.Insert(mp(p), &x)
	}
	for _, a := range []netip.Addr{ma("10.1.2.3"), ma("192.0.2.1"), ma("2001:db8::1"), ma("2001:db9::1")} {
		if n := testing.AllocsPerRun(1000, func() { tb.Lookup(a) }); n != 0 {
			t.Errorf("Lookup(%v) allocates %v times per run, want 0", a, n)
		}
		if n := testing.AllocsPerRun(1000, func() { tb.LookupValue(a) }); n != 0 {
			t.Errorf("LookupValue(%v) allocates %v times per run, want 0", a, n)
		}
	}
}

// TestConcurrent runs lookups while a writer inserts and deletes. Values
// encode the prefix's index and a version; a lookup must return a value
// inserted for the prefix it reports, and a prefix that contains the
// address. Run it with -race.
func TestConcurrent(t *testing.T) {
	g := newGen(11, false)
	var prefixes []netip.Prefix
	index := make(map[netip.Prefix]int)
	for len(prefixes) < 200 {
		p := g.prefix()
		if _, dup := index[p]; !dup {
			index[p] = len(prefixes)
			prefixes = append(prefixes, p)
		}
	}
	prefixes = append(prefixes, mp("0.0.0.0/0"))
	index[mp("0.0.0.0/0")] = len(prefixes) - 1
	const versions = 1 << 20
	var tb Table[int]
	var maxVersion [256]atomic.Int64 // highest version written per prefix index
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var lookups atomic.Int64
	var started sync.WaitGroup // the writer starts when the readers run
	for r := range 2 {
		wg.Add(1)
		started.Add(1)
		go func() {
			defer wg.Done()
			started.Done()
			gr := newGen(11, false)
			gr.r = rand.New(rand.NewPCG(uint64(r), 99))
			for {
				select {
				case <-stop:
					return
				default:
				}
				a := gr.addr()
				v, p, ok := tb.Lookup(a)
				lookups.Add(1)
				if !ok {
					continue
				}
				i, ver := v/versions, v%versions
				if !p.Contains(a) {
					t.Errorf("Lookup(%v) returned prefix %v, which does not contain it", a, p)
					return
				}
				if i >= len(prefixes) || prefixes[i] != p {
					t.Errorf("Lookup(%v) = value %d for %v, which was inserted for another prefix", a, v, p)
					return
				}
				if int64(ver) > maxVersion[i].Load() {
					t.Errorf("Lookup(%v) = version %d of %v, never written", a, ver, p)
					return
				}
			}
		}()
	}
	started.Wait()
	for ver := 1; ver <= 3000; ver++ {
		if ver%100 == 0 {
			runtime.Gosched() // let the readers see many versions on one CPU
		}
		i := g.r.IntN(len(prefixes))
		if g.r.IntN(3) == 0 {
			tb.Delete(prefixes[i])
			continue
		}
		maxVersion[i].Store(int64(ver))
		tb.Insert(prefixes[i], i*versions+ver)
	}
	close(stop)
	wg.Wait()
	if lookups.Load() == 0 {
		t.Fatal("no lookups ran")
	}
}

// TestCidranger cross-checks Lookup against cidranger's ContainingNetworks.
func TestCidranger(t *testing.T) {
	for _, is6 := range []bool{false, true} {
		t.Run(fmt.Sprintf("ipv6=%v", is6), func(t *testing.T) {
			g := newGen(21, is6)
			var tb Table[int]
			r := cidranger.NewPCTrieRanger()
			for i := range 2000 {
				p := g.prefix()
				tb.Insert(p, i)
				_, n, _ := net.ParseCIDR(p.String())
				r.Remove(*n)
				if err := r.Insert(cidranger.NewBasicRangerEntry(*n)); err != nil {
					t.Fatal(err)
				}
			}
			for range 5000 {
				a := g.addr()
				_, p, ok := tb.Lookup(a)
				nets, err := r.ContainingNetworks(a.AsSlice())
				if err != nil {
					t.Fatal(err)
				}
				var want netip.Prefix
				if len(nets) > 0 {
					n := nets[len(nets)-1].Network()
					want = mp(n.String())
				}
				if p != want || ok != want.IsValid() {
					t.Fatalf("Lookup(%v) = %v, %v, cidranger's longest match is %v", a, p, ok, want)
				}
			}
		})
	}
}

// TestCompactLetsValuesGo checks that a table holds the values of deleted
// and replaced prefixes only until Compact.
func TestCompactLetsValuesGo(t *testing.T) {
	var tbl Table[*[1 << 10]byte]
	var held []weak.Pointer[[1 << 10]byte]
	keep := new([1 << 10]byte)
	tbl.Insert(netip.MustParsePrefix("10.0.0.0/8"), keep)
	for i := range 16 {
		v := new([1 << 10]byte)
		held = append(held, weak.Make(v))
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 1, byte(i), 0}), 24)
		tbl.Insert(p, v)
		if i%2 == 0 {
			tbl.Delete(p)
		} else {
			tbl.Insert(p, keep)
		}
	}
	reachable := func() (n int) {
		runtime.GC()
		for _, w := range held {
			if w.Value() != nil {
				n++
			}
		}
		return n
	}
	if n := reachable(); n == 0 {
		t.Skip("the table kept no value of a deleted or replaced prefix; Compact has nothing to show")
	}
	tbl.Compact()
	if n := reachable(); n > 0 {
		t.Errorf("after Compact, %d values of deleted or replaced prefixes are still reachable", n)
	}
	if v, ok := tbl.LookupValue(netip.MustParseAddr("10.1.3.1")); !ok || v != keep {
		t.Errorf("after Compact, 10.1.3.1 -> %p, %v; want the value kept", v, ok)
	}
	if tbl.Len() != 9 {
		t.Errorf("after Compact, Len = %d, want 9", tbl.Len())
	}
}

// TestChurnKeepsValuesSmall checks that a table whose routes come and go
// without growing keeps a value slice of about twice its prefixes: the
// slots of deleted values are reused instead of new ones being added.
func TestChurnKeepsValuesSmall(t *testing.T) {
	const live = 1000
	var tbl Table[int]
	var b Batch[int]
	for i := range live {
		b.Insert(netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 0}), 24), i)
	}
	tbl.Apply(&b)
	longest := 0
	for i := range 20 * live {
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 100, byte(i % 200), 128}), 25)
		tbl.Insert(p, i)
		tbl.Delete(p)
		longest = max(longest, len(tbl.cur.Load().vals[v4]))
	}
	if tbl.Len() != live {
		t.Fatalf("Len = %d, want %d", tbl.Len(), live)
	}
	if limit := 2*live + 2; longest > limit {
		t.Errorf("value slice of %d prefixes grew to %d slots under churn, want at most %d", live, longest, limit)
	}
}
