// Package control is the control plane of a running topology: accounts,
// peering connections and route tables. It is the single place that
// enforces the rules of the cloud (same-region peering, no overlapping
// CIDRs, the per-VPC peering limit, who may accept, reject or delete, routes
// that need an active peering, ...) and, after every change, hands the data
// plane a Snapshot of what packets may use.
//
// Every method that acts for a user takes the acting account's ID first; the
// empty string stands for the topology's first account. Peerings and route
// tables of other accounts are invisible, as in the cloud: they are reported
// as not found.
//
// Pending peering requests expire lazily: every call first marks the
// requests whose expiry has passed as expired, using Options.Now.
//
// Where the specification is silent, State does what a user of AWS VPC
// peering would expect:
//
//   - Another account's VPC, route table or peering is not found
//     (VpcNotFound, RouteTableNotFound, PeeringNotFound), never
//     NotPermitted: an account does not learn what it cannot see. NotPermitted
//     is for a party to a peering doing what only the other party may: the
//     requester accepting or rejecting, the accepter deleting a pending
//     request (it rejects it instead).
//   - A route whose next hop is a visible peering that does not join the
//     table's VPC is an InvalidParameter; PeeringNotActive is for a peering
//     of the VPC that is not active.
//   - The per-VPC limit counts pending and active peerings on both sides at
//     create, so a VPC's pending requests hold its slots.
//   - CreatePeering without a peer account means the acting account.
//   - The local route cannot be deleted (InvalidParameter).
//   - ExpiresAt is set while a request is pending and kept once it expired;
//     it is null in every other state.
//   - ShowPeering lists the related routes in the acting account's own route
//     tables only.
//
// A State is safe for concurrent use. One mutex guards the whole state and is
// held while Options.Apply runs, so snapshots reach the data plane in the
// order the changes were made. A change the data plane refuses is undone
// and fails with CodeInternal: the State never claims what the routers did
// not take. Options.OnChange hears of every change, refused ones included,
// where it happens; Inspect lets a caller compare the data plane with the
// State at one instant.
package control

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vpcsim/vpcsim/store"
	"github.com/vpcsim/vpcsim/topology"
)

// Status is the state of a peering connection.
type Status string

// The states of a peering connection's lifecycle.
const (
	StatusPending  Status = "pending-acceptance"
	StatusActive   Status = "active"
	StatusRejected Status = "rejected"
	StatusExpired  Status = "expired"
	StatusDeleted  Status = "deleted"
)

// Peering is a peering connection between a requester VPC (VPC, owned by
// Account) and an accepter VPC (PeerVPC, owned by PeerAccount).
type Peering struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Status      Status    `json:"status"`
	VPC         string    `json:"vpc"`
	PeerVPC     string    `json:"peer_vpc"`
	Account     string    `json:"account"`
	PeerAccount string    `json:"peer_account"`
	Region      string    `json:"region"`
	CreatedAt   time.Time `json:"created_at"`
	// ExpiresAt is when a pending request expires; it is kept on an expired
	// one and nil in every other state.
	ExpiresAt *time.Time `json:"expires_at"`
	// History is every status the peering had, the first at its creation.
	History []Transition `json:"history"`
}

// Transition is a peering's change of status: when, to what, and by which
// account ("" for nobody: an expiry).
type Transition struct {
	Time    time.Time `json:"time"`
	Status  Status    `json:"status"`
	Account string    `json:"account"`
}

// changed returns when p last changed status.
func (p *Peering) changed() time.Time {
	if n := len(p.History); n > 0 {
		return p.History[n-1].Time
	}
	return p.CreatedAt
}

// involves reports whether the VPC vpc is one of p's ends.
func (p *Peering) involves(vpc string) bool { return p.VPC == vpc || p.PeerVPC == vpc }

// visibleTo reports whether the account acct owns one of p's ends.
func (p *Peering) visibleTo(acct string) bool { return p.Account == acct || p.PeerAccount == acct }

// live reports whether p counts: pending or active.
func (p *Peering) live() bool { return p.Status == StatusPending || p.Status == StatusActive }

func (p *Peering) clone() Peering {
	c := *p
	if p.ExpiresAt != nil {
		t := *p.ExpiresAt
		c.ExpiresAt = &t
	}
	c.History = slices.Clone(p.History)
	return c
}

