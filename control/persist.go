package control

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vpcsim/vpcsim/store"
	"github.com/vpcsim/vpcsim/topology"
)

// How a State lives in its store. Every key is under one of these
// prefixes; values are JSON, but for the counters, which are decimal.
//
//	/meta/topology               what the state was made from (stateMeta)
//	/meta/ids                    the last generated-id sequence number
//	/meta/created                the last creation number (creation order)
//	/peerings/ID                 a peering (peeringRecord)
//	/routes/TABLE/DESTINATION    a user route: the peering id
//	/events/SEQ                  the journal (Event), SEQ zero-padded
const (
	keyMeta     = "/meta/topology"
	keyIDs      = "/meta/ids"
	keyCreated  = "/meta/created"
	prefPeering = "/peerings/"
	prefRoute   = "/routes/"
	prefEvent   = "/events/"
)

// stateMeta says what a stored state was made from.
type stateMeta struct {
	Name        string    `json:"name"`
	File        string    `json:"file"`
	Fingerprint string    `json:"fingerprint"`
	Created     time.Time `json:"created"`
}

// peeringRecord is a stored peering with its place in creation order.
type peeringRecord struct {
	Peering
	Order uint64 `json:"order"`
}

func routeKey(table string, d netip.Prefix) string { return prefRoute + table + "/" + d.String() }
func eventKey(seq uint64) string                   { return fmt.Sprintf("%s%020d", prefEvent, seq) }

