// Package explain answers "why can't A reach B?" for a running topology. It
// follows a packet through the live configuration the way the routers do
// (SPEC §1, "Data plane"): the source host's subnet and its route table, the
// longest-prefix match over the local route and the user routes, the
// peering and its status, the peer VPC's refusal of transit, the
// destination host or gateway. It traces the forward path and the return
// path (the reply is a new packet, routed by the route table of the
// destination host's subnet), gives each a verdict, and names the component
// that blocks it with a stable code and a sentence saying what to change.
//
// The analysis reads the configuration only. A probe (real packets, see
// package daemon) can be attached to a Result to compare the two.
//
// Explain works for any hosts of the topology, whatever their account: the
// topology runs on one machine and its operator sees all of it. When the
// component to change belongs to another account than the source host's,
// the message says so.
package explain

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/topology"
)

// ErrInvalidRequest is wrapped by every error about the request itself: an
// unknown protocol, a bad port, a destination that is neither a host nor an
// IPv4 unicast address.
var ErrInvalidRequest = errors.New("invalid explain request")

// State is the live configuration explain reads; *control.State is one.
type State interface {
	// VPCs returns every VPC with its subnets, hosts and route tables
	// holding their current user routes.
	VPCs() []topology.VPC
	// AllPeerings returns every peering ever created, whatever its state.
	AllPeerings() []control.Peering
	// Version grows with every change of the state.
	Version() uint64
}

var _ State = (*control.State)(nil)

// Request names what to explain.
type Request struct {
	Source      string   // a host name or a host's IPv4 address
	Destination string   // a host name or any IPv4 address
	Protocol    Protocol // "" means ICMP
	Port        int      // TCP or UDP destination port; 0: any
}

// Explain analyses req against the live configuration st. An error wraps
// ErrInvalidRequest; a source that is not a host is not an error but a
// Result blocked with CodeUnknownSource.
func Explain(st State, req Request) (*Result, error) {
	if err := normalize(&req); err != nil {
		return nil, err
	}
	return read(st).explain(req)
}

// normalize checks the protocol and port of req, defaulting the protocol.
func normalize(req *Request) error {
	if req.Protocol == "" {
		req.Protocol = ICMP
	}
	switch req.Protocol {
	case ICMP:
		if req.Port != 0 {
			return fmt.Errorf("%w: port %d: icmp has no ports", ErrInvalidRequest, req.Port)
		}
	case TCP, UDP:
		if req.Port < 0 || req.Port > 65535 {
			return fmt.Errorf("%w: port %d: want 1..65535", ErrInvalidRequest, req.Port)
		}
	default:
		return fmt.Errorf("%w: protocol %q: want icmp, tcp or udp", ErrInvalidRequest, req.Protocol)
	}
	return nil
}

// read reads the configuration of st. It is read in two calls; read it
// again if it changed in between, so that the routes and the peerings
// belong together.
func read(st State) *view {
	var v *view
	for range 3 {
		before := st.Version()
		v = newView(st.VPCs(), st.AllPeerings())
		if st.Version() == before {
			break
		}
	}
	return v
}

// hostRef is a host with its VPC and subnet.
type hostRef struct {
	vpc    *topology.VPC
	subnet *topology.Subnet
	host   *topology.Host
}

// view is one reading of the configuration.
type view struct {
	vpcs     []topology.VPC
	peerings []control.Peering // creation order
	hosts    map[string]hostRef
	byIP     map[netip.Addr][]hostRef // VPCs that are not peered may reuse addresses
}

func newView(vpcs []topology.VPC, peerings []control.Peering) *view {
	v := &view{vpcs: vpcs, peerings: peerings, hosts: make(map[string]hostRef), byIP: make(map[netip.Addr][]hostRef)}
	for i := range v.vpcs {
		vpc := &v.vpcs[i]
		for j := range vpc.Hosts {
			h := &vpc.Hosts[j]
			ref := hostRef{vpc: vpc, subnet: vpc.Subnet(h.Subnet), host: h}
			v.hosts[h.Name] = ref
			v.byIP[h.IP] = append(v.byIP[h.IP], ref)
		}
	}
	return v
}

