package daemon

import (
	"bufio"
	"bytes"
	"context"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/topology"
	"github.com/vpcsim/vpcsim/tun"
	"github.com/vpcsim/vpcsim/tun/tuntest"
)

// usage is what a daemon holds at one moment.
type usage struct {
	rss        int64 // KiB
	heap       int64 // KiB in use after a collection
	fds        int
	goroutines int
	series     int // metric series
	peerings   int // history included
}

func (d *Daemon) usage(t *testing.T) usage {
	t.Helper()
	debug.FreeOSMemory() // what is garbage is neither heap nor resident
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	u := usage{heap: int64(ms.HeapInuse >> 10), goroutines: runtime.NumGoroutine(), peerings: len(d.State.AllPeerings())}
	status, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			u.rss, _ = strconv.ParseInt(f[1], 10, 64)
		}
	}
	fds, _ := os.ReadDir("/proc/self/fd")
	u.fds = len(fds)
	resp, err := http.Get("http://" + d.MetricsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "vpcsim_") {
			u.series++
		}
	}
	return u
}

// TestNSSoak churns peerings and routes from parallel clients for half a
// minute while a ping crosses a peering they never touch. Once the history
// of ended peerings is full, what the daemon holds (memory, descriptors,
// goroutines, metric series, peerings) stays flat, and not one echo is
// lost.
func TestNSSoak(t *testing.T) {
	tuntest.NeedRoot(t, "ping")
	dir := t.TempDir()
	t.Setenv(StateDirEnv, dir)
	name := uniqueName("sk")
	topo, err := topology.Parse("hub.yaml", renameTopology(hubTopology(), name))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Launch(context.Background(), topo, Options{Listen: true, Durable: true, MetricsAddr: "127.0.0.1:0", KeepHistory: 50})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.Close()
		if left, _ := tun.List(name + "-"); len(left) > 0 {
			t.Errorf("namespaces left: %v", left)
		}
	})
	const warm, measure = 10 * time.Second, 20 * time.Second
	// A count, not a deadline: ping waits for the last reply rather than
	// counting an echo still under way at the deadline as lost.
	const interval = 20 * time.Millisecond
	ping := exec.Command("ip", "netns", "exec", topo.Namespace("a1"), "ping", "-n", "-q", "-i", "0.02",
		"-c", strconv.Itoa(int((warm+measure)/interval)), d.hostIP(t, "b1").String())
	var pingOut bytes.Buffer
	ping.Stdout, ping.Stderr = &pingOut, &pingOut
	if err := ping.Start(); err != nil {
		t.Fatal(err)
	}

	n := 0
	churnFor := func(d time.Duration) {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		n += churn(ctx, t, name, 6, 0, func(*rand.Rand) time.Duration { return 0 })
	}
	churnFor(warm)
	// Memory is sampled between rounds of churn, with no call in flight
	// and the churn's peerings deleted (a live peering's link holds its
	// queues, a few hundred KiB): what a sample holds is what the daemon
	// kept, and a leak raises the floor of the samples, where garbage only
	// makes them swing.
	var samples []usage
	for len(samples) < 10 {
		churnFor(measure / 10)
		deleteChurned(t, name)
		samples = append(samples, d.usage(t))
	}
	before, after := samples[0], d.usage(t)
	ping.Wait()
	t.Logf("%d calls; after warm-up %+v, at the end %+v", n, before, after)
	t.Logf("ping: %s", lastLines(&pingOut, 2))

	if before.peerings < 50 {
		t.Errorf("only %d peerings after the warm-up: the history never filled", before.peerings)
	}
	span := func(us []usage, of func(usage) int64) (lo, hi int64) {
		lo, hi = of(us[0]), of(us[0])
		for _, u := range us[1:] {
			lo, hi = min(lo, of(u)), max(hi, of(u))
		}
		return lo, hi
	}
	early, late := samples[:5], samples[5:]
	for _, c := range []struct {
		what  string
		of    func(usage) int64
		slack int64
	}{
		{"resident memory (KiB)", func(u usage) int64 { return u.rss }, 16 << 10},
		{"heap in use (KiB)", func(u usage) int64 { return u.heap }, 4 << 10},
		{"open descriptors", func(u usage) int64 { return int64(u.fds) }, 8},
		{"goroutines", func(u usage) int64 { return int64(u.goroutines) }, 16},
		// Series and peerings swing with the peerings live at the moment;
		// a leak adds one per peering created, hundreds here.
		{"metric series", func(u usage) int64 { return int64(u.series) }, 32},
		{"peerings shown", func(u usage) int64 { return int64(u.peerings) }, 16},
	} {
		if c.what == "resident memory (KiB)" && raceEnabled {
			continue // the race detector's own memory grows with every goroutine; the heap stands for it
		}
		lo, hi := span(early, c.of)
		lateLo, _ := span(late, c.of)
		if end := c.of(after); lateLo > lo+c.slack || end > hi+c.slack {
			t.Errorf("%s grew after the warm-up: %d to %d in the first half, at least %d in the second, %d at the end", c.what, lo, hi, lateLo, end)
		}
	}
	if !strings.Contains(pingOut.String(), " 0% packet loss") {
		t.Errorf("ping across pcx-1 lost echoes while the others churned:\n%s", pingOut.String())
	}
}

// deleteChurned deletes, or rejects, every peering of topology name that
// is not pcx-1.
func deleteChurned(t *testing.T, name string) {
	t.Helper()
	c := api.NewClient(api.SocketPath(name), "")
	defer c.Close()
	ctx := context.Background()
	ps, err := c.Peerings(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.ID == "pcx-1" {
			continue
		}
		// A call the churn gave up on may still end p meanwhile.
		_, errDelete := c.DeletePeering(ctx, p.ID)
		if errDelete == nil {
			continue
		}
		if _, err := c.RejectPeering(ctx, p.ID); err == nil {
			continue
		}
		if q, err := c.ShowPeering(ctx, p.ID); err != nil || q.Status == control.StatusActive || q.Status == control.StatusPending {
			t.Fatalf("%s is neither deleted nor rejected: %v (%+v, %v)", p.ID, errDelete, q, err)
		}
	}
}

// lastLines returns the last n lines of b.
func lastLines(b *bytes.Buffer, n int) string {
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}
