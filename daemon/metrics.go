package daemon

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"syscall"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
)

// metricsAddr resolves a --metrics-addr: a bare port (":9464" or "9464")
// listens on the loopback address only.
func metricsAddr(addr string) (string, error) { return listenAddress("metrics", addr) }

// listenAddress resolves the address to listen on of what (metrics, the
// console): HOST:PORT, or a bare port on the loopback address only.
func listenAddress(what, addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		if _, perr := strconv.ParseUint(addr, 10, 16); perr != nil {
			return "", control.Errorf(control.CodeInvalidParameter, "invalid %s address %q: want HOST:PORT or :PORT", what, addr)
		}
		host, port = "", addr
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// listenMetrics listens on the metrics address addr, so that a taken
// address fails a launch before anything is created.
func (d *Daemon) listenMetrics(addr string) error {
	addr, err := metricsAddr(addr)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return control.Errorf(control.CodeAddressInUse, "metrics: %s is already in use; choose another --metrics-addr", addr)
	}
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	d.metricsLn = ln
	return nil
}

// serveMetrics serves Prometheus metrics at /metrics on the listener of
// listenMetrics.
func (d *Daemon) serveMetrics() {
	ln := d.metricsLn
	d.metrics = api.NewMetricsServer(d.Network.Stats, d.State.AllPeerings)
	d.serving.Add(1)
	go func() {
		defer d.serving.Done()
		if err := d.metrics.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Error("metrics server stopped", "err", err)
		}
	}()
	d.log.Info("metrics", "addr", ln.Addr().String())
}

// MetricsAddr returns the address the metrics server listens on, or "" when
// it is not serving.
func (d *Daemon) MetricsAddr() string {
	if d.metricsLn == nil {
		return ""
	}
	return d.metricsLn.Addr().String()
}