// peering returns the peering with the given id.
func (v *view) peering(id string) (control.Peering, bool) {
	for _, p := range v.peerings {
		if p.ID == id {
			return p, true
		}
	}
	return control.Peering{}, false
}

// vpc returns the VPC with the given id, or nil.
func (v *view) vpc(id string) *topology.VPC {
	for i := range v.vpcs {
		if v.vpcs[i].ID == id {
			return &v.vpcs[i]
		}
	}
	return nil
}

// vpcOf returns the VPC whose CIDR holds a, or nil.
func (v *view) vpcOf(a netip.Addr) *topology.VPC {
	for i := range v.vpcs {
		if v.vpcs[i].CIDR.Contains(a) {
			return &v.vpcs[i]
		}
	}
	return nil
}

// gatewayOf returns the subnet of vpc whose gateway is a, or nil.
func gatewayOf(vpc *topology.VPC, a netip.Addr) *topology.Subnet {
	for i := range vpc.Subnets {
		if vpc.Subnets[i].Gateway() == a {
			return &vpc.Subnets[i]
		}
	}
	return nil
}

// subnetOf returns the subnet of vpc that holds a, or nil.
func subnetOf(vpc *topology.VPC, a netip.Addr) *topology.Subnet {
	for i := range vpc.Subnets {
		if vpc.Subnets[i].CIDR.Contains(a) {
			return &vpc.Subnets[i]
		}
	}
	return nil
}

func (v *view) explain(req Request) (*Result, error) {
	res := &Result{Protocol: req.Protocol, Port: req.Port}
	var err error
	if res.Destination, err = v.destination(req.Destination); err != nil {
		return nil, err
	}
	src, ok, err := v.source(req.Source)
	if err != nil {
		return nil, err
	}
	if !ok {
		res.Source = Endpoint{Given: req.Source, Kind: KindUnknown}
		if a, err := netip.ParseAddr(req.Source); err == nil {
			res.Source.IP = a
		}
		res.Verdict = Unreachable
		res.Forward = Path{Verdict: Unreachable, Hops: []Hop{{Step: 1, Component: ComponentHost, ID: req.Source,
			Detail: "is not a host of this topology", Verdict: HopBlocked}}, Blocked: &Blocked{
			Code: CodeUnknownSource, Component: ComponentHost, ID: req.Source,
			Message: fmt.Sprintf("%q is not a host of this topology: explain traces packets sent by a host (%s)",
				req.Source, v.hostList()),
		}}
		res.Return = Path{Verdict: NotApplicable, Hops: []Hop{}, Note: "no packet is sent"}
		return res, nil
	}
	res.Source = endpointOf(req.Source, src)
	dst := res.Destination.IP

	if dst == src.host.IP {
		hop := Hop{Step: 1, Component: ComponentHost, ID: src.host.Name, Account: src.vpc.Account, Verdict: HopOK,
			Detail: fmt.Sprintf("%v is the host's own address: the host's kernel answers it, no packet reaches the router", dst)}
		res.Forward = Path{Verdict: Reachable, Hops: []Hop{hop}}
		res.Return = Path{Verdict: Reachable, Hops: []Hop{hop}}
		res.Verdict = Reachable
		return res, nil
	}

	var t tracer
	t.v, t.proto, t.src = v, req.Protocol, src
	res.Forward = t.trace(src, dst, false)

	named, isHost := v.hosts[res.Destination.Host]
	if r := t.reached; r.host != nil && isHost && r.host != named.host {
		// VPCs that are not peered may reuse addresses: the routes lead
		// to another host than the one named.
		t.block(Blocked{Code: CodeOtherHost, Component: ComponentHost, ID: r.host.Name, Account: r.vpc.Account,
			Message: fmt.Sprintf("the packet reaches %s in %s, which has the same address as %s in %s: fix the routes that lead to %s",
				r.host.Name, r.vpc.ID, named.host.Name, named.vpc.ID, r.vpc.ID)})
		res.Forward = t.path
	}

	// The reply is traced whenever a host has the destination address,
	// even when the request cannot reach it: both ends need routes, and
	// the user had better learn of both missing ones at once.
	var rt tracer
	rt.v, rt.proto, rt.src = v, req.Protocol, src
	switch {
	case isHost:
		res.Return = rt.trace(named, src.host.IP, true)
	case t.reached.host != nil:
		res.Return = rt.trace(t.reached, src.host.IP, true)
	case t.answered:
		res.Return = Path{Verdict: Reachable, Hops: []Hop{{
			Step: 1, Component: ComponentGateway, ID: dst.String(), Account: src.vpc.Account, Verdict: HopOK,
			Detail: fmt.Sprintf("the router of %s answers the echo request straight back to %s: no route lookup",
				src.vpc.ID, src.host.Name),
		}}}
	default:
		res.Return = Path{Verdict: NotApplicable, Hops: []Hop{}, Note: fmt.Sprintf("no host at %v sends a reply", dst)}
	}
	if res.Forward.Verdict == Unreachable && res.Return.Verdict != NotApplicable {
		res.Return.Note = "the forward path is blocked; this is what the reply would meet once it passes"
	}
	res.Verdict = Unreachable
	if res.Forward.Verdict == Reachable && res.Return.Verdict == Reachable {
		res.Verdict = Reachable
	}
	return res, nil
}

