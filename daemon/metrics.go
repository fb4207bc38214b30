package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/capture"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/metrics"
	"github.com/vpcsim/vpcsim/router"
)

// The trailers of a GET /v1/capture response: how many packets the capture
// wrote, and how many it lost because the stream could not keep up.
const (
	CaptureWrittenTrailer = "Vpcsim-Capture-Written"
	CaptureDroppedTrailer = "Vpcsim-Capture-Dropped"
)

// CodeHostNotFound is the error code of a capture of a host that does not
// exist or whose VPC the acting account does not own.
const CodeHostNotFound = "HostNotFound"

// registerObserve adds the observation endpoints to the control API:
//
//	GET /v1/capture?peering=ID|host=NAME[&count=N][&duration=D]
//
// streams a pcapng capture of a peering's two directions or a host's
// interface until count packets are written, duration has passed, or the
// client goes away. Trailers CaptureWrittenTrailer and CaptureDroppedTrailer
// carry the totals.
//
// The acting account must see the peering (it owns one of its VPCs) or own
// the host's VPC; anything else is reported as not found, as the control
// plane does for ids an account cannot see.
func (d *Daemon) registerObserve(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/capture", d.handleCapture)
}

// captureRequest is a parsed GET /v1/capture.
type captureRequest struct {
	peering, host string
	count         int
	duration      time.Duration
}

func invalidParameter(format string, args ...any) error {
	return &control.Error{Code: control.CodeInvalidParameter, Message: fmt.Sprintf(format, args...)}
}

func parseCaptureRequest(r *http.Request) (captureRequest, error) {
	q := r.URL.Query()
	c := captureRequest{peering: q.Get("peering"), host: q.Get("host")}
	if (c.peering == "") == (c.host == "") {
		return c, invalidParameter("capture: want exactly one of peering= and host=")
	}
	if s := q.Get("count"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return c, invalidParameter("capture: invalid count=%q: want a number of packets, 0 for no limit", s)
		}
		c.count = n
	}
	if s := q.Get("duration"); s != "" {
		dur, err := time.ParseDuration(s)
		if err != nil || dur < 0 {
			return c, invalidParameter("capture: invalid duration=%q: want a Go duration such as 5s, 0 for no limit", s)
		}
		c.duration = dur
	}
	return c, nil
}

// capturePoints checks the acting account may capture at c and returns the
// pcapng interface names and a function attaching taps to them.
func (d *Daemon) capturePoints(acct string, c captureRequest) ([]string, func(a, b router.Tap) (func(), error), error) {
	if c.peering != "" {
		pd, err := d.State.ShowPeering(acct, c.peering)
		if err != nil {
			return nil, nil, err
		}
		p := pd.Peering
		if p.Status != control.StatusActive {
			return nil, nil, &control.Error{Code: control.CodePeeringNotActive,
				Message: fmt.Sprintf("capture: peering %q is %s: only an active peering carries packets", p.ID, p.Status)}
		}
		names := []string{p.ID + " " + p.VPC + "->" + p.PeerVPC, p.ID + " " + p.PeerVPC + "->" + p.VPC}
		return names, func(ab, ba router.Tap) (func(), error) { return d.Network.TapPeering(p.ID, ab, ba) }, nil
	}
	a, err := d.State.Account(acct)
	if err != nil {
		return nil, nil, err
	}
	for _, v := range d.Topology.VPCs {
		for _, h := range v.Hosts {
			if h.Name == c.host && v.Account == a.ID {
				names := []string{h.Name + " out", h.Name + " in"}
				return names, func(out, in router.Tap) (func(), error) { return d.Network.TapHost(h.Name, out, in) }, nil
			}
		}
	}
	return nil, nil, &control.Error{Code: CodeHostNotFound, Message: fmt.Sprintf("no host %q in the VPCs of account %s", c.host, a.ID)}
}

