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
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vpcsim/vpcsim/topology"
	"github.com/vpcsim/vpcsim/tun"
	"github.com/vpcsim/vpcsim/tun/tuntest"
)

// usage is what a daemon holds at one moment.
type usage struct {
	rss        int64 // KiB
	fds        int
	goroutines int
	series     int // metric series
	peerings   int // history included
}

func (d *Daemon) usage(t *testing.T) usage {
	t.Helper()
	runtime.GC()
	u := usage{goroutines: runtime.NumGoroutine(), peerings: len(d.State.AllPeerings())}
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
	ping := exec.Command("ip", "netns", "exec", topo.Namespace("a1"), "ping", "-n", "-q", "-i", "0.02",
		"-w", strconv.Itoa(int((warm + measure).Seconds())), d.hostIP(t, "b1").String())
	var pingOut bytes.Buffer
	ping.Stdout, ping.Stderr = &pingOut, &pingOut
	if err := ping.Start(); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), warm+measure)
	defer cancel()
	churned := make(chan int)
	go func() { churned <- churn(ctx, t, name, 6, 0, func(*rand.Rand) time.Duration { return 0 }) }()
	time.Sleep(warm)
	before := d.usage(t)
	n := <-churned
	after := d.usage(t)
	ping.Wait()
	t.Logf("%d calls; after warm-up %+v, at the end %+v", n, before, after)
	t.Logf("ping: %s", lastLines(&pingOut, 2))

	if before.peerings < 50 {
		t.Errorf("only %d peerings after the warm-up: the history never filled", before.peerings)
	}
	for _, c := range []struct {
		what          string
		before, after int64
		slack         int64
	}{
		{"resident memory (KiB)", before.rss, after.rss, 32 << 10},
		{"open descriptors", int64(before.fds), int64(after.fds), 16},
		{"goroutines", int64(before.goroutines), int64(after.goroutines), 32},
		{"metric series", int64(before.series), int64(after.series), 16},
		{"peerings shown", int64(before.peerings), int64(after.peerings), 16},
	} {
		if c.after > c.before+c.slack {
			t.Errorf("%s grew from %d to %d after the warm-up", c.what, c.before, c.after)
		}
	}
	if !strings.Contains(pingOut.String(), " 0% packet loss") {
		t.Errorf("ping across pcx-1 lost echoes while the others churned:\n%s", pingOut.String())
	}
}

// lastLines returns the last n lines of b.
func lastLines(b *bytes.Buffer, n int) string {
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}