// Route is a route of a route table: either the implicit local route of the
// VPC CIDR (NextHopType and NextHop "local") or a user route over a peering
// (NextHopType "peering", NextHop the peering id).
type Route struct {
	RouteTable  string `json:"route_table"`
	Destination string `json:"destination"`
	NextHopType string `json:"next_hop_type"`
	NextHop     string `json:"next_hop"`
}

// Account is a cloud account.
type Account struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Table is a route table with its current routes, the local one first.
type Table struct {
	ID      string   `json:"id"`
	VPC     string   `json:"vpc"`
	Subnets []string `json:"subnets"` // the subnets associated with the table
	Routes  []Route  `json:"routes"`
}

// Snapshot is what the data plane needs to forward packets: the active
// peerings and route tables' user routes. Options.Apply is handed every
// route table at New and when it is brought back in step after a refusal,
// and after a change only the tables that change touched: tables not named
// keep their routes.
type Snapshot struct {
	Peerings map[string]PeeringLink  // active peerings only, by id
	Tables   map[string][]TableRoute // route table id (empty ones included) -> its user routes
}

// PeeringLink is an active peering: the two VPCs it joins.
type PeeringLink struct{ VPC, PeerVPC string }

// TableRoute is a user route: a destination reached over a peering.
type TableRoute struct {
	Destination netip.Prefix
	Peering     string
}

// Options configure a State. The zero Options are a dry run on the wall clock.
type Options struct {
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Apply makes a Snapshot effective in the data plane. It is called once
	// by New and then after every change that alters what packets may use,
	// with the State's lock held: it must not call back into the State, and
	// it must make the change effective before it returns, so that, for
	// example, no packet crosses a peering once DeletePeering has returned.
	// The Snapshot is Apply's to keep.
	//
	// When Apply fails, the change is undone, Apply is called again with
	// the state from before the change to bring the data plane back in
	// step, and the call fails with CodeInternal: the State never claims a
	// change the data plane did not take. nil: a dry run (vpcsim validate).
	Apply func(Snapshot) error
	// OnChange, when not nil, is told of every mutating call, whether it
	// succeeded or was refused, and of every pending request that expired,
	// in the order they happened, with the State's lock held (it must not
	// call back into the State). The calls New makes to apply the file are
	// not reported.
	OnChange func(Change)
	// Store, when not nil, is where the State keeps itself: every change is
	// saved there before the call that made it returns, with an Event of
	// the journal. A store that holds a state already is resumed (see
	// New); an empty one receives the state of the file.
	Store store.Store
	// KeepHistory is how many rejected, expired and deleted peerings the
	// State remembers, and KeepHistoryFor for how long after their last
	// change: older ones are forgotten, oldest first, as the cloud forgets
	// them. Zero means DefaultKeepHistory and DefaultKeepHistoryFor.
	KeepHistory    int
	KeepHistoryFor time.Duration
}

// Defaults of Options, and the limits of a State.
const (
	DefaultKeepHistory    = 1000
	DefaultKeepHistoryFor = 2 * time.Hour
	// MaxRoutesPerTable is how many user routes a route table holds, as a
	// cloud's route table does (Tencent Cloud: 200 routing policies).
	MaxRoutesPerTable = 200
	// MaxEvents is how many events the journal keeps, newest first.
	MaxEvents = 10000
)

// State is the control-plane state of one topology. Create it with New.
type State struct {
	// Fixed at New.
	name       string
	expiry     time.Duration
	limit      int
	routeLimit int
	keep       int           // rejected, expired and deleted peerings kept
	keepFor    time.Duration // and for how long
	now        func() time.Time
	accounts   []Account
	vpcs       []topology.VPC // deep copies; RouteTables carry ids only
	vpcIndex   map[string]int
	store      store.Store // nil while New applies the file
	restored   *Restored   // what New resumed, if it did

	mu         sync.Mutex
	apply      func(Snapshot) error // nil while New applies the file
	onChange   func(Change)         // likewise
	version    uint64               // bumped by every change
	seq        uint64               // for generated peering ids
	created    uint64               // peerings ever created: creation order
	eventSeq   uint64               // the last event's number
	peerings   map[string]*Peering  // peerings, the forgotten ones aside, by id
	order      []string             // peering ids in creation order
	orderOf    map[string]uint64    // id -> creation number
	nextExpiry time.Time            // the earliest pending expiry; zero when none
	tables     map[string]*table    // by id
	tableOrder []string             // table ids, VPCs and tables in file order
	pending    map[string]store.Op  // what the change under way saves, by key
	dirty      map[string]bool      // the tables the change under way touches
	journal    func(journalEntry)   // tests: every mutating call, in lock order
}

