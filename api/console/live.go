package console

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
)

// Live updates. A page carries the number of the last journal event it
// shows; its script listens to GET /events (server-sent events) and
// fetches the page again when a later event comes. The journal is read
// from the API (GET /v1/events?follow=true), one stream per account that
// has a page open, however many pages and browsers show it.

// journal follows the API's journal for each account a page was shown to.
type journal struct {
	client func(acct string) *api.Client
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu    sync.Mutex       // guards feeds, and wg.Add against close
	feeds map[string]*feed // by account
}

// feed is the journal as one account sees it: the number of its last
// event, and a channel closed when a later one comes.
type feed struct {
	start sync.Once // reads the journal's end, then follows it

	mu      sync.Mutex
	seq     uint64
	changed chan struct{}
}

func newJournal(client func(acct string) *api.Client, log *slog.Logger) *journal {
	ctx, cancel := context.WithCancel(context.Background())
	return &journal{client: client, log: log, ctx: ctx, cancel: cancel, feeds: make(map[string]*feed)}
}

// close stops following and waits for the streams to end.
func (j *journal) close() {
	j.mu.Lock()
	j.cancel()
	j.mu.Unlock()
	j.wg.Wait()
}

// feed returns the journal of the account acct, following it from now on
// when nobody did yet. The first call for an account waits for the
// journal's end to be read (a page then knows the event it shows).
func (j *journal) feed(acct string) *feed {
	j.mu.Lock()
	f, ok := j.feeds[acct]
	if !ok {
		f = &feed{changed: make(chan struct{})}
		j.feeds[acct] = f
	}
	j.mu.Unlock()
	f.start.Do(func() { j.start(acct, f) })
	return f
}

// start reads the last event the account acct sees into f, then follows
// the journal in the background.
func (j *journal) start(acct string, f *feed) {
	c := j.client(acct)
	ctx, cancel := context.WithTimeout(j.ctx, 5*time.Second)
	evs, err := c.Events(ctx, 0, 1)
	cancel()
	if err == nil && len(evs) == 1 {
		f.advance(evs[0].Seq)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.ctx.Err() != nil {
		return // closed: nothing to follow
	}
	j.wg.Add(1)
	go func() {
		defer j.wg.Done()
		j.follow(c, f)
	}()
}

// follow keeps f up to date until the journal closes, following the API's
// stream again after a pause when it fails.
func (j *journal) follow(c *api.Client, f *feed) {
	for pause := time.Second; ; pause = min(2*pause, 30*time.Second) {
		err := c.FollowEvents(j.ctx, f.last(), func(e control.Event) error {
			f.advance(e.Seq)
			pause = time.Second
			return nil
		})
		if j.ctx.Err() != nil {
			return
		}
		j.log.Debug("console: journal stream ended; following again", "pause", pause, "err", err)
		select {
		case <-j.ctx.Done():
			return
		case <-time.After(pause):
		}
	}
}

// last returns the number of the last event the account acct sees.
func (j *journal) last(acct string) uint64 { return j.feed(acct).last() }

func (f *feed) last() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seq
}

// advance records the event seq and wakes whoever waits.
func (f *feed) advance(seq uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if seq <= f.seq {
		return
	}
	f.seq = seq
	close(f.changed)
	f.changed = make(chan struct{})
}

// next returns the last event's number and a channel closed when another
// comes.
func (f *feed) next() (uint64, <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seq, f.changed
}

// keepAlive is how often an idle event stream sends a comment, so that
// proxies and the write deadline let it be.
const keepAlive = 20 * time.Second

// events answers GET /events?after=N with server-sent events: one
// "change" event, carrying the journal's last number, whenever the journal
// the browser's account sees goes past N, until the browser goes away.
// Events that come in a burst are sent as one.
func (c *Console) events(w http.ResponseWriter, r *http.Request) {
	acct := c.accountOf(r)
	after, _ := strconv.ParseUint(r.URL.Query().Get("after"), 10, 64)
	if id, err := strconv.ParseUint(r.Header.Get("Last-Event-ID"), 10, 64); err == nil {
		after = id // a reconnection goes on from the last event it had
	}
	f := c.live.feed(acct)
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	send := func(format string, args ...any) bool {
		rc.SetWriteDeadline(time.Now().Add(api.StreamTimeout))
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send("retry: 2000\n\n") {
		return
	}
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		seq, changed := f.next()
		if seq > after {
			if !send("id: %d\nevent: change\ndata: %d\n\n", seq, seq) {
				return
			}
			after = seq
		}
		select {
		case <-changed:
		case <-tick.C:
			if !send(": keep-alive\n\n") {
				return
			}
		case <-r.Context().Done():
			return
		case <-c.live.ctx.Done():
			return
		}
	}
}
