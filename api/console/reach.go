package console

import (
	"bytes"
	"context"
	"math"
	"net/http"
	"time"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/explain"
	"github.com/vpcsim/vpcsim/graph"
	"github.com/vpcsim/vpcsim/router"
)

// Limits of the reachability page: the matrix explains every ordered pair
// of hosts, a probe pings each pair for real, and the picture places every
// VPC on a circle.
const (
	maxMatrixHosts = 24
	maxProbeHosts  = 8
	maxGraphVPCs   = 60
)

// reachData is the reachability page.
type reachData struct {
	Hosts      []hostRef
	Rows       [][]cell // Rows[i][j]: from Hosts[i] to Hosts[j]
	TooMany    int      // hosts, when more than the matrix shows
	MaxHosts   int
	CanProbe   bool
	MaxProbe   int
	ProbedAt   string
	Reasons    []string
	Drops      []dropRow
	Graph      *picture
	Mermaid    string
	MatrixErr  *control.Error
	StatsError *control.Error
}

// cell is a pair of hosts: the analysis, and a probe's outcome.
type cell struct {
	Src, Dst string
	Self     bool
	Verdict  explain.Verdict
	Code     string // what blocks the request or the reply
	Probe    *explain.Probe
}

// dropRow is a VPC's counters.
type dropRow struct {
	VPC      string
	Received uint64
	Drops    []uint64 // by reachData.Reasons
}

func (c *Console) reachPage(v *view) { c.reach(v, false) }

func (c *Console) probeAll(v *view) { c.reach(v, true) }

// reach renders the reachability page; with probe, every cell is probed
// with real packets too.
func (c *Console) reach(v *view, probe bool) {
	d := &reachData{MaxHosts: maxMatrixHosts, MaxProbe: maxProbeHosts, Hosts: c.dir.hosts}
	d.CanProbe = len(d.Hosts) <= maxProbeHosts
	if len(d.Hosts) > maxMatrixHosts {
		d.TooMany, d.Hosts = len(d.Hosts), nil
	}
	if probe && !d.CanProbe {
		v.fail(http.StatusBadRequest, control.Errorf(control.CodeLimitExceeded, v.text.ProbeTooManyF, len(c.dir.hosts), maxProbeHosts))
		return
	}
	var err error
	if d.Rows, err = matrix(v.ctx, v.api, d.Hosts, probe); err != nil {
		d.MatrixErr = control.AsError(err)
	}
	if probe {
		d.ProbedAt = time.Now().Format("15:04:05")
	}
	for _, r := range router.DropReasons() {
		d.Reasons = append(d.Reasons, r.String())
	}
	if stats, err := v.api.Stats(v.ctx, api.StatsFilter{}); err != nil {
		d.StatsError = control.AsError(err)
	} else {
		for _, vs := range stats.VPCs {
			row := dropRow{VPC: vs.VPC, Received: vs.Received.Packets}
			for _, r := range router.DropReasons() {
				row.Drops = append(row.Drops, vs.Drops[r])
			}
			d.Drops = append(d.Drops, row)
		}
	}
	st, err := v.api.Status(v.ctx)
	if err != nil {
		v.fail(0, err)
		return
	}
	g := c.graphOf(st)
	var buf bytes.Buffer
	g.Mermaid(&buf)
	d.Mermaid = buf.String()
	if len(g.VPCs) <= maxGraphVPCs {
		own := make(map[string]bool)
		for _, vs := range st.VPCs {
			own[vs.ID] = true
		}
		d.Graph = layout(g, own)
	}
	p := &page{Title: v.text.ReachTitle, Nav: "reach", Data: d, Static: probe, URL: "/reach"}
	if !probe {
		p.Poll = 2000 // the counters move without events
	}
	v.render(http.StatusOK, "reach", p)
}

// matrix explains every ordered pair of hosts, probing them with real
// packets when probe is set: one batch of the API, answered against one
// reading of the configuration (as many batches as its limit needs).
func matrix(ctx context.Context, c *api.Client, hosts []hostRef, probe bool) ([][]cell, error) {
	rows := make([][]cell, len(hosts))
	var reqs []explain.Request
	var cells []*cell
	for i, src := range hosts {
		rows[i] = make([]cell, len(hosts))
		for j, dst := range hosts {
			rows[i][j] = cell{Src: src.Name, Dst: dst.Name, Self: i == j}
			if i != j {
				reqs = append(reqs, explain.Request{Source: src.Name, Destination: dst.Name})
				cells = append(cells, &rows[i][j])
			}
		}
	}
	for len(reqs) > 0 {
		n := min(len(reqs), api.MaxExplainBatch)
		res, err := c.ExplainAll(ctx, reqs[:n], probe)
		if err != nil {
			return rows, err
		}
		for k, r := range res {
			cl := cells[k]
			cl.Verdict, cl.Probe = r.Verdict, r.Probe
			for _, p := range []explain.Path{r.Forward, r.Return} {
				if p.Blocked != nil && cl.Code == "" {
					cl.Code = p.Blocked.Code
				}
			}
		}
		reqs, cells = reqs[n:], cells[n:]
	}
	return rows, nil
}

