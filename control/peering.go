package control

import (
	"net/netip"
	"strings"

	"github.com/vpcsim/vpcsim/topology"
)

// CreatePeeringRequest asks for a peering from VPC (owned by the acting
// account) to PeerVPC.
type CreatePeeringRequest struct {
	VPC         string `json:"vpc"`
	PeerVPC     string `json:"peer_vpc"`
	PeerAccount string `json:"peer_account,omitempty"` // "" means the acting account
	Name        string `json:"name,omitempty"`
	ID          string `json:"id,omitempty"` // "" means a generated pcx-xxxxxxxx
}

// PeeringDetail is a peering and the routes that use it (the doc's
// 查看对等连接相关的路由策略).
type PeeringDetail struct {
	Peering
	Routes []RelatedRoute `json:"routes"`
}

// RelatedRoute is a route whose next hop is a given peering, with the subnets
// whose traffic it steers.
type RelatedRoute struct {
	RouteTable  string   `json:"route_table"`
	VPC         string   `json:"vpc"`
	Destination string   `json:"destination"`
	Subnets     []string `json:"subnets"`
}

// CreatePeering creates a peering from req.VPC, which the account acct must
// own, to req.PeerVPC, which req.PeerAccount (default acct) must own. Within
// one account the peering is active at once; across accounts it is pending
// until the peer account accepts it, and expires after the topology's
// peering expiry.
func (s *State) CreatePeering(acct string, req CreatePeeringRequest) (Peering, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked()
	c := s.beginLocked(OpCreatePeering, acct, req.VPC+" -> "+req.PeerVPC, req.VPC, req.PeerVPC, req.PeerAccount, req.Name, req.ID)
	p, err := s.createPeeringLocked(c, acct, req)
	s.endLocked(c, p, err)
	return p, err
}

func (s *State) createPeeringLocked(c *call, acct string, req CreatePeeringRequest) (Peering, error) {
	a, err := s.account(acct)
	if err != nil {
		return Peering{}, err
	}
	v, pv, peerAcct, err := s.peersLocked(a, req)
	if err != nil {
		return Peering{}, err
	}
	if err := s.checkPairLocked(v, pv); err != nil {
		return Peering{}, err
	}
	id := req.ID
	switch {
	case id == "":
		id = s.newIDLocked()
	case !peeringIDPattern.MatchString(id):
		return Peering{}, Errorf(CodeInvalidParameter, "invalid peering id %q: want letters, digits, '.', '_' or '-'", id)
	case s.peerings[id] != nil:
		return Peering{}, Errorf(CodeInvalidParameter, "peering id %q is already in use", id)
	}

	now := s.now().UTC()
	p := &Peering{
		ID: id, Name: req.Name, Status: StatusActive,
		VPC: v.ID, PeerVPC: pv.ID, Account: a, PeerAccount: peerAcct,
		Region: v.Region, CreatedAt: now,
	}
	if peerAcct != a {
		p.Status = StatusPending
		exp := now.Add(s.expiry)
		p.ExpiresAt = &exp
	}
	p.History = []Transition{{Time: now, Status: p.Status, Account: a}}
	undoForget := s.forgetLocked()
	c.target = id
	s.created++
	s.peerings[id] = p
	s.order = append(s.order, id)
	s.orderOf[id] = s.created
	s.saveCountersLocked()
	s.savePeeringLocked(p)
	s.refreshNextExpiryLocked()
	err = s.commitLocked(c, p.Status == StatusActive, func() {
		delete(s.peerings, id)
		delete(s.orderOf, id)
		s.order = s.order[:len(s.order)-1]
		s.created--
		undoForget()
		s.refreshNextExpiryLocked()
	}, p.clone())
	if err != nil {
		c.target = req.VPC + " -> " + req.PeerVPC
		return Peering{}, err
	}
	return p.clone(), nil
}

