package daemon

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/vpcsim/vpcsim/topology"
	"github.com/vpcsim/vpcsim/tun/tuntest"
)

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

	succeeded := churn(ctx, t, name, 6, 0, func(*rand.Rand) time.Duration { return 0 })
	if succeeded < 20 {
		t.Errorf("only %d operations succeeded; the test exercised too little", succeeded)
	}
	if res := <-ping; !res.OK {
		t.Errorf("ping across pcx-1 failed while other peerings changed: %s", res.Reason())
	}

	// Requests whose clients gave up at the deadline may still be running
	// in the daemon: compare at one instant, no change meanwhile.
	st := d.Verify()
	if !st.InStep || st.Repairs != 0 {
		t.Errorf("data plane out of step with the control plane (%d repairs): %q", st.Repairs, st.Differences)
	}
	snap := d.State.Snapshot()
	routes := 0
	for _, rs := range snap.Tables {
		routes += len(rs)
	}
	wantPeerings := snap.Peerings
	t.Logf("%d operations succeeded; final state: %d active peerings, %d routes", succeeded, len(wantPeerings), routes)
}
