package metrics

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/router"
)

func sample() router.Stats {
	return router.Stats{
		VPCs: []router.VPCStats{
			{VPC: "vpc1", Received: router.Count{Packets: 10, Bytes: 840}, Drops: router.Drops{router.DropNotTransitive: 3}},
			{VPC: "vpc2", Received: router.Count{Packets: 5, Bytes: 420}, Drops: router.Drops{}},
		},
		Links: []router.LinkStats{
			{Peering: "pcx-1", From: "vpc1", To: "vpc2", Count: router.Count{Packets: 7, Bytes: 588}},
			{Peering: "pcx-1", From: "vpc2", To: "vpc1", Count: router.Count{Packets: 4, Bytes: 336}},
		},
		Hosts: []router.HostStats{
			{Host: "a1", VPC: "vpc1", TX: router.Count{Packets: 10, Bytes: 840}, RX: router.Count{Packets: 4, Bytes: 336}},
			{Host: "a2", VPC: "vpc1", ReadErrors: 12, DeviceGone: true},
		},
	}
}

func samplePeerings() []control.Peering {
	return []control.Peering{
		{ID: "pcx-1", VPC: "vpc1", PeerVPC: "vpc2", Status: control.StatusActive},
		{ID: "pcx-2", VPC: "vpc1", PeerVPC: "vpc3", Status: control.StatusDeleted},
	}
}

func TestCollector(t *testing.T) {
	c := NewCollector(sample, samplePeerings)
	want := `
# HELP vpcsim_drops_total Packets a VPC router dropped, by reason (from its hosts and from its peerings).
# TYPE vpcsim_drops_total counter
vpcsim_drops_total{reason="malformed",vpc="vpc1"} 0
vpcsim_drops_total{reason="malformed",vpc="vpc2"} 0
vpcsim_drops_total{reason="no_host",vpc="vpc1"} 0
vpcsim_drops_total{reason="no_host",vpc="vpc2"} 0
vpcsim_drops_total{reason="no_route",vpc="vpc1"} 0
vpcsim_drops_total{reason="no_route",vpc="vpc2"} 0
vpcsim_drops_total{reason="not_transitive",vpc="vpc1"} 3
vpcsim_drops_total{reason="not_transitive",vpc="vpc2"} 0
vpcsim_drops_total{reason="peering_inactive",vpc="vpc1"} 0
vpcsim_drops_total{reason="peering_inactive",vpc="vpc2"} 0
vpcsim_drops_total{reason="queue_full",vpc="vpc1"} 0
vpcsim_drops_total{reason="queue_full",vpc="vpc2"} 0
vpcsim_drops_total{reason="spoofed",vpc="vpc1"} 0
vpcsim_drops_total{reason="spoofed",vpc="vpc2"} 0
vpcsim_drops_total{reason="unsupported",vpc="vpc1"} 0
vpcsim_drops_total{reason="unsupported",vpc="vpc2"} 0
vpcsim_drops_total{reason="write_failed",vpc="vpc1"} 0
vpcsim_drops_total{reason="write_failed",vpc="vpc2"} 0
# HELP vpcsim_host_device_gone 1 once the router has given a host's interface up after its reads kept failing (it was deleted, say), else 0.
# TYPE vpcsim_host_device_gone gauge
vpcsim_host_device_gone{host="a1",vpc="vpc1"} 0
vpcsim_host_device_gone{host="a2",vpc="vpc1"} 1
# HELP vpcsim_host_read_errors_total Reads of a host's interface that failed.
# TYPE vpcsim_host_read_errors_total counter
vpcsim_host_read_errors_total{host="a1",vpc="vpc1"} 0
vpcsim_host_read_errors_total{host="a2",vpc="vpc1"} 12
# HELP vpcsim_host_tx_bytes_total Bytes a host sent from its interface (the router received them), as ip -s link counts them.
# TYPE vpcsim_host_tx_bytes_total counter
vpcsim_host_tx_bytes_total{host="a1",vpc="vpc1"} 840
vpcsim_host_tx_bytes_total{host="a2",vpc="vpc1"} 0
# HELP vpcsim_peering_packets_total Packets that crossed a peering in one direction.
# TYPE vpcsim_peering_packets_total counter
vpcsim_peering_packets_total{from_vpc="vpc1",peering="pcx-1",to_vpc="vpc2"} 7
vpcsim_peering_packets_total{from_vpc="vpc2",peering="pcx-1",to_vpc="vpc1"} 4
# HELP vpcsim_peering_status 1 for the current status of each peering connection.
# TYPE vpcsim_peering_status gauge
vpcsim_peering_status{peer_vpc="vpc2",peering="pcx-1",status="active",vpc="vpc1"} 1
vpcsim_peering_status{peer_vpc="vpc3",peering="pcx-2",status="deleted",vpc="vpc1"} 1
# HELP vpcsim_vpc_received_bytes_total Bytes a VPC router received from its hosts.
# TYPE vpcsim_vpc_received_bytes_total counter
vpcsim_vpc_received_bytes_total{vpc="vpc1"} 840
vpcsim_vpc_received_bytes_total{vpc="vpc2"} 420
`
	names := []string{"vpcsim_drops_total", "vpcsim_host_device_gone", "vpcsim_host_read_errors_total", "vpcsim_host_tx_bytes_total", "vpcsim_peering_packets_total",
		"vpcsim_peering_status", "vpcsim_vpc_received_bytes_total"}
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	// 2 VPCs x (2 + 9 reasons) + 2 links x 2 + 2 hosts x 6 + 2 peerings.
	if got, want := testutil.CollectAndCount(c), 2*(2+len(router.DropReasons()))+2*2+2*6+2; got != want {
		t.Errorf("CollectAndCount = %d, want %d", got, want)
	}
	if problems, err := testutil.CollectAndLint(c); err != nil || len(problems) > 0 {
		t.Errorf("CollectAndLint = %v, %v; want no problems", problems, err)
	}
}

func TestCollectorReadsOnEveryScrape(t *testing.T) {
	var n uint64
	stats := func() router.Stats {
		n++
		return router.Stats{VPCs: []router.VPCStats{{VPC: "vpc1", Received: router.Count{Packets: n}}}}
	}
	c := NewCollector(stats, nil)
	for i := 1; i <= 3; i++ {
		want := fmt.Sprintf(`
# HELP vpcsim_vpc_received_packets_total Packets a VPC router received from its hosts.
# TYPE vpcsim_vpc_received_packets_total counter
vpcsim_vpc_received_packets_total{vpc="vpc1"} %d
`, i)
		if err := testutil.CollectAndCompare(c, strings.NewReader(want), "vpcsim_vpc_received_packets_total"); err != nil {
			t.Errorf("scrape %d: %v", i, err)
		}
	}
}

func TestHandler(t *testing.T) {
	srv := httptest.NewServer(Handler(NewCollector(sample, samplePeerings)))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`vpcsim_drops_total{reason="not_transitive",vpc="vpc1"} 3`,
		`vpcsim_host_rx_packets_total{host="a1",vpc="vpc1"} 4`,
		`go_goroutines `,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("GET /metrics: no line %q in\n%s", want, body)
		}
	}
}
