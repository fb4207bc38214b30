package daemon

import (
	"sync"
	"time"
)

// loop runs a function on a goroutine of its own, whenever it is woken and
// whenever its timer fires, until it is stopped. The zero loop is stopped.
type loop struct {
	wakeup chan struct{} // nil until start
	quit   chan struct{}
	done   sync.WaitGroup
}

// start runs do after next() (asked again after every run) and at every
// wake, until stop.
func (l *loop) start(next func() time.Duration, do func()) {
	l.wakeup, l.quit = make(chan struct{}, 1), make(chan struct{})
	l.done.Add(1)
	go func() {
		defer l.done.Done()
		timer := time.NewTimer(next())
		defer timer.Stop()
		for {
			select {
			case <-l.quit:
				return
			case <-l.wakeup:
			case <-timer.C:
			}
			do()
			timer.Reset(next())
		}
	}()
}

// wake asks for a run. It never blocks, so it may be called with locks
// held; wakes while a run is due are one.
func (l *loop) wake() {
	select {
	case l.wakeup <- struct{}{}:
	default:
	}
}

// stop ends the loop and waits for a run under way. It is idempotent.
func (l *loop) stop() {
	if l.quit == nil {
		return
	}
	select {
	case <-l.quit:
	default:
		close(l.quit)
	}
	l.done.Wait()
}
