package intent

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/vpcsim/vpcsim/explain"
	"github.com/vpcsim/vpcsim/topology"
)

// Matrix is the reachability of host pairs by ICMP echo: Mininet's pingall.
type Matrix struct {
	Hosts  []Host `json:"hosts"`
	Probed bool   `json:"probed"`
	// Pairs holds a cell per ordered pair of distinct hosts shown, by
	// source in the order of Hosts, then by destination.
	Pairs     []Cell  `json:"pairs"`
	Reachable int     `json:"reachable"`
	Seconds   float64 `json:"seconds"`
}

// Cell is the reachability of one pair.
type Cell struct {
	From    string          `json:"from"`
	To      string          `json:"to"`
	Verdict explain.Verdict `json:"verdict"`
	Code    string          `json:"code"` // why it is blocked (see Code)
	// At is the component that blocks it: "route_table vpc2-default".
	At    string         `json:"at"`
	Probe *explain.Probe `json:"probe"`
}

// Disagrees reports whether real packets met another fate than the
// analysis predicts.
func (c *Cell) Disagrees() bool { return c.Probe != nil && c.Probe.Sent && !c.Probe.Agrees }

// Reach answers, by ICMP echo, every ordered pair of distinct hosts of
// hosts for which show(from, to) holds (nil shows every pair).
func Reach(ctx context.Context, ex Explainer, hosts []Host, show func(from, to Host) bool, opts Options) (*Matrix, error) {
	start := time.Now()
	m := &Matrix{Hosts: hosts, Probed: opts.Probe, Pairs: []Cell{}}
	var reqs []explain.Request
	for _, f := range hosts {
		for _, t := range hosts {
			if f.Name != t.Name && (show == nil || show(f, t)) {
				reqs = append(reqs, explain.Request{Source: f.Name, Destination: t.Name, Protocol: explain.ICMP})
			}
		}
	}
	results, err := explainAll(ctx, ex, reqs, opts)
	if err != nil {
		return nil, err
	}
	for i, res := range results {
		c := Cell{From: reqs[i].Source, To: reqs[i].Destination, Verdict: res.Verdict, Code: Code(res), Probe: res.Probe}
		if b := blocked(res); b != nil {
			c.At = b.Component + " " + b.ID
		}
		if c.Verdict == explain.Reachable {
			m.Reachable++
		}
		m.Pairs = append(m.Pairs, c)
	}
	m.Seconds = time.Since(start).Seconds()
	return m, nil
}