func (d *Daemon) handleCapture(w http.ResponseWriter, r *http.Request) {
	c, err := parseCaptureRequest(r)
	if err != nil {
		api.WriteError(w, err)
		return
	}
	names, attach, err := d.capturePoints(r.Header.Get(api.AccountHeader), c)
	if err != nil {
		writeObserveError(w, err)
		return
	}
	// The pcapng header waits in out until the taps are attached, so that
	// a failure can still be answered with a JSON error.
	out := &heldWriter{w: w}
	flusher, _ := w.(http.Flusher)
	cw, err := capture.NewWriter(out, names, func() {
		if out.open && flusher != nil {
			flusher.Flush()
		}
	})
	if err != nil {
		api.WriteError(w, err)
		return
	}
	detach, err := attach(cw.Tap(0), cw.Tap(1))
	if err != nil {
		api.WriteJSON(w, http.StatusConflict, &control.Error{Code: control.CodeInvalidState, Message: "capture: " + err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/x-pcapng")
	w.Header().Set("Trailer", CaptureWrittenTrailer+", "+CaptureDroppedTrailer)
	w.WriteHeader(http.StatusOK)
	if err := out.release(); err != nil {
		detach()
		return
	}
	if flusher != nil {
		flusher.Flush()
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	if c.duration > 0 {
		ctx, cancel = context.WithTimeout(ctx, c.duration)
		defer cancel()
	}
	go func() {
		select {
		case <-d.closing: // the daemon is going down
			cancel()
		case <-ctx.Done():
		}
	}()
	points := strings.Join(names, ", ")
	d.log.Info("capture started", "points", points, "count", c.count, "duration", c.duration.String())
	err = cw.Run(ctx, c.count)
	detach()
	w.Header().Set(CaptureWrittenTrailer, strconv.FormatUint(cw.Written(), 10))
	w.Header().Set(CaptureDroppedTrailer, strconv.FormatUint(cw.Dropped(), 10))
	if err != nil {
		// Most often the client went away mid-write.
		d.log.Info("capture stopped", "points", points, "written", cw.Written(), "dropped", cw.Dropped(), "err", err)
		return
	}
	d.log.Info("capture stopped", "points", points, "written", cw.Written(), "dropped", cw.Dropped())
}

// writeObserveError writes err like api.WriteError, with HostNotFound a 404.
func writeObserveError(w http.ResponseWriter, err error) {
	var e *control.Error
	if errors.As(err, &e) && e.Code == CodeHostNotFound {
		api.WriteJSON(w, http.StatusNotFound, e)
		return
	}
	api.WriteError(w, err)
}

// heldWriter holds what is written to it until release, then passes writes
// through to w.
type heldWriter struct {
	w    http.ResponseWriter
	buf  bytes.Buffer
	open bool
}

func (h *heldWriter) Write(p []byte) (int, error) {
	if !h.open {
		return h.buf.Write(p)
	}
	return h.w.Write(p)
}

func (h *heldWriter) release() error {
	h.open = true
	_, err := h.w.Write(h.buf.Bytes())
	h.buf = bytes.Buffer{}
	return err
}

// controlOps names the mutating control operations by their route pattern.
var controlOps = map[string]string{
	"POST /v1/peerings":             "peering.create",
	"POST /v1/peerings/{id}/accept": "peering.accept",
	"POST /v1/peerings/{id}/reject": "peering.reject",
	"DELETE /v1/peerings/{id}":      "peering.delete",
	"POST /v1/routes":               "route.add",
	"DELETE /v1/routes":             "route.delete",
}

// logChanges wraps the control API so that every successful control change
// is logged as one line "control change" with the operation, the acting
// account and what changed; a refused one is logged at debug level with its
// HTTP status.
func (d *Daemon) logChanges(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		rec := &recordingWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		op, ok := controlOps[r.Pattern]
		if !ok {
			return
		}
		acct := r.Header.Get(api.AccountHeader)
		if acct == "" {
			if a, err := d.State.Account(""); err == nil {
				acct = a.ID
			}
		}
		if rec.status/100 != 2 {
			var e control.Error
			json.Unmarshal(rec.body.Bytes(), &e)
			d.log.Debug("control change refused", "op", op, "account", acct, "http_status", rec.status, "code", e.Code, "message", e.Message)
			return
		}
		attrs := []any{"op", op, "account", acct}
		if strings.HasPrefix(op, "peering.") {
			var p control.Peering
			if json.Unmarshal(rec.body.Bytes(), &p) == nil {
				attrs = append(attrs, "peering", p.ID, "vpc", p.VPC, "peer_vpc", p.PeerVPC, "status", string(p.Status))
			}
		} else {
			var rt control.Route
			if json.Unmarshal(rec.body.Bytes(), &rt) == nil {
				attrs = append(attrs, "route_table", rt.RouteTable, "destination", rt.Destination, "next_hop", rt.NextHop)
			}
		}
		d.log.Info("control change", attrs...)
	})
}

// recordingWriter keeps the status and the body of a response (control
// replies are small JSON objects) as they pass through.
type recordingWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (rw *recordingWriter) WriteHeader(status int) {
	rw.status = status
	rw.ResponseWriter.WriteHeader(status)
}

func (rw *recordingWriter) Write(p []byte) (int, error) {
	if rw.body.Len() < 64<<10 {
		rw.body.Write(p)
	}
	return rw.ResponseWriter.Write(p)
}

// Flush passes a flush through, so that streaming endpoints keep working.
func (rw *recordingWriter) Flush() {
	if f, ok := rw.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// metricsAddr resolves a --metrics-addr: a bare port (":9464" or "9464")
// listens on the loopback address only.
func metricsAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		if _, perr := strconv.ParseUint(addr, 10, 16); perr != nil {
			return "", fmt.Errorf("invalid metrics address %q: want HOST:PORT or :PORT", addr)
		}
		host, port = "", addr
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// serveMetrics serves Prometheus metrics at /metrics on addr.
func (d *Daemon) serveMetrics(addr string) error {
	addr, err := metricsAddr(addr)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	d.metricsLn = ln
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics.Handler(metrics.NewCollector(d.Network.Stats, d.State.AllPeerings)))
	d.metrics = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	d.serving.Add(1)
	go func() {
		defer d.serving.Done()
		if err := d.metrics.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Error("metrics server stopped", "err", err)
		}
	}()
	d.log.Info("metrics", "addr", ln.Addr().String())
	return nil
}

// MetricsAddr returns the address the metrics server listens on, or "" when
// it is not serving.
func (d *Daemon) MetricsAddr() string {
	if d.metricsLn == nil {
		return ""
	}
	return d.metricsLn.Addr().String()
}