// table is a route table's state.
type table struct {
	id      string
	vpc     string
	cidr    netip.Prefix            // the VPC CIDR: the local route
	subnets []string                // associated subnets
	routes  map[netip.Prefix]string // user routes: destination -> peering id
}

// journalEntry records one mutating call and its outcome (tests replay them).
type journalEntry struct {
	op     Op
	acct   string
	args   []string
	result any
	err    error
}

// New returns the control state of t.
//
// With an empty store (or none), New applies t's peerings and routes the
// way the API would, through the same methods: peerings first, in file
// order, each created by the account owning its vpc (and accepted by the
// peer account when the file says accepted: true), then every route
// table's routes, added by the VPC's owner. Every rule violation is
// reported as a topology.Error at the position of the offending peering or
// route, all of them in one topology.ErrorList; then no State is returned.
// The result is saved to the store in one commit.
//
// With a store that holds a state, New resumes it instead: the peerings,
// statuses, routes and counters saved there, which a file of the same
// Fingerprint must have made (else CodeStateMismatch). Pending requests
// that fell due meanwhile expire at once, each with its event; Restored
// says what was found.
//
// A failure of the first Apply fails New. t must be a defaulted topology,
// as topology.Parse returns it; New does not modify it.
func New(t *topology.Topology, opts Options) (*State, error) {
	if t == nil {
		return nil, fmt.Errorf("control: nil topology")
	}
	resume := false
	if opts.Store != nil {
		_, ok, err := opts.Store.Get(keyMeta)
		if err != nil {
			return nil, Errorf(CodeInternal, "read the saved state: %v", err)
		}
		resume = ok
	}
	s, errs := newEmpty(t, opts)
	if !resume {
		errs = append(errs, s.applyFile(t)...)
	}
	if len(errs) > 0 {
		return nil, errs.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.store = opts.Store
	c := &call{op: OpLaunch, target: t.File}
	switch {
	case resume:
		r, err := s.loadLocked(t)
		if err != nil {
			return nil, err
		}
		s.restored, c.op = &r, OpResume
	case s.store != nil:
		if err := s.saveAllLocked(t); err != nil {
			return nil, Errorf(CodeInternal, "save the state: %v", err)
		}
	}
	if opts.Apply != nil {
		if err := opts.Apply(s.snapshotLocked()); err != nil {
			return nil, Errorf(CodeInternal, "start the data plane: %v", err)
		}
	}
	s.apply, s.onChange = opts.Apply, opts.OnChange
	if resume {
		s.restored.Expired = len(s.expireLocked())
	}
	if s.store != nil {
		s.eventLocked(c, nil, nil)
		if err := s.flushLocked(); err != nil {
			return nil, Errorf(CodeInternal, "save the state: %v", err)
		}
	}
	return s, nil
}

// Restored returns what New resumed from its store, and false when it
// started from the file.
func (s *State) Restored() (Restored, bool) {
	if s.restored == nil {
		return Restored{}, false
	}
	return *s.restored, true
}

// newEmpty returns the fixed part of t's state: accounts, VPCs and their
// route tables, without peerings or routes.
func newEmpty(t *topology.Topology, opts Options) (*State, topology.ErrorList) {
	s := &State{
		name:       t.Name,
		expiry:     cmp.Or(t.PeeringExpiry, topology.DefaultPeeringExpiry),
		limit:      cmp.Or(t.PeeringsPerVPC, topology.DefaultPeeringsPerVPC),
		routeLimit: MaxRoutesPerTable,
		keep:       cmp.Or(opts.KeepHistory, DefaultKeepHistory),
		keepFor:    cmp.Or(opts.KeepHistoryFor, DefaultKeepHistoryFor),
		now:        opts.Now,
		vpcIndex:   make(map[string]int),
		peerings:   make(map[string]*Peering),
		orderOf:    make(map[string]uint64),
		tables:     make(map[string]*table),
	}
	if s.now == nil {
		s.now = time.Now
	}
	for _, a := range t.Accounts {
		s.accounts = append(s.accounts, Account{ID: a.ID, Name: a.Name})
	}
	if len(s.accounts) == 0 {
		s.accounts = []Account{{ID: topology.DefaultAccount}}
	}
	var errs topology.ErrorList
	for _, v := range t.VPCs {
		if _, dup := s.vpcIndex[v.ID]; dup {
			errs.Add(t.File, v.Pos, "%s: duplicate vpc id %q", CodeInvalidParameter, v.ID)
			continue
		}
		v = copyVPC(v)
		s.vpcIndex[v.ID] = len(s.vpcs)
		ids := []string{v.DefaultRouteTable()}
		for _, rt := range v.RouteTables {
			if rt.ID != v.DefaultRouteTable() {
				ids = append(ids, rt.ID)
			}
		}
		v.RouteTables = v.RouteTables[:0]
		for _, id := range ids {
			if _, dup := s.tables[id]; dup {
				errs.Add(t.File, v.Pos, "%s: vpc %q: duplicate route table id %q", CodeInvalidParameter, v.ID, id)
				continue
			}
			tb := &table{id: id, vpc: v.ID, cidr: v.CIDR.Masked(), routes: make(map[netip.Prefix]string)}
			for _, sn := range v.Subnets {
				if sn.RouteTable == id || (sn.RouteTable == "" && id == v.DefaultRouteTable()) {
					tb.subnets = append(tb.subnets, sn.ID)
				}
			}
			s.tables[id] = tb
			s.tableOrder = append(s.tableOrder, id)
			v.RouteTables = append(v.RouteTables, topology.RouteTable{ID: id})
		}
		s.vpcs = append(s.vpcs, v)
	}
	return s, errs
}

// applyFile creates the peerings and adds the routes of t, as their owners
// would through the API, and returns every violation at its position.
func (s *State) applyFile(t *topology.Topology) topology.ErrorList {
	var errs topology.ErrorList
	failed := make(map[string]bool) // peerings that could not be created
	for _, fp := range t.Peerings {
		owner := "" // an unknown vpc is reported by CreatePeering
		if v := s.vpc(fp.VPC); v != nil {
			owner = v.Account
		}
		p, err := s.CreatePeering(owner, CreatePeeringRequest{
			ID: fp.ID, Name: fp.Name, VPC: fp.VPC, PeerVPC: fp.PeerVPC, PeerAccount: fp.PeerAccount,
		})
		if err == nil && fp.Accepted && p.Status == StatusPending {
			_, err = s.AcceptPeering(p.PeerAccount, p.ID)
		}
		if err == nil && fp.Status != "" {
			err = s.endPeering(p, fp.Status)
		}
		if err != nil {
			failed[fp.ID] = true
			errs.Add(t.File, fp.Pos, "%s", withContext(err, fmt.Sprintf("peering %q", fp.ID)))
		}
	}
	for _, v := range t.VPCs {
		for _, rt := range v.RouteTables {
			for _, r := range rt.Routes {
				if failed[r.NextHop] {
					continue // the peering's own error says it all
				}
				var err error
				if r.NextHopType != "" && r.NextHopType != topology.NextHopPeering {
					err = Errorf(CodeInvalidParameter, "route table %q: next hop type %q: want %q",
						rt.ID, r.NextHopType, topology.NextHopPeering)
				} else {
					_, err = s.AddRoute(v.Account, rt.ID, r.Destination.String(), r.NextHop)
				}
				if err != nil {
					errs.Add(t.File, r.Pos, "%s", err)
				}
			}
		}
	}
	return errs
}

// endPeering ends p, just created, as a file says it ended: rejected by
// the accepter, deleted by the requester, or expired.
func (s *State) endPeering(p Peering, status string) error {
	var err error
	switch status {
	case topology.EndRejected:
		_, err = s.RejectPeering(p.PeerAccount, p.ID)
	case topology.EndDeleted:
		_, err = s.DeletePeering(p.Account, p.ID)
	case topology.EndExpired:
		s.mu.Lock()
		defer s.mu.Unlock()
		q := s.peerings[p.ID]
		if q.Status != StatusPending {
			return Errorf(CodeInvalidState, "peering %s is %s: only a pending request expires", p.ID, q.Status)
		}
		s.transitionLocked(q, StatusExpired, "", s.now())
		s.refreshNextExpiryLocked()
		clear(s.pending)
	}
	return err
}

// withContext inserts context after the code of a control error:
// "CidrOverlap: peering "pcx-1": ...".
func withContext(err error, context string) string {
	if e, ok := err.(*Error); ok {
		return fmt.Sprintf("%s: %s: %s", e.Code, context, e.Message)
	}
	return fmt.Sprintf("%s: %v", context, err)
}

// copyVPC returns a deep copy of v.
func copyVPC(v topology.VPC) topology.VPC {
	v.Subnets = slices.Clone(v.Subnets)
	v.Hosts = slices.Clone(v.Hosts)
	rts := make([]topology.RouteTable, len(v.RouteTables))
	for i, rt := range v.RouteTables {
		rts[i] = topology.RouteTable{Pos: rt.Pos, ID: rt.ID, Routes: slices.Clone(rt.Routes)}
	}
	v.RouteTables = rts
	return v
}

// vpc returns the VPC with the given id, or nil. The VPCs never change after
// New, so no lock is needed.
func (s *State) vpc(id string) *topology.VPC {
	if i, ok := s.vpcIndex[id]; ok {
		return &s.vpcs[i]
	}
	return nil
}

// viewLocked readies the State for a read by the account acct: it settles
// the expiries that are due and resolves acct.
func (s *State) viewLocked(acct string) (string, error) {
	s.expireLocked()
	return s.account(acct)
}

// account resolves the acting account: "" is the first one.
// An account may be named by its id or, when no account has that id and
// one has that name, by its name.
func (s *State) account(acct string) (string, error) {
	if acct == "" {
		return s.accounts[0].ID, nil
	}
	var named []string
	for _, a := range s.accounts {
		if a.ID == acct {
			return acct, nil
		}
		if a.Name == acct {
			named = append(named, a.ID)
		}
	}
	switch len(named) {
	case 0:
		return "", Errorf(CodeAccountNotFound, "account %q not found", acct)
	case 1:
		return named[0], nil
	}
	return "", Errorf(CodeInvalidParameter, "account name %q is ambiguous: accounts %s; give an id", acct, strings.Join(named, ", "))
}

// Account returns the acting account (the doc's 查看对端账号ID).
func (s *State) Account(acct string) (Account, error) {
	id, err := s.account(acct)
	if err != nil {
		return Account{}, err
	}
	for _, a := range s.accounts {
		if a.ID == id {
			return a, nil
		}
	}
	return Account{}, Errorf(CodeAccountNotFound, "account %q not found", acct)
}

// Accounts returns every account of the topology, the default one first.
func (s *State) Accounts() []Account { return slices.Clone(s.accounts) }

// VPCs returns a copy of every VPC, in file order, whatever its account.
// Each route table lists its current user routes (without positions when
// they were added through the API).
func (s *State) VPCs() []topology.VPC {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]topology.VPC, len(s.vpcs))
	for i, v := range s.vpcs {
		v = copyVPC(v)
		for j := range v.RouteTables {
			tb := s.tables[v.RouteTables[j].ID]
			for _, d := range sortedDestinations(tb.routes) {
				v.RouteTables[j].Routes = append(v.RouteTables[j].Routes, topology.Route{
					Destination: d, NextHopType: topology.NextHopPeering, NextHop: tb.routes[d],
				})
			}
		}
		out[i] = v
	}
	return out
}