// Fingerprint returns a digest of what a topology file says: its settings,
// accounts, VPCs with their subnets, tables, routes and hosts, and its
// peerings; not how it is written (order of keys, comments, positions,
// defaults spelled out). A saved state made from one file is resumed only
// with a file of the same fingerprint.
func Fingerprint(t *topology.Topology) string {
	h := sha256.New()
	w := func(format string, args ...any) { fmt.Fprintf(h, format+"\n", args...) }
	w("topology %q region %q mtu %d expiry %v limit %d", t.Name, t.Region, t.MTU, t.PeeringExpiry, t.PeeringsPerVPC)
	for _, a := range t.Accounts {
		w("account %q %q", a.ID, a.Name)
	}
	for _, v := range t.VPCs {
		w("vpc %q %q %q %q %v", v.ID, v.Name, v.Account, v.Region, v.CIDR)
		for _, s := range v.Subnets {
			w("subnet %q %v %q", s.ID, s.CIDR, s.RouteTable)
		}
		for _, rt := range v.RouteTables {
			w("table %q", rt.ID)
			for _, r := range rt.Routes {
				w("route %v %q %q", r.Destination, r.NextHopType, r.NextHop)
			}
		}
		for _, ho := range v.Hosts {
			w("host %q %q %v", ho.Name, ho.Subnet, ho.IP)
		}
	}
	for _, p := range t.Peerings {
		w("peering %q %q %q %q %q %v %q", p.ID, p.Name, p.VPC, p.PeerVPC, p.PeerAccount, p.Accepted, p.Status)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Restored says what New found in its store and resumed.
type Restored struct {
	File     string    // the file the state was first made from
	Peerings int       // peerings of every status
	Routes   int       // user routes
	Saved    time.Time // when the last change was saved
	Expired  int       // pending requests that fell due while the daemon was down
}

// String describes r for a launch's progress: "restored 3 peerings, 8
// routes, saved 2026-...".
func (r Restored) String() string {
	s := fmt.Sprintf("restored %d peerings, %d routes, saved %s", r.Peerings, r.Routes, r.Saved.UTC().Format(time.RFC3339))
	if r.Expired > 0 {
		s += fmt.Sprintf("; %d pending requests expired meanwhile", r.Expired)
	}
	return s
}

// Saved reports whether st holds a saved state for the topology t, made
// from a file that says what t's says (else CodeStateMismatch), which New
// would resume.
func Saved(st store.Store, t *topology.Topology) (bool, error) {
	_, ok, err := st.Get(keyMeta)
	if err != nil {
		return false, Errorf(CodeInternal, "read the saved state: %v", err)
	}
	if !ok {
		return false, nil
	}
	_, err = savedMeta(st, t)
	return err == nil, err
}

// savedMeta returns the meta record of the state in st, which t's file must
// have made.
func savedMeta(st store.Store, t *topology.Topology) (stateMeta, error) {
	var meta stateMeta
	raw, ok, err := st.Get(keyMeta)
	if err != nil {
		return meta, Errorf(CodeInternal, "read the saved state: %v", err)
	}
	if !ok || json.Unmarshal(raw, &meta) != nil {
		return meta, Errorf(CodeInternal, "the saved state has no valid %s record", keyMeta)
	}
	if meta.Name != t.Name || meta.Fingerprint != Fingerprint(t) {
		return meta, Errorf(CodeStateMismatch, "the saved state of topology %q was made from %s, which said something else than %s; resume with that file, or start from this one with --reset (the saved state is then lost)",
			t.Name, meta.File, t.File)
	}
	return meta, nil
}

// putLocked adds op to the change under way, replacing an earlier op of
// the same key.
func (s *State) putLocked(op store.Op) {
	if s.pending == nil {
		s.pending = make(map[string]store.Op)
	}
	s.pending[op.Key] = op
}

// savePeeringLocked schedules p for the store.
func (s *State) savePeeringLocked(p *Peering) {
	b, _ := json.Marshal(peeringRecord{Peering: *p, Order: s.orderOf[p.ID]})
	s.putLocked(store.Put(prefPeering+p.ID, b))
}

// saveRouteLocked schedules the route of tb to d for the store: its peering,
// or its deletion when tb has none.
func (s *State) saveRouteLocked(tb *table, d netip.Prefix) {
	if via, ok := tb.routes[d]; ok {
		s.putLocked(store.Put(routeKey(tb.id, d), []byte(via)))
	} else {
		s.putLocked(store.Delete(routeKey(tb.id, d)))
	}
}

// saveCountersLocked schedules the id and creation counters for the store.
func (s *State) saveCountersLocked() {
	s.putLocked(store.Put(keyIDs, []byte(strconv.FormatUint(s.seq, 10))))
	s.putLocked(store.Put(keyCreated, []byte(strconv.FormatUint(s.created, 10))))
}

// flushLocked commits the ops of the change under way to the store, when
// the State has one, and forgets them either way.
func (s *State) flushLocked() error {
	defer clear(s.pending)
	if s.store == nil || len(s.pending) == 0 {
		return nil
	}
	ops := make([]store.Op, 0, len(s.pending))
	for _, op := range s.pending {
		ops = append(ops, op)
	}
	slices.SortFunc(ops, func(a, b store.Op) int { return strings.Compare(a.Key, b.Key) })
	_, err := s.store.Commit(ops...)
	return err
}

// saveAllLocked writes the whole state to an empty store: the meta record,
// the counters, every peering and route.
func (s *State) saveAllLocked(t *topology.Topology) error {
	meta, _ := json.Marshal(stateMeta{Name: t.Name, File: t.File, Fingerprint: Fingerprint(t), Created: s.now().UTC()})
	s.putLocked(store.Put(keyMeta, meta))
	s.saveCountersLocked()
	for _, id := range s.order {
		s.savePeeringLocked(s.peerings[id])
	}
	for _, id := range s.tableOrder {
		tb := s.tables[id]
		for d := range tb.routes {
			s.saveRouteLocked(tb, d)
		}
	}
	return s.flushLocked()
}

// loadLocked replaces the peerings, routes and counters of s with those
// in its store, which t's file must have made (else StateMismatch), and
// reports what it found.
func (s *State) loadLocked(t *topology.Topology) (Restored, error) {
	var r Restored
	meta, err := savedMeta(s.store, t)
	if err != nil {
		return r, err
	}
	r.File = meta.File
	kvs, _, err := s.store.Range("/")
	if err != nil {
		return r, Errorf(CodeInternal, "read the saved state: %v", err)
	}
	clear(s.peerings)
	s.order, s.orderOf = s.order[:0], make(map[string]uint64)
	for _, tb := range s.tables {
		clear(tb.routes)
	}
	for _, kv := range kvs {
		if err := s.loadKeyLocked(kv, &r); err != nil {
			return r, Errorf(CodeInternal, "the saved state: %s: %v", kv.Key, err)
		}
	}
	slices.SortFunc(s.order, func(a, b string) int { return cmpUint(s.orderOf[a], s.orderOf[b]) })
	r.Peerings = len(s.order)
	s.refreshNextExpiryLocked()
	return r, nil
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// loadKeyLocked loads one stored key.
func (s *State) loadKeyLocked(kv store.KV, r *Restored) error {
	switch key := kv.Key; {
	case key == keyMeta:
	case key == keyIDs || key == keyCreated:
		n, err := strconv.ParseUint(string(kv.Value), 10, 64)
		if err != nil {
			return err
		}
		if key == keyIDs {
			s.seq = n
		} else {
			s.created = n
		}
	case strings.HasPrefix(key, prefPeering):
		var pr peeringRecord
		if err := json.Unmarshal(kv.Value, &pr); err != nil {
			return err
		}
		p := pr.Peering
		if p.ID != key[len(prefPeering):] || s.vpc(p.VPC) == nil || s.vpc(p.PeerVPC) == nil {
			return fmt.Errorf("peering %q joins VPCs the topology lacks", p.ID)
		}
		s.peerings[p.ID] = &p
		s.order = append(s.order, p.ID)
		s.orderOf[p.ID] = pr.Order
	case strings.HasPrefix(key, prefRoute):
		rest := key[len(prefRoute):]
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			return fmt.Errorf("not TABLE/DESTINATION")
		}
		tb := s.tables[rest[:i]]
		d, err := netip.ParsePrefix(rest[i+1:])
		if tb == nil || err != nil {
			return fmt.Errorf("route of an unknown table or destination")
		}
		tb.routes[d] = string(kv.Value)
		r.Routes++
	case strings.HasPrefix(key, prefEvent):
		seq, err := strconv.ParseUint(key[len(prefEvent):], 10, 64)
		if err != nil {
			return err
		}
		s.eventSeq = max(s.eventSeq, seq)
		var ev Event
		if err := json.Unmarshal(kv.Value, &ev); err == nil && ev.Time.After(r.Saved) {
			r.Saved = ev.Time
		}
	default:
		return fmt.Errorf("unknown key")
	}
	return nil
}
