package daemon

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/examples"
	"github.com/vpcsim/vpcsim/router"
	"github.com/vpcsim/vpcsim/topology"
	"github.com/vpcsim/vpcsim/tun/tuntest"
)

// hubTopology is the best-practice example plus four host-less VPCs that
// parallel clients peer and route at random.
func hubTopology() []byte {
	var extra strings.Builder
	for i := 3; i <= 6; i++ {
		fmt.Fprintf(&extra, "  - {id: vpc%d, cidr: 172.%d.0.0/16}\n", i, 16+i)
	}
	return []byte(strings.Replace(string(examples.BestPractice()), "peerings:\n", extra.String()+"peerings:\n", 1))
}

// churn drives the API of the topology name from parallel clients until ctx
// is done or, when enough > 0, that many calls succeeded: peerings created
// and deleted, routes added, replaced and deleted among vpc3..vpc6. Each request gets
// a deadline drawn from deadlines (0: only ctx's), so that clients give up
// on requests the daemon still serves. It returns how many calls
// succeeded, and fails t on an error without a code.
func churn(ctx context.Context, t *testing.T, name string, clients, enough int, deadlines func(*rand.Rand) time.Duration) int {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	vpcs := []string{"vpc3", "vpc4", "vpc5", "vpc6"}
	cidrs := map[string]string{"vpc3": "172.19.0.0/16", "vpc4": "172.20.0.0/16", "vpc5": "172.21.0.0/16", "vpc6": "172.22.0.0/16"}
	var wg sync.WaitGroup
	var succeeded atomic.Int64
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := api.NewClient(api.SocketPath(name), "")
			defer c.Close()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for ctx.Err() == nil {
				rctx, cancel := ctx, context.CancelFunc(func() {})
				if d := deadlines(rng); d > 0 {
					rctx, cancel = context.WithTimeout(ctx, d)
				}
				a, b := vpcs[rng.IntN(4)], vpcs[rng.IntN(4)]
				var err error
				switch rng.IntN(6) {
				case 0, 1:
					_, err = c.CreatePeering(rctx, control.CreatePeeringRequest{VPC: a, PeerVPC: b})
				case 2:
					var ps []control.Peering
					if ps, err = c.Peerings(rctx, false); err == nil && len(ps) > 1 {
						if p := ps[rng.IntN(len(ps))]; p.ID != "pcx-1" {
							_, err = c.DeletePeering(rctx, p.ID)
						}
					}
				case 3:
					var ps []control.Peering
					if ps, err = c.Peerings(rctx, false); err == nil {
						for _, p := range ps {
							if p.ID != "pcx-1" && p.VPC == a {
								_, err = c.AddRoute(rctx, topology.DefaultRouteTableID(a), cidrs[p.PeerVPC], p.ID)
								break
							}
						}
					}
				case 4:
					_, err = c.DeleteRoute(rctx, topology.DefaultRouteTableID(a), cidrs[b])
				case 5:
					// Move a's route to b onto another of a's peerings.
					var ps []control.Peering
					if ps, err = c.Peerings(rctx, false); err == nil {
						for _, p := range ps {
							if p.ID != "pcx-1" && p.VPC == a {
								_, err = c.ReplaceRoute(rctx, topology.DefaultRouteTableID(a), cidrs[b], cidrs[p.PeerVPC], p.ID)
								break
							}
						}
					}
				}
				abandoned := rctx.Err() != nil
				cancel()
				switch {
				case err == nil:
					if n := succeeded.Add(1); enough > 0 && n >= int64(enough) {
						stop()
					}
				case control.ErrorCode(err) == "" && !abandoned && ctx.Err() == nil:
					t.Errorf("client %d: %v", w, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return int(succeeded.Load())
}

// TestConsistencyWithAbandonedRequests is the in-memory twin of
// TestNSConcurrentControlWhileTrafficFlows, made to stress what made that
// test fail once: it read the control plane's state, then the data
// plane's, while requests that clients had given up on still changed both.
// Here changes land all the time, each data plane update slowed down, and
// the two planes are compared meanwhile, over and over: read that way, one
// after the other, they differ a few times in every run; compared at one
// instant (Verify), they never may. Neither may the daemon's own checks
// have found a difference.
func TestConsistencyWithAbandonedRequests(t *testing.T) {
	testHookApply = func() error {
		time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond)
		return nil
	}
	t.Cleanup(func() { testHookApply = nil })
	f := newFakeDaemonYAML(t, "hub.yaml", hubTopology())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	churning, stopChecks := context.WithCancel(ctx)
	checks := make(chan int)
	go func() {
		n := 0
		for ; churning.Err() == nil; n++ {
			if st := f.Verify(); !st.InStep {
				t.Errorf("check %d: data plane out of step with the control plane: %q", n, st.Differences)
			}
			time.Sleep(100 * time.Microsecond) // leave the clients room
		}
		checks <- n
	}()
	n := churn(ctx, t, f.Topology.Name, 6, 300, func(rng *rand.Rand) time.Duration {
		if rng.IntN(2) == 0 {
			return 0 // this one is waited for
		}
		return time.Duration(100+rng.IntN(2000)) * time.Microsecond
	})
	stopChecks()
	if n < 300 || <-checks < 10 {
		t.Errorf("only %d operations succeeded; the test exercised too little", n)
	}
	// Abandoned requests may still run: compare once more, at one instant.
	if st := f.Verify(); !st.InStep || st.Repairs != 0 {
		t.Errorf("data plane out of step with the control plane (%d repairs): %q", st.Repairs, st.Differences)
	}
}

// TestVerifyRepairs makes the routers lose a peering behind the control
// plane's back: the check finds it, says what differs, and repairs it, so
// that traffic crosses the peering again.
func TestVerifyRepairs(t *testing.T) {
	f := newFakeDaemon(t, "best-practice.yaml")
	if st := f.Verify(); !st.InStep || st.Repairs != 0 || len(st.Differences) != 0 {
		t.Fatalf("Verify() after launch = %+v, want in step", st)
	}
	_, tables := RouterState(f.State.Snapshot())
	if err := f.Network.Update(nil, tables); err != nil {
		t.Fatal(err)
	}
	st := f.Verify()
	if st.InStep || st.Repairs != 1 || len(st.Differences) != 1 || !strings.Contains(st.Differences[0], "lacks active peering pcx-1") {
		t.Fatalf("Verify() after the routers lost pcx-1 = %+v, want one difference naming it", st)
	}
	if !strings.Contains(f.logs.String(), "data plane differed from the control plane") {
		t.Errorf("the difference was not logged:\n%s", f.logs)
	}
	status, err := api.NewClient(api.SocketPath(f.Topology.Name), "").Status(context.Background())
	if err != nil || !status.DataPlane.InStep || status.DataPlane.Repairs != 1 {
		t.Errorf("Status() after the repair = %+v, %v; want in step, 1 repair", status.DataPlane, err)
	}
	a1, b1 := netip.MustParseAddr("192.168.1.10"), netip.MustParseAddr("10.0.1.10")
	f.devs["a1"].Inbound <- tuntest.ICMPEcho(a1, b1, 7, 1, nil)
	select {
	case <-f.devs["b1"].Outbound:
	case <-time.After(5 * time.Second):
		t.Error("nothing crossed pcx-1 after the repair")
	}
}

// TestRefusedUpdateIsAnError makes the data plane refuse a change: the
// caller gets an Internal error, the control plane keeps its state, and the
// routers stay in step with it.
func TestRefusedUpdateIsAnError(t *testing.T) {
	f := newFakeDaemon(t, "best-practice.yaml")
	var refuse atomic.Bool
	testHookApply = func() error {
		if refuse.CompareAndSwap(true, false) {
			return errors.New("injected refusal")
		}
		return nil
	}
	t.Cleanup(func() { testHookApply = nil })
	c := api.NewClient(api.SocketPath(f.Topology.Name), "")
	refuse.Store(true)
	_, err := c.DeletePeering(context.Background(), "pcx-1")
	if control.ErrorCode(err) != control.CodeInternal || !strings.Contains(err.Error(), "injected refusal") {
		t.Fatalf("DeletePeering with a refusing data plane = %v, want an Internal error saying why", err)
	}
	if p, _ := f.State.Peering("pcx-1"); p.Status != control.StatusActive {
		t.Errorf("pcx-1 is %s after a refused delete, want active", p.Status)
	}
	peerings, _ := f.Network.Config()
	if len(peerings) != 1 || peerings[0] != (router.Peering{ID: "pcx-1", VPC: "vpc1", PeerVPC: "vpc2"}) {
		t.Errorf("data plane peerings after a refused delete = %v, want pcx-1", peerings)
	}
	if st := f.Verify(); !st.InStep {
		t.Errorf("Verify() = %+v, want in step", st)
	}
}

// TestAccountRules: status, stats, explain and shutdown answer an unknown
// account with AccountNotFound and show no account another's resources.
func TestAccountRules(t *testing.T) {
	f := newFakeDaemon(t, "best-practice.yaml")
	const partner = "200000000002"
	for name, call := range map[string]func(acct string) error{
		"status":   func(a string) error { _, err := f.Status(a); return err },
		"stats":    func(a string) error { _, err := f.Stats(a, api.StatsFilter{}); return err },
		"explain":  func(a string) error { _, err := f.Explain(context.Background(), a, api.ExplainRequest{}); return err },
		"shutdown": func(a string) error { return f.Shutdown(a) },
	} {
		if err := call("999"); control.ErrorCode(err) != control.CodeAccountNotFound {
			t.Errorf("%s as an unknown account = %v, want AccountNotFound", name, err)
		}
	}
	st, err := f.Status(partner)
	if err != nil || len(st.VPCs) != 0 || len(st.Hosts) != 0 || len(st.Peerings) != 0 {
		t.Errorf("Status(partner) = %+v, %v; want none of the other account's VPCs, hosts or peerings", st, err)
	}
	stats, err := f.Stats(partner, api.StatsFilter{})
	if err != nil || len(stats.VPCs)+len(stats.Links)+len(stats.Hosts) != 0 {
		t.Errorf("Stats(partner) = %+v, %v; want nothing of the other account", stats, err)
	}
	stats, err = f.Stats("", api.StatsFilter{})
	if err != nil || len(stats.VPCs) != 2 || len(stats.Links) != 2 || len(stats.Hosts) != 2 {
		t.Errorf("Stats(me) = %+v, %v; want its 2 VPCs, 2 link directions, 2 hosts", stats, err)
	}
	for _, tt := range []struct {
		acct               string
		filter             api.StatsFilter
		vpcs, links, hosts int
		code               control.Code
	}{
		{filter: api.StatsFilter{VPC: "vpc2"}, vpcs: 1, links: 2, hosts: 1},
		{filter: api.StatsFilter{Peering: "PeerConn"}, links: 2},
		{filter: api.StatsFilter{Host: "a1"}, hosts: 1},
		{filter: api.StatsFilter{VPC: "vpc9"}, code: control.CodeVpcNotFound},
		{filter: api.StatsFilter{Peering: "pcx-9"}, code: control.CodePeeringNotFound},
		{filter: api.StatsFilter{Host: "b9"}, code: control.CodeHostNotFound},
		{acct: partner, filter: api.StatsFilter{VPC: "vpc1"}, code: control.CodeVpcNotFound},
		{acct: partner, filter: api.StatsFilter{Host: "a1"}, code: control.CodeHostNotFound},
	} {
		stats, err := f.Stats(tt.acct, tt.filter)
		if control.ErrorCode(err) != tt.code || len(stats.VPCs) != tt.vpcs || len(stats.Links) != tt.links || len(stats.Hosts) != tt.hosts {
			t.Errorf("Stats(%q, %+v) = %d VPCs, %d links, %d hosts, %v; want %d, %d, %d, code %q",
				tt.acct, tt.filter, len(stats.VPCs), len(stats.Links), len(stats.Hosts), err, tt.vpcs, tt.links, tt.hosts, tt.code)
		}
	}
	if err := f.Shutdown(partner); control.ErrorCode(err) != control.CodeNotPermitted {
		t.Errorf("Shutdown(partner) = %v, want NotPermitted", err)
	}
	select {
	case <-f.Done():
		t.Fatal("a refused shutdown shut the daemon down")
	default:
	}
	if err := f.Shutdown(""); err != nil {
		t.Errorf("Shutdown(operator) = %v", err)
	}
	<-f.Done()
}

// TestReplacedRouteDropsNothing moves a route between two destinations
// that both cover a host, over and over, while packets flow to that host:
// a replace reaches the data plane as one change, so no packet ever finds
// the route gone (no_route), as one would between a delete and an add.
func TestReplacedRouteDropsNothing(t *testing.T) {
	f := newFakeDaemon(t, "best-practice.yaml")
	c := api.NewClient(api.SocketPath(f.Topology.Name), "")
	defer c.Close()
	a1, b1 := netip.MustParseAddr("192.168.1.10"), netip.MustParseAddr("10.0.1.10")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var delivered atomic.Int64
	wg.Add(2)
	go func() { // a1 sends as fast as its router reads
		defer wg.Done()
		for seq := uint16(0); ; seq++ {
			select {
			case f.devs["a1"].Inbound <- tuntest.ICMPEcho(a1, b1, 9, seq, nil):
			case <-stop:
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for {
			select {
			case <-f.devs["b1"].Outbound:
				delivered.Add(1)
			case <-stop:
				return
			}
		}
	}()
	halt := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer halt() // when the test fails early
	ctx := context.Background()
	dests := []string{"10.0.1.0/24", "10.0.0.0/16"} // the example's route, then all of vpc2
	const replaces = 200
	for i := range replaces {
		rc, err := c.ReplaceRoute(ctx, "vpc1-default", dests[i%2], dests[(i+1)%2], "pcx-1")
		if err != nil || len(rc.Warnings) != 0 {
			t.Fatalf("replace %d: %+v, %v", i, rc, err)
		}
	}
	before := delivered.Load()
	for deadline := time.Now().Add(5 * time.Second); delivered.Load() < before+100; { // and after the last
		if time.Now().After(deadline) {
			t.Fatalf("only %d packets delivered in 5 s after the last replace", delivered.Load()-before)
		}
		time.Sleep(time.Millisecond)
	}
	halt()
	var noRoute uint64
	for _, v := range f.Network.Stats().VPCs {
		noRoute += v.Drops[router.DropNoRoute]
	}
	if noRoute != 0 || delivered.Load() < replaces {
		t.Errorf("%d packets delivered, %d dropped no_route while the route was replaced %d times; want none dropped",
			delivered.Load(), noRoute, replaces)
	}
	t.Logf("%d packets delivered during %d replaces", delivered.Load(), replaces)
}
