package store

import (
	"sync"
	"testing"
)

// TestFeedCommitDuringRead makes a commit land while a watch reads the
// log, after the read's snapshot: the read finds nothing, and the watch
// must still wake for the commit rather than sleep until the next one.
func TestFeedCommitDuringRead(t *testing.T) {
	f := newFeed()
	defer f.stop()
	var (
		mu  sync.Mutex
		log []Event
	)
	read := func(after int64, max int) ([]Event, error) {
		mu.Lock()
		defer mu.Unlock()
		var evs []Event
		for _, e := range log {
			if e.Revision > after && len(evs) < max {
				evs = append(evs, e)
			}
		}
		if len(evs) == 0 && len(log) == 0 {
			log = append(log, ev(1, Put("/a", []byte("1"))))
			f.notify()
		}
		return evs, nil
	}
	ch := f.watch(t.Context(), "", 0, read)
	wantEvents(t, ch, ev(1, Put("/a", []byte("1"))))
}
