package store

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// BenchmarkCommit measures a commit's latency, fsync included for Bolt
// (on the disk of the temporary directory), beside Memory in the same run.
// Commits alternate puts and deletes of route-sized values, as route adds
// and deletes do. It reports the median and 99th percentile.
//
//	go test -run '^$' -bench Commit -benchtime 2000x ./store/
func BenchmarkCommit(b *testing.B) {
	impls := []struct {
		name string
		open func(b *testing.B) Store
	}{
		{"bolt", func(b *testing.B) Store {
			s, err := OpenBolt(filepath.Join(b.TempDir(), "state.db"))
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
		{"memory", func(*testing.B) Store { return NewMemory() }},
	}
	for _, ops := range []int{1, 4} {
		for _, impl := range impls {
			b.Run(fmt.Sprintf("ops=%d/impl=%s", ops, impl.name), func(b *testing.B) {
				s := impl.open(b)
				defer s.Close()
				put := make([]Op, ops)
				del := make([]Op, ops)
				for i := range ops {
					put[i] = Put(routeKey(i), routeValue)
					del[i] = Delete(routeKey(i))
				}
				lat := make([]time.Duration, 0, b.N)
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					batch := put
					if i%2 == 1 {
						batch = del
					}
					start := time.Now()
					if _, err := s.Commit(batch...); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(start))
				}
				b.StopTimer()
				slices.Sort(lat)
				us := func(q float64) float64 {
					return float64(lat[int(q*float64(len(lat)-1))]) / float64(time.Microsecond)
				}
				b.ReportMetric(us(0.50), "p50-µs")
				b.ReportMetric(us(0.99), "p99-µs")
			})
		}
	}
}
