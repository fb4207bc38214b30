package daemon

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/examples"
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

// TestNSConcurrentControlWhileTrafficFlows drives the API from parallel
// clients while a ping runs across pcx-1, which no client touches. The race
// detector watches the whole daemon; afterwards the data plane must hold
// exactly the control plane's state, and pcx-1 must still carry traffic.
func TestNSConcurrentControlWhileTrafficFlows(t *testing.T) {
	tuntest.NeedRoot(t, "ping", "iperf3")
	name := uniqueName("cc")
	topo, err := topology.Parse("hub.yaml", renameTopology(hubTopology(), name))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Launch(context.Background(), topo, Options{Listen: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	ping := make(chan PingResult, 1)
	go func() {
		res, _ := d.Ping(context.Background(), "a1", d.hostIP(t, "b1"), 10)
		ping <- res
	}()

	vpcs := []string{"vpc3", "vpc4", "vpc5", "vpc6"}
	cidrs := map[string]string{"vpc3": "172.19.0.0/16", "vpc4": "172.20.0.0/16", "vpc5": "172.21.0.0/16", "vpc6": "172.22.0.0/16"}
	var wg sync.WaitGroup
	var mu sync.Mutex
	succeeded := 0
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := api.NewClient(api.SocketPath(name), "")
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for ctx.Err() == nil {
				a, b := vpcs[rng.IntN(4)], vpcs[rng.IntN(4)]
				var err error
				switch rng.IntN(5) {
				case 0, 1:
					_, err = c.CreatePeering(ctx, control.CreatePeeringRequest{VPC: a, PeerVPC: b})
				case 2:
					var ps []control.Peering
					if ps, err = c.Peerings(ctx, false); err == nil && len(ps) > 1 {
						if p := ps[rng.IntN(len(ps))]; p.ID != "pcx-1" {
							_, err = c.DeletePeering(ctx, p.ID)
						}
					}
				case 3:
					var ps []control.Peering
					if ps, err = c.Peerings(ctx, false); err == nil {
						for _, p := range ps {
							if p.ID != "pcx-1" && p.VPC == a {
								_, err = c.AddRoute(ctx, topology.DefaultRouteTableID(a), cidrs[p.PeerVPC], p.ID)
								break
							}
						}
					}
				case 4:
					_, err = c.DeleteRoute(ctx, topology.DefaultRouteTableID(a), cidrs[b])
				}
				if err == nil {
					mu.Lock()
					succeeded++
					mu.Unlock()
				} else if control.ErrorCode(err) == "" && ctx.Err() == nil {
					t.Errorf("client %d: %v", w, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if succeeded < 20 {
		t.Errorf("only %d operations succeeded; the test exercised too little", succeeded)
	}
	if res := <-ping; !res.OK {
		t.Errorf("ping across pcx-1 failed while other peerings changed: %s", res.Reason())
	}

	wantPeerings, wantTables := toRouter(d.State.Snapshot())
	gotPeerings, gotTables := d.Network.Config()
	if !reflect.DeepEqual(gotPeerings, wantPeerings) {
		t.Errorf("data plane peerings = %v, control plane says %v", gotPeerings, wantPeerings)
	}
	routes := 0
	for id, want := range wantTables {
		routes += len(want)
		sort.Slice(want, func(i, j int) bool { return want[i].Destination.String() < want[j].Destination.String() })
		if got := gotTables[id]; !slices.Equal(got, want) {
			t.Errorf("data plane table %s = %v, control plane says %v", id, got, want)
		}
	}
	t.Logf("%d operations succeeded; final state: %d active peerings, %d routes", succeeded, len(wantPeerings), routes)
}
