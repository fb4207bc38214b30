package graph

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/vpcsim/vpcsim/topology"
)

// Mermaid writes g as a Mermaid flowchart: a subgraph per VPC holding a
// router node and a subgraph per subnet with its hosts, and a link per
// peering between the routers of its VPCs. Node ids are generated from
// positions, never from user ids, so any id is safe.
func (g Graph) Mermaid(w io.Writer) error {
	b := bufio.NewWriter(w)
	b.WriteString("flowchart LR\n")
	routers := make(map[string]string) // VPC id -> router node id
	for i, v := range g.VPCs {
		id := fmt.Sprintf("v%d", i)
		routers[v.ID] = id + "r"
		fmt.Fprintf(b, "\tsubgraph %s[%s]\n", id, mermaidLabel(vpcLabel(v)))
		fmt.Fprintf(b, "\t\t%sr([\"router\"])\n", id)
		for j, s := range v.Subnets {
			sid := fmt.Sprintf("%ss%d", id, j)
			fmt.Fprintf(b, "\t\tsubgraph %s[%s]\n", sid, mermaidLabel([]string{s.ID, s.CIDR}))
			for k, h := range s.Hosts {
				fmt.Fprintf(b, "\t\t\t%sh%d[%s]\n", sid, k, mermaidLabel([]string{h.Name, h.IP}))
			}
			b.WriteString("\t\tend\n")
		}
		b.WriteString("\tend\n")
	}
	var grey, warn []int
	links := 0
	for _, p := range g.Peerings {
		from, to := routers[p.VPC], routers[p.PeerVPC]
		if from == "" || to == "" {
			continue // a VPC of another topology: nothing to join
		}
		label := mermaidLabel(peeringLabel(p))
		switch styleOf(p.Status) {
		case edgeHidden:
			continue
		case edgeSolid:
			fmt.Fprintf(b, "\t%s -- %s --> %s\n", from, label, to)
			if p.OneSided {
				warn = append(warn, links)
			}
		case edgeDashed:
			fmt.Fprintf(b, "\t%s -. %s .-> %s\n", from, label, to)
		case edgeGrey:
			fmt.Fprintf(b, "\t%s -. %s .-> %s\n", from, label, to)
			grey = append(grey, links)
		}
		links++
	}
	for _, i := range grey {
		fmt.Fprintf(b, "\tlinkStyle %d stroke:#999,color:#999\n", i)
	}
	for _, i := range warn {
		fmt.Fprintf(b, "\tlinkStyle %d stroke:orange,stroke-width:3px,color:orange\n", i)
	}
	return b.Flush()
}

// mermaidLabel returns lines as one quoted Mermaid label. Characters that
// would end the string or be read as markup are written as entities.
func mermaidLabel(lines []string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i, l := range lines {
		if i > 0 {
			b.WriteString("<br/>")
		}
		for _, r := range topology.Printable(strings.ReplaceAll(l, "\n", " ")) {
			switch r {
			case '"':
				b.WriteString("#quot;")
			case '#':
				b.WriteString("#35;")
			case '<':
				b.WriteString("#lt;")
			case '>':
				b.WriteString("#gt;")
			case '&':
				b.WriteString("#amp;")
			case '\n', '\r':
				b.WriteByte(' ')
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
