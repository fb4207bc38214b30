package bench

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"testing"
	"time"

	"github.com/vpcsim/vpcsim/bench/internal/netns"
	"github.com/vpcsim/vpcsim/tun/tuntest"
)

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
	tuntest.NeedRoot(t, "ip", "ping", "iperf3")
	for _, s := range []Subject{Kernel{}, BareTUN{}} {
		t.Run(s.Name(), func(t *testing.T) {
			t.Cleanup(func() {
				if err := Cleanup(context.Background(), ProcessPrefix()); err != nil {
					t.Errorf("Cleanup: %v", err)
				}
			})
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			var progress bytes.Buffer
			rep, err := Run(ctx, Config{
				Subjects: []Subject{s},
				MTUs:     []int{1500},
				Pairs:    2,
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
				{"tcp4_gbps", r.TCP4Gbps, 0.05, 1000},
				{"pairs_gbps", r.PairsGbps, 0.1, 1000},
				{"pairs_min_gbps", r.PairsMinGbps, 0.01, r.PairsGbps / 2},
				{"quiet_gbps", r.QuietGbps, 0.01, 1000},
				{"quiet_rtt_median_us", r.QuietRTTMedianMicros, 1, 200000},
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

// cancelOn is a progress writer that cancels a context at the first line
// containing a word.
type cancelOn struct {
	word   string
	cancel context.CancelFunc
	buf    bytes.Buffer
}

func (c *cancelOn) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(c.word)) {
		c.cancel()
	}
	return c.buf.Write(p)
}

func TestNSRunCancelled(t *testing.T) {
	tuntest.NeedRoot(t, "ip", "ping", "iperf3")
	t.Cleanup(func() { _ = Cleanup(context.Background(), ProcessPrefix()) })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	progress := &cancelOn{word: "tcp", cancel: cancel}
	start := time.Now()
	rep, err := Run(ctx, Config{
		Subjects: []Subject{BareTUN{}, Kernel{}},
		MTUs:     []int{1500},
		Duration: 10 * time.Second,
		Progress: progress,
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run(cancelled) error = %v, want %v\n%s", err, context.Canceled, progress.buf.String())
	}
	if took := time.Since(start); took > 8*time.Second {
		t.Errorf("Run(cancelled) took %v, want it to stop early", took)
	}
	if rep == nil || len(rep.Results) != 1 || rep.Results[0].OK() {
		t.Errorf("Run(cancelled) report = %+v, want one failed bare-tun result", rep)
	}
	checkNoNamespaces(t)
}

func TestNSCleanup(t *testing.T) {
	tuntest.NeedRoot(t, "ip", "ping", "iperf3")
	name := NamePrefix() + "leftover"
	ctx := context.Background()
	if err := netns.Add(ctx, name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = netns.Delete(ctx, name) })
	sleeper := exec.Command("ip", "netns", "exec", name, "sleep", "30")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- sleeper.Wait() }()
	// Only a process already inside can be found there and killed.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if pids, err := netns.PIDs(ctx, name); err == nil && len(pids) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sleep never entered %s", name)
		}
	}

	if err := Cleanup(ctx, "vb"); err == nil {
		t.Errorf("Cleanup(%q) error = nil, want a refusal of a short prefix", "vb")
	}
	if err := Cleanup(ctx, ProcessPrefix()); err != nil {
		t.Fatalf("Cleanup(%q) error: %v", ProcessPrefix(), err)
	}
	checkNoNamespaces(t)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		_ = sleeper.Process.Kill()
		t.Errorf("Cleanup(%q) left process %d running in %s", ProcessPrefix(), sleeper.Process.Pid, name)
	}
}