// source resolves a host name or a host's address; an address several
// hosts share is an error.
func (v *view) source(s string) (hostRef, bool, error) {
	if ref, ok := v.hosts[s]; ok {
		return ref, true, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return hostRef{}, false, nil
	}
	switch refs := v.byIP[a]; len(refs) {
	case 0:
		return hostRef{}, false, nil
	case 1:
		return refs[0], true, nil
	default:
		var names []string
		for _, r := range refs {
			names = append(names, fmt.Sprintf("%s (%s)", r.host.Name, r.vpc.ID))
		}
		return hostRef{}, false, fmt.Errorf("%w: source %v is the address of hosts %s: name the host",
			ErrInvalidRequest, a, strings.Join(names, ", "))
	}
}

// destination resolves a host name or an IPv4 unicast address.
func (v *view) destination(s string) (Endpoint, error) {
	if ref, ok := v.hosts[s]; ok {
		return endpointOf(s, ref), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return Endpoint{}, fmt.Errorf("%w: destination %q is neither a host (%s) nor an IPv4 address", ErrInvalidRequest, s, v.hostList())
	}
	if !a.Is4() || !a.IsGlobalUnicast() && !a.IsPrivate() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return Endpoint{}, fmt.Errorf("%w: destination %q: want an IPv4 unicast address", ErrInvalidRequest, s)
	}
	if refs := v.byIP[a]; len(refs) == 1 {
		return endpointOf(s, refs[0]), nil
	}
	e := Endpoint{Given: s, Kind: KindAddress, IP: a}
	if vpc := v.vpcOf(a); vpc != nil {
		e.VPC, e.Account = vpc.ID, vpc.Account
		if sn := subnetOf(vpc, a); sn != nil {
			e.Subnet = sn.ID
		}
		if sn := gatewayOf(vpc, a); sn != nil {
			e.Kind = KindGateway
		}
	}
	return e, nil
}

func endpointOf(given string, ref hostRef) Endpoint {
	return Endpoint{Given: given, Kind: KindHost, Host: ref.host.Name, IP: ref.host.IP,
		VPC: ref.vpc.ID, Subnet: ref.host.Subnet, Account: ref.vpc.Account}
}

// hostList names the hosts for messages: "hosts a1, b1".
func (v *view) hostList() string {
	var names []string
	for _, vpc := range v.vpcs {
		for _, h := range vpc.Hosts {
			names = append(names, h.Name)
		}
	}
	if len(names) == 0 {
		return "the topology has no hosts"
	}
	if len(names) > 8 {
		names = append(names[:8], "...")
	}
	return "hosts: " + strings.Join(names, ", ")
}

// tracer follows one packet.
type tracer struct {
	v     *view
	proto Protocol
	src   hostRef // the host that asked: messages name accounts relative to it
	path  Path
	ret   bool // tracing the reply

	reached  hostRef // the host the packet was delivered to
	answered bool    // a gateway answered
}

