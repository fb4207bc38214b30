// Package intent checks the reachability a topology's author intends: the
// expect: rules of its file (see package topology), each expanded into the
// host pairs it stands for. Every pair is answered by the analysis of
// package explain and, on a running topology, by real packets sent from
// the hosts' namespaces. A rule holds when the analysis of each of its
// pairs gives the verdict (and the reason) the rule asks for and, where
// packets were sent, they met the fate the analysis predicts: vpcsim check
// passes only when analysis, packets and intent all agree.
//
// The same machinery builds the host × host reachability matrix (vpcsim
// reach, Mininet's pingall) and turns a matrix back into rules (vpcsim
// save --expect), a snapshot to check later changes against.
//
// Answers come from an Explainer: the API client of a running topology,
// a daemon in the same process, or Local, which analyses a control state
// in memory without sending anything. The package itself sends no packet
// and holds no state; its functions are safe for concurrent use.
package intent

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/vpcsim/vpcsim/explain"
	"github.com/vpcsim/vpcsim/topology"
)

// Host is a host of a topology.
type Host struct {
	Name string     `json:"name"`
	VPC  string     `json:"vpc"`
	IP   netip.Addr `json:"ip"`
}

// Pair is a source host and a destination: a host name, or an address as
// a rule wrote it.
type Pair struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Rule is an expect: rule of a topology file, where the file has it, and
// the host pairs it stands for.
type Rule struct {
	File     string           `json:"file"`
	Line     int              `json:"line"`
	Col      int              `json:"col"`
	From     string           `json:"from"`
	To       string           `json:"to"`
	Protocol explain.Protocol `json:"protocol"`
	Port     int              `json:"port"`
	Reach    bool             `json:"reach"`
	Because  string           `json:"because"`
	Pairs    []Pair           `json:"pairs,omitempty"`
}

// Plan is what checking a topology takes: its hosts and its rules with
// their pairs. A running topology's daemon serves its plan; NewPlan makes
// one from a file.
type Plan struct {
	Topology string `json:"topology"`
	File     string `json:"file"`
	Hosts    []Host `json:"hosts"`
	Rules    []Rule `json:"rules"`
}

// NewPlan returns the plan of a parsed topology.
func NewPlan(t *topology.Topology) Plan {
	p := Plan{Topology: t.Name, File: t.File, Hosts: Hosts(t), Rules: make([]Rule, 0, len(t.Expect))}
	for _, e := range t.Expect {
		r := Rule{File: t.File, Line: e.Pos.Line, Col: e.Pos.Col, From: e.From, To: e.To,
			Protocol: explain.Protocol(e.Protocol), Port: e.Port, Reach: e.Reach, Because: e.Because}
		for _, pr := range t.Pairs(e) {
			r.Pairs = append(r.Pairs, Pair{From: pr.From, To: pr.To})
		}
		p.Rules = append(p.Rules, r)
	}
	return p
}

// Hosts returns the hosts of t, in file order.
func Hosts(t *topology.Topology) []Host {
	hosts := make([]Host, 0, t.HostCount())
	for _, v := range t.VPCs {
		for _, h := range v.Hosts {
			hosts = append(hosts, Host{Name: h.Name, VPC: v.ID, IP: h.IP})
		}
	}
	return hosts
}

// Where returns the rule's position, FILE:LINE:COL.
func (r *Rule) Where() string { return fmt.Sprintf("%s:%d:%d", r.File, r.Line, r.Col) }

// String describes the rule: "vpc1 -> vpc2, tcp port 5201: reachable",
// "h2 -> h3, icmp: unreachable because NOT_TRANSITIVE".
func (r *Rule) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s -> %s, %s: ", r.From, r.To, protocol(r.Protocol, r.Port))
	if r.Reach {
		b.WriteString("reachable")
	} else {
		b.WriteString("unreachable")
		if r.Because != "" {
			b.WriteString(" because " + r.Because)
		}
	}
	return b.String()
}

// protocol names a protocol and port: "icmp", "tcp port 80".
func protocol(p explain.Protocol, port int) string {
	if p == "" {
		p = explain.ICMP
	}
	if port == 0 {
		return string(p)
	}
	return fmt.Sprintf("%s port %d", p, port)
}

// request returns the explain request of a pair of the rule.
func (r *Rule) request(p Pair) explain.Request {
	return explain.Request{Source: p.From, Destination: p.To, Protocol: r.Protocol, Port: r.Port}
}
