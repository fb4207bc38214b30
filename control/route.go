package control

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/vpcsim/vpcsim/topology"
)

// parseDestination parses a route destination and canonicalises it:
// 10.0.1.7/24 becomes 10.0.1.0/24.
func parseDestination(dest string) (netip.Prefix, error) {
	d, err := netip.ParsePrefix(strings.TrimSpace(dest))
	if err != nil || !d.Addr().Is4() {
		return netip.Prefix{}, Errorf(CodeInvalidParameter, "invalid destination %q: want an IPv4 CIDR such as 10.0.1.0/24", dest)
	}
	if d != d.Masked() {
		return netip.Prefix{}, Errorf(CodeInvalidParameter, "destination %s is not a network address: its network is %s", d, d.Masked())
	}
	return d, nil
}

// ownTableLocked returns the route table id if a VPC of the account a owns it.
func (s *State) ownTableLocked(a, id string) (*table, error) {
	tb := s.tables[id]
	if tb == nil || s.vpc(tb.vpc).Account != a {
		return nil, Errorf(CodeRouteTableNotFound, "route table %q not found in account %s", id, a)
	}
	return tb, nil
}

// routeTargetLocked resolves what a route change acts on: the account
// acct, its route table rtb and the canonical destination dest.
func (s *State) routeTargetLocked(acct, rtb, dest string) (string, *table, netip.Prefix, error) {
	a, err := s.account(acct)
	if err != nil {
		return "", nil, netip.Prefix{}, err
	}
	tb, err := s.ownTableLocked(a, rtb)
	if err != nil {
		return "", nil, netip.Prefix{}, err
	}
	d, err := parseDestination(dest)
	if err != nil {
		return "", nil, netip.Prefix{}, err
	}
	return a, tb, d, nil
}

// AddRoute adds to the route table rtb, of a VPC the account acct owns, a
// route to dest over the peering pcx. The peering must be active and join
// the table's VPC (a peering of other VPCs is an InvalidParameter); dest must
// not overlap the VPC CIDR; the table holds at most MaxRoutesPerTable user
// routes. dest is canonicalised; the route is returned.
func (s *State) AddRoute(acct, rtb, dest, pcx string) (Route, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked()
	c := s.beginLocked(OpAddRoute, acct, rtb+" "+dest, rtb, dest, pcx)
	r, err := s.addRouteLocked(c, acct, rtb, dest, pcx)
	s.endLocked(c, r, err)
	return r, err
}

func (s *State) addRouteLocked(c *call, acct, rtb, dest, pcx string) (Route, error) {
	a, tb, d, err := s.routeTargetLocked(acct, rtb, dest)
	if err != nil {
		return Route{}, err
	}
	if pcx, err = s.routeHopLocked(a, tb, d, pcx); err != nil {
		return Route{}, err
	}
	c.args[2] = pcx // it may have been named by its name
	if via, dup := tb.routes[d]; dup {
		return Route{}, Errorf(CodeRouteAlreadyExists, "route table %q already has a route to %s (via %s)", rtb, d, via)
	}
	if len(tb.routes) >= s.routeLimit {
		return Route{}, Errorf(CodeRouteLimitExceeded, "route table %q already has %d user routes, the limit", rtb, len(tb.routes))
	}
	tb.routes[d] = pcx
	s.saveRouteLocked(tb, d)
	s.touchLocked(tb)
	r := Route{RouteTable: rtb, Destination: d.String(), NextHopType: topology.NextHopPeering, NextHop: pcx}
	if err := s.commitLocked(c, true, func() { delete(tb.routes, d) }, r); err != nil {
		return Route{}, err
	}
	return r, nil
}

