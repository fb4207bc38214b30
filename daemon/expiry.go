package daemon

import (
	"sync"
	"time"

	"github.com/vpcsim/vpcsim/control"
)

// expirer expires pending peering requests at their deadline, not when
// someone next looks: a timer set to the control state's next expiry, set
// again whenever a change may have moved it.
type expirer struct {
	kick chan struct{} // a change may have moved the next expiry
	quit chan struct{}
	done sync.WaitGroup
}

// start runs the expiries of st until stop.
func (e *expirer) start(st *control.State) {
	e.kick, e.quit = make(chan struct{}, 1), make(chan struct{})
	e.done.Add(1)
	go func() {
		defer e.done.Done()
		timer := time.NewTimer(time.Hour)
		defer timer.Stop()
		for {
			wait := time.Hour
			if at, ok := st.NextExpiry(); ok {
				wait = max(time.Until(at), 0)
			}
			timer.Reset(wait)
			select {
			case <-e.quit:
				return
			case <-e.kick:
			case <-timer.C:
				st.Expire()
			}
		}
	}()
}

// changed tells the expirer that a change happened. It never blocks: it
// runs with the control state's lock held.
func (e *expirer) changed() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// stop ends the expiries. It is idempotent.
func (e *expirer) stop() {
	if e.quit == nil {
		return
	}
	select {
	case <-e.quit:
	default:
		close(e.quit)
	}
	e.done.Wait()
}
