package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/explain"
	"github.com/vpcsim/vpcsim/router"
	"github.com/vpcsim/vpcsim/topology"
)

// A Daemon is the backend of its topology's API.
var _ api.Backend = (*Daemon)(nil)

// Status returns the topology's status as seen by the account acct
// ("" is the default account): its own VPCs, their hosts, and the
// peerings it takes part in. It compares the data plane with the control
// plane first (see Verify).
func (d *Daemon) Status(acct string) (api.Status, error) {
	t := d.Topology
	a, err := d.State.Account(acct)
	if err != nil {
		return api.Status{}, err
	}
	peerings, err := d.State.Peerings(acct, true)
	if err != nil {
		return api.Status{}, err
	}
	s := api.Status{Name: t.Name, State: api.StateRunning, PID: os.Getpid(), File: t.File, Started: d.started,
		Region: t.Region, MTU: t.MTU, StateFile: d.statePath, Peerings: peerings}
	if c, ok := d.Console(); ok {
		s.Console = c.URL
	}
	gone := make(map[string]bool)
	if d.Network != nil {
		for _, h := range d.Network.Stats().Hosts {
			gone[h.Host] = h.DeviceGone
		}
	}
	for _, v := range t.VPCs {
		if v.Account != a.ID {
			continue // another account's VPCs are invisible
		}
		vs := api.VPCStatus{ID: v.ID, Name: v.Name, Account: v.Account, Region: v.Region, CIDR: v.CIDR.String()}
		for _, sn := range v.Subnets {
			vs.Subnets = append(vs.Subnets, api.SubnetStatus{ID: sn.ID, CIDR: sn.CIDR.String(), Gateway: sn.Gateway().String(), RouteTable: sn.RouteTable})
		}
		s.VPCs = append(s.VPCs, vs)
		for _, h := range v.Hosts {
			s.Hosts = append(s.Hosts, api.HostStatus{Name: h.Name, VPC: v.ID, Subnet: h.Subnet, IP: h.IP.String(), Namespace: t.Namespace(h.Name), DeviceGone: gone[h.Name]})
		}
	}
	s.DataPlane = d.Verify()
	return s, nil
}

// Stats returns the data plane's counters that the account acct may see,
// and f selects: those of its own VPCs and their hosts, and both
// directions of the peerings it takes part in. A VPC, peering or host of f
// that the account does not see is not found.
func (d *Daemon) Stats(acct string, f api.StatsFilter) (api.Stats, error) {
	a, err := d.State.Account(acct)
	if err != nil {
		return api.Stats{}, err
	}
	own := make(map[string]bool)
	for _, v := range d.Topology.VPCs {
		own[v.ID] = v.Account == a.ID
	}
	if f.VPC != "" && !own[f.VPC] {
		return api.Stats{}, control.Errorf(control.CodeVpcNotFound, "vpc %q not found in account %s", f.VPC, a.ID)
	}
	if f.Peering != "" {
		p, err := d.State.ShowPeering(acct, f.Peering)
		if err != nil {
			return api.Stats{}, err
		}
		f.Peering = p.ID
	}
	if v, _ := d.Topology.Host(f.Host); f.Host != "" && (v == nil || !own[v.ID]) {
		return api.Stats{}, control.Errorf(control.CodeHostNotFound, "no host %q in the VPCs of account %s", f.Host, a.ID)
	}
	all := d.Network.Stats()
	s := api.Stats{VPCs: []router.VPCStats{}, Links: []router.LinkStats{}, Hosts: []router.HostStats{}, Lanes: []router.LaneStats{}}
	// The lanes carry every account's traffic: the operator sees them.
	if f == (api.StatsFilter{}) && d.operator(acct, "") == nil {
		s.Lanes = all.Lanes
	}
	for _, v := range all.VPCs {
		if own[v.VPC] && (f.VPC == "" || v.VPC == f.VPC) && f.Peering == "" && f.Host == "" {
			s.VPCs = append(s.VPCs, v)
		}
	}
	for _, l := range all.Links {
		if (own[l.From] || own[l.To]) && (f.VPC == "" || l.From == f.VPC || l.To == f.VPC) && (f.Peering == "" || l.Peering == f.Peering) && f.Host == "" {
			s.Links = append(s.Links, l)
		}
	}
	for _, h := range all.Hosts {
		if own[h.VPC] && (f.VPC == "" || h.VPC == f.VPC) && f.Peering == "" && (f.Host == "" || h.Host == f.Host) {
			s.Hosts = append(s.Hosts, h)
		}
	}
	return s, nil
}