func (t *tracer) hop(component, id, account, format string, args ...any) {
	t.path.Hops = append(t.path.Hops, Hop{Step: len(t.path.Hops) + 1, Component: component, ID: id,
		Account: account, Detail: fmt.Sprintf(format, args...), Verdict: HopOK})
}

// block ends the path at the last hop.
func (t *tracer) block(b Blocked) {
	if n := len(t.path.Hops); n > 0 {
		t.path.Hops[n-1].Verdict = HopBlocked
	}
	if b.Account != "" && b.Account != t.src.vpc.Account {
		b.Message += fmt.Sprintf(" (%s %s belongs to account %s: that account must make the change)", b.Component, b.ID, b.Account)
	}
	t.path.Verdict = Unreachable
	t.path.Blocked = &b
}

// trace follows a packet from the host from to dst through the routers, as
// router.port.forward, Router.receive and Router.deliverLocal do: out of
// the host, the longest match in its subnet's route table, then either a
// local delivery or the peering and the peer VPC's checks before one.
func (t *tracer) trace(from hostRef, dst netip.Addr, ret bool) Path {
	t.ret = ret
	t.path = Path{Verdict: Reachable, Hops: []Hop{}}
	t.send(from, dst)
	route, ok := t.route(from, dst)
	switch {
	case !ok:
	case route.NextHopType == topology.NextHopLocal:
		t.deliverLocal(from.vpc, dst, true)
	default:
		if p, peer, ok := t.crossPeering(from, route); ok {
			t.enterPeerVPC(from, p, peer, route, dst)
		}
	}
	return t.path
}

// send records the packet leaving the host from for its router, and the
// subnet that decides which route table it meets.
func (t *tracer) send(from hostRef, dst netip.Addr) {
	vpc, sn := from.vpc, from.subnet
	what := "sends"
	if t.ret {
		what = "replies"
	}
	t.hop(ComponentHost, from.host.Name, vpc.Account, "%s from %v to %v, out of eth0 to the router of %s",
		what, from.host.IP, dst, vpc.ID)
	t.hop(ComponentSubnet, sn.ID, vpc.Account, "%s of %s uses route table %s", sn.CIDR, vpc.ID, sn.RouteTable)
}

// route returns the longest-prefix match for dst in the route table of
// from's subnet (step 3). It reports false, the path blocked, if no route
// matches.
func (t *tracer) route(from hostRef, dst netip.Addr) (topology.Route, bool) {
	vpc, sn := from.vpc, from.subnet
	rtb := vpc.RouteTable(sn.RouteTable)
	var routes []topology.Route
	if rtb != nil {
		routes = rtb.Routes
	}
	match, others, ok := lookup(vpc.CIDR, routes, dst)
	if !ok {
		t.hop(ComponentRouteTable, sn.RouteTable, vpc.Account, "no route matches %v (local %s and %s)", dst, vpc.CIDR.Masked(), userRoutes(len(routes)))
		t.noRoute(vpc, sn, dst)
		return topology.Route{}, false
	}
	also := ""
	if len(others) > 0 {
		also = "; also matched, less specific: " + strings.Join(others, ", ")
	}
	if match.NextHopType == topology.NextHopLocal {
		t.hop(ComponentRouteTable, sn.RouteTable, vpc.Account, "%v matches %s -> local%s", dst, match.Destination, also)
	} else {
		t.hop(ComponentRouteTable, sn.RouteTable, vpc.Account, "%v matches %s -> peering %s (longest match)%s", dst, match.Destination, match.NextHop, also)
	}
	return match, true
}