// WriteText writes the matrix as pingall does, a line per source host
// listing the destinations it reaches and an X for each it does not,
// then the blocked pairs with their reasons.
func (m *Matrix) WriteText(w io.Writer) error {
	var b bytes.Buffer
	how := "analysis"
	if m.Probed {
		how = "analysis and real packets"
	}
	fmt.Fprintf(&b, "*** reachability by ICMP echo (%s): %s\n", how, plural(len(m.Pairs), "pair"))
	var blocked, disagree []Cell
	for i := 0; i < len(m.Pairs); {
		from := m.Pairs[i].From
		fmt.Fprintf(&b, "%s ->", pr(from))
		for ; i < len(m.Pairs) && m.Pairs[i].From == from; i++ {
			c := m.Pairs[i]
			mark := pr(c.To)
			if c.Verdict != explain.Reachable {
				mark = "X"
				blocked = append(blocked, c)
			}
			if c.Disagrees() {
				mark += "!"
				disagree = append(disagree, c)
			}
			b.WriteString(" " + mark)
		}
		b.WriteByte('\n')
	}
	pct := 0
	if len(m.Pairs) > 0 {
		pct = 100 * m.Reachable / len(m.Pairs)
	}
	fmt.Fprintf(&b, "*** %d of %s reachable (%d%%)\n", m.Reachable, plural(len(m.Pairs), "pair"), pct)
	if len(blocked) > 0 {
		b.WriteString("\nunreachable:\n")
		for _, c := range blocked {
			fmt.Fprintf(&b, "  %s -> %s  %s at %s\n", pr(c.From), pr(c.To), c.Code, pr(c.At))
		}
	}
	if len(disagree) > 0 {
		b.WriteString("\nreal packets DISAGREE with the analysis (marked !):\n")
		for _, c := range disagree {
			fmt.Fprintf(&b, "  %s -> %s  analysis %s; %s; %s\n", pr(c.From), pr(c.To), c.Verdict, pr(c.Probe.Outcome), pr(c.Probe.Note))
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// Expectations turns the matrix into expect: rules for the topology t it
// was made of: a rule between two VPCs where all their host pairs are in
// the matrix and fare alike (same verdict, same reason), else a rule per
// host pair. Pairs inside one VPC are left out: a VPC's local route
// always delivers. Unreachable pairs name their reason in Because, so
// that a change of why they are blocked shows too. Positions are zero.
func (m *Matrix) Expectations(t *topology.Topology) ([]topology.Expectation, error) {
	cells := make(map[[2]string]*Cell, len(m.Pairs))
	for i := range m.Pairs {
		c := &m.Pairs[i]
		cells[[2]string{c.From, c.To}] = c
	}
	isVPC := make(map[string]bool)
	for _, v := range t.VPCs {
		isVPC[v.ID] = true
	}
	// name is how a rule names a host: by name, or by address when a VPC
	// has its name (a rule could not tell them apart).
	name := func(h *topology.Host) (string, error) {
		if !isVPC[h.Name] {
			return h.Name, nil
		}
		for _, v := range t.VPCs {
			for _, o := range v.Hosts {
				if o.IP == h.IP && o.Name != h.Name {
					return "", fmt.Errorf("host %s cannot be named in a rule: VPC %s has its name and host %s its address", h.Name, h.Name, o.Name)
				}
			}
		}
		return h.IP.String(), nil
	}
	var rules []topology.Expectation
	for i := range t.VPCs {
		a := &t.VPCs[i]
		for j := range t.VPCs {
			b := &t.VPCs[j]
			if i == j || len(a.Hosts) == 0 || len(b.Hosts) == 0 {
				continue
			}
			var group []*Cell
			whole := true
			for k := range a.Hosts {
				for l := range b.Hosts {
					c, ok := cells[[2]string{a.Hosts[k].Name, b.Hosts[l].Name}]
					if !ok {
						whole = false
						continue
					}
					group = append(group, c)
				}
			}
			if len(group) == 0 {
				continue
			}
			alike := !slices.ContainsFunc(group, func(c *Cell) bool { return c.Verdict != group[0].Verdict || c.Code != group[0].Code })
			if whole && alike && !hostNamed(t, a.ID) && !hostNamed(t, b.ID) {
				rules = append(rules, rule(a.ID, b.ID, group[0]))
				continue
			}
			for _, c := range group {
				_, fh := t.Host(c.From)
				_, th := t.Host(c.To)
				from, err := name(fh)
				if err != nil {
					return nil, err
				}
				to, err := name(th)
				if err != nil {
					return nil, err
				}
				rules = append(rules, rule(from, to, c))
			}
		}
	}
	return rules, nil
}

// hostNamed reports whether t has a host named s.
func hostNamed(t *topology.Topology, s string) bool {
	_, h := t.Host(s)
	return h != nil
}

func rule(from, to string, c *Cell) topology.Expectation {
	e := topology.Expectation{From: from, To: to, Protocol: topology.ProtocolICMP, Reach: c.Verdict == explain.Reachable}
	if !e.Reach {
		e.Because = c.Code
	}
	return e
}

// Select returns the show function of Reach for hosts named in names or
// in the VPCs vpcs: a pair is shown when either end is selected. It
// returns nil, showing every pair, when both are empty, and an error
// naming what no host matches.
func Select(hosts []Host, vpcs, names []string) (func(from, to Host) bool, error) {
	if len(vpcs) == 0 && len(names) == 0 {
		return nil, nil
	}
	var unknown []string
	for _, v := range vpcs {
		if !slices.ContainsFunc(hosts, func(h Host) bool { return h.VPC == v }) {
			unknown = append(unknown, "VPC "+v)
		}
	}
	for _, n := range names {
		if !slices.ContainsFunc(hosts, func(h Host) bool { return h.Name == n }) {
			unknown = append(unknown, "host "+n)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("no hosts match %s", strings.Join(unknown, ", "))
	}
	selected := func(h Host) bool { return slices.Contains(vpcs, h.VPC) || slices.Contains(names, h.Name) }
	return func(from, to Host) bool { return selected(from) || selected(to) }, nil
}
