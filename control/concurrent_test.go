package control

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/vpcsim/vpcsim/store"
	"github.com/vpcsim/vpcsim/topology"
)

// concurrentTopology has eight VPCs over two accounts, a limit of 3 so that
// limits are hit, and two tables per VPC.
func concurrentTopology() *topology.Topology {
	t := &topology.Topology{File: "race.yaml", Name: "race", PeeringExpiry: time.Hour, PeeringsPerVPC: 3,
		Accounts: []topology.Account{{ID: me}, {ID: partner}}}
	for i := range 8 {
		acct := me
		if i%2 == 1 {
			acct = partner
		}
		id := fmt.Sprintf("vpc%d", i)
		t.VPCs = append(t.VPCs, testVPC(id, acct, "r1", fmt.Sprintf("10.%d.0.0/16", i), id+"-b"))
	}
	return t
}

// TestConcurrentOperations runs random operations from many goroutines. The
// journal records every mutating call in the order the lock serialised
// them; replaying it sequentially on a fresh State must give the same result
// for every call and the same final state, and every snapshot handed to
// Apply must be consistent.
func TestConcurrentOperations(t *testing.T) {
	top := concurrentTopology()
	vpcOf := map[string]string{}
	owner := map[string]string{}
	var tables []string
	for _, v := range top.VPCs {
		owner[v.ID] = v.Account
		for _, rt := range v.RouteTables {
			vpcOf[rt.ID] = v.ID
			tables = append(tables, rt.ID)
		}
	}
	clk := newClock()

	var journal []journalEntry // appended under the State's lock
	var snapErrs []string      // likewise
	checkSnapshot := func(sn Snapshot) error {
		for tb, routes := range sn.Tables {
			for _, r := range routes {
				link, ok := sn.Peerings[r.Peering]
				if !ok {
					snapErrs = append(snapErrs, fmt.Sprintf("table %s routes %s over inactive %s", tb, r.Destination, r.Peering))
				} else if link.VPC != vpcOf[tb] && link.PeerVPC != vpcOf[tb] {
					snapErrs = append(snapErrs, fmt.Sprintf("table %s routes over %s, which joins %+v", tb, r.Peering, link))
				}
			}
		}
		return nil
	}
	saved := store.NewMemory()
	s, err := New(top, Options{Now: clk.Now, Apply: checkSnapshot, Store: saved})
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.journal = func(e journalEntry) { journal = append(journal, e) }
	s.mu.Unlock()

	const workers, opsPerWorker = 8, 400
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			vpc := func() string { return top.VPCs[rng.IntN(len(top.VPCs))].ID }
			acct := func() string { return []string{me, partner}[rng.IntN(2)] }
			// pick returns a live peering involving vpc (any VPC when ""),
			// mostly, and the account that may answer it.
			pick := func(vpc string) (id, accepter string) {
				var ps []Peering
				for _, p := range s.AllPeerings() {
					if (p.Status == StatusActive || p.Status == StatusPending || rng.IntN(10) == 0) && (vpc == "" || p.involves(vpc)) {
						ps = append(ps, p)
					}
				}
				if len(ps) == 0 || rng.IntN(20) == 0 {
					return "pcx-none", acct()
				}
				p := ps[rng.IntN(len(ps))]
				if rng.IntN(4) == 0 {
					return p.ID, acct()
				}
				return p.ID, p.PeerAccount
			}
			dest := func() string { return fmt.Sprintf("10.%d.%d.0/24", rng.IntN(8), rng.IntN(3)) }
			for range opsPerWorker {
				switch rng.IntN(10) {
				case 0, 1:
					a, b := vpc(), vpc()
					s.CreatePeering(owner[a], CreatePeeringRequest{VPC: a, PeerVPC: b, PeerAccount: owner[b]})
				case 2:
					id, a := pick("")
					s.AcceptPeering(a, id)
				case 3:
					id, a := pick("")
					s.RejectPeering(a, id)
				case 4:
					id, _ := pick("")
					s.DeletePeering(acct(), id)
				case 5, 6:
					tb := tables[rng.IntN(len(tables))]
					id, _ := pick(vpcOf[tb])
					s.AddRoute(owner[vpcOf[tb]], tb, dest(), id)
				case 7:
					tb := tables[rng.IntN(len(tables))]
					s.DeleteRoute(owner[vpcOf[tb]], tb, dest())
				case 9:
					tb := tables[rng.IntN(len(tables))]
					id, _ := pick(vpcOf[tb])
					newDest := ""
					if rng.IntN(2) == 0 {
						newDest = dest()
					}
					s.ReplaceRoute(owner[vpcOf[tb]], tb, dest(), newDest, id)
				case 8:
					s.Peerings(acct(), rng.IntN(2) == 0)
					s.Routes(acct(), "", "")
					s.Snapshot()
				}
			}
		}()
	}
	wg.Wait()

	for _, e := range snapErrs {
		t.Error("inconsistent snapshot: " + e)
	}
	checkInvariants(t, s, vpcOf)

	// Replay sequentially.
	succeeded := 0
	r, err := New(concurrentTopology(), Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range journal {
		var res any
		var err error
		switch e.op {
		case OpExpirePeering:
			continue // replayed lazily, as it happened
		case OpCreatePeering:
			res, err = r.CreatePeering(e.acct, CreatePeeringRequest{VPC: e.args[0], PeerVPC: e.args[1], PeerAccount: e.args[2], Name: e.args[3], ID: e.args[4]})
		case OpAcceptPeering:
			res, err = r.AcceptPeering(e.acct, e.args[0])
		case OpRejectPeering:
			res, err = r.RejectPeering(e.acct, e.args[0])
		case OpDeletePeering:
			res, err = r.DeletePeering(e.acct, e.args[0])
		case OpAddRoute:
			res, err = r.AddRoute(e.acct, e.args[0], e.args[1], e.args[2])
		case OpDeleteRoute:
			res, err = r.DeleteRoute(e.acct, e.args[0], e.args[1])
		case OpReplaceRoute:
			res, err = r.ReplaceRoute(e.acct, e.args[0], e.args[1], e.args[2], e.args[3])
		default:
			t.Fatalf("journal entry %d: unknown op %q", i, e.op)
		}
		if fmt.Sprint(err) != fmt.Sprint(e.err) || !reflect.DeepEqual(res, e.result) {
			t.Fatalf("replay %d: %s%q = %+v, %v; concurrently it was %+v, %v", i, e.op, e.args, res, err, e.result, e.err)
		}
		if err == nil {
			succeeded++
		}
	}
	if len(journal) < workers*opsPerWorker/2 || succeeded < 50 {
		t.Errorf("journal has %d calls, %d successful: the test exercises too little", len(journal), succeeded)
	}
	if got, want := r.AllPeerings(), s.AllPeerings(); !reflect.DeepEqual(got, want) {
		t.Errorf("replayed peerings differ:\n got %+v\nwant %+v", got, want)
	}
	if got, want := r.Snapshot(), s.Snapshot(); !reflect.DeepEqual(got, want) {
		t.Errorf("replayed snapshot differs:\n got %+v\nwant %+v", got, want)
	}
	// What was saved, resumed, is what the calls made.
	res, err := New(concurrentTopology(), Options{Now: clk.Now, Store: saved})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.AllPeerings(), s.AllPeerings(); !reflect.DeepEqual(got, want) {
		t.Errorf("resumed peerings differ:\n got %+v\nwant %+v", got, want)
	}
	if got, want := res.Snapshot(), s.Snapshot(); !reflect.DeepEqual(got, want) {
		t.Errorf("resumed snapshot differs:\n got %+v\nwant %+v", got, want)
	}
	t.Logf("%d calls, %d successful, %d peerings", len(journal), succeeded, len(s.AllPeerings()))
}

