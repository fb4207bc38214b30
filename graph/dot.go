package graph

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/vpcsim/vpcsim/topology"
)

// DOT writes g as a Graphviz digraph: a cluster per VPC holding a router
// node and a cluster per subnet with its hosts, and an edge per peering
// between the routers of its VPCs.
func (g Graph) DOT(w io.Writer) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "digraph %s {\n", dotQuote(g.Name))
	b.WriteString("\tgraph [rankdir=LR, fontname=\"Helvetica\", compound=true];\n")
	b.WriteString("\tnode [fontname=\"Helvetica\", shape=box, style=rounded];\n")
	b.WriteString("\tedge [fontname=\"Helvetica\", fontsize=10];\n")
	for _, v := range g.VPCs {
		fmt.Fprintf(b, "\tsubgraph %s {\n", dotQuote("cluster_vpc_"+v.ID))
		fmt.Fprintf(b, "\t\tlabel=%s;\n", dotLabel(vpcLabel(v)))
		fmt.Fprintf(b, "\t\t%s [label=\"router\", shape=ellipse, style=solid];\n", dotQuote(dotRouter(v.ID)))
		for _, s := range v.Subnets {
			fmt.Fprintf(b, "\t\tsubgraph %s {\n", dotQuote("cluster_subnet_"+v.ID+"/"+s.ID))
			fmt.Fprintf(b, "\t\t\tlabel=%s;\n", dotLabel([]string{s.ID, s.CIDR}))
			for _, h := range s.Hosts {
				fmt.Fprintf(b, "\t\t\t%s [label=%s];\n", dotQuote("host:"+h.Name), dotLabel([]string{h.Name, h.IP}))
			}
			b.WriteString("\t\t}\n")
		}
		b.WriteString("\t}\n")
	}
	for _, p := range g.Peerings {
		var attrs string
		switch styleOf(p.Status) {
		case edgeHidden:
			continue
		case edgeSolid:
			attrs = "style=solid"
			if p.OneSided {
				attrs += ", color=orange, fontcolor=orange, penwidth=2"
			}
		case edgeDashed:
			attrs = "style=dashed"
		case edgeGrey:
			attrs = "style=dotted, color=grey, fontcolor=grey"
		}
		fmt.Fprintf(b, "\t%s -> %s [label=%s, %s];\n",
			dotQuote(dotRouter(p.VPC)), dotQuote(dotRouter(p.PeerVPC)), dotLabel(peeringLabel(p)), attrs)
	}
	b.WriteString("}\n")
	return b.Flush()
}

func dotRouter(vpc string) string { return "vpc:" + vpc }

// dotQuote returns s as a DOT double-quoted string. Newlines are line
// breaks; other characters that are not printable are written as \u
// escapes (topology.Printable), so that none reaches a terminal.
func dotQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	lines := strings.Split(s, "\n")
	for i := range lines {
		lines[i] = topology.Printable(strings.ReplaceAll(lines[i], "\r", ""))
	}
	for _, r := range strings.Join(lines, "\n") {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// dotLabel returns lines as one quoted DOT label, a line each.
func dotLabel(lines []string) string {
	return dotQuote(strings.Join(lines, "\n"))
}
