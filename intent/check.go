package intent

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vpcsim/vpcsim/explain"
)

// Explainer answers explain requests in order. With probe it also sends
// real packets for each request from its source host's namespace and
// fills Result.Probe, comparing their fate with the analysis. The API
// client of a running topology is one, through a small adapter.
type Explainer interface {
	ExplainAll(ctx context.Context, reqs []explain.Request, probe bool) ([]*explain.Result, error)
}

// ErrCannotProbe is returned by Local when asked to send packets.
var ErrCannotProbe = errors.New("real packets need a running topology")

// Local is an Explainer that analyses the control state State in memory,
// without a running topology; it cannot probe.
type Local struct {
	State explain.State
}

// ExplainAll analyses reqs (see explain.ExplainAll).
func (l Local) ExplainAll(ctx context.Context, reqs []explain.Request, probe bool) ([]*explain.Result, error) {
	if probe {
		return nil, ErrCannotProbe
	}
	return explain.ExplainAll(l.State, reqs)
}

// DefaultBatch is the most requests sent to an Explainer in one call,
// unless Options say otherwise: the daemon answers a batch in one reply,
// probing a few dozen pairs at a time.
const DefaultBatch = 256

// Options configure Check and Reach.
type Options struct {
	// Probe sends real packets for every pair, besides the analysis.
	Probe bool
	// Batch is the most requests per call of the Explainer; 0 means
	// DefaultBatch.
	Batch int
}

// Report is the outcome of checking a plan.
type Report struct {
	Topology string `json:"topology"`
	File     string `json:"file"`
	Probed   bool   `json:"probed"`
	// Pass reports whether every expectation holds and, when probed, the
	// real packets agreed with the analysis for every pair. A plan without
	// rules does not pass: it checks nothing.
	Pass         bool `json:"pass"`
	Expectations int  `json:"expectations"`
	Passed       int  `json:"passed"`
	Failed       int  `json:"failed"`
	// Pairs counts the distinct pairs analysed (and probed); a pair that
	// several rules share is answered once.
	Pairs int `json:"pairs"`
	// Disagreements counts the pairs whose real packets met another fate
	// than the analysis predicts.
	Disagreements int          `json:"disagreements"`
	Seconds       float64      `json:"seconds"`
	Results       []RuleResult `json:"results"`
}

// RuleResult is the outcome of one rule. Its Pairs are left out: Outcomes
// holds one per pair, in the same order.
type RuleResult struct {
	Rule     Rule      `json:"expectation"`
	Pass     bool      `json:"pass"`
	Outcomes []Outcome `json:"outcomes"`
}

// Outcome is the answer for one pair of a rule.
type Outcome struct {
	From    string          `json:"from"`
	To      string          `json:"to"`
	Verdict explain.Verdict `json:"verdict"` // of the analysis
	Code    string          `json:"code"`    // why it is blocked (see Code)
	Probe   *explain.Probe  `json:"probe"`
	Pass    bool            `json:"pass"`
	// Failure is the kind of the first problem of a failing pair: one of
	// the Fail constants.
	Failure string `json:"failure"`
	// Problem says why the pair fails the rule.
	Problem string `json:"problem"`
	// Explain is the whole analysis, for a pair that fails only.
	Explain *explain.Result `json:"explain"`

	res *explain.Result
}

// The kinds of failure of a pair.
const (
	FailUnreachable  = "unreachable"  // reach: true, and the analysis finds it blocked
	FailReachable    = "reachable"    // reach: false, and the analysis finds it open
	FailReason       = "wrong_reason" // blocked, but not for the reason the rule names
	FailDisagreement = "disagreement" // the real packets met another fate than the analysis predicts
	FailNotProbed    = "not_probed"   // no packet could be sent
)

// Failures returns the outcomes that fail.
func (r *RuleResult) Failures() []Outcome {
	var out []Outcome
	for _, o := range r.Outcomes {
		if !o.Pass {
			out = append(out, o)
		}
	}
	return out
}

// Code returns the code of what blocks res: that of the forward path,
// else that of the return path; "" when it is reachable.
func Code(res *explain.Result) string {
	if b := blocked(res); b != nil {
		return b.Code
	}
	return ""
}

// blocked returns the first block of res, forward before return.
func blocked(res *explain.Result) *explain.Blocked {
	if res.Forward.Blocked != nil {
		return res.Forward.Blocked
	}
	return res.Return.Blocked
}

