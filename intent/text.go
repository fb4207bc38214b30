package intent

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vpcsim/vpcsim/explain"
	"github.com/vpcsim/vpcsim/topology"
)

// MaxTraces is how many failing pairs of one rule WriteText shows with
// their whole trace; the others get a line each, up to MaxFailureLines.
const (
	MaxTraces       = 1
	MaxFailureLines = 10
)

// WriteText writes the report for a terminal: a line per rule, PASS or
// FAIL, and under a failing rule why, with the trace of the analysis and
// what to change; then a summary.
func (r *Report) WriteText(w io.Writer) error {
	var b bytes.Buffer
	how := "by analysis"
	if r.Probed {
		how = "by analysis and real packets"
	}
	fmt.Fprintf(&b, "topology %q (%s): %s, %s, %s\n\n", r.Topology, pr(r.File), plural(r.Expectations, "expectation"), plural(r.Pairs, "host pair"), how)
	for i := range r.Results {
		rr := &r.Results[i]
		status := "PASS"
		if !rr.Pass {
			status = "FAIL"
		}
		pairs := ""
		if n := len(rr.Outcomes); n > 1 || rr.Rule.From != rr.Outcomes[0].From || rr.Rule.To != rr.Outcomes[0].To {
			pairs = " (" + plural(n, "pair") + ")"
		}
		fmt.Fprintf(&b, "%s  %s  %s%s\n", status, pr(rr.Rule.Where()), pr(rr.Rule.String()), pairs)
		if !rr.Pass {
			writeFailures(&b, rr)
		}
	}
	b.WriteByte('\n')
	b.WriteString(r.Summary())
	b.WriteByte('\n')
	_, err := w.Write(b.Bytes())
	return err
}

// Summary is the report's last line: "ok: ..." or "FAILED: ...".
func (r *Report) Summary() string {
	took := time.Duration(r.Seconds * float64(time.Second)).Round(10 * time.Millisecond)
	agree := ""
	if r.Probed {
		if r.Disagreements == 0 {
			agree = "; the real packets of every pair agree with the analysis"
		} else {
			agree = fmt.Sprintf("; the real packets of %s DISAGREE with the analysis", plural(r.Disagreements, "pair"))
		}
	}
	if r.Pass {
		return fmt.Sprintf("ok: %d of %s hold%s (%v)", r.Passed, plural(r.Expectations, "expectation"), agree, took)
	}
	if r.Expectations == 0 {
		return "FAILED: no expectations: nothing was checked"
	}
	verb := "fail"
	if r.Failed == 1 {
		verb = "fails"
	}
	return fmt.Sprintf("FAILED: %d of %s %s%s (%v)", r.Failed, plural(r.Expectations, "expectation"), verb, agree, took)
}

// writeFailures writes why the pairs of a rule fail: the first with its
// trace, the next ones a line each.
func writeFailures(b *bytes.Buffer, rr *RuleResult) {
	const indent = "      "
	fails := rr.Failures()
	for i, o := range fails {
		if i == MaxTraces+MaxFailureLines {
			fmt.Fprintf(b, "%s... and %s more\n", indent, plural(len(fails)-i, "failing pair"))
			break
		}
		fmt.Fprintf(b, "%s%s -> %s: %s\n", indent, pr(o.From), pr(o.To), pr(o.Problem))
		if i >= MaxTraces {
			continue
		}
		if p := o.Probe; p != nil && p.Sent {
			fmt.Fprintf(b, "%sprobe (%s): %s\n", indent, p.Method, pr(p.Outcome))
		}
		writeTrace(b, indent, o.Explain)
		if fix := openPathFix(&rr.Rule, o.Explain); fix != "" {
			fmt.Fprintf(b, "%sfix: %s\n", indent, pr(fix))
		}
	}
}

// writeTrace writes both paths of res as explain prints them, each line
// after indent.
func writeTrace(b *bytes.Buffer, indent string, res *explain.Result) {
	if res == nil {
		return
	}
	for _, p := range []struct {
		name string
		path explain.Path
	}{{"FORWARD", res.Forward}, {"RETURN", res.Return}} {
		fmt.Fprintf(b, "%s%s  %s\n", indent, p.name, strings.ReplaceAll(string(p.path.Verdict), "_", " "))
		if p.path.Note != "" {
			fmt.Fprintf(b, "%s  note: %s\n", indent, pr(p.path.Note))
		}
		if len(p.path.Hops) > 0 {
			var t bytes.Buffer
			tw := tabwriter.NewWriter(&t, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "STEP\tCOMPONENT\tID\tVERDICT\tDETAIL")
			for _, h := range p.path.Hops {
				v := h.Verdict
				if v == explain.HopBlocked {
					v = "BLOCKED"
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", h.Step, h.Component, pr(h.ID), v, pr(h.Detail))
			}
			tw.Flush()
			for _, line := range strings.SplitAfter(strings.TrimSuffix(t.String(), "\n"), "\n") {
				b.WriteString(indent + "  " + strings.TrimRight(line, " "))
			}
			b.WriteByte('\n')
		}
		if bl := p.path.Blocked; bl != nil {
			fmt.Fprintf(b, "%sblocked: %s at %s %s", indent, bl.Code, bl.Component, pr(bl.ID))
			if bl.Drop != "" {
				fmt.Fprintf(b, " (the router of %s counts it as %s)", bl.DropVPC, bl.Drop)
			}
			fmt.Fprintf(b, "\n%sfix: %s\n", indent, pr(bl.Message))
		}
	}
}

// openPathFix says what to change when a rule wants a pair unreachable
// and the analysis finds it open: a route it takes, or the rule.
func openPathFix(r *Rule, res *explain.Result) string {
	if r.Reach || res == nil || res.Verdict != explain.Reachable {
		return ""
	}
	var tables, peerings []string
	for _, path := range []explain.Path{res.Forward, res.Return} {
		for _, h := range path.Hops {
			switch h.Component {
			case explain.ComponentRouteTable:
				tables = appendNew(tables, h.ID)
			case explain.ComponentPeering:
				peerings = appendNew(peerings, h.ID)
			}
		}
	}
	if len(peerings) == 0 {
		return fmt.Sprintf("%s and %s are in one VPC, whose local route always delivers; if they must not talk, correct the expectation or move one to another VPC",
			res.Source.Given, res.Destination.Given)
	}
	return fmt.Sprintf("the path crosses peering %s; to block it, delete its route over %s in route table %s, or delete the peering; if the path is meant to be open, correct the expectation",
		strings.Join(peerings, ", "), strings.Join(peerings, ", "), strings.Join(tables, " or "))
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// pr makes a value printable: names, messages and file names may come
// from elsewhere, and no control character may reach a terminal.
func pr(s string) string { return topology.Printable(s) }

// plural returns "1 pair", "2 pairs".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