// Topology returns t, the topology the State was made from, as it stands
// now: t's settings, accounts and VPCs, with the routes the route tables
// hold and the peerings the State keeps, in creation order (a
// cross-account one active is accepted; one that ended keeps its status).
// Launched, it gives this state again, ids and all.
func (s *State) Topology(t *topology.Topology) *topology.Topology {
	out := *t
	out.VPCs = s.VPCs()
	s.mu.Lock()
	defer s.mu.Unlock()
	out.Peerings = make([]topology.Peering, 0, len(s.order))
	for _, id := range s.order {
		p := s.peerings[id]
		fp := topology.Peering{ID: p.ID, Name: p.Name, VPC: p.VPC, PeerVPC: p.PeerVPC, PeerAccount: p.PeerAccount}
		switch p.Status {
		case StatusActive:
			fp.Accepted = p.Account != p.PeerAccount
		case StatusRejected, StatusExpired, StatusDeleted:
			fp.Status = string(p.Status)
		}
		out.Peerings = append(out.Peerings, fp)
	}
	return &out
}

// Table returns the route table with the given id, whatever its account.
func (s *State) Table(id string) (Table, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tb, ok := s.tables[id]
	if !ok {
		return Table{}, false
	}
	return Table{ID: tb.id, VPC: tb.vpc, Subnets: slices.Clone(tb.subnets), Routes: tb.list()}, true
}

