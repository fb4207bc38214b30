package daemon

import (
	"bufio"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// scrape fetches the metrics of d with curl and returns the value of the
// series, which must be present.
func scrape(t *testing.T, d *Daemon, series string) float64 {
	t.Helper()
	out, err := exec.Command("curl", "-sSf", "--max-time", "5", "http://"+d.MetricsAddr()+"/metrics").Output()
	if err != nil {
		t.Fatalf("curl http://%s/metrics: %v", d.MetricsAddr(), err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("series %s: value %q: %v", series, v, err)
			}
			return f
		}
	}
	t.Fatalf("no series %s in\n%s", series, out)
	return 0
}

func TestNSMetricsCountTransitAttempts(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("needs curl (apt-get install curl)")
	}
	d := launchWith(t, "non-transitive.yaml", Options{MetricsAddr: "127.0.0.1:0"})
	if !strings.HasPrefix(d.MetricsAddr(), "127.0.0.1:") || strings.HasSuffix(d.MetricsAddr(), ":0") {
		t.Fatalf("MetricsAddr() = %q, want 127.0.0.1 and the bound port", d.MetricsAddr())
	}
	const notTransitive = `vpcsim_drops_total{reason="not_transitive",vpc="vpc1"}`
	const active = `vpcsim_peering_status{peer_vpc="vpc2",peering="pcx-12",status="active",vpc="vpc1"}`
	before := scrape(t, d, notTransitive)
	if got := scrape(t, d, active); got != 1 {
		t.Errorf("%s = %v, want 1", active, got)
	}
	d.mustPing(t, "h2", d.hostIP(t, "h3"), false) // through vpc1: refused there
	after := scrape(t, d, notTransitive)
	if after <= before {
		t.Errorf("%s = %v after a transit attempt, was %v: want it to rise", notTransitive, after, before)
	}
	if got := scrape(t, d, `vpcsim_host_tx_packets_total{host="h2",vpc="vpc2"}`); got < 1 {
		t.Errorf("h2 sent %v packets, want at least 1", got)
	}
}
