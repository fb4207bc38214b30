package control

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/vpcsim/vpcsim/store"
)

// BenchmarkRouteChange measures a control call as a user waits for it: a
// route added and deleted, saved to the store with its event before the
// call returns. bolt is a state file as the daemon opens it (fsync per
// change, 1,000 commits of watch history), memory the same work without
// the disk. It reports the p50 and p99 of one call, and
// with bolt the file's size after the run.
func BenchmarkRouteChange(b *testing.B) {
	for _, kind := range []string{"bolt", "memory"} {
		b.Run("store="+kind, func(b *testing.B) {
			var st store.Store = store.NewMemory()
			path := filepath.Join(b.TempDir(), "state.db")
			if kind == "bolt" {
				bs, err := store.Config{History: 1000}.OpenBolt(path)
				if err != nil {
					b.Fatal(err)
				}
				st = bs
			}
			defer st.Close()
			s, err := New(testTopology(), Options{Store: st})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.CreatePeering(me, CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc2", ID: "pcx-12"}); err != nil {
				b.Fatal(err)
			}
			lat := make([]time.Duration, 0, 2*b.N)
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				if _, err := s.AddRoute(me, "rtb-1a", "10.2.0.0/16", "pcx-12"); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if _, err := s.DeleteRoute(me, "rtb-1a", "10.2.0.0/16"); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, t1.Sub(t0), time.Since(t1))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs/call")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs/call")
			if fi, err := os.Stat(path); err == nil {
				b.ReportMetric(float64(fi.Size())/(1<<20), "file-MiB")
			}
		})
	}
}