// Peering returns the peering with the given id, whatever its account.
func (s *State) Peering(id string) (Peering, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked()
	p, ok := s.peerings[id]
	if !ok {
		return Peering{}, false
	}
	return p.clone(), true
}

// AllPeerings returns every peering ever created, in creation order, whatever
// its account and state.
func (s *State) AllPeerings() []Peering {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked()
	out := make([]Peering, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.peerings[id].clone())
	}
	return out
}

// Snapshot returns the current data-plane view.
func (s *State) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snapshotLocked()
}

// Inspect calls fn with the current snapshot while holding the State's
// lock, so that no change happens while fn compares it with the data plane,
// and returns fn's error. fn must not call back into the State.
func (s *State) Inspect(fn func(Snapshot) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fn(s.snapshotLocked())
}

// Version returns a number that grows with every change of the state.
func (s *State) Version() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version
}

// Expire marks every pending request whose expiry has passed as expired and
// returns them. Every other method does the same first, so calling Expire
// is needed only to expire requests on time when nobody asks: a daemon
// calls it at NextExpiry.
func (s *State) Expire() []Peering {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.expireLocked()
}

// NextExpiry returns when the next pending request expires, and false when
// none is pending.
func (s *State) NextExpiry() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nextExpiry, !s.nextExpiry.IsZero()
}

