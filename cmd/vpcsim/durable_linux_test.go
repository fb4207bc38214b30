package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/daemon"
	"github.com/vpcsim/vpcsim/store"
	"github.com/vpcsim/vpcsim/topology"
	"github.com/vpcsim/vpcsim/tun/tuntest"
)

// hub is the best-practice example plus four host-less VPCs for clients to
// peer and route at random.
func hub() string {
	var extra strings.Builder
	for i := 3; i <= 6; i++ {
		fmt.Fprintf(&extra, "  - {id: vpc%d, cidr: 172.%d.0.0/16}\n", i, 16+i)
	}
	return strings.Replace(bestPractice, "peerings:\n", extra.String()+"peerings:\n", 1)
}

// outcome is a control call a client made and what it heard back.
type outcome struct {
	op             control.Op
	target, detail string // as the journal names them, for a success
	err            error
}

// known reports whether the client learnt how its call ended: a success,
// or an error with a code (a refusal, or a daemon that no longer answers
// on its socket). A call cut off by the daemon's death, midway, may or may
// not have happened.
func (o outcome) known() bool { return o.err == nil || control.ErrorCode(o.err) != "" }

// clientCalls drives the control API of name from parallel clients until
// ctx is done, and returns what each call heard back.
func clientCalls(ctx context.Context, name string) []outcome {
	vpcs := []string{"vpc3", "vpc4", "vpc5", "vpc6"}
	cidr := map[string]string{"vpc3": "172.19.0.0/16", "vpc4": "172.20.0.0/16", "vpc5": "172.21.0.0/16", "vpc6": "172.22.0.0/16"}
	var mu sync.Mutex
	var out []outcome
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := api.NewClient(api.SocketPath(name), "")
			defer c.Close()
			rng := rand.New(rand.NewPCG(uint64(w), 11))
			for ctx.Err() == nil {
				a, b := vpcs[rng.IntN(4)], vpcs[rng.IntN(4)]
				var o outcome
				switch rng.IntN(5) {
				case 0:
					o.op = control.OpCreatePeering
					p, err := c.CreatePeering(ctx, control.CreatePeeringRequest{VPC: a, PeerVPC: b})
					o.target, o.detail, o.err = p.ID, fmt.Sprintf("%s -> %s (account %s)", p.VPC, p.PeerVPC, p.PeerAccount), err
				case 1:
					ps, err := c.Peerings(ctx, false)
					if err != nil || len(ps) < 2 {
						continue
					}
					p := ps[1+rng.IntN(len(ps)-1)] // never pcx-1, the first
					o.op, o.target = control.OpDeletePeering, p.ID
					_, o.err = c.DeletePeering(ctx, p.ID)
				case 2:
					ps, err := c.Peerings(ctx, false)
					if err != nil {
						continue
					}
					i := slices.IndexFunc(ps, func(p control.Peering) bool { return p.ID != "pcx-1" && p.VPC == a })
					if i < 0 {
						continue
					}
					o.op = control.OpAddRoute
					r, err := c.AddRoute(ctx, topology.DefaultRouteTableID(a), cidr[ps[i].PeerVPC], ps[i].ID)
					o.target, o.detail, o.err = r.RouteTable+" "+r.Destination, "-> "+r.NextHop, err
				case 3:
					o.op = control.OpDeleteRoute
					r, err := c.DeleteRoute(ctx, topology.DefaultRouteTableID(a), cidr[b])
					o.target, o.detail, o.err = r.RouteTable+" "+r.Destination, "-> "+r.NextHop, err
				case 4:
					// One of a's routes onto one of a's peerings, to the
					// same destination or to the peer's CIDR.
					rtb := topology.DefaultRouteTableID(a)
					rs, err := c.Routes(ctx, rtb, "")
					if err != nil || len(rs) < 2 {
						continue
					}
					ps, err := c.Peerings(ctx, false)
					if err != nil {
						continue
					}
					ps = slices.DeleteFunc(ps, func(p control.Peering) bool { return p.ID == "pcx-1" || p.VPC != a })
					if len(ps) == 0 {
						continue
					}
					from, p := rs[1+rng.IntN(len(rs)-1)].Destination, ps[rng.IntN(len(ps))] // rs[0] is local
					newDest := ""
					if rng.IntN(2) == 0 {
						newDest = cidr[p.PeerVPC]
					}
					o.op = control.OpReplaceRoute
					r, err := c.ReplaceRoute(ctx, rtb, from, newDest, p.ID)
					o.target, o.detail, o.err = rtb+" "+from, r.Destination+" -> "+r.NextHop, err
				}
				mu.Lock()
				out = append(out, o)
				mu.Unlock()
				if control.ErrorCode(o.err) == control.CodeTopologyNotRunning {
					return // the daemon is gone
				}
			}
		}()
	}
	wg.Wait()
	return out
}

