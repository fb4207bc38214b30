package daemon

import (
	"time"

	"github.com/vpcsim/vpcsim/control"
)

// expirer expires pending peering requests at their deadline, not when
// someone next looks: a timer set to the control state's next expiry, set
// again whenever a change may have moved it (wake).
type expirer struct{ loop }

// start runs the expiries of st until stop.
func (e *expirer) start(st *control.State) {
	e.loop.start(func() time.Duration {
		if at, ok := st.NextExpiry(); ok {
			return max(time.Until(at), 0)
		}
		return time.Hour
	}, func() { st.Expire() })
}