// Explain analyses req against the running topology's live configuration
// (see package explain). With req.Probe, it also sends real packets from
// the source host and reports what they met: ping for ICMP, a TCP
// connection attempt, or a UDP datagram. Explain works for any hosts,
// whatever account of the topology asks: the operator of a topology sees
// all of it, and the answer names the account a fix belongs to.
func (d *Daemon) Explain(ctx context.Context, acct string, req api.ExplainRequest) (*explain.Result, error) {
	if _, err := d.State.Account(acct); err != nil {
		return nil, err
	}
	res, err := explain.Explain(d.State, req.Request)
	if err != nil {
		if errors.Is(err, explain.ErrInvalidRequest) {
			return nil, control.Errorf(control.CodeInvalidParameter, "%v", err)
		}
		return nil, err
	}
	if req.Probe {
		res.Probe = d.probe(ctx, res)
	}
	return res, nil
}

// CapturePoint resolves a capture of an active peering the account acct
// takes part in, or of a host of one of its VPCs; anything else is not
// found, as the control plane does for ids an account cannot see.
func (d *Daemon) CapturePoint(acct string, req api.CaptureRequest) (api.CapturePoint, error) {
	if req.Peering != "" {
		pd, err := d.State.ShowPeering(acct, req.Peering)
		if err != nil {
			return api.CapturePoint{}, err
		}
		p := pd.Peering
		if p.Status != control.StatusActive {
			return api.CapturePoint{}, control.Errorf(control.CodePeeringNotActive,
				"capture: peering %q is %s: only an active peering carries packets", p.ID, p.Status)
		}
		return api.CapturePoint{
			Names:  [2]string{p.ID + " " + p.VPC + "->" + p.PeerVPC, p.ID + " " + p.PeerVPC + "->" + p.VPC},
			Attach: func(ab, ba router.Tap) (func(), error) { return d.Network.TapPeering(p.ID, ab, ba) },
		}, nil
	}
	a, err := d.State.Account(acct)
	if err != nil {
		return api.CapturePoint{}, err
	}
	for _, v := range d.Topology.VPCs {
		for _, h := range v.Hosts {
			if h.Name == req.Host && v.Account == a.ID {
				return api.CapturePoint{
					Names:  [2]string{h.Name + " out", h.Name + " in"},
					Attach: func(out, in router.Tap) (func(), error) { return d.Network.TapHost(h.Name, out, in) },
				}, nil
			}
		}
	}
	return api.CapturePoint{}, control.Errorf(control.CodeHostNotFound, "no host %q in the VPCs of account %s", req.Host, a.ID)
}

// Shutdown makes Done return a closed channel: whoever runs the daemon
// tears it down. Only the topology's first account, which stands for its
// operator (and acts when no account is named), may; another account of
// the topology gets NotPermitted.
func (d *Daemon) Shutdown(acct string) error {
	if err := d.operator(acct, "stop"); err != nil {
		return err
	}
	d.shutdown.Do(func() { close(d.done) })
	return nil
}

// Save returns the running topology, with every change made since launch,
// as a topology file: launched, it gives the same peerings, statuses,
// routes and ids. Only the operator (see Shutdown) may save: the file
// holds every account's VPCs.
func (d *Daemon) Save(acct string) ([]byte, error) {
	if err := d.operator(acct, "save"); err != nil {
		return nil, err
	}
	header := fmt.Sprintf("Topology %q as it ran at %s, saved by \"vpcsim save\"\nfrom its launch from %s, with every change made since.",
		d.Topology.Name, time.Now().UTC().Format(time.RFC3339), d.Topology.File)
	return topology.Format(d.State.Topology(d.Topology), header), nil
}

// operator checks that the account acct is the topology's first account,
// which stands for its operator, to do what.
func (d *Daemon) operator(acct, what string) error {
	a, err := d.State.Account(acct)
	if err != nil {
		return err
	}
	if op, _ := d.State.Account(""); a.ID != op.ID {
		return control.Errorf(control.CodeNotPermitted, "only the topology's first account %s may %s it", op.ID, what)
	}
	return nil
}

// Done is closed when a client asks the daemon to shut down.
func (d *Daemon) Done() <-chan struct{} { return d.done }
