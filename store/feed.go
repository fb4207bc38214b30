package store

import (
	"context"
	"errors"
	"strings"
	"sync"
)

// A watch pulls commits from its store's log rather than having them
// pushed: each watch goroutine reads the commits after the last one it
// sent, sends those under its prefix, and sleeps until the next commit
// when it has caught up. A commit therefore never waits for a watcher,
// no queue grows with a slow one, and a watcher that falls behind the
// history is told so (ErrCompacted) instead of silently missing commits.

// watchBatch is how many commits a watch reads from the log at a time.
const watchBatch = 64

// watchBuffer is the capacity of a watch's channel.
const watchBuffer = 16

// readFunc returns, in order, at most max of the commits after revision
// after, or none when there are none yet. It returns ErrCompacted when
// after is older than the store remembers and ErrClosed once the store is
// closed.
type readFunc func(after int64, max int) ([]Event, error)

// feed runs the watches of one store: commits wake them, and stop ends
// them and waits for their goroutines.
type feed struct {
	mu   sync.Mutex
	wake chan struct{} // closed and replaced by each notify

	done chan struct{} // closed by stop
	wg   sync.WaitGroup
}

func newFeed() *feed {
	return &feed{wake: make(chan struct{}), done: make(chan struct{})}
}

// notify wakes every watch that is waiting for a commit. The store calls
// it after each commit it makes, once the commit is visible to readers.
func (f *feed) notify() {
	f.mu.Lock()
	close(f.wake)
	f.wake = make(chan struct{})
	f.mu.Unlock()
}

// waiter returns a channel that notify closes.
func (f *feed) waiter() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.wake
}

// watch starts a watch of the commits after rev that touch prefix, read
// with read. The caller must hold its store's lock against Close, so that
// no watch starts after stop.
func (f *feed) watch(ctx context.Context, prefix string, rev int64, read readFunc) <-chan Event {
	ch := make(chan Event, watchBuffer)
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		defer close(ch)
		f.run(ctx, ch, prefix, rev, read)
	}()
	return ch
}

func (f *feed) run(ctx context.Context, ch chan<- Event, prefix string, after int64, read readFunc) {
	for {
		// Take the waiter before reading, so that a commit made after
		// the read wakes this watch.
		wake := f.waiter()
		evs, err := read(after, watchBatch)
		if errors.Is(err, ErrClosed) {
			return
		}
		if err != nil {
			f.send(ctx, ch, Event{Err: err})
			return
		}
		if len(evs) == 0 {
			select {
			case <-wake:
				continue
			case <-ctx.Done():
				return
			case <-f.done:
				return
			}
		}
		for _, ev := range evs {
			after = ev.Revision
			if ev, ok := filter(ev, prefix); ok && !f.send(ctx, ch, ev) {
				return
			}
		}
	}
}

// send sends ev on ch and reports whether it did before ctx ended or the
// feed stopped.
func (f *feed) send(ctx context.Context, ch chan<- Event, ev Event) bool {
	if ctx.Err() != nil {
		return false
	}
	select {
	case ch <- ev:
		return true
	case <-ctx.Done():
		return false
	case <-f.done:
		return false
	}
}

// stop ends every watch and waits for their goroutines. It must be called
// once, after the store stopped starting watches.
func (f *feed) stop() {
	close(f.done)
	f.wg.Wait()
}

// filter returns the ops of ev on keys under prefix, with values copied,
// and reports whether there are any.
func filter(ev Event, prefix string) (Event, bool) {
	out := Event{Revision: ev.Revision, Time: ev.Time}
	for _, op := range ev.Ops {
		if !strings.HasPrefix(op.Key, prefix) {
			continue
		}
		if op.Delete {
			out.Ops = append(out.Ops, Op{Key: op.Key, Delete: true})
		} else {
			out.Ops = append(out.Ops, Op{Key: op.Key, Value: clone(op.Value)})
		}
	}
	return out, len(out.Ops) > 0
}