// waitDead waits for the process pid to be gone.
func waitDead(t *testing.T, r daemon.Record) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); r.Alive(); {
		if time.Now().After(deadline) {
			t.Fatalf("pid %d survived SIGKILL", r.PID)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestNSKillDuringControlCallsLosesNothing kills the daemon with SIGKILL in
// the middle of a stream of control calls from parallel clients, then
// resumes it. Every call that returned success is in the resumed journal,
// none that was refused is there as a success, and the resumed state is
// what replaying the journal's changes on the file gives. A process started
// in a host before the crash still runs, and traffic flows again.
func TestNSKillDuringControlCallsLosesNothing(t *testing.T) {
	tuntest.NeedRoot(t, "ping", "sleep")
	name, file := writeTopology(t, "kl", hub())
	up(t, name, file)
	sleep := exec.Command(vpcsimBin, "--topology", name, "exec", "a1", "--", "sleep", "1000")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sleep.Process.Kill(); sleep.Wait() })
	rec, err := daemon.ReadRecord(name)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	calls := make(chan []outcome)
	go func() { calls <- clientCalls(ctx, name) }()
	time.Sleep(1500 * time.Millisecond)
	syscall.Kill(rec.PID, syscall.SIGKILL)
	waitDead(t, rec)
	time.Sleep(100 * time.Millisecond) // the clients hear of it
	cancel()
	outcomes := <-calls

	out := binOK(t, "up", "-d", file)
	if !strings.Contains(out, "state    restored ") || !strings.Contains(out, "netns (reused)") {
		t.Errorf("up -d after the crash did not say it resumed:\n%s", out)
	}
	c := api.NewClient(api.SocketPath(name), "")
	evs, err := c.Events(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	successes := map[string]int{} // op target detail -> events
	for _, e := range evs {
		if e.Result != "refused" && e.Op != control.OpLaunch && e.Op != control.OpResume {
			successes[string(e.Op)+" "+e.Target+" "+e.Detail]++
		}
	}
	unknown, ok := 0, 0
	for _, o := range outcomes {
		key := string(o.op) + " " + o.target + " " + o.detail
		switch {
		case !o.known():
			unknown++
		case o.err == nil:
			ok++
			if successes[key] == 0 {
				t.Errorf("the call %s returned success, but the resumed journal lacks it", key)
			}
			successes[key]--
		}
	}
	extra := 0
	for _, n := range successes {
		extra += n
	}
	if extra > unknown || extra < 0 {
		t.Errorf("the journal holds %d successes no client heard of, but only %d calls were cut off", extra, unknown)
	}
	if ok < 20 {
		t.Errorf("only %d calls succeeded before the crash: the test exercised too little", ok)
	}
	t.Logf("%d calls: %d succeeded, %d cut off by the crash; %d events", len(outcomes), ok, unknown, len(evs))

	checkReplay(t, c, file, evs)
	if err := sleep.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("the process started in a1 before the crash is gone: %v", err)
	}
	if !ping(t, name, "a1", "10.0.1.10") || !ping(t, name, "b1", "192.168.1.10") {
		t.Error("no traffic between a1 and b1 after the resume")
	}
}

