package control

import (
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vpcsim/vpcsim/store"
	"github.com/vpcsim/vpcsim/topology"
)

// resume returns a new State of testTopology on st, as a daemon that
// starts again after a crash does.
func resume(t *testing.T, clk *clock, st store.Store) *State {
	t.Helper()
	s, err := New(testTopology(), Options{Now: clk.Now, Store: st})
	if err != nil {
		t.Fatalf("New on the saved state: %v", err)
	}
	if _, ok := s.Restored(); !ok {
		t.Fatalf("New on a saved state did not resume it")
	}
	return s
}

// TestResumeKeepsEverything makes changes of every kind, then resumes the
// store as a restarted daemon would, from a real file: peerings, statuses,
// history, routes and ids are as they were, and new ids are new.
func TestResumeKeepsEverything(t *testing.T) {
	ok := okFunc(t)
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := store.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	clk := newClock()
	s, err := New(testTopology(), Options{Now: clk.Now, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Restored(); ok {
		t.Fatal("New on an empty store says it resumed")
	}
	a := mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc2", Name: "one"})
	b := mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc3", PeerAccount: partner})
	clk.Advance(time.Minute)
	ok(s.AcceptPeering(partner, b.ID))
	ok(s.AddRoute(me, "rtb-1a", "10.3.0.0/16", b.ID))
	ok(s.AddRoute(me, "vpc1-default", "10.2.0.0/16", a.ID))
	ok(s.AddRoute(partner, "vpc3-default", "10.1.1.0/24", b.ID))
	c := mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc2", PeerVPC: "vpc6", PeerAccount: other})
	ok(s.DeletePeering(me, a.ID))
	s.CreatePeering(me, CreatePeeringRequest{VPC: "vpc9", PeerVPC: "vpc2"}) // refused: journaled only
	wantPeerings, wantSnap := s.AllPeerings(), s.Snapshot()
	wantEvents, _ := s.Events(me, 0, 0)
	if err := st.Close(); err != nil { // the daemon dies
		t.Fatal(err)
	}

	st, err = store.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := resume(t, clk, st)
	if got := r.AllPeerings(); !reflect.DeepEqual(got, wantPeerings) {
		t.Errorf("resumed peerings:\n got %+v\nwant %+v", got, wantPeerings)
	}
	if got := r.Snapshot(); !reflect.DeepEqual(got, wantSnap) {
		t.Errorf("resumed snapshot:\n got %+v\nwant %+v", got, wantSnap)
	}
	info, _ := r.Restored()
	if info.Peerings != 3 || info.Routes != 2 || info.Expired != 0 || info.File != "test.yaml" || !info.Saved.Equal(clk.Now()) {
		t.Errorf("Restored() = %+v, want 3 peerings, 2 routes, saved at %v", info, clk.Now())
	}
	if got := info.String(); !strings.HasPrefix(got, "restored 3 peerings, 2 routes, saved ") {
		t.Errorf("Restored().String() = %q", got)
	}
	events, _ := r.Events(me, 0, 0)
	if len(events) != len(wantEvents)+1 || !reflect.DeepEqual(events[:len(wantEvents)], wantEvents) || events[len(events)-1].Op != OpResume {
		t.Errorf("journal after resume:\n got %+v\nwant %+v and a resume", events, wantEvents)
	}
	// Generated ids go on where they stopped: never one issued before.
	used := map[string]bool{a.ID: true, b.ID: true, c.ID: true}
	ok(r.DeletePeering(me, c.ID))
	d := mustCreate(t, r, me, CreatePeeringRequest{VPC: "vpc2", PeerVPC: "vpc6", PeerAccount: other})
	if used[d.ID] {
		t.Errorf("after a restart, id %s was issued again", d.ID)
	}
}

// okFunc returns a function that fails t unless the call whose results it
// is given succeeded: ok(s.AddRoute(...)).
func okFunc(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestResumeRefusesAnotherFile(t *testing.T) {
	st := store.NewMemory()
	if _, err := New(testTopology(), Options{Store: st}); err != nil {
		t.Fatal(err)
	}
	changed := testTopology()
	changed.VPCs[1].CIDR = changed.VPCs[2].CIDR
	_, err := New(changed, Options{Store: st})
	if ErrorCode(err) != CodeStateMismatch || !strings.Contains(err.Error(), "--reset") {
		t.Errorf("New with another file on a saved state = %v, want StateMismatch advising --reset", err)
	}
	reformatted := testTopology()
	reformatted.File = "elsewhere.yaml"
	reformatted.VPCs[0].Pos.Line = 99
	if _, err := New(reformatted, Options{Store: st}); err != nil {
		t.Errorf("New with the same topology written elsewhere = %v, want it resumed", err)
	}
}

// TestExpiryWhileDown: a request that fell due while no daemon ran expires
// when the state is resumed, with its event dated at its deadline.
func TestExpiryWhileDown(t *testing.T) {
	st := store.NewMemory()
	clk := newClock()
	s, err := New(testTopology(), Options{Now: clk.Now, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	p := mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc3", PeerAccount: partner})
	if at, ok := s.NextExpiry(); !ok || !at.Equal(*p.ExpiresAt) {
		t.Errorf("NextExpiry() = %v, %v; want %v", at, ok, *p.ExpiresAt)
	}
	clk.Advance(3 * time.Hour) // the expiry is 1h
	var seen []Change
	r, err := New(testTopology(), Options{Now: clk.Now, Store: st, OnChange: func(c Change) { seen = append(seen, c) }})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := r.Peering(p.ID); got.Status != StatusExpired {
		t.Errorf("after resuming past the deadline: %s is %s, want expired", p.ID, got.Status)
	}
	if info, _ := r.Restored(); info.Expired != 1 {
		t.Errorf("Restored().Expired = %d, want 1", info.Expired)
	}
	if len(seen) != 1 || seen[0].Op != OpExpirePeering {
		t.Errorf("changes reported at resume = %+v, want the expiry", seen)
	}
	evs, _ := r.Events(partner, 0, 0)
	var expiry *Event
	for i := range evs {
		if evs[i].Op == OpExpirePeering {
			expiry = &evs[i]
		}
	}
	if expiry == nil || !expiry.Time.Equal(*p.ExpiresAt) || expiry.Result != "expired" || expiry.Target != p.ID {
		t.Errorf("expiry event = %+v, want one for %s at %v", expiry, p.ID, *p.ExpiresAt)
	}
	if _, ok := r.NextExpiry(); ok {
		t.Errorf("NextExpiry() reports a pending request after it expired")
	}
}

func TestEventsJournal(t *testing.T) {
	ok := okFunc(t)
	s, err := New(testTopology(), Options{Now: newClock().Now, Store: store.NewMemory()})
	if err != nil {
		t.Fatal(err)
	}
	p := mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc3", PeerAccount: partner})
	s.AcceptPeering(me, p.ID) // refused: not the accepter
	ok(s.AcceptPeering(partner, p.ID))
	ok(s.AddRoute(me, "rtb-1a", "10.3.0.0/16", p.ID))
	ok(s.AddRoute(partner, "vpc3-default", "10.1.1.0/24", p.ID))
	line := func(e Event) string {
		return strings.Join([]string{string(e.Op), e.Account, e.Target, e.Result, string(e.Code)}, " ")
	}
	for _, tt := range []struct {
		acct string
		want []string
	}{
		{me, []string{
			"topology.launch  test.yaml launched ",
			"peering.create 100000000001 " + p.ID + " pending-acceptance ",
			"peering.accept 100000000001 " + p.ID + " refused NotPermitted",
			"peering.accept 200000000002 " + p.ID + " active ",
			"route.add 100000000001 rtb-1a 10.3.0.0/16 added ",
		}},
		{partner, []string{
			"topology.launch  test.yaml launched ",
			"peering.create 100000000001 " + p.ID + " pending-acceptance ",
			"peering.accept 200000000002 " + p.ID + " active ",
			"route.add 200000000002 vpc3-default 10.1.1.0/24 added ",
		}},
		{other, []string{"topology.launch  test.yaml launched "}},
	} {
		evs, err := s.Events(tt.acct, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for i, e := range evs {
			got = append(got, line(e))
			if i > 0 && e.Seq <= evs[i-1].Seq {
				t.Errorf("events out of order: %d after %d", e.Seq, evs[i-1].Seq)
			}
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Events(%s):\n got %q\nwant %q", tt.acct, got, tt.want)
		}
	}
	evs, _ := s.Events(me, 2, 2)
	if len(evs) != 2 || evs[0].Op != OpAcceptPeering {
		t.Errorf("Events(me, after 2, limit 2) = %+v", evs)
	}
	if _, err := s.Events("42", 0, 0); ErrorCode(err) != CodeAccountNotFound {
		t.Errorf("Events(unknown account) = %v", err)
	}
}

// TestHistoryIsBounded: rejected, expired and deleted peerings are kept a
// while, then forgotten, oldest first; their ids are not issued again.
func TestHistoryIsBounded(t *testing.T) {
	ok := okFunc(t)
	clk := newClock()
	st := store.NewMemory()
	s, err := New(testTopology(), Options{Now: clk.Now, Store: st, KeepHistory: 3, KeepHistoryFor: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for i := range 8 {
		p := mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc2"})
		if ids[p.ID] {
			t.Fatalf("cycle %d: id %s issued again", i, p.ID)
		}
		ids[p.ID] = true
		ok(s.DeletePeering(me, p.ID))
		clk.Advance(time.Minute)
	}
	// The deletion kept the last ones: the next change forgets beyond 3.
	mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc2"})
	all, _ := s.Peerings(me, true)
	if len(all) != 4 {
		t.Errorf("%d peerings kept, want 3 deleted and 1 active: %+v", len(all), all)
	}
	kvs, _, _ := st.Range(prefPeering)
	if len(kvs) != 4 {
		t.Errorf("%d peerings in the store, want 4", len(kvs))
	}
	clk.Advance(2 * time.Hour)
	mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc3", PeerAccount: partner})
	if all, _ := s.Peerings(me, true); len(all) != 2 {
		t.Errorf("%d peerings kept two hours later, want the 2 live ones", len(all))
	}
}

func TestRouteLimit(t *testing.T) {
	s := routeState(t, Options{})
	for i := range MaxRoutesPerTable {
		if _, err := s.AddRoute(me, "rtb-1a", "10.200."+strconv.Itoa(i)+".0/24", "pcx-12"); err != nil {
			t.Fatalf("route %d: %v", i, err)
		}
	}
	_, err := s.AddRoute(me, "rtb-1a", "10.201.0.0/24", "pcx-12")
	checkCode(t, "AddRoute beyond the limit", err, CodeRouteLimitExceeded)
	if _, err := s.AddRoute(me, "vpc1-default", "10.201.0.0/24", "pcx-12"); err != nil {
		t.Errorf("another table is not full: %v", err)
	}
}

// failingStore fails every commit once told to.
type failingStore struct {
	store.Store
	fail bool
}

func (f *failingStore) Commit(ops ...store.Op) (int64, error) {
	if f.fail {
		return 0, errors.New("disk full")
	}
	return f.Store.Commit(ops...)
}

// TestUnsavedChangeIsUndone: a change the store cannot save fails with
// Internal and leaves the state, the data plane and the store as they were.
func TestUnsavedChangeIsUndone(t *testing.T) {
	fs := &failingStore{Store: store.NewMemory()}
	var applied int
	s, err := New(testTopology(), Options{Now: newClock().Now, Store: fs, Apply: func(Snapshot) error { applied++; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	p := mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc2"})
	before, peerings := s.Snapshot(), s.AllPeerings()
	fs.fail = true
	applied = 0
	_, err = s.DeletePeering(me, p.ID)
	if ErrorCode(err) != CodeInternal || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("DeletePeering with a failing store = %v, want Internal saying why", err)
	}
	if got := s.AllPeerings(); !reflect.DeepEqual(got, peerings) {
		t.Errorf("peerings after an unsaved delete: %+v, want %+v", got, peerings)
	}
	if got := s.Snapshot(); !reflect.DeepEqual(got, before) {
		t.Errorf("snapshot after an unsaved delete: %+v", got)
	}
	if applied != 2 {
		t.Errorf("Apply called %d times, want the change and the state before it", applied)
	}
	fs.fail = false
	if _, err := s.DeletePeering(me, p.ID); err != nil {
		t.Errorf("DeletePeering once the store works = %v", err)
	}
}

// TestTopologyRoundTrip: the topology of a State after changes of every
// kind, formatted and launched again, gives the same peerings, statuses,
// ids and routes.
func TestTopologyRoundTrip(t *testing.T) {
	ok := okFunc(t)
	clk := newClock()
	top := testTopology()
	// vpc5 is a /8, which a file may not hold.
	top.VPCs = slices.DeleteFunc(top.VPCs, func(v topology.VPC) bool { return v.ID == "vpc5" })
	s, err := New(top, Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	a := mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc2", Name: "one"})
	b := mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc3", PeerAccount: partner})
	ok(s.AcceptPeering(partner, b.ID))
	c := mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc2", PeerVPC: "vpc3", PeerAccount: partner})
	ok(s.RejectPeering(partner, c.ID))
	d := mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc2", PeerVPC: "vpc6", PeerAccount: other})
	mustCreate(t, s, me, CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc6", PeerAccount: other}) // stays pending
	ok(s.AddRoute(me, "rtb-1a", "10.3.0.0/16", b.ID))
	ok(s.AddRoute(me, "vpc1-default", "10.2.0.0/16", a.ID))
	ok(s.AddRoute(partner, "vpc3-default", "10.1.1.0/24", b.ID))
	ok(s.DeletePeering(me, a.ID))
	clk.Advance(2 * time.Hour) // d expires
	if p, _ := s.Peering(d.ID); p.Status != StatusExpired {
		t.Fatalf("%s is %s, want expired", d.ID, p.Status)
	}
	saved := topology.Format(s.Topology(top), "")
	again, err := topology.Parse("saved.yaml", saved)
	if err != nil {
		t.Fatalf("the saved topology does not parse: %v\n%s", err, saved)
	}
	r, err := New(again, Options{Now: clk.Now})
	if err != nil {
		t.Fatalf("the saved topology does not launch: %v\n%s", err, saved)
	}
	type brief struct {
		ID, VPC, PeerVPC, Name string
		Status                 Status
	}
	list := func(s *State) []brief {
		var out []brief
		for _, p := range s.AllPeerings() {
			out = append(out, brief{p.ID, p.VPC, p.PeerVPC, p.Name, p.Status})
		}
		return out
	}
	if got, want := list(r), list(s); !reflect.DeepEqual(got, want) {
		t.Errorf("peerings launched from the saved topology:\n got %+v\nwant %+v", got, want)
	}
	if got, want := r.Snapshot(), s.Snapshot(); !reflect.DeepEqual(got, want) {
		t.Errorf("routes launched from the saved topology:\n got %+v\nwant %+v", got, want)
	}
}