// peersLocked resolves the VPCs of a create request by the account a: its
// own VPC, and the peer VPC of the peer account (default a).
func (s *State) peersLocked(a string, req CreatePeeringRequest) (v, pv *topology.VPC, peerAcct string, err error) {
	if req.VPC == "" || req.PeerVPC == "" {
		return nil, nil, "", Errorf(CodeInvalidParameter, "both vpc and peer vpc are required")
	}
	if err := topology.CheckLabel(req.Name); err != nil {
		return nil, nil, "", Errorf(CodeInvalidParameter, "peering %v", err)
	}
	v = s.vpc(req.VPC)
	if v == nil || v.Account != a {
		return nil, nil, "", Errorf(CodeVpcNotFound, "vpc %q not found in account %s", req.VPC, a)
	}
	peerAcct = req.PeerAccount
	if peerAcct == "" {
		peerAcct = a
	}
	if _, err := s.account(peerAcct); err != nil {
		return nil, nil, "", err
	}
	pv = s.vpc(req.PeerVPC)
	if pv == nil || pv.Account != peerAcct {
		return nil, nil, "", Errorf(CodeVpcNotFound, "vpc %q not found in account %s", req.PeerVPC, peerAcct)
	}
	return v, pv, peerAcct, nil
}

// checkPairLocked checks the cloud's rules for a new peering of v and pv.
func (s *State) checkPairLocked(v, pv *topology.VPC) error {
	if v.ID == pv.ID {
		return Errorf(CodeInvalidParameter, "vpc %q cannot peer with itself", v.ID)
	}
	if v.Region != pv.Region {
		return Errorf(CodeCrossRegionNotSupported, "vpc %s is in region %q and vpc %s in region %q: peering is same-region only",
			v.ID, v.Region, pv.ID, pv.Region)
	}
	if v.CIDR.Overlaps(pv.CIDR) {
		return Errorf(CodeCidrOverlap, "%s cidr %s overlaps %s cidr %s", v.ID, v.CIDR, pv.ID, pv.CIDR)
	}
	for _, id := range s.order {
		p := s.peerings[id]
		if p.live() && p.involves(v.ID) && p.involves(pv.ID) {
			return Errorf(CodePeeringAlreadyExists, "peering %s (%s) already joins %s and %s", p.ID, p.Status, p.VPC, p.PeerVPC)
		}
	}
	if err := s.checkLimitLocked(v.ID, ""); err != nil {
		return err
	}
	return s.checkLimitLocked(pv.ID, "")
}

// checkLimitLocked fails when the VPC vpc already has as many pending or
// active peerings as allowed, not counting the peering except.
func (s *State) checkLimitLocked(vpc, except string) error {
	n := 0
	for _, id := range s.order {
		p := s.peerings[id]
		if id != except && p.live() && p.involves(vpc) {
			n++
		}
	}
	if n >= s.limit {
		return Errorf(CodePeeringLimitExceeded, "vpc %s already has %d pending or active peerings, the limit", vpc, n)
	}
	return nil
}

// peeringOfLocked resolves the acting account acct and the peering id it
// takes part in.
func (s *State) peeringOfLocked(acct, id string) (string, *Peering, error) {
	a, err := s.account(acct)
	if err != nil {
		return "", nil, err
	}
	p, err := s.visiblePeeringLocked(a, id)
	return a, p, err
}

// visiblePeeringLocked returns the peering id if the account a takes part in it.
// A peering may be named by its id or, when no peering the account sees
// has that id, by its name: the one peering of that name, or the one
// pending or active among several.
func (s *State) visiblePeeringLocked(a, id string) (*Peering, error) {
	if p := s.peerings[id]; p != nil && p.visibleTo(a) {
		return p, nil
	}
	var named, live []*Peering
	if id != "" {
		for _, pid := range s.order {
			if p := s.peerings[pid]; p.Name == id && p.visibleTo(a) {
				named = append(named, p)
				if p.live() {
					live = append(live, p)
				}
			}
		}
	}
	switch {
	case len(named) == 1:
		return named[0], nil
	case len(live) == 1:
		return live[0], nil
	case len(named) > 1:
		ids := make([]string, len(named))
		for i, p := range named {
			ids[i] = p.ID + " (" + string(p.Status) + ")"
		}
		return nil, Errorf(CodeInvalidParameter, "peering name %q is ambiguous: %s; give an id", id, strings.Join(ids, ", "))
	}
	return nil, Errorf(CodePeeringNotFound, "peering %q not found in account %s", id, a)
}