// checkReplay replays the journal's changes on a fresh state of file and
// compares the result with what the resumed daemon c says.
func checkReplay(t *testing.T, c *api.Client, file string, evs []control.Event) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	topo, err := topology.Parse(file, b)
	if err != nil {
		t.Fatal(err)
	}
	r, err := control.New(topo, control.Options{Store: store.NewMemory()})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Result == "refused" {
			continue
		}
		var err error
		switch e.Op {
		case control.OpCreatePeering:
			f := strings.Fields(e.Detail) // VPC -> PEER (account ID)
			_, err = r.CreatePeering(e.Account, control.CreatePeeringRequest{VPC: f[0], PeerVPC: f[2], PeerAccount: strings.TrimSuffix(f[4], ")"), ID: e.Target})
		case control.OpDeletePeering:
			_, err = r.DeletePeering(e.Account, e.Target)
		case control.OpAddRoute:
			tb, dest, _ := strings.Cut(e.Target, " ")
			_, err = r.AddRoute(e.Account, tb, dest, strings.TrimPrefix(e.Detail, "-> "))
		case control.OpDeleteRoute:
			tb, dest, _ := strings.Cut(e.Target, " ")
			_, err = r.DeleteRoute(e.Account, tb, dest)
		case control.OpReplaceRoute:
			tb, dest, _ := strings.Cut(e.Target, " ")
			newDest, hop, _ := strings.Cut(e.Detail, " -> ")
			_, err = r.ReplaceRoute(e.Account, tb, dest, newDest, hop)
		}
		if err != nil {
			t.Fatalf("replay of event %d (%s %s): %v", e.Seq, e.Op, e.Target, err)
		}
	}
	type pe struct {
		ID, VPC, Peer string
		Status        control.Status
	}
	brief := func(ps []control.Peering) []pe {
		var out []pe
		for _, p := range ps {
			out = append(out, pe{p.ID, p.VPC, p.PeerVPC, p.Status})
		}
		return out
	}
	got, err := c.Peerings(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := r.Peerings("", true)
	if !reflect.DeepEqual(brief(got), brief(want)) {
		t.Errorf("resumed peerings:\n got %+v\nwant the replay's %+v", brief(got), brief(want))
	}
	gotRoutes, err := c.Routes(context.Background(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	wantRoutes, _ := r.Routes("", "", "")
	if !reflect.DeepEqual(gotRoutes, wantRoutes) {
		t.Errorf("resumed routes:\n got %+v\nwant the replay's %+v", gotRoutes, wantRoutes)
	}
}

// crossAccountExpiring is a cross-account topology whose requests expire
// after 2 s.
const crossAccountExpiring = `name: NAME
region: wuhan
peering_expiry: 2s
accounts: [{id: "100000000001"}, {id: "200000000002"}]
vpcs:
  - id: vpc-a
    cidr: 10.0.0.0/16
    subnets: [{id: sn-a, cidr: 10.0.1.0/24}]
    hosts: [{name: a1, subnet: sn-a}]
  - id: vpc-b
    account: "200000000002"
    cidr: 172.16.0.0/16
  - id: vpc-c
    account: "200000000002"
    cidr: 172.17.0.0/16
`

// TestNSExpiryOnTimeAndWhileDown: a pending request expires at its deadline
// while the daemon runs, with an event, and one that falls due while the
// daemon is dead expires when it resumes.
func TestNSExpiryOnTimeAndWhileDown(t *testing.T) {
	tuntest.NeedRoot(t, "ping")
	name, file := writeTopology(t, "ex", crossAccountExpiring)
	up(t, name, file)
	c := api.NewClient(api.SocketPath(name), "")
	ctx := context.Background()
	p, err := c.CreatePeering(ctx, control.CreatePeeringRequest{VPC: "vpc-a", PeerVPC: "vpc-b", PeerAccount: "200000000002"})
	if err != nil || p.Status != control.StatusPending {
		t.Fatalf("CreatePeering = %+v, %v", p, err)
	}
	// Nobody asks: the daemon's timer expires it, and tells the journal.
	deadline := time.Now().Add(10 * time.Second)
	var expiry *control.Event
	for expiry == nil && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		evs, err := c.Events(ctx, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Op == control.OpExpirePeering && e.Target == p.ID {
				expiry = &e
			}
		}
	}
	if expiry == nil || expiry.Result != "expired" || !expiry.Time.Equal(*p.ExpiresAt) {
		t.Fatalf("expiry event = %+v, want one for %s at %v", expiry, p.ID, p.ExpiresAt)
	}

	q, err := c.CreatePeering(ctx, control.CreatePeeringRequest{VPC: "vpc-a", PeerVPC: "vpc-c", PeerAccount: "200000000002"})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := daemon.ReadRecord(name)
	if err != nil {
		t.Fatal(err)
	}
	syscall.Kill(rec.PID, syscall.SIGKILL)
	waitDead(t, rec)
	time.Sleep(time.Until(*q.ExpiresAt) + 100*time.Millisecond)
	out := binOK(t, "up", "-d", file)
	if !strings.Contains(out, "1 pending requests expired meanwhile") {
		t.Errorf("up -d did not say a request expired while it was down:\n%s", out)
	}
	got, err := c.ShowPeering(ctx, q.ID)
	if err != nil || got.Status != control.StatusExpired {
		t.Errorf("after the resume, %s = %+v, %v; want expired", q.ID, got.Status, err)
	}
}

// TestNSDownForgetsOrKeepsState: down removes the saved state, down
// --keep-state keeps it for the next up -d, and up --reset starts over.
func TestNSDownForgetsOrKeepsState(t *testing.T) {
	tuntest.NeedRoot(t, "ping")
	name, file := writeTopology(t, "ks", bestPractice)
	binOK(t, "up", "-d", file)
	// Whatever fails below, nothing of the topology is left behind.
	t.Cleanup(func() { runBin(t, "down", name) })
	binOK(t, "--topology", name, "route", "delete", "--table", "vpc2-default", "--destination", "192.168.1.0/24")
	binOK(t, "down", name, "--keep-state")
	if _, err := os.Stat(daemon.StatePath(name)); err != nil {
		t.Fatalf("down --keep-state removed the state: %v", err)
	}
	if out := binOK(t, "status"); !strings.Contains(out, "TOPOLOGY "+name+"  SAVED") {
		t.Errorf("status does not list the saved topology:\n%s", out)
	}
	binOK(t, "up", "-d", file)
	if out := binOK(t, "--topology", name, "route", "list", "--table", "vpc2-default"); strings.Contains(out, "192.168.1.0/24") {
		t.Errorf("the deleted route is back after down --keep-state and up:\n%s", out)
	}
	// Another file of the same name is refused; --reset starts from it.
	other := strings.Replace(strings.Replace(bestPractice, "name: NAME", "name: "+name, 1), "name: PeerConn", "name: OtherConn", 1)
	otherFile := file + ".other.yaml"
	if err := os.WriteFile(otherFile, []byte(other), 0o644); err != nil {
		t.Fatal(err)
	}
	binOK(t, "down", name, "--keep-state")
	binFails(t, "StateMismatch", "up", "-d", otherFile)
	if _, err := os.Stat(daemon.StatePath(name)); err != nil {
		t.Errorf("a refused launch removed the saved state: %v", err)
	}
	binOK(t, "up", "-d", "--reset", file)
	if out := binOK(t, "--topology", name, "route", "list", "--table", "vpc2-default"); !strings.Contains(out, "192.168.1.0/24") {
		t.Errorf("after up --reset, the file's route is missing:\n%s", out)
	}
	binOK(t, "down", name)
	if _, err := os.Stat(daemon.StatePath(name)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("down left the state: %v", err)
	}
	if left := netnsWithPrefix(t, name+"-"); len(left) > 0 {
		t.Errorf("namespaces left after down: %v", left)
	}
}

// TestNSSaveRoundTrip: a topology changed through the CLI, saved, torn
// down and launched from the saved file gives the same status -o json:
// peerings, statuses, routes and ids; and traffic flows as it did.
func TestNSSaveRoundTrip(t *testing.T) {
	tuntest.NeedRoot(t, "ping")
	// A pending request must outlive the round trip: not 3 s of expiry.
	name, file := writeTopology(t, "sv", strings.Replace(crossAccount, "peering_expiry: 3s", "peering_expiry: 1h", 1))
	up(t, name, file)
	run := func(args ...string) string { return binOK(t, append([]string{"--topology", name}, args...)...) }
	ab := decode[peeringJSON](t, run("peering", "create", "--vpc", "vpc-a", "--peer-vpc", "vpc-b", "--peer-account", acctB, "--name", "a to b", "-o", "json"))
	run("--account", acctB, "peering", "accept", ab.ID)
	ac := decode[peeringJSON](t, run("peering", "create", "--vpc", "vpc-a", "--peer-vpc", "vpc-c", "--peer-account", acctB, "-o", "json"))
	run("--account", acctB, "peering", "reject", ac.ID)
	ad := decode[peeringJSON](t, run("peering", "create", "--vpc", "vpc-a", "--peer-vpc", "vpc-d", "--peer-account", acctB, "-o", "json"))
	run("route", "add", "--table", "vpc-a-default", "--destination", "10.0.1.0/24", "--peering", ab.ID)
	run("--account", acctB, "route", "add", "--table", "vpc-b-default", "--destination", "192.168.1.0/24", "--peering", ab.ID)
	if !ping(t, name, "a1", "10.0.1.10") {
		t.Fatal("a1 cannot reach b1 before the save")
	}
	statusOf := func(acct string) string {
		var vs []struct {
			Peerings []struct{ ID, Name, Status, VPC, PeerVPC string } `json:"peerings"`
		}
		if err := json.Unmarshal([]byte(run("--account", acct, "status", "-o", "json")), &vs); err != nil || len(vs) != 1 {
			t.Fatalf("status -o json: %v", err)
		}
		routes := run("--account", acct, "route", "list", "-o", "json")
		b, _ := json.Marshal(vs[0].Peerings)
		return string(b) + "\n" + routes
	}
	before := statusOf(acctA) + statusOf(acctB)
	saved := filepath.Join(t.TempDir(), "saved.yaml")
	run("save", "-o", saved)
	binOK(t, "validate", saved)
	binOK(t, "down", name)

	binOK(t, "up", "-d", saved)
	if after := statusOf(acctA) + statusOf(acctB); after != before {
		t.Errorf("status after launching the saved file:\n%s\nwant\n%s", after, before)
	}
	if !ping(t, name, "a1", "10.0.1.10") {
		t.Error("a1 cannot reach b1 after launching the saved file")
	}
	p := decode[peeringJSON](t, run("peering", "show", ad.ID, "-o", "json"))
	if p.Status != "pending-acceptance" {
		t.Errorf("the pending request %s is %s after the round trip", ad.ID, p.Status)
	}
}