// crossPeering returns the peering route names and the VPC at its other
// end from from's. It reports false, the path blocked, unless the peering
// is active and joins from's VPC.
func (t *tracer) crossPeering(from hostRef, route topology.Route) (control.Peering, string, bool) {
	vpc, sn := from.vpc, from.subnet
	p, known := t.v.peering(route.NextHop)
	peer := ""
	switch {
	case known && p.VPC == vpc.ID:
		peer = p.PeerVPC
	case known && p.PeerVPC == vpc.ID:
		peer = p.VPC
	}
	if !known || p.Status != control.StatusActive || peer == "" {
		status := "unknown"
		if known {
			status = string(p.Status)
		}
		t.hop(ComponentPeering, route.NextHop, "", "is %s", status)
		msg := fmt.Sprintf("route table %s sends %s over peering %s, which is %s: ", sn.RouteTable, route.Destination, route.NextHop, status)
		switch {
		case known && p.Status == control.StatusPending:
			msg += fmt.Sprintf("account %s must accept it (vpcsim --account %s peering accept %s)", p.PeerAccount, p.PeerAccount, p.ID)
		case known && peer == "":
			msg += fmt.Sprintf("it joins %s and %s, not %s; delete the route", p.VPC, p.PeerVPC, vpc.ID)
		default:
			msg += "delete the route, create a new peering and route over it"
		}
		t.block(Blocked{Code: CodePeeringNotActive, Component: ComponentPeering, ID: route.NextHop, Message: msg,
			Drop: "peering_inactive", DropVPC: vpc.ID})
		return control.Peering{}, "", false
	}
	t.hop(ComponentPeering, p.ID, "", "active: %s <-> %s", p.VPC, p.PeerVPC)
	return p, peer, true
}

// enterPeerVPC follows the packet over p into the VPC peer (step 4): its
// router refuses transit and foreign sources, then delivers.
func (t *tracer) enterPeerVPC(from hostRef, p control.Peering, peer string, route topology.Route, dst netip.Addr) {
	vpc, sn := from.vpc, from.subnet
	w := t.v.vpc(peer)
	if w == nil {
		t.block(Blocked{Code: CodePeeringNotActive, Component: ComponentPeering, ID: p.ID,
			Message: fmt.Sprintf("peering %s joins vpc %s, which does not exist", p.ID, peer)})
		return
	}
	if !w.CIDR.Contains(dst) {
		t.hop(ComponentVPC, w.ID, w.Account, "receives over %s: destination %v is outside its CIDR %s", p.ID, dst, w.CIDR.Masked())
		msg := fmt.Sprintf("%s does not forward traffic between its peerings (peering is not transitive): %v is outside %s. ", w.ID, dst, w.CIDR.Masked())
		if home := t.v.vpcOf(dst); home != nil {
			msg += fmt.Sprintf("Peer %s with %s directly, route %s over that peering and delete the route to %s over %s in route table %s",
				vpc.ID, home.ID, home.CIDR.Masked(), route.Destination, p.ID, sn.RouteTable)
		} else {
			msg += fmt.Sprintf("%v is in no VPC of this topology; delete the route to %s over %s in route table %s",
				dst, route.Destination, p.ID, sn.RouteTable)
		}
		t.block(Blocked{Code: CodeNotTransitive, Component: ComponentVPC, ID: w.ID, Message: msg,
			Drop: "not_transitive", DropVPC: w.ID})
		return
	}
	// The source is a host of vpc: always inside its CIDR.
	t.hop(ComponentVPC, w.ID, w.Account, "receives over %s: destination %v inside its CIDR %s, source %v inside %s of %s",
		p.ID, dst, w.CIDR.Masked(), from.host.IP, vpc.CIDR.Masked(), vpc.ID)
	t.deliverLocal(w, dst, false)
}

// userRoutes counts user routes for a hop: "no user routes", "1 user route".
func userRoutes(n int) string {
	switch n {
	case 0:
		return "no user routes"
	case 1:
		return "1 user route"
	}
	return fmt.Sprintf("%d user routes", n)
}

// lookup returns the longest-prefix match for dst among the local route of
// cidr and routes, and the other matching routes, most specific first.
func lookup(cidr netip.Prefix, routes []topology.Route, dst netip.Addr) (topology.Route, []string, bool) {
	cands := []topology.Route{}
	if cidr.Contains(dst) {
		cands = append(cands, topology.Route{Destination: cidr.Masked(), NextHopType: topology.NextHopLocal, NextHop: topology.NextHopLocal})
	}
	for _, r := range routes {
		if r.Destination.Contains(dst) {
			cands = append(cands, r)
		}
	}
	if len(cands) == 0 {
		return topology.Route{}, nil, false
	}
	slices.SortStableFunc(cands, func(a, b topology.Route) int { return b.Destination.Bits() - a.Destination.Bits() })
	var others []string
	for _, r := range cands[1:] {
		others = append(others, fmt.Sprintf("%s -> %s", r.Destination, r.NextHop))
	}
	return cands[0], others, true
}

