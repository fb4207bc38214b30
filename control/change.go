package control

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vpcsim/vpcsim/store"
)

// Op names a kind of control change.
type Op string

// The control changes, and the two events of a daemon's life.
const (
	OpCreatePeering Op = "peering.create"
	OpAcceptPeering Op = "peering.accept"
	OpRejectPeering Op = "peering.reject"
	OpDeletePeering Op = "peering.delete"
	OpExpirePeering Op = "peering.expire"
	OpAddRoute      Op = "route.add"
	OpDeleteRoute   Op = "route.delete"
	OpReplaceRoute  Op = "route.replace"
	OpLaunch        Op = "topology.launch" // a state made from a file
	OpResume        Op = "topology.resume" // a saved state resumed
)

// Change is one mutating call on a State, or one expiry, and its outcome:
// what Options.OnChange is told.
type Change struct {
	Time time.Time
	Op   Op
	// Account is the acting account, the default one resolved; empty for
	// an expiry, which nobody asked for.
	Account string
	// Target is what the change acted on: a peering id (for a create that
	// failed, "VPC -> PEER_VPC"), or "TABLE DESTINATION" for a route.
	Target  string
	Peering *Peering // the peering after a successful peering change
	Route   *Route   // the route after a successful route change
	Err     *Error   // why the change was refused; nil when it succeeded
}

// Event is an entry of a topology's journal, saved with the change it
// records: what vpcsim events lists, and a console's operation log.
type Event struct {
	Seq     uint64    `json:"seq"`
	Time    time.Time `json:"time"`
	Account string    `json:"account"` // "" for what nobody asked for: an expiry, a launch
	Op      Op        `json:"op"`
	Target  string    `json:"target"`
	// Result is the peering's status after a peering change, "added",
	// "deleted" or "replaced" for a route, "launched" or "resumed", and "refused" for a
	// call that failed.
	Result string `json:"result"`
	// Detail says what a successful change was about: the VPCs of a
	// created peering, the next hop of an added route, the destination and
	// next hop a replaced route has now.
	Detail  string `json:"detail"`
	Code    Code   `json:"code"`
	Message string `json:"message"`
	// Accounts are those who see the event: the acting one, and the
	// accounts of the peering it is about.
	Accounts []string `json:"accounts"`
}

// visibleTo reports whether the account acct sees e; the launch and resume
// events are everybody's.
func (e *Event) visibleTo(acct string) bool {
	return e.Op == OpLaunch || e.Op == OpResume || slices.Contains(e.Accounts, acct)
}

// call is a mutating call in progress.
type call struct {
	op     Op
	acct   string   // the acting account as given
	target string   // see Change.Target
	args   []string // the call's arguments, for the test journal
	saved  bool     // its event went out with its change
}

// beginLocked starts a mutating call: nothing of an earlier one is pending.
func (s *State) beginLocked(op Op, acct, target string, args ...string) *call {
	clear(s.pending)
	clear(s.dirty)
	return &call{op: op, acct: acct, target: target, args: args}
}

// touchLocked notes that the change under way alters the routes of tb.
func (s *State) touchLocked(tb *table) {
	if s.dirty == nil {
		s.dirty = make(map[string]bool)
	}
	s.dirty[tb.id] = true
}

// commitLocked completes the change c already made to the state. When it
// altered what packets may use (dataPlane), the data plane is handed the
// new state; then the change and its event are saved in one commit. If the
// data plane refuses it or the store fails, undo restores the state as it
// was, the data plane is handed that state again, and the change fails
// with CodeInternal: nothing claims what did not happen.
func (s *State) commitLocked(c *call, dataPlane bool, undo func(), result any) error {
	seq := s.eventSeq
	s.eventLocked(c, result, nil)
	fail := func(format string, args ...any) error {
		undo()
		clear(s.pending)
		s.eventSeq = seq
		if dataPlane && s.apply != nil {
			if rerr := s.apply(s.snapshotLocked()); rerr != nil {
				format += "; the data plane also refused the state from before it (%v): they may differ until the next change"
				args = append(args, rerr)
			}
		}
		return Errorf(CodeInternal, format, args...)
	}
	if dataPlane && s.apply != nil {
		if err := s.apply(s.deltaLocked()); err != nil {
			return fail("the data plane refused the change, which was undone: %v", err)
		}
	}
	if err := s.flushLocked(); err != nil {
		return fail("the change could not be saved, and was undone: %v", err)
	}
	c.saved = true
	s.version++
	return nil
}

// endLocked reports the outcome of c: a refused call is saved to the
// journal (as well as the store allows), and OnChange and the test journal
// hear of it.
func (s *State) endLocked(c *call, result any, err error) {
	if err != nil && !c.saved && s.store != nil {
		clear(s.pending)
		s.eventLocked(c, nil, err)
		if s.flushLocked() != nil {
			s.eventSeq--
		}
	}
	if s.journal != nil {
		s.journal(journalEntry{op: c.op, acct: c.acct, args: c.args, result: result, err: err})
	}
	if s.onChange == nil {
		return
	}
	ch := Change{Time: s.now().UTC(), Op: c.op, Account: c.acct, Target: c.target, Err: AsError(err)}
	if a, aerr := s.account(c.acct); aerr == nil && c.op != OpExpirePeering {
		ch.Account = a
	}
	if err == nil {
		switch r := result.(type) {
		case Peering:
			ch.Peering = &r
		case Route:
			ch.Route = &r
		}
	}
	s.onChange(ch)
}

