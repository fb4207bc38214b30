package explain

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestExplainAll: a batch answers each request as Explain does, in order.
func TestExplainAll(t *testing.T) {
	now := time.Now()
	st := labState(t, &now)
	reqs := []Request{
		{Source: "a1", Destination: "b1"},
		{Source: "b1", Destination: "p1"},
		{Source: "a1", Destination: "c1", Protocol: TCP, Port: 80},
		{Source: "a2", Destination: "10.0.1.10", Protocol: UDP, Port: 53},
		{Source: "nobody", Destination: "a1"},
	}
	got, err := ExplainAll(st, reqs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(reqs) {
		t.Fatalf("ExplainAll returned %d results for %d requests", len(got), len(reqs))
	}
	for i, req := range reqs {
		want, err := Explain(st, req)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got[i], cmpopts.EquateComparable(netip.Addr{})); diff != "" {
			t.Errorf("ExplainAll()[%d] differs from Explain(%+v) (-want +got):\n%s", i, req, diff)
		}
	}
	if reqs[0].Protocol != "" {
		t.Errorf("ExplainAll changed the caller's requests: %+v", reqs[0])
	}

	_, err = ExplainAll(st, []Request{{Source: "a1", Destination: "b1"}, {Source: "a1", Destination: "b1", Port: 80}})
	if !errors.Is(err, ErrInvalidRequest) || !strings.Contains(err.Error(), "request 1: ") {
		t.Errorf("ExplainAll with a bad second request: %v, want ErrInvalidRequest naming request 1", err)
	}
}
