package api

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/router"
	"github.com/vpcsim/vpcsim/store"
)

// TestHandlerClientAsSocket makes the same calls, successes and refusals,
// over a socket and in process, on two copies of one state: the answers
// must be the same.
func TestHandlerClientAsSocket(t *testing.T) {
	ctx := context.Background()
	clock := func() time.Time { return time.Date(2026, 3, 17, 16, 55, 14, 0, time.UTC) }
	newState := func() *control.State {
		st, err := control.New(testTopology(), control.Options{Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	sockState, inState := newState(), newState()
	clients := map[string][2]*Client{
		"":      {NewClient(serve(t, sockState), ""), NewHandlerClient(Handler(inState, &fakeBackend{st: inState}, nil), "")},
		partner: {NewClient(serve(t, sockState), partner), NewHandlerClient(Handler(inState, &fakeBackend{st: inState}, nil), partner)},
	}
	calls := []struct {
		name string
		acct string
		do   func(c *Client) (any, error)
	}{
		{"create", "", func(c *Client) (any, error) {
			return c.CreatePeering(ctx, control.CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc3", PeerAccount: partner, ID: "pcx-x", Name: `<b>"x"</b>`})
		}},
		{"create again", "", func(c *Client) (any, error) {
			return c.CreatePeering(ctx, control.CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc3", PeerAccount: partner})
		}},
		{"accept as requester", "", func(c *Client) (any, error) { return c.AcceptPeering(ctx, "pcx-x") }},
		{"accept", partner, func(c *Client) (any, error) { return c.AcceptPeering(ctx, "pcx-x") }},
		{"route", "", func(c *Client) (any, error) { return c.AddRoute(ctx, "rtb-1a", "10.3.0.0/16", "pcx-x") }},
		{"route overlapping local", "", func(c *Client) (any, error) { return c.AddRoute(ctx, "rtb-1a", "10.1.2.0/24", "pcx-x") }},
		{"show", "", func(c *Client) (any, error) { return c.ShowPeering(ctx, "pcx-x") }},
		{"list", partner, func(c *Client) (any, error) { return c.Peerings(ctx, true) }},
		{"routes", "", func(c *Client) (any, error) { return c.Routes(ctx, "", "vpc1") }},
		{"account", partner, func(c *Client) (any, error) { return c.Account(ctx) }},
		{"status", "", func(c *Client) (any, error) { return c.Status(ctx) }},
		{"save", "", func(c *Client) (any, error) { return c.Save(ctx) }},
		{"console", "", func(c *Client) (any, error) { return c.ServeConsole(ctx, ":8080") }},
		{"console refused", "", func(c *Client) (any, error) { return c.ServeConsole(ctx, "taken:1") }},
		{"delete", partner, func(c *Client) (any, error) { return c.DeletePeering(ctx, "pcx-x") }},
		{"unknown peering", "", func(c *Client) (any, error) { return c.DeletePeering(ctx, "pcx-zz") }},
	}
	for _, call := range calls {
		sock, err1 := call.do(clients[call.acct][0])
		in, err2 := call.do(clients[call.acct][1])
		if !reflect.DeepEqual(sock, in) || !reflect.DeepEqual(err1, err2) {
			t.Errorf("%s: over the socket %+v, %v; in process %+v, %v", call.name, sock, err1, in, err2)
		}
	}
}

// journaled returns the test state with a journal, and a client of its
// API in process.
func journaled(t *testing.T) (*control.State, *Client) {
	t.Helper()
	st, err := control.New(testTopology(), control.Options{Store: store.NewMemory()})
	if err != nil {
		t.Fatal(err)
	}
	return st, NewHandlerClient(Handler(st, &fakeBackend{st: st}, nil), "")
}

func TestHandlerClientFollowsEvents(t *testing.T) {
	st, c := journaled(t)
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan control.Event, 10)
	done := make(chan error, 1)
	go func() {
		done <- c.FollowEvents(ctx, 0, func(e control.Event) error {
			got <- e
			return nil
		})
	}()
	next := func() control.Event {
		select {
		case e := <-got:
			return e
		case <-time.After(5 * time.Second):
			t.Fatal("no event within 5s")
			return control.Event{}
		}
	}
	if e := next(); e.Op != control.OpLaunch {
		t.Fatalf("first event %+v, want the launch", e)
	}
	// A change after the stream started arrives while it runs.
	if _, err := st.CreatePeering(me, control.CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc2", ID: "pcx-live"}); err != nil {
		t.Fatal(err)
	}
	if e := next(); e.Op != control.OpCreatePeering || e.Target != "pcx-live" {
		t.Fatalf("event %+v, want the creation of pcx-live", e)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("FollowEvents after cancel = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("FollowEvents still running 5s after its context ended")
	}
}

// TestHandlerClientEndsHandlers: a client that stops reading, or whose
// context ends, ends the handler, as a closed connection would.
func TestHandlerClientEndsHandlers(t *testing.T) {
	var running atomic.Int32
	ended := make(chan struct{}, 2)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		running.Add(1)
		defer func() { running.Add(-1); ended <- struct{}{} }()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte("["))
		http.NewResponseController(w).Flush()
		for {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(time.Millisecond):
				if _, err := w.Write([]byte(`{"seq":1},`)); err != nil {
					return
				}
			}
		}
	})
	c := NewHandlerClient(h, "")
	stop := errors.New("stop")
	n := 0
	err := c.FollowEvents(context.Background(), 0, func(control.Event) error { n++; return stop })
	if !errors.Is(err, stop) && err == nil {
		t.Errorf("FollowEvents = %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Events(ctx, 0, 0); err == nil {
		t.Error("Events from a handler that never ends returned no error")
	}
	for range 2 {
		select {
		case <-ended:
		case <-time.After(5 * time.Second):
			t.Fatalf("handlers still running: %d", running.Load())
		}
	}
}

func TestHandlerClientCaptureTrailers(t *testing.T) {
	st := testState(t)
	f := &fakeBackend{st: st, attached: make(chan [2]router.Tap, 1)}
	c := NewHandlerClient(Handler(st, f, nil), "")
	go func() {
		taps := <-f.attached
		pkt := make([]byte, 28)
		pkt[0] = 0x45
		for range 2 {
			taps[1](pkt)
		}
	}()
	var out bytes.Buffer
	sum, err := c.Capture(context.Background(), CaptureRequest{Host: "a1", Count: 2}, &out, nil)
	if err != nil || sum.Written != 2 || sum.Interrupted || sum.Bytes != int64(out.Len()) {
		t.Errorf("Capture() in process = %+v, %v; want 2 written, from the trailer", sum, err)
	}
}

func TestHandlerClientPanic(t *testing.T) {
	for _, tt := range []struct {
		name string
		h    http.HandlerFunc
	}{
		{"before the header", func(http.ResponseWriter, *http.Request) { panic("boom") }},
		{"in the body", func(w http.ResponseWriter, _ *http.Request) {
			w.Write([]byte(`{"id":`))
			panic("boom")
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewHandlerClient(tt.h, "").Account(context.Background())
			if err == nil || !strings.Contains(err.Error(), "boom") {
				t.Errorf("Account() from a handler that panics = %v, want an error saying so", err)
			}
		})
	}
}