// checkInvariants checks the rules that must hold in every state.
func checkInvariants(t *testing.T, s *State, vpcOf map[string]string) {
	t.Helper()
	ps := s.AllPeerings()
	byID := map[string]Peering{}
	live := map[string]int{}
	pairs := map[[2]string]string{}
	for _, p := range ps {
		byID[p.ID] = p
		if p.Status != StatusPending && p.Status != StatusActive {
			continue
		}
		live[p.VPC]++
		live[p.PeerVPC]++
		pair := [2]string{min(p.VPC, p.PeerVPC), max(p.VPC, p.PeerVPC)}
		if other, dup := pairs[pair]; dup {
			t.Errorf("peerings %s and %s both join %v", other, p.ID, pair)
		}
		pairs[pair] = p.ID
	}
	for vpc, n := range live {
		if n > s.limit {
			t.Errorf("vpc %s has %d live peerings, over the limit %d", vpc, n, s.limit)
		}
	}
	for tb, routes := range s.Snapshot().Tables {
		for _, r := range routes {
			p := byID[r.Peering]
			if p.Status != StatusActive || (p.VPC != vpcOf[tb] && p.PeerVPC != vpcOf[tb]) {
				t.Errorf("table %s routes %s over %s (%s, %s-%s)", tb, r.Destination, r.Peering, p.Status, p.VPC, p.PeerVPC)
			}
		}
	}
}
