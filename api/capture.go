package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vpcsim/vpcsim/capture"
	"github.com/vpcsim/vpcsim/control"
)

// The trailers of a GET /v1/capture response: how many packets the capture
// wrote, and how many it lost because the stream could not keep up.
const (
	CaptureWrittenTrailer = "Vpcsim-Capture-Written"
	CaptureDroppedTrailer = "Vpcsim-Capture-Dropped"
)

// query encodes r as the query of GET /v1/capture.
func (r CaptureRequest) query() url.Values {
	q := url.Values{}
	if r.Peering != "" {
		q.Set("peering", r.Peering)
	}
	if r.Host != "" {
		q.Set("host", r.Host)
	}
	if r.Count > 0 {
		q.Set("count", strconv.Itoa(r.Count))
	}
	if r.Duration > 0 {
		q.Set("duration", r.Duration.String())
	}
	return q
}

// parseCaptureRequest reads peering=ID|host=NAME[&count=N][&duration=D].
func parseCaptureRequest(r *http.Request) (CaptureRequest, error) {
	q := r.URL.Query()
	c := CaptureRequest{Peering: q.Get("peering"), Host: q.Get("host")}
	if (c.Peering == "") == (c.Host == "") {
		return c, control.Errorf(control.CodeInvalidParameter, "capture: want exactly one of peering= and host=")
	}
	if s := q.Get("count"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return c, control.Errorf(control.CodeInvalidParameter, "capture: invalid count=%q: want a number of packets, 0 for no limit", s)
		}
		c.Count = n
	}
	if s := q.Get("duration"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return c, control.Errorf(control.CodeInvalidParameter, "capture: invalid duration=%q: want a Go duration such as 5s, 0 for no limit", s)
		}
		c.Duration = d
	}
	return c, nil
}

// capture streams a pcapng capture until the request's count or duration
// is reached, the client goes away or the server closes. An error found
// before the first byte is answered as JSON.
func (h handlers) capture(w http.ResponseWriter, r *http.Request) {
	req, err := parseCaptureRequest(r)
	if err != nil {
		WriteError(w, err)
		return
	}
	pt, err := h.b.CapturePoint(acct(r), req)
	if err != nil {
		WriteError(w, err)
		return
	}
	// The pcapng header waits in out until the taps are attached, so that
	// a failure can still be answered with a JSON error.
	rc := http.NewResponseController(w)
	out := &heldWriter{w: w, rc: rc}
	cw, err := capture.NewWriter(out, pt.Names[:], func() {
		if out.open {
			rc.Flush()
		}
	})
	if err != nil {
		WriteError(w, err)
		return
	}
	detach, err := pt.Attach(cw.Tap(0), cw.Tap(1))
	if err != nil {
		WriteError(w, control.Errorf(control.CodeInvalidState, "capture: %v", err))
		return
	}
	w.Header().Set("Content-Type", "application/x-pcapng")
	w.Header().Set("Trailer", CaptureWrittenTrailer+", "+CaptureDroppedTrailer)
	w.WriteHeader(http.StatusOK)
	if err := out.release(); err != nil {
		detach()
		return
	}
	rc.Flush()
	ctx := r.Context()
	if req.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, req.Duration)
		defer cancel()
	}
	log := h.log.With("points", strings.Join(pt.Names[:], ", "))
	log.Info("capture started", "count", req.Count, "duration", req.Duration.String())
	err = cw.Run(ctx, req.Count)
	detach()
	w.Header().Set(CaptureWrittenTrailer, strconv.FormatUint(cw.Written(), 10))
	w.Header().Set(CaptureDroppedTrailer, strconv.FormatUint(cw.Dropped(), 10))
	if err != nil {
		// Most often the client went away mid-write.
		log.Info("capture stopped", "written", cw.Written(), "dropped", cw.Dropped(), "err", err)
		return
	}
	log.Info("capture stopped", "written", cw.Written(), "dropped", cw.Dropped())
}

// heldWriter holds what is written to it until release, then passes writes
// through to w. The stream stays open while it makes progress: each write
// has StreamTimeout to complete, however long the stream has run.
type heldWriter struct {
	w    http.ResponseWriter
	rc   *http.ResponseController
	buf  bytes.Buffer
	open bool
}

func (h *heldWriter) Write(p []byte) (int, error) {
	if !h.open {
		return h.buf.Write(p)
	}
	h.rc.SetWriteDeadline(time.Now().Add(StreamTimeout))
	return h.w.Write(p)
}

func (h *heldWriter) release() error {
	h.open = true
	_, err := h.Write(h.buf.Bytes())
	h.buf = bytes.Buffer{}
	return err
}

// Capture asks for a capture of req and copies the pcapng stream to out
// until the daemon ends it or ctx is done; started is called once the
// capture runs. A capture that ctx ends is not an error: its summary says
// Interrupted.
func (c *Client) Capture(ctx context.Context, req CaptureRequest, out io.Writer, started func()) (CaptureSummary, error) {
	resp, err := c.send(ctx, http.MethodGet, "/v1/capture?"+req.query().Encode(), nil)
	if err != nil {
		return CaptureSummary{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return CaptureSummary{}, replyError(resp)
	}
	if started != nil {
		started()
	}
	n, err := io.Copy(out, resp.Body)
	sum := CaptureSummary{Bytes: n}
	if err != nil {
		if ctx.Err() != nil {
			sum.Interrupted = true
			return sum, nil
		}
		return sum, fmt.Errorf("capture: %w", err)
	}
	sum.Written, _ = strconv.ParseUint(resp.Trailer.Get(CaptureWrittenTrailer), 10, 64)
	sum.Dropped, _ = strconv.ParseUint(resp.Trailer.Get(CaptureDroppedTrailer), 10, 64)
	return sum, nil
}
