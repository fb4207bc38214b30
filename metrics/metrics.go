// Package metrics exports the counters of a running topology to Prometheus.
//
// A Collector reads the data plane's counters (router.Network.Stats) and the
// control plane's peerings (control.State.AllPeerings) on every scrape, so
// it holds no state of its own and costs nothing between scrapes. Every
// series is a counter except vpcsim_peering_status, a gauge that is 1 for
// the current status of each peering. Drop counters exist for every reason,
// zero included, so that rate() works from the first scrape.
//
// Handler serves a registry of its own (never the global default one) with
// the Collector and the Go runtime and process collectors.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/router"
)

// Collector is a prometheus.Collector of one topology's counters. It is
// safe for concurrent use if its sources are.
type Collector struct {
	stats    func() router.Stats
	peerings func() []control.Peering

	vpcPackets, vpcBytes, drops       *prometheus.Desc
	peeringPackets, peeringBytes      *prometheus.Desc
	rxPackets, rxBytes                *prometheus.Desc
	txPackets, txBytes, peeringStatus *prometheus.Desc
	readErrors, deviceGone            *prometheus.Desc
}

var _ prometheus.Collector = (*Collector)(nil)

// NewCollector returns a Collector reading stats and peerings on every
// scrape; typically network.Stats and state.AllPeerings. peerings may be nil.
func NewCollector(stats func() router.Stats, peerings func() []control.Peering) *Collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("vpcsim_"+name, help, labels, nil)
	}
	return &Collector{
		stats:    stats,
		peerings: peerings,

		vpcPackets:     d("vpc_received_packets_total", "Packets a VPC router received from its hosts.", "vpc"),
		vpcBytes:       d("vpc_received_bytes_total", "Bytes a VPC router received from its hosts.", "vpc"),
		drops:          d("drops_total", "Packets a VPC router dropped, by reason (from its hosts and from its peerings).", "vpc", "reason"),
		peeringPackets: d("peering_packets_total", "Packets that crossed a peering in one direction.", "peering", "from_vpc", "to_vpc"),
		peeringBytes:   d("peering_bytes_total", "Bytes that crossed a peering in one direction.", "peering", "from_vpc", "to_vpc"),
		rxPackets:      d("host_rx_packets_total", "Packets a host received on its interface (the router delivered them), as ip -s link counts them.", "host", "vpc"),
		rxBytes:        d("host_rx_bytes_total", "Bytes a host received on its interface (the router delivered them), as ip -s link counts them.", "host", "vpc"),
		txPackets:      d("host_tx_packets_total", "Packets a host sent from its interface (the router received them), as ip -s link counts them.", "host", "vpc"),
		txBytes:        d("host_tx_bytes_total", "Bytes a host sent from its interface (the router received them), as ip -s link counts them.", "host", "vpc"),
		peeringStatus:  d("peering_status", "1 for the current status of each peering connection.", "peering", "vpc", "peer_vpc", "status"),
		readErrors:     d("host_read_errors_total", "Reads of a host's interface that failed.", "host", "vpc"),
		deviceGone:     d("host_device_gone", "1 once the router has given a host's interface up after its reads kept failing (it was deleted, say), else 0.", "host", "vpc"),
	}
}

// Describe sends the descriptors of every metric the Collector exports.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.vpcPackets, c.vpcBytes, c.drops, c.peeringPackets, c.peeringBytes,
		c.rxPackets, c.rxBytes, c.txPackets, c.txBytes, c.peeringStatus,
		c.readErrors, c.deviceGone,
	} {
		ch <- d
	}
}

// Collect reads the counters and sends one metric per series.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	s := c.stats()
	for _, v := range s.VPCs {
		counter(c.vpcPackets, v.Received.Packets, v.VPC)
		counter(c.vpcBytes, v.Received.Bytes, v.VPC)
		for _, r := range router.DropReasons() {
			counter(c.drops, v.Drops[r], v.VPC, r.String())
		}
	}
	for _, l := range s.Links {
		counter(c.peeringPackets, l.Count.Packets, l.Peering, l.From, l.To)
		counter(c.peeringBytes, l.Count.Bytes, l.Peering, l.From, l.To)
	}
	for _, h := range s.Hosts {
		counter(c.rxPackets, h.RX.Packets, h.Host, h.VPC)
		counter(c.rxBytes, h.RX.Bytes, h.Host, h.VPC)
		counter(c.txPackets, h.TX.Packets, h.Host, h.VPC)
		counter(c.txBytes, h.TX.Bytes, h.Host, h.VPC)
		counter(c.readErrors, h.ReadErrors, h.Host, h.VPC)
		gone := 0.0
		if h.DeviceGone {
			gone = 1
		}
		ch <- prometheus.MustNewConstMetric(c.deviceGone, prometheus.GaugeValue, gone, h.Host, h.VPC)
	}
	if c.peerings == nil {
		return
	}
	for _, p := range c.peerings() {
		ch <- prometheus.MustNewConstMetric(c.peeringStatus, prometheus.GaugeValue, 1, p.ID, p.VPC, p.PeerVPC, string(p.Status))
	}
}

// NewRegistry returns a registry holding c and the Go runtime and process
// collectors.
func NewRegistry(c *Collector) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(c, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Handler returns the HTTP handler of /metrics for c.
func Handler(c *Collector) http.Handler {
	reg := NewRegistry(c)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}