// graphOf returns the picture of the topology as the acting account sees
// it: its VPCs, the VPCs its peerings lead to, and those peerings.
func (c *Console) graphOf(st api.Status) graph.Graph {
	g := graph.Graph{Name: st.Name}
	seen := make(map[string]bool)
	add := func(id string) {
		if seen[id] {
			return
		}
		seen[id] = true
		v := c.dir.vpc(id)
		gv := graph.VPC{ID: v.ID, Name: v.Name, CIDR: v.CIDR, Account: v.Account, Region: v.Region}
		for _, vs := range st.VPCs {
			if vs.ID != id {
				continue
			}
			for _, s := range vs.Subnets {
				gs := graph.Subnet{ID: s.ID, CIDR: s.CIDR}
				for _, h := range st.Hosts {
					if h.VPC == id && h.Subnet == s.ID {
						gs.Hosts = append(gs.Hosts, graph.Host{Name: h.Name, IP: h.IP})
					}
				}
				gv.Subnets = append(gv.Subnets, gs)
			}
		}
		g.VPCs = append(g.VPCs, gv)
	}
	for _, vs := range st.VPCs {
		add(vs.ID)
	}
	for _, p := range st.Peerings {
		add(p.VPC)
		add(p.PeerVPC)
		g.Peerings = append(g.Peerings, graph.Peering{ID: p.ID, Name: p.Name, VPC: p.VPC, PeerVPC: p.PeerVPC, Status: p.Status})
	}
	return g
}

// picture is the topology drawn as SVG: VPCs on a circle, peerings as
// lines between them.
type picture struct {
	Width, Height int
	Nodes         []node
	Edges         []edge
}

type node struct {
	X, Y    int // the box's top left corner
	W, H    int
	TX      int    // where the lines of text start
	TY      [3]int // and their baselines
	VPC     graph.VPC
	Foreign bool // another account's
	Hosts   int
}

type edge struct {
	X1, Y1, X2, Y2 int
	LX, LY         int // the label's place
	Peering        graph.Peering
	Class          string // active, pending or ended
}

// layout places g's VPCs on a circle; deleted peerings are left out. own
// are the acting account's VPCs; the others are drawn apart.
func layout(g graph.Graph, own map[string]bool) *picture {
	const w, h, margin = 190, 66, 24
	g.VPCs = peersTogether(g)
	n := len(g.VPCs)
	radius := math.Max(210, float64(n)*(w+40)/(2*math.Pi))
	if n == 1 {
		radius = 0
	}
	pic := &picture{Width: int(2*radius) + w + 2*margin, Height: int(2*radius*0.7) + h + 2*margin}
	start := -math.Pi / 2
	if n == 2 {
		start = math.Pi
	}
	centre := make(map[string][2]int)
	for i, v := range g.VPCs {
		a := start + 2*math.Pi*float64(i)/float64(n)
		cx := float64(pic.Width)/2 + radius*math.Cos(a)
		cy := float64(pic.Height)/2 + radius*0.7*math.Sin(a)
		centre[v.ID] = [2]int{int(cx), int(cy)}
		hosts := 0
		for _, s := range v.Subnets {
			hosts += len(s.Hosts)
		}
		x, y := int(cx)-w/2, int(cy)-h/2
		pic.Nodes = append(pic.Nodes, node{X: x, Y: y, W: w, H: h, TX: x + 10, TY: [3]int{y + 20, y + 38, y + 56},
			VPC: v, Foreign: !own[v.ID], Hosts: hosts})
	}
	for _, p := range g.Peerings {
		a, b := centre[p.VPC], centre[p.PeerVPC]
		class := "ended"
		switch p.Status {
		case control.StatusDeleted:
			continue
		case control.StatusActive:
			class = "active"
		case control.StatusPending:
			class = "pending"
		}
		pic.Edges = append(pic.Edges, edge{X1: a[0], Y1: a[1], X2: b[0], Y2: b[1], LX: (a[0] + b[0]) / 2, LY: (a[1]+b[1])/2 - 6, Peering: p, Class: class})
	}
	return pic
}

// peersTogether returns g's VPCs ordered so that peered VPCs come one
// after the other (breadth first along the peerings, from each VPC in
// g's order not yet placed): on the circle, their lines are short and
// cross less.
func peersTogether(g graph.Graph) []graph.VPC {
	index := make(map[string]int, len(g.VPCs))
	for i, v := range g.VPCs {
		index[v.ID] = i
	}
	next := make([][]int, len(g.VPCs))
	for _, p := range g.Peerings {
		a, aok := index[p.VPC]
		b, bok := index[p.PeerVPC]
		if aok && bok && p.Status != control.StatusDeleted {
			next[a] = append(next[a], b)
			next[b] = append(next[b], a)
		}
	}
	placed := make([]bool, len(g.VPCs))
	out := make([]graph.VPC, 0, len(g.VPCs))
	for i := range g.VPCs {
		for queue := []int{i}; len(queue) > 0; queue = queue[1:] {
			if j := queue[0]; !placed[j] {
				placed[j] = true
				out = append(out, g.VPCs[j])
				queue = append(queue, next[j]...)
			}
		}
	}
	return out
}