// Check answers every pair of every rule of p with ex and reports which
// rules hold. An error is the Explainer's: a check that ran has a Report,
// whether it passes or not.
func Check(ctx context.Context, ex Explainer, p Plan, opts Options) (*Report, error) {
	start := time.Now()
	index := make(map[explain.Request]int)
	var reqs []explain.Request
	for _, r := range p.Rules {
		for _, pr := range r.Pairs {
			req := r.request(pr)
			if _, ok := index[req]; !ok {
				index[req] = len(reqs)
				reqs = append(reqs, req)
			}
		}
	}
	results, err := explainAll(ctx, ex, reqs, opts)
	if err != nil {
		return nil, err
	}
	rep := &Report{Topology: p.Topology, File: p.File, Probed: opts.Probe, Expectations: len(p.Rules), Pairs: len(reqs),
		Results: make([]RuleResult, 0, len(p.Rules))}
	for _, res := range results {
		if pr := res.Probe; opts.Probe && pr != nil && pr.Sent && !pr.Agrees {
			rep.Disagreements++
		}
	}
	for _, r := range p.Rules {
		rr := RuleResult{Rule: r, Pass: true}
		rr.Rule.Pairs = nil
		for _, pr := range r.Pairs {
			o := evaluate(&r, pr, results[index[r.request(pr)]], opts.Probe)
			rr.Pass = rr.Pass && o.Pass
			rr.Outcomes = append(rr.Outcomes, o)
		}
		if rr.Pass {
			rep.Passed++
		} else {
			rep.Failed++
		}
		rep.Results = append(rep.Results, rr)
	}
	rep.Pass = rep.Failed == 0 && len(p.Rules) > 0
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

// explainAll answers reqs with ex, in batches of at most opts.Batch.
func explainAll(ctx context.Context, ex Explainer, reqs []explain.Request, opts Options) ([]*explain.Result, error) {
	batch := opts.Batch
	if batch <= 0 {
		batch = DefaultBatch
	}
	out := make([]*explain.Result, 0, len(reqs))
	for len(reqs) > 0 {
		n := min(batch, len(reqs))
		res, err := ex.ExplainAll(ctx, reqs[:n], opts.Probe)
		if err != nil {
			return nil, err
		}
		if len(res) != n {
			return nil, fmt.Errorf("asked to explain %d pairs, got %d answers", n, len(res))
		}
		for i, r := range res {
			if r == nil {
				return nil, fmt.Errorf("no answer for %s -> %s", reqs[i].Source, reqs[i].Destination)
			}
		}
		out = append(out, res...)
		reqs = reqs[n:]
	}
	return out, nil
}

// evaluate compares the answer res for the pair p with the rule r.
func evaluate(r *Rule, p Pair, res *explain.Result, probed bool) Outcome {
	o := Outcome{From: p.From, To: p.To, Verdict: res.Verdict, Code: Code(res), Probe: res.Probe, res: res}
	var problems []string
	fail := func(kind, problem string) {
		if o.Failure == "" {
			o.Failure = kind
		}
		problems = append(problems, problem)
	}
	reachable := res.Verdict == explain.Reachable
	switch {
	case r.Reach && !reachable:
		fail(FailUnreachable, "want reachable; the analysis finds it unreachable: "+blockedAt(res))
	case !r.Reach && reachable:
		fail(FailReachable, "want unreachable; the analysis finds the path open both ways")
	case !r.Reach && r.Because != "" && o.Code != r.Because:
		fail(FailReason, fmt.Sprintf("want unreachable because %s; it is unreachable because %s", r.Because, blockedAt(res)))
	}
	if probed {
		switch pr := res.Probe; {
		case pr == nil:
			fail(FailNotProbed, "no probe was sent")
		case !pr.Sent:
			fail(FailNotProbed, "no probe was sent: "+pr.Note)
		case !pr.Agrees:
			fail(FailDisagreement, fmt.Sprintf("the real packets disagree with the analysis: %s; %s", pr.Outcome, pr.Note))
		}
	}
	o.Pass = len(problems) == 0
	if !o.Pass {
		o.Problem = strings.Join(problems, "; ")
		o.Explain = res
	}
	return o
}

// blockedAt describes what blocks res: "NO_ROUTE at route_table rtb-a".
func blockedAt(res *explain.Result) string {
	b := blocked(res)
	if b == nil {
		return "nothing blocks it"
	}
	return fmt.Sprintf("%s at %s %s", b.Code, b.Component, b.ID)
}
