package daemon

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
)

// The data plane is compared with the control plane after every
// checkEvery changes, every checkInterval, and for every status.
const (
	checkEvery    = 64
	checkInterval = 30 * time.Second
)

// checker compares a daemon's data plane with its control plane in the
// background, so that a divergence in the field is seen, logged and
// repaired rather than silently dropping packets.
type checker struct {
	loop
	changes atomic.Uint64

	mu      sync.Mutex
	repairs int
}

// start runs the background checks of d until stop.
func (c *checker) start(d *Daemon) {
	c.loop.start(func() time.Duration { return checkInterval }, func() { d.Verify() })
}

// changed counts a control change; every checkEvery-th asks for a check.
// It never blocks: it runs with the control state's lock held.
func (c *checker) changed() {
	if c.changes.Add(1)%checkEvery == 0 {
		c.wake()
	}
}

// Verify compares the routers with the control plane at one instant, no
// change happening meanwhile. A difference is logged and repaired by
// handing the routers the control plane's state again.
func (d *Daemon) Verify() api.DataPlaneStatus {
	st := api.DataPlaneStatus{Differences: []string{}}
	var repairErr error
	d.State.Inspect(func(s control.Snapshot) error {
		st.Checked = time.Now().UTC()
		if diffs := Differences(s, d.Network); len(diffs) > 0 {
			st.Differences = diffs
			repairErr = d.Network.Update(RouterState(s))
		}
		return nil
	})
	st.InStep = len(st.Differences) == 0
	d.checker.mu.Lock()
	if !st.InStep {
		d.checker.repairs++
	}
	st.Repairs = d.checker.repairs
	d.checker.mu.Unlock()
	if !st.InStep {
		d.log.Error("data plane differed from the control plane", "differences", slices.Clone(st.Differences), "repair_error", repairErr)
	}
	return st
}