// AcceptPeering accepts the pending request id; only the accepter account may.
// The peering becomes active.
func (s *State) AcceptPeering(acct, id string) (Peering, error) {
	return s.answer(OpAcceptPeering, acct, id)
}

// RejectPeering rejects the pending request id; only the accepter account may.
// A rejected peering leaves the default listing.
func (s *State) RejectPeering(acct, id string) (Peering, error) {
	return s.answer(OpRejectPeering, acct, id)
}

// answer accepts or rejects (op) the pending request id.
func (s *State) answer(op Op, acct, id string) (Peering, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked()
	c := s.beginLocked(op, acct, id, id)
	verb := map[Op]string{OpAcceptPeering: "accept", OpRejectPeering: "reject"}[op]
	p, err := s.answerLocked(c, acct, id, verb)
	s.endLocked(c, p, err)
	return p, err
}

// answerLocked accepts or rejects a pending request.
func (s *State) answerLocked(c *call, acct, id, verb string) (Peering, error) {
	a, p, err := s.peeringOfLocked(acct, id)
	if err != nil {
		return Peering{}, err
	}
	id, c.target, c.args[0] = p.ID, p.ID, p.ID // it may have been named by its name
	if p.PeerAccount != a {
		return Peering{}, Errorf(CodeNotPermitted, "only the accepter account %s can %s peering %s", p.PeerAccount, verb, id)
	}
	if p.Status != StatusPending {
		return Peering{}, Errorf(CodeInvalidState, "cannot %s peering %s: it is %s, not %s", verb, id, p.Status, StatusPending)
	}
	to := StatusRejected
	if verb == "accept" {
		if err := s.checkLimitLocked(p.VPC, id); err != nil {
			return Peering{}, err
		}
		if err := s.checkLimitLocked(p.PeerVPC, id); err != nil {
			return Peering{}, err
		}
		to = StatusActive
	}
	was := p.clone()
	s.transitionLocked(p, to, a, s.now())
	s.refreshNextExpiryLocked()
	err = s.commitLocked(c, to == StatusActive, func() {
		*p = was
		s.refreshNextExpiryLocked()
	}, p.clone())
	if err != nil {
		return Peering{}, err
	}
	return p.clone(), nil
}

// DeletePeering deletes the peering id: either side may delete an active
// peering, the requester may withdraw a pending request (the accepter rejects
// it instead). Every route whose next hop is the peering goes with it, in the
// same step: once DeletePeering returns, no packet crosses the peering.
func (s *State) DeletePeering(acct, id string) (Peering, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked()
	c := s.beginLocked(OpDeletePeering, acct, id, id)
	p, err := s.deletePeeringLocked(c, acct, id)
	s.endLocked(c, p, err)
	return p, err
}

func (s *State) deletePeeringLocked(c *call, acct, id string) (Peering, error) {
	a, p, err := s.peeringOfLocked(acct, id)
	if err != nil {
		return Peering{}, err
	}
	id, c.target, c.args[0] = p.ID, p.ID, p.ID // it may have been named by its name
	switch p.Status {
	case StatusActive:
	case StatusPending:
		if p.Account != a {
			return Peering{}, Errorf(CodeNotPermitted, "peering %s is %s: only the requester account %s can delete it; reject it instead",
				id, p.Status, p.Account)
		}
	default:
		return Peering{}, Errorf(CodeInvalidState, "cannot delete peering %s: it is %s", id, p.Status)
	}
	was := p.clone()
	s.transitionLocked(p, StatusDeleted, a, s.now())
	s.refreshNextExpiryLocked()
	type removed struct {
		tb *table
		d  netip.Prefix
	}
	var gone []removed
	for _, tb := range s.tables {
		if !p.involves(tb.vpc) {
			continue
		}
		for d, via := range tb.routes {
			if via == id {
				delete(tb.routes, d)
				gone = append(gone, removed{tb, d})
				s.saveRouteLocked(tb, d)
				s.touchLocked(tb)
			}
		}
	}
	err = s.commitLocked(c, was.Status == StatusActive, func() {
		*p = was
		for _, r := range gone {
			r.tb.routes[r.d] = id
		}
		s.refreshNextExpiryLocked()
	}, p.clone())
	if err != nil {
		return Peering{}, err
	}
	return p.clone(), nil
}