// deliverLocal delivers to an address of vpc, as Router.deliverLocal does;
// fromHost is false when the packet arrived over a peering.
func (t *tracer) deliverLocal(vpc *topology.VPC, dst netip.Addr, fromHost bool) {
	for _, ref := range t.v.byIP[dst] {
		if ref.vpc.ID == vpc.ID {
			t.hop(ComponentSubnet, ref.subnet.ID, vpc.Account, "%s of %s holds %v", ref.subnet.CIDR, vpc.ID, dst)
			t.hop(ComponentHost, ref.host.Name, vpc.Account, "receives the packet on eth0 (%v)", dst)
			t.reached = ref
			return
		}
	}
	if sn := gatewayOf(vpc, dst); sn != nil {
		id := dst.String()
		switch {
		case !fromHost:
			t.hop(ComponentGateway, id, vpc.Account, "gateway of subnet %s of %s, reached over a peering", sn.ID, vpc.ID)
			t.block(Blocked{Code: CodeNoHost, Component: ComponentGateway, ID: id, Account: vpc.Account,
				Message: fmt.Sprintf("%v is the gateway of subnet %s of %s: a gateway answers only the hosts of its own VPC; send to a host of %s instead",
					dst, sn.ID, vpc.ID, vpc.ID),
				Drop: "no_host", DropVPC: vpc.ID})
		case t.proto != ICMP:
			t.hop(ComponentGateway, id, vpc.Account, "gateway of subnet %s of %s: the router answers ICMP echo only", sn.ID, vpc.ID)
			t.block(Blocked{Code: CodeGatewayProtocol, Component: ComponentGateway, ID: id, Account: vpc.Account,
				Message: fmt.Sprintf("%v is the gateway of subnet %s: the router answers ICMP echo there and drops %s; use --protocol icmp, or send %s to a host",
					dst, sn.ID, t.proto, t.proto),
				Drop: "unsupported", DropVPC: vpc.ID})
		default:
			t.hop(ComponentGateway, id, vpc.Account, "gateway of subnet %s of %s: the router answers the echo request", sn.ID, vpc.ID)
			t.answered = true
		}
		return
	}
	where := fmt.Sprintf("%s (%s)", vpc.ID, vpc.CIDR.Masked())
	if sn := subnetOf(vpc, dst); sn != nil {
		where = fmt.Sprintf("subnet %s (%s) of %s", sn.ID, sn.CIDR, vpc.ID)
		t.hop(ComponentSubnet, sn.ID, vpc.Account, "%s of %s holds %v, but no host has it", sn.CIDR, vpc.ID, dst)
	} else {
		t.hop(ComponentVPC, vpc.ID, vpc.Account, "%v is in its CIDR %s but in none of its subnets", dst, vpc.CIDR.Masked())
	}
	var names []string
	for _, h := range vpc.Hosts {
		names = append(names, fmt.Sprintf("%s %v", h.Name, h.IP))
	}
	hosts := "it has no hosts"
	if len(names) > 0 {
		hosts = "its hosts: " + strings.Join(names, ", ")
	}
	t.block(Blocked{Code: CodeNoHost, Component: ComponentVPC, ID: vpc.ID, Account: vpc.Account,
		Message: fmt.Sprintf("no host has %v in %s: send to an existing host (%s) or add a host with that address to the topology", dst, where, hosts),
		Drop:    "no_host", DropVPC: vpc.ID})
}

