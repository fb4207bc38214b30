package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/vpcsim/vpcsim/control"
)

// MaxEventLine bounds one line of an events stream.
const maxEventLine = 64 << 10

// events answers GET /v1/events?after=N[&limit=M][&follow=true]: the
// journal the acting account sees after event N, as a JSON array; with
// follow, as a stream of JSON lines that goes on with each new event until
// the client goes away.
func (h handlers) events(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var after uint64
	var limit int
	var err error
	if s := q.Get("after"); s != "" {
		if after, err = strconv.ParseUint(s, 10, 64); err != nil {
			WriteError(w, control.Errorf(control.CodeInvalidParameter, "invalid after=%q: want an event number", s))
			return
		}
	}
	if s := q.Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 0 {
			WriteError(w, control.Errorf(control.CodeInvalidParameter, "invalid limit=%q: want a number of events, 0 for all", s))
			return
		}
	}
	follow, err := boolParam(r, "follow")
	if err != nil {
		WriteError(w, err)
		return
	}
	if !follow {
		evs, err := h.st.Events(acct(r), after, limit)
		reply(w, http.StatusOK, evs, err)
		return
	}
	feed, err := h.st.WatchEvents(r.Context(), acct(r), after)
	if err != nil {
		WriteError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	rc.Flush()
	enc := json.NewEncoder(w)
	for e := range feed {
		rc.SetWriteDeadline(time.Now().Add(StreamTimeout))
		if enc.Encode(e) != nil || rc.Flush() != nil {
			return
		}
	}
}

// Events returns the journal the acting account sees after the event
// numbered after, oldest first: the last limit events (0: all it keeps).
func (c *Client) Events(ctx context.Context, after uint64, limit int) ([]control.Event, error) {
	q := url.Values{"after": {strconv.FormatUint(after, 10)}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var evs []control.Event
	err := c.do(ctx, http.MethodGet, "/v1/events?"+q.Encode(), nil, &evs)
	return evs, err
}

// FollowEvents calls fn with each event the acting account sees after the
// event numbered after, then with each new one as it happens, until ctx is
// done (nil) or fn returns an error (that error).
func (c *Client) FollowEvents(ctx context.Context, after uint64, fn func(control.Event) error) error {
	q := url.Values{"after": {strconv.FormatUint(after, 10)}, "follow": {"true"}}
	resp, err := c.send(ctx, http.MethodGet, "/v1/events?"+q.Encode(), nil)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return replyError(resp)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 4096), maxEventLine)
	for sc.Scan() {
		var e control.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return fmt.Errorf("events: %w", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("events: %w", err)
	}
	return nil
}
