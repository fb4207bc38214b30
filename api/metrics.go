package api

import (
	"net/http"
	"time"

	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/metrics"
	"github.com/vpcsim/vpcsim/router"
)

// NewMetricsServer returns a server of GET /metrics: the Prometheus metrics
// of the data plane's counters (stats) and the peerings' statuses
// (peerings), read at every scrape. It listens on TCP, apart from the
// control socket, so that a Prometheus server can scrape it.
func NewMetricsServer(stats func() router.Stats, peerings func() []control.Peering) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics.Handler(metrics.NewCollector(stats, peerings)))
	return &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
}