// eventLocked adds the event of c, with its result or error, to the change
// under way, and drops the event that falls out of the journal.
func (s *State) eventLocked(c *call, result any, err error) {
	if s.store == nil {
		return
	}
	s.eventSeq++
	e := Event{Seq: s.eventSeq, Time: s.now().UTC(), Account: c.acct, Op: c.op, Target: c.target}
	if a, aerr := s.account(c.acct); aerr == nil && c.op != OpExpirePeering && c.op != OpLaunch && c.op != OpResume {
		e.Account = a
	}
	if e.Account != "" {
		e.Accounts = append(e.Accounts, e.Account)
	}
	switch r := result.(type) {
	case Peering:
		e.Result = string(r.Status)
		e.Accounts = append(e.Accounts, r.Account, r.PeerAccount)
		if c.op == OpCreatePeering {
			e.Detail = fmt.Sprintf("%s -> %s (account %s)", r.VPC, r.PeerVPC, r.PeerAccount)
		}
		if c.op == OpExpirePeering && r.ExpiresAt != nil {
			e.Time = r.ExpiresAt.UTC() // when it fell due, though noticed later
		}
	case Route:
		e.Result = map[Op]string{OpAddRoute: "added", OpDeleteRoute: "deleted", OpReplaceRoute: "replaced"}[c.op]
		e.Detail = "-> " + r.NextHop
		if c.op == OpReplaceRoute {
			e.Detail = r.Destination + " -> " + r.NextHop
		}
	}
	switch {
	case err != nil:
		ae := AsError(err)
		e.Result, e.Code, e.Message = "refused", ae.Code, ae.Message
	case c.op == OpLaunch:
		e.Result = "launched"
	case c.op == OpResume:
		e.Result = "resumed"
	}
	slices.Sort(e.Accounts)
	e.Accounts = slices.Compact(e.Accounts)
	b, _ := json.Marshal(e)
	s.putLocked(store.Put(eventKey(e.Seq), b))
	if e.Seq > MaxEvents {
		s.putLocked(store.Delete(eventKey(e.Seq - MaxEvents)))
	}
}

// expireLocked expires the pending requests that are due, each a change of
// its own with its event, and returns them.
func (s *State) expireLocked() []Peering {
	now := s.now()
	if s.nextExpiry.IsZero() || now.Before(s.nextExpiry) {
		return nil
	}
	var expired []Peering
	for _, id := range s.order {
		p := s.peerings[id]
		if p.Status != StatusPending || p.ExpiresAt == nil || now.Before(*p.ExpiresAt) {
			continue
		}
		c := s.beginLocked(OpExpirePeering, "", p.ID)
		was := p.clone()
		s.transitionLocked(p, StatusExpired, "", *p.ExpiresAt)
		if err := s.commitLocked(c, false, func() { *p = was }, p.clone()); err != nil {
			continue // tried again at the next call
		}
		expired = append(expired, p.clone())
		s.endLocked(c, p.clone(), nil)
	}
	s.refreshNextExpiryLocked()
	return expired
}

// refreshNextExpiryLocked recomputes the earliest pending expiry.
func (s *State) refreshNextExpiryLocked() {
	s.nextExpiry = time.Time{}
	for _, id := range s.order {
		p := s.peerings[id]
		if p.Status == StatusPending && p.ExpiresAt != nil && (s.nextExpiry.IsZero() || p.ExpiresAt.Before(s.nextExpiry)) {
			s.nextExpiry = *p.ExpiresAt
		}
	}
}

// transitionLocked moves p to status at, by the account acct ("" for
// nobody), keeping its history and saving it with the change under way.
// A status that is not pending has no expiry, but for expired, which keeps
// the deadline it missed.
func (s *State) transitionLocked(p *Peering, status Status, acct string, at time.Time) {
	p.Status = status
	if status != StatusPending && status != StatusExpired {
		p.ExpiresAt = nil
	}
	p.History = append(p.History, Transition{Time: at.UTC(), Status: status, Account: acct})
	s.savePeeringLocked(p)
}

