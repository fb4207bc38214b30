package bench

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/vpcsim/vpcsim/bench/internal/netns"
)

// requireRoot skips t unless it runs as root with the tools installed.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces and TUN devices")
	}
	if testing.Short() {
		t.Skip("skipped in -short mode")
	}
}

// checkNoNamespaces fails t if any namespace of this process is left.
func checkNoNamespaces(t *testing.T) {
	t.Helper()
	left, err := netns.List(ProcessPrefix())
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("namespaces left behind: %v", left)
	}
}

func TestNSSubjects(t *testing.T) {
	requireRoot(t)
	for _, s := range []Subject{Kernel{}, BareTUN{}} {
		t.Run(s.Name(), func(t *testing.T) {
			t.Cleanup(func() {
				if err := Cleanup(context.Background(), ProcessPrefix()); err != nil {
					t.Errorf("Cleanup: %v", err)
				}
			})
			ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
			defer cancel()
			var progress bytes.Buffer
			rep, err := Run(ctx, Config{
				Subjects: []Subject{s},
				MTUs:     []int{1500},
				Duration: time.Second,
				Pings:    50,
				Progress: &progress,
			})
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, progress.String())
			}
			if len(rep.Results) != 1 {
				t.Fatalf("Run: %d results, want 1", len(rep.Results))
			}
			r := rep.Results[0]
			if !r.OK() {
				t.Fatalf("Run: errors %q\n%s", r.Errors, progress.String())
			}
			checks := []struct {
				name      string
				v, lo, hi float64
			}{
				{"tcp_gbps", r.TCPGbps, 0.05, 1000},
				{"udp_pps", r.UDPPPS, 1000, 1e8},
				{"udp_loss_percent", r.UDPLossPercent, 0, 100},
				{"rtt_median_us", r.RTTMedianMicros, 1, 50000},
				{"rtt_p99_us", r.RTTP99Micros, r.RTTMedianMicros, 200000},
				{"ping_loss_percent", r.PingLossPercent, 0, 10},
			}
			for _, c := range checks {
				if !(c.v >= c.lo && c.v <= c.hi) {
					t.Errorf("%s = %v, want %v..%v", c.name, c.v, c.lo, c.hi)
				}
			}
			checkNoNamespaces(t)
			var table bytes.Buffer
			if err := rep.WriteTable(&table); err != nil {
				t.Fatal(err)
			}
			t.Logf("\n%s", table.String())
		})
	}
}
