package bench

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Target is one of the forwarding targets vpcsim holds itself to, checked
// for one subject at one MTU: Value against Bound, from below (at least
// Bound) or, with AtMost, from above.
type Target struct {
	Subject string  `json:"subject"`
	MTU     int     `json:"mtu"`
	Name    string  `json:"target"`
	Value   float64 `json:"value"`
	Bound   float64 `json:"bound"`
	AtMost  bool    `json:"at_most,omitempty"`
	Met     bool    `json:"met"`
}

// targetSpec is a target: its name, whom the subject is compared with,
// and how its value and bound come out of the subject's result s and the
// other's, o. ok is false when a figure is missing.
type targetSpec struct {
	name   string
	with   string // "kernel", "self", or "before": the subject's single-lane kind
	atMost bool
	check  func(s, o *Result) (value, bound float64, ok bool)
}

// ratioCheck returns a check of fig(s)/of(o) against k.
func ratioCheck(k float64, fig func(*Result) float64, of func(*Result) float64) func(s, o *Result) (float64, float64, bool) {
	return func(s, o *Result) (float64, float64, bool) {
		r := ratio(fig(s), of(o))
		return r, k, r > 0
	}
}

func tcp1(r *Result) float64     { return r.TCPGbps }
func tcp4(r *Result) float64     { return r.TCP4Gbps }
func pairs(r *Result) float64    { return r.PairsGbps }
func quiet(r *Result) float64    { return r.QuietGbps }
func rtt(r *Result) float64      { return r.RTTMedianMicros }
func quietRTT(r *Result) float64 { return r.QuietRTTMedianMicros }

// retransmits returns a check of the retransmissions fig counts in s
// against o's, in a test whose throughput is gbps.
func retransmits(fig func(*Result) int, gbps func(*Result) float64) func(s, o *Result) (float64, float64, bool) {
	return func(s, o *Result) (float64, float64, bool) {
		return float64(fig(s)), float64(fig(o)), gbps(s) > 0 && gbps(o) > 0
	}
}

// targetSpecs are the targets of forwarding on every core: throughput
// within 0.7 of the kernel's for one stream, four streams and a stream in
// every pair; a stream in every pair scaling to 1.7 times one stream; a
// quiet pair keeping 40% of its throughput and its ping within twice its
// idle ping while the other pairs carry bulk; no more retransmissions than
// the kernel's; and a ping no slower than the single-lane data path's.
var targetSpecs = []targetSpec{
	{"1 stream / kernel's", "kernel", false, ratioCheck(0.7, tcp1, tcp1)},
	{"4 streams / kernel's", "kernel", false, ratioCheck(0.7, tcp4, tcp4)},
	{"pairs at once / kernel's", "kernel", false, ratioCheck(0.7, pairs, pairs)},
	{"pairs at once / own 1 stream", "self", false, ratioCheck(1.7, pairs, tcp1)},
	{"quiet stream / own 1 stream", "self", false, ratioCheck(0.4, quiet, tcp1)},
	{"quiet ping p50 / own idle", "self", true, ratioCheck(2, quietRTT, rtt)},
	{"retransmits, 1 and 4 streams, vs kernel's", "kernel", true,
		retransmits(func(r *Result) int { return r.TCPRetransmits + r.TCP4Retransmits }, tcp4)},
	{"retransmits, pairs at once, vs kernel's", "kernel", true,
		retransmits(func(r *Result) int { return r.PairsRetransmits }, pairs)},
	{"ping p50 / 1 lane's", "before", true, ratioCheck(1, rtt, rtt)},
}

// beforeName returns the name of the single-lane kind of a vpcsim subject
// ("vpcsim-1lane-busy" for "vpcsim-busy"), or "" for a subject that has
// none or is one.
func beforeName(subject string) string {
	rest, ok := strings.CutPrefix(subject, "vpcsim")
	if !ok || strings.Contains(rest, "lane") {
		return ""
	}
	return "vpcsim-1lane" + rest
}

// checkTargets checks every target for every vpcsim subject at every MTU
// where its comparison was measured too.
func checkTargets(results []Result) []Target {
	find := func(subject string, mtu int) *Result {
		for i := range results {
			if results[i].Subject == subject && results[i].MTU == mtu {
				return &results[i]
			}
		}
		return nil
	}
	var out []Target
	for i := range results {
		s := &results[i]
		if !strings.HasPrefix(s.Subject, "vpcsim") {
			continue
		}
		for _, spec := range targetSpecs {
			var o *Result
			switch spec.with {
			case "kernel":
				o = find("kernel", s.MTU)
			case "self":
				o = s
			case "before":
				o = find(beforeName(s.Subject), s.MTU)
			}
			if o == nil {
				continue
			}
			v, b, ok := spec.check(s, o)
			if !ok {
				continue
			}
			met := v >= b
			if spec.atMost {
				met = v <= b
			}
			out = append(out, Target{Subject: s.Subject, MTU: s.MTU, Name: spec.name, Value: v, Bound: b, AtMost: spec.atMost, Met: met})
		}
	}
	return out
}

// writeTargets prints the targets as a table, if there are any.
func writeTargets(w io.Writer, targets []Target) error {
	if len(targets) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\ntargets")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "subject\tmtu\ttarget\tvalue\twant\tmet\t")
	for _, t := range targets {
		want, met := ">= ", "yes"
		if t.AtMost {
			want = "<= "
		}
		if !t.Met {
			met = "NO"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t\n", t.Subject, t.MTU, t.Name, figure(t.Value), want+figure(t.Bound), met)
	}
	return tw.Flush()
}

// figure formats a target's value or bound: a count as a whole number, a
// ratio with three decimals, enough to tell it from a bound it rounds to.
func figure(v float64) string {
	if v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}