// forgetLocked forgets, with the change under way, the rejected, expired
// and deleted peerings that are older than the State keeps them, or beyond
// how many it keeps, oldest first; their ids are never issued again. It
// returns the function that remembers them again, should the change be
// undone.
func (s *State) forgetLocked() (undo func()) {
	now := s.now()
	var old []string // not live, oldest change first
	for _, id := range s.order {
		if p := s.peerings[id]; !p.live() {
			old = append(old, id)
		}
	}
	slices.SortStableFunc(old, func(a, b string) int {
		return s.peerings[a].changed().Compare(s.peerings[b].changed())
	})
	drop := max(0, len(old)-s.keep)
	for drop < len(old) && now.Sub(s.peerings[old[drop]].changed()) > s.keepFor {
		drop++
	}
	if drop == 0 {
		return func() {}
	}
	gone := make(map[string]*Peering, drop)
	orders := make(map[string]uint64, drop)
	for _, id := range old[:drop] {
		gone[id], orders[id] = s.peerings[id], s.orderOf[id]
		delete(s.peerings, id)
		delete(s.orderOf, id)
		s.putLocked(store.Delete(prefPeering + id))
	}
	was := slices.Clone(s.order)
	s.order = slices.DeleteFunc(s.order, func(id string) bool { return gone[id] != nil })
	return func() {
		for id, p := range gone {
			s.peerings[id], s.orderOf[id] = p, orders[id]
		}
		s.order = was
	}
}

// snapshotLocked builds the data plane's view of the whole state.
func (s *State) snapshotLocked() Snapshot {
	snap := Snapshot{Peerings: s.linksLocked(), Tables: make(map[string][]TableRoute, len(s.tables))}
	for id, tb := range s.tables {
		snap.Tables[id] = tb.userRoutes()
	}
	return snap
}

// deltaLocked builds the data plane's view of the change under way: every
// active peering, and the tables the change touched.
func (s *State) deltaLocked() Snapshot {
	snap := Snapshot{Peerings: s.linksLocked(), Tables: make(map[string][]TableRoute, len(s.dirty))}
	for id := range s.dirty {
		snap.Tables[id] = s.tables[id].userRoutes()
	}
	return snap
}

// linksLocked returns the active peerings.
func (s *State) linksLocked() map[string]PeeringLink {
	links := make(map[string]PeeringLink)
	for id, p := range s.peerings {
		if p.Status == StatusActive {
			links[id] = PeeringLink{VPC: p.VPC, PeerVPC: p.PeerVPC}
		}
	}
	return links
}

// userRoutes returns the table's user routes by destination.
func (tb *table) userRoutes() []TableRoute {
	routes := make([]TableRoute, 0, len(tb.routes))
	for _, d := range sortedDestinations(tb.routes) {
		routes = append(routes, TableRoute{Destination: d, Peering: tb.routes[d]})
	}
	return routes
}

// Events returns the events of the journal the account acct sees, after
// the event numbered after, oldest first, at most limit (0: all the
// journal keeps, MaxEvents).
func (s *State) Events(acct string, after uint64, limit int) ([]Event, error) {
	a, err := s.account(acct)
	if err != nil {
		return nil, err
	}
	if s.store == nil {
		return []Event{}, nil
	}
	evs, _, err := s.eventsAfter(a, after)
	if err != nil {
		return nil, err
	}
	if limit > 0 && len(evs) > limit {
		evs = evs[len(evs)-limit:]
	}
	return evs, nil
}

// eventsAfter reads the journal after the event numbered after, as the
// account a sees it, and the store revision it read at.
func (s *State) eventsAfter(a string, after uint64) ([]Event, int64, error) {
	kvs, rev, err := s.store.Range(prefEvent)
	if err != nil {
		return nil, 0, Errorf(CodeInternal, "read the journal: %v", err)
	}
	evs := []Event{}
	for _, kv := range kvs {
		seq, _ := strconv.ParseUint(strings.TrimPrefix(kv.Key, prefEvent), 10, 64)
		if seq <= after {
			continue
		}
		var e Event
		if json.Unmarshal(kv.Value, &e) == nil && e.visibleTo(a) {
			evs = append(evs, e)
		}
	}
	return evs, rev, nil
}

// WatchEvents sends the events the account acct sees after the event
// numbered after, then each new one as it is saved, until ctx ends; the
// channel is then closed.
func (s *State) WatchEvents(ctx context.Context, acct string, after uint64) (<-chan Event, error) {
	a, err := s.account(acct)
	if err != nil {
		return nil, err
	}
	if s.store == nil {
		return nil, Errorf(CodeInternal, "the journal is not kept: the state has no store")
	}
	evs, rev, err := s.eventsAfter(a, after)
	if err != nil {
		return nil, err
	}
	feed, err := s.store.Watch(ctx, prefEvent, rev)
	if err != nil {
		return nil, Errorf(CodeInternal, "watch the journal: %v", err)
	}
	out := make(chan Event)
	go func() {
		defer close(out)
		send := func(e Event) bool {
			select {
			case out <- e:
				return true
			case <-ctx.Done():
				return false
			}
		}
		for _, e := range evs {
			if !send(e) {
				return
			}
		}
		for ev := range feed {
			if ev.Err != nil {
				return
			}
			for _, op := range ev.Ops {
				var e Event
				if op.Delete || json.Unmarshal(op.Value, &e) != nil || !e.visibleTo(a) {
					continue
				}
				if !send(e) {
					return
				}
			}
		}
	}()
	return out, nil
}
