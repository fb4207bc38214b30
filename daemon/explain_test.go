package daemon

import (
	"strings"
	"testing"

	"github.com/vpcsim/vpcsim/explain"
	"github.com/vpcsim/vpcsim/router"
)

func TestCompare(t *testing.T) {
	blocked := &explain.Result{Verdict: explain.Unreachable, Forward: explain.Path{Verdict: explain.Unreachable,
		Blocked: &explain.Blocked{Code: explain.CodeNoRoute, Drop: "no_route", DropVPC: "vpc1"}}}
	returnBlocked := &explain.Result{Verdict: explain.Unreachable, Forward: explain.Path{Verdict: explain.Reachable},
		Return: explain.Path{Verdict: explain.Unreachable, Blocked: &explain.Blocked{Drop: "no_route", DropVPC: "vpc2"}}}
	open := &explain.Result{Verdict: explain.Reachable, Protocol: explain.ICMP}
	openUDP := &explain.Result{Verdict: explain.Reachable, Protocol: explain.UDP}
	noRoute := func(vpc string) map[string]router.Drops {
		return map[string]router.Drops{vpc: {router.DropNoRoute: 2}}
	}
	for _, tc := range []struct {
		name   string
		res    *explain.Result
		ok     bool
		moved  map[string]router.Drops
		agrees bool
		note   string
	}{
		{"open and answered", open, true, nil, true, "the answer came back"},
		{"blocked where predicted", blocked, false, noRoute("vpc1"), true, "vpc1 counted no_route drops"},
		{"return blocked where predicted", returnBlocked, false, noRoute("vpc2"), true, "vpc2 counted no_route drops"},
		{"blocked elsewhere", blocked, false, noRoute("vpc2"), false, "expected no_route drops in vpc1, but the routers counted vpc2 no_route 2"},
		{"blocked but answered", blocked, true, nil, false, "found the path blocked, but an answer came back"},
		{"open but no answer", open, false, noRoute("vpc3"), false, "found the path open, but no answer came back; the routers counted vpc3 no_route 2"},
		{"silent udp service", openUDP, false, nil, false, "a UDP service that stays silent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &explain.Probe{Sent: true, OK: tc.ok}
			compare(tc.res, p, tc.moved)
			if p.Agrees != tc.agrees || !strings.Contains(p.Note, tc.note) {
				t.Errorf("compare: agrees = %v, note %q; want %v, %q", p.Agrees, p.Note, tc.agrees, tc.note)
			}
		})
	}
}