// noRoute blocks the path at the route table of sn, saying what route to add
// and what stands in the way of adding it.
func (t *tracer) noRoute(vpc *topology.VPC, sn *topology.Subnet, dst netip.Addr) {
	code := CodeNoRoute
	if t.ret {
		code = CodeMissingReturnRoute
	}
	b := Blocked{Code: code, Component: ComponentRouteTable, ID: sn.RouteTable, Account: vpc.Account,
		Drop: "no_route", DropVPC: vpc.ID}
	var msg strings.Builder
	if t.ret {
		fmt.Fprintf(&msg, "the reply has no route back: route table %s (subnet %s of %s) has no route to %v. ", sn.RouteTable, sn.ID, vpc.ID, dst)
	} else {
		fmt.Fprintf(&msg, "route table %s (subnet %s of %s) has no route to %v. ", sn.RouteTable, sn.ID, vpc.ID, dst)
	}
	home := t.v.vpcOf(dst)
	if home == nil {
		fmt.Fprintf(&msg, "%v is in no VPC of this topology: no peering can reach it", dst)
		b.Message = msg.String()
		t.block(b)
		return
	}
	// Another table of the VPC may hold the route the subnet lacks.
	for _, rt := range vpc.RouteTables {
		if rt.ID == sn.RouteTable {
			continue
		}
		if r, _, ok := lookup(netip.Prefix{}, rt.Routes, dst); ok {
			fmt.Fprintf(&msg, "Route table %s of %s has a route (%s -> %s), but subnet %s is associated with %s. ",
				rt.ID, vpc.ID, r.Destination, r.NextHop, sn.ID, sn.RouteTable)
			break
		}
	}
	p, found := t.v.peeringBetween(vpc.ID, home.ID)
	addRoute := fmt.Sprintf("add a route to %s (or a narrower CIDR holding %v) over %%s to route table %s: vpcsim --account %s route add --table %s --destination %s --peering %%s",
		home.CIDR.Masked(), dst, sn.RouteTable, vpc.Account, sn.RouteTable, home.CIDR.Masked())
	switch {
	case !found:
		fmt.Fprintf(&msg, "No peering joins %s and %s: create one (vpcsim --account %s peering create --vpc %s --peer-vpc %s", vpc.ID, home.ID, vpc.Account, vpc.ID, home.ID)
		if home.Account != vpc.Account {
			fmt.Fprintf(&msg, " --peer-account %s", home.Account)
		}
		fmt.Fprintf(&msg, "), then add routes at both ends")
	case p.Status == control.StatusActive:
		fmt.Fprintf(&msg, strings.ToUpper(addRoute[:1])+addRoute[1:], p.ID, p.ID)
	case p.Status == control.StatusPending:
		fmt.Fprintf(&msg, "Peering %s between %s and %s is pending-acceptance: account %s must accept it (vpcsim --account %s peering accept %s), then ",
			p.ID, p.VPC, p.PeerVPC, p.PeerAccount, p.PeerAccount, p.ID)
		fmt.Fprintf(&msg, addRoute, p.ID, p.ID)
	default:
		how := map[control.Status]string{control.StatusRejected: "was rejected", control.StatusExpired: "expired before it was accepted",
			control.StatusDeleted: "was deleted, and its routes with it"}[p.Status]
		fmt.Fprintf(&msg, "Peering %s between %s and %s %s: create a new peering (vpcsim --account %s peering create --vpc %s --peer-vpc %s",
			p.ID, p.VPC, p.PeerVPC, how, vpc.Account, vpc.ID, home.ID)
		if home.Account != vpc.Account {
			fmt.Fprintf(&msg, " --peer-account %s", home.Account)
		}
		fmt.Fprintf(&msg, "), then add routes at both ends")
	}
	b.Message = msg.String()
	t.block(b)
}

// peeringBetween returns the peering that joins the VPCs a and b that
// matters most: the active one, else a pending one, else the latest.
func (v *view) peeringBetween(a, b string) (control.Peering, bool) {
	var best control.Peering
	rank := func(p control.Peering) int {
		switch p.Status {
		case control.StatusActive:
			return 3
		case control.StatusPending:
			return 2
		}
		return 1
	}
	found := false
	for _, p := range v.peerings {
		if !(p.VPC == a && p.PeerVPC == b || p.VPC == b && p.PeerVPC == a) {
			continue
		}
		if !found || rank(p) >= rank(best) {
			best, found = p, true
		}
	}
	return best, found
}