// Peerings returns the peerings the account acct takes part in, in creation
// order: the pending and active ones, or with all every one (rejected,
// expired and deleted included).
func (s *State) Peerings(acct string, all bool) ([]Peering, error) {
	return s.ListPeerings(acct, PeeringFilter{All: all})
}

// PeeringFilter selects peerings, as the console's list does (查看对等连接:
// 在列表上方筛选地域和私有网络). The zero filter selects the pending and
// active ones.
type PeeringFilter struct {
	All    bool   // rejected, expired and deleted ones too
	VPC    string // of this VPC, at either end
	Region string
	Status Status // of this status only (an ended status needs no All)
}

// ListPeerings returns the peerings the account acct takes part in that f
// selects, in creation order. A VPC the account sees neither as its own
// nor at the other end of a peering is not found; an unknown status is an
// InvalidParameter.
func (s *State) ListPeerings(acct string, f PeeringFilter) ([]Peering, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.viewLocked(acct)
	if err != nil {
		return nil, err
	}
	switch f.Status {
	case "", StatusPending, StatusActive:
	case StatusRejected, StatusExpired, StatusDeleted:
		f.All = true
	default:
		return nil, Errorf(CodeInvalidParameter, "invalid status %q: want %s, %s, %s, %s or %s",
			f.Status, StatusPending, StatusActive, StatusRejected, StatusExpired, StatusDeleted)
	}
	out := []Peering{}
	seen := f.VPC == "" // the VPC filter names a VPC the account sees
	if v := s.vpc(f.VPC); v != nil && v.Account == a {
		seen = true
	}
	for _, id := range s.order {
		p := s.peerings[id]
		if !p.visibleTo(a) {
			continue
		}
		if f.VPC != "" && p.involves(f.VPC) {
			seen = true
		}
		if (f.All || p.live()) && (f.VPC == "" || p.involves(f.VPC)) &&
			(f.Region == "" || p.Region == f.Region) && (f.Status == "" || p.Status == f.Status) {
			out = append(out, p.clone())
		}
	}
	if !seen {
		return nil, Errorf(CodeVpcNotFound, "vpc %q not found in account %s", f.VPC, a)
	}
	return out, nil
}

// ShowPeering returns the peering id and the routes that use it in the route
// tables of the acting account's VPCs (another account's tables stay
// private), each with the subnets associated with its table.
func (s *State) ShowPeering(acct, id string) (PeeringDetail, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked()
	a, p, err := s.peeringOfLocked(acct, id)
	if err != nil {
		return PeeringDetail{}, err
	}
	d := PeeringDetail{Peering: p.clone(), Routes: []RelatedRoute{}}
	for _, tid := range s.tableOrder {
		tb := s.tables[tid]
		if !p.involves(tb.vpc) || s.vpc(tb.vpc).Account != a {
			continue
		}
		for _, dest := range sortedDestinations(tb.routes) {
			if tb.routes[dest] == p.ID {
				d.Routes = append(d.Routes, RelatedRoute{
					RouteTable: tb.id, VPC: tb.vpc, Destination: dest.String(),
					Subnets: append([]string{}, tb.subnets...),
				})
			}
		}
	}
	return d, nil
}