// list returns the table's routes: the local one, then the user routes by
// destination.
func (tb *table) list() []Route {
	out := []Route{{RouteTable: tb.id, Destination: tb.cidr.String(), NextHopType: topology.NextHopLocal, NextHop: topology.NextHopLocal}}
	for _, d := range sortedDestinations(tb.routes) {
		out = append(out, Route{RouteTable: tb.id, Destination: d.String(), NextHopType: topology.NextHopPeering, NextHop: tb.routes[d]})
	}
	return out
}

// sortedDestinations returns the keys of routes by address, then length.
func sortedDestinations(routes map[netip.Prefix]string) []netip.Prefix {
	ds := make([]netip.Prefix, 0, len(routes))
	for d := range routes {
		ds = append(ds, d)
	}
	slices.SortFunc(ds, comparePrefix)
	return ds
}

func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return cmp.Compare(a.Bits(), b.Bits())
}

// peeringIDPattern is what an explicit peering id may look like.
var peeringIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// newIDLocked returns a new peering id pcx-xxxxxxxx: eight hex digits of
// a permutation of the next sequence number, salted with the topology's
// name. Replaying the same calls yields the same ids, and as the sequence
// number is saved with the state, an id is never issued twice in a
// topology's life, whatever restarts happen and whatever peerings were
// forgotten since.
func (s *State) newIDLocked() string {
	for {
		s.seq++
		h := fnv.New32a()
		h.Write([]byte(s.name))
		id := fmt.Sprintf("pcx-%08x", permute(uint32(s.seq)^h.Sum32()))
		if _, used := s.peerings[id]; !used { // an explicit id may hold it
			return id
		}
	}
}

// permute is a bijection of the 32-bit numbers that scatters neighbours
// (the finalizer of MurmurHash3: every step is invertible).
func permute(x uint32) uint32 {
	x ^= x >> 16
	x *= 0x85ebca6b
	x ^= x >> 13
	x *= 0xc2b2ae35
	x ^= x >> 16
	return x
}