// routeHopLocked checks that a route of tb, of a VPC the account a owns,
// may lead to d over the peering pcx, and returns the peering's id: d must
// not overlap the VPC CIDR, and the peering must be active and join the
// table's VPC.
func (s *State) routeHopLocked(a string, tb *table, d netip.Prefix, pcx string) (string, error) {
	if d.Overlaps(tb.cidr) {
		return "", Errorf(CodeDestinationOverlapsLocal, "route table %q: destination %s overlaps the local route %s of vpc %s",
			tb.id, d, tb.cidr, tb.vpc)
	}
	if pcx == "" {
		return "", Errorf(CodeInvalidParameter, "route table %q: destination %s: a peering is required as next hop", tb.id, d)
	}
	p, err := s.visiblePeeringLocked(a, pcx)
	if err != nil {
		return "", err
	}
	if !p.involves(tb.vpc) {
		return "", Errorf(CodeInvalidParameter, "route table %q: peering %s joins %s and %s, not vpc %s of the table",
			tb.id, p.ID, p.VPC, p.PeerVPC, tb.vpc)
	}
	if p.Status != StatusActive {
		return "", Errorf(CodePeeringNotActive, "route table %q: peering %s is %s, not active", tb.id, p.ID, p.Status)
	}
	return p.ID, nil
}

// ReplaceRoute replaces, in the route table rtb of a VPC the account acct
// owns, the route to dest by a route to newDest (empty: dest again) over
// the peering pcx, as one change: the data plane, the saved state and the
// journal go from the old route to the new one with nothing in between,
// and a refused replace leaves the old route as it was. The new route is
// checked as AddRoute checks one; it is returned.
func (s *State) ReplaceRoute(acct, rtb, dest, newDest, pcx string) (Route, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked()
	c := s.beginLocked(OpReplaceRoute, acct, rtb+" "+dest, rtb, dest, newDest, pcx)
	r, err := s.replaceRouteLocked(c, acct, rtb, dest, newDest, pcx)
	s.endLocked(c, r, err)
	return r, err
}

func (s *State) replaceRouteLocked(c *call, acct, rtb, dest, newDest, pcx string) (Route, error) {
	a, tb, d, err := s.routeTargetLocked(acct, rtb, dest)
	if err != nil {
		return Route{}, err
	}
	via, ok := tb.routes[d]
	if !ok {
		if d == tb.cidr {
			return Route{}, Errorf(CodeInvalidParameter, "route table %q: the local route %s cannot be replaced", rtb, d)
		}
		return Route{}, Errorf(CodeRouteNotFound, "route table %q has no route to %s", rtb, d)
	}
	nd := d
	if strings.TrimSpace(newDest) != "" {
		if nd, err = parseDestination(newDest); err != nil {
			return Route{}, err
		}
	}
	if pcx, err = s.routeHopLocked(a, tb, nd, pcx); err != nil {
		return Route{}, err
	}
	c.args[3] = pcx
	if other, dup := tb.routes[nd]; dup && nd != d {
		return Route{}, Errorf(CodeRouteAlreadyExists, "route table %q already has a route to %s (via %s)", rtb, nd, other)
	}
	delete(tb.routes, d)
	tb.routes[nd] = pcx
	s.saveRouteLocked(tb, d)
	s.saveRouteLocked(tb, nd)
	s.touchLocked(tb)
	r := Route{RouteTable: rtb, Destination: nd.String(), NextHopType: topology.NextHopPeering, NextHop: pcx}
	undo := func() {
		delete(tb.routes, nd)
		tb.routes[d] = via
	}
	if err := s.commitLocked(c, true, undo, r); err != nil {
		return Route{}, err
	}
	return r, nil
}

