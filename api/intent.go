package api

import (
	"context"
	"net/http"

	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/explain"
	"github.com/vpcsim/vpcsim/intent"
)

// MaxExplainBatch is the most requests one POST /v1/explain may carry.
// Probed, a batch takes about a second per MaxBatchProbes pairs whose
// packets find no way: well within WriteTimeout.
const MaxExplainBatch = 512

// ExplainBatchRequest is the body of POST /v1/explain: requests to answer
// in order, and whether to send real packets for each.
type ExplainBatchRequest struct {
	Requests []ExplainQuery `json:"requests"`
	Probe    bool           `json:"probe"`
}

// ExplainQuery is one request of a batch: explain.Request on the wire.
type ExplainQuery struct {
	Source      string           `json:"src"`
	Destination string           `json:"dst"`
	Protocol    explain.Protocol `json:"protocol,omitempty"`
	Port        int              `json:"port,omitempty"`
}

// explainBatch answers POST /v1/explain.
func (h handlers) explainBatch(w http.ResponseWriter, r *http.Request) {
	var req ExplainBatchRequest
	if !decode(w, r, &req) {
		return
	}
	if n := len(req.Requests); n == 0 || n > MaxExplainBatch {
		WriteError(w, control.Errorf(control.CodeInvalidParameter, "a batch holds 1 to %d requests, not %d", MaxExplainBatch, n))
		return
	}
	reqs := make([]explain.Request, len(req.Requests))
	for i, q := range req.Requests {
		reqs[i] = explain.Request{Source: q.Source, Destination: q.Destination, Protocol: q.Protocol, Port: q.Port}
	}
	res, err := h.b.ExplainAll(r.Context(), acct(r), reqs, req.Probe)
	reply(w, http.StatusOK, res, err)
}

// intent answers GET /v1/intent.
func (h handlers) intent(w http.ResponseWriter, r *http.Request) {
	p, err := h.b.Intent(acct(r))
	reply(w, http.StatusOK, p, err)
}

// ExplainAll explains reqs in order, against one reading of the
// configuration, sending real packets for each when probe is set; see
// Backend.ExplainAll. At most MaxExplainBatch requests go in one call. A
// Client is an intent.Explainer.
func (c *Client) ExplainAll(ctx context.Context, reqs []explain.Request, probe bool) ([]*explain.Result, error) {
	body := ExplainBatchRequest{Requests: make([]ExplainQuery, len(reqs)), Probe: probe}
	for i, r := range reqs {
		body.Requests[i] = ExplainQuery{Source: r.Source, Destination: r.Destination, Protocol: r.Protocol, Port: r.Port}
	}
	var res []*explain.Result
	err := c.do(ctx, http.MethodPost, "/v1/explain", body, &res)
	return res, err
}

var _ intent.Explainer = (*Client)(nil)

// Intent returns the running topology's hosts and the expect: rules of
// the file it was launched from, each with the host pairs it stands for.
func (c *Client) Intent(ctx context.Context) (intent.Plan, error) {
	var p intent.Plan
	err := c.do(ctx, http.MethodGet, "/v1/intent", nil, &p)
	return p, err
}