// RouteWarnings returns what is likely wrong with the route r of a table
// of the account acct, though the cloud accepts it: a destination beyond
// the VPC at the other end of its peering, which drops what is not its own
// (a peering is never transit).
func (s *State) RouteWarnings(acct string, r Route) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	warnings := []string{}
	a, err := s.account(acct)
	if err != nil {
		return warnings
	}
	tb, p := s.tables[r.RouteTable], s.peerings[r.NextHop]
	d, err := netip.ParsePrefix(r.Destination)
	if tb == nil || p == nil || !p.visibleTo(a) || err != nil {
		return warnings
	}
	peer := s.vpc(p.PeerVPC)
	if peer.ID == tb.vpc {
		peer = s.vpc(p.VPC)
	}
	if c := peer.CIDR.Masked(); !c.Contains(d.Addr()) || d.Bits() < c.Bits() {
		warnings = append(warnings, fmt.Sprintf("destination %s is not inside %s's CIDR %s: a peering is never transit, so %s drops what is not its own (not_transitive)",
			d, peer.ID, c, peer.ID))
	}
	return warnings
}

// DeleteRoute deletes the route to dest from the route table rtb, of a VPC
// the account acct owns, and returns it. The local route cannot be deleted.
func (s *State) DeleteRoute(acct, rtb, dest string) (Route, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked()
	c := s.beginLocked(OpDeleteRoute, acct, rtb+" "+dest, rtb, dest)
	r, err := s.deleteRouteLocked(c, acct, rtb, dest)
	s.endLocked(c, r, err)
	return r, err
}

func (s *State) deleteRouteLocked(c *call, acct, rtb, dest string) (Route, error) {
	_, tb, d, err := s.routeTargetLocked(acct, rtb, dest)
	if err != nil {
		return Route{}, err
	}
	if d == tb.cidr {
		return Route{}, Errorf(CodeInvalidParameter, "route table %q: the local route %s cannot be deleted", rtb, d)
	}
	via, ok := tb.routes[d]
	if !ok {
		return Route{}, Errorf(CodeRouteNotFound, "route table %q has no route to %s", rtb, d)
	}
	delete(tb.routes, d)
	s.saveRouteLocked(tb, d)
	s.touchLocked(tb)
	r := Route{RouteTable: rtb, Destination: d.String(), NextHopType: topology.NextHopPeering, NextHop: via}
	if err := s.commitLocked(c, true, func() { tb.routes[d] = via }, r); err != nil {
		return Route{}, err
	}
	return r, nil
}

// Routes returns the routes of the route tables of the account acct's VPCs,
// each table's local route first, then its user routes by destination.
// table and vpc, when not empty, keep only that table and that VPC's tables;
// another account's table or VPC is not found.
func (s *State) Routes(acct, table, vpc string) ([]Route, error) {
	return s.ListRoutes(acct, RouteFilter{Table: table, VPC: vpc})
}

// RouteFilter selects routes: of one table, of one VPC's tables, over one
// peering (by id or name); empty fields select all.
type RouteFilter struct {
	Table, VPC, Peering string
}

// ListRoutes returns the routes of the account acct's route tables that f
// selects, as Routes does; with a peering, only the user routes over it.
func (s *State) ListRoutes(acct string, f RouteFilter) ([]Route, error) {
	table, vpc := f.Table, f.VPC
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.viewLocked(acct)
	if err != nil {
		return nil, err
	}
	var via *Peering
	if f.Peering != "" {
		if via, err = s.visiblePeeringLocked(a, f.Peering); err != nil {
			return nil, err
		}
	}
	if vpc != "" {
		if v := s.vpc(vpc); v == nil || v.Account != a {
			return nil, Errorf(CodeVpcNotFound, "vpc %q not found in account %s", vpc, a)
		}
	}
	if table != "" {
		if _, err := s.ownTableLocked(a, table); err != nil {
			return nil, err
		}
	}
	out := []Route{}
	for _, id := range s.tableOrder {
		tb := s.tables[id]
		if s.vpc(tb.vpc).Account != a || (table != "" && id != table) || (vpc != "" && tb.vpc != vpc) {
			continue
		}
		for _, r := range tb.list() {
			if via == nil || r.NextHop == via.ID {
				out = append(out, r)
			}
		}
	}
	return out, nil
}
