package daemon

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/explain"
)

const (
	labMe      = "100000000001"
	labPartner = "200000000002"
)

// TestNSExplain runs explain with a probe on the lab topology of package
// explain, through a series of changes, and checks that the analysis, real
// packets and the routers' drop counters agree, and that changing the
// component the analysis blames is what opens the path.
func TestNSExplain(t *testing.T) {
	yaml, err := os.ReadFile("../explain/testdata/lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d := launch(t, "lab.yaml", yaml)
	st := d.State
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name     string
		before   func() // a change of the configuration, kept for later cases
		src, dst string
		proto    explain.Protocol
		port     int
		verdict  explain.Verdict
		code, id string // of the first blocked path
	}{
		{name: "reachable", src: "a1", dst: "b1", verdict: explain.Reachable},
		{name: "more specific route", src: "a1", dst: "c1", verdict: explain.Reachable},
		{name: "same VPC across subnets", src: "a1", dst: "a2", verdict: explain.Reachable},
		{name: "gateway ping", src: "a1", dst: "192.168.1.1", verdict: explain.Reachable},
		{name: "gateway of the other subnet", src: "a1", dst: "192.168.2.1", verdict: explain.Reachable},
		{name: "tcp to a gateway", src: "a1", dst: "192.168.1.1", proto: explain.TCP, port: 22,
			verdict: explain.Unreachable, code: explain.CodeGatewayProtocol, id: "192.168.1.1"},
		{name: "tcp reset comes back", src: "a1", dst: "b1", proto: explain.TCP, port: 80, verdict: explain.Reachable},
		{name: "udp port unreachable comes back", src: "a1", dst: "b1", proto: explain.UDP, port: 9, verdict: explain.Reachable},
		{name: "missing return route", src: "a2", dst: "c1",
			verdict: explain.Unreachable, code: explain.CodeMissingReturnRoute, id: "vpc3-default"},
		{name: "return route added where named",
			before: func() { must(st.AddRoute(labMe, "vpc3-default", "192.168.2.0/24", "pcx-13")) },
			src:    "a2", dst: "c1", verdict: explain.Reachable},
		{name: "wrong subnet table", src: "a1", dst: "p1",
			verdict: explain.Unreachable, code: explain.CodeNoRoute, id: "rtb-a"},
		{name: "route added to the named table",
			before: func() { must(st.AddRoute(labMe, "rtb-a", "172.16.0.0/16", "pcx-14")) },
			src:    "a1", dst: "p1", verdict: explain.Reachable},
		{name: "transit attempt", src: "b1", dst: "p1",
			verdict: explain.Unreachable, code: explain.CodeNotTransitive, id: "vpc1"},
		{name: "pending peering", src: "a1", dst: "q1",
			verdict: explain.Unreachable, code: explain.CodeNoRoute, id: "rtb-a"},
		{name: "host absent", src: "a1", dst: "10.0.2.99",
			verdict: explain.Unreachable, code: explain.CodeNoHost, id: "vpc2"},
		{name: "gateway over a peering", src: "a1", dst: "10.0.2.1",
			verdict: explain.Unreachable, code: explain.CodeNoHost, id: "10.0.2.1"},
		{name: "rejected peering",
			before: func() { must(st.RejectPeering(labPartner, "pcx-15")) },
			src:    "a1", dst: "q1", verdict: explain.Unreachable, code: explain.CodeNoRoute, id: "rtb-a"},
		{name: "return route deleted",
			before: func() { must(st.DeleteRoute(labMe, "vpc2-default", "192.168.0.0/16")) },
			src:    "a1", dst: "b1", verdict: explain.Unreachable, code: explain.CodeMissingReturnRoute, id: "vpc2-default"},
		{name: "return route restored",
			before: func() { must(st.AddRoute(labMe, "vpc2-default", "192.168.0.0/16", "pcx-12")) },
			src:    "b1", dst: "a1", verdict: explain.Reachable},
		{name: "deleted peering",
			before: func() { must(st.DeletePeering(labMe, "pcx-13")) },
			src:    "c1", dst: "a1", verdict: explain.Unreachable, code: explain.CodeNoRoute, id: "vpc3-default"},
		{name: "deleted peering: the shorter route takes over", src: "a1", dst: "c1",
			verdict: explain.Unreachable, code: explain.CodeNoHost, id: "vpc2"},
	} {
		if tc.before != nil {
			tc.before()
		}
		req := explain.Request{Source: tc.src, Destination: tc.dst, Protocol: tc.proto, Port: tc.port}
		res, err := d.Explain(context.Background(), "", api.ExplainRequest{Request: req, Probe: true})
		if err != nil {
			t.Fatalf("%s: Explain(%+v): %v", tc.name, req, err)
		}
		b := res.Forward.Blocked
		if b == nil {
			b = res.Return.Blocked
		}
		code, id := "", ""
		if b != nil {
			code, id = b.Code, b.ID
		}
		if res.Verdict != tc.verdict || code != tc.code || id != tc.id {
			t.Errorf("%s: Explain(%s -> %s) = %s %s at %q, want %s %s at %q", tc.name, tc.src, tc.dst,
				res.Verdict, code, id, tc.verdict, tc.code, tc.id)
		}
		p := res.Probe
		if p == nil || !p.Sent {
			t.Errorf("%s: probe = %+v, want one sent", tc.name, p)
			continue
		}
		t.Logf("%s: %s %s -> %s: %s %s; probe %s: %s; %s", tc.name, res.Protocol, tc.src, tc.dst, res.Verdict, code, p.Method, p.Outcome, p.Note)
		if p.OK != (tc.verdict == explain.Reachable) || !p.Agrees {
			t.Errorf("%s: probe %s: ok = %v, agrees = %v (%s; %s; drops %v), want ok = %v and agreement",
				tc.name, p.Method, p.OK, p.Agrees, p.Outcome, p.Note, p.Drops, tc.verdict == explain.Reachable)
		}
	}
}

// TestNSExplainAPI asks the endpoint over the control socket.
func TestNSExplainAPI(t *testing.T) {
	d := launch(t, "best-practice.yaml", example(t, "best-practice.yaml"))
	if err := d.serve(); err != nil {
		t.Fatal(err)
	}
	c := api.NewClient(api.SocketPath(d.Topology.Name), "")
	ctx := context.Background()
	res, err := c.Explain(ctx, api.ExplainRequest{Request: explain.Request{Source: "a1", Destination: "b1"}, Probe: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != explain.Reachable || res.Probe == nil || !res.Probe.OK {
		t.Errorf("Explain(a1 -> b1, probe) = %s, probe %+v; want reachable and an echo reply", res.Verdict, res.Probe)
	}
	_, err = c.Explain(ctx, api.ExplainRequest{Request: explain.Request{Source: "a1", Destination: "b1", Protocol: "sctp"}})
	if control.ErrorCode(err) != control.CodeInvalidParameter {
		t.Errorf("Explain(protocol sctp) = %v, want InvalidParameter", err)
	}
	_, err = c.Explain(ctx, api.ExplainRequest{Request: explain.Request{Source: "a1"}})
	if control.ErrorCode(err) != control.CodeInvalidParameter {
		t.Errorf("Explain(no destination) = %v, want InvalidParameter", err)
	}
}

// TestNSProbesAreBounded fires many probes at once: at most MaxProbes ping
// processes run at any moment, and every request gets its answer.
func TestNSProbesAreBounded(t *testing.T) {
	d := launch(t, "best-practice.yaml", example(t, "best-practice.yaml"))
	if err := d.serve(); err != nil {
		t.Fatal(err)
	}
	c := api.NewClient(api.SocketPath(d.Topology.Name), "")
	const requests = 10
	done := make(chan error, requests)
	for range requests {
		go func() {
			// Nothing answers 10.0.1.99: each ping waits its full time.
			res, err := c.Explain(context.Background(), api.ExplainRequest{Request: explain.Request{Source: "a1", Destination: "10.0.1.99"}, Probe: true})
			if err == nil && (res.Probe == nil || !res.Probe.Sent) {
				err = fmt.Errorf("probe not sent: %+v", res.Probe)
			}
			done <- err
		}()
	}
	most := 0
	for finished := 0; finished < requests; {
		select {
		case err := <-done:
			if err != nil {
				t.Error(err)
			}
			finished++
		case <-time.After(20 * time.Millisecond):
			most = max(most, pingsIn(d.Topology.Namespace("a1")))
		}
	}
	if most > MaxProbes {
		t.Errorf("%d pings ran at once, want at most %d", most, MaxProbes)
	}
	if most == 0 {
		t.Error("never saw a ping running: the test measured nothing")
	}
}

// pingsIn counts the ping processes in the namespace ns.
func pingsIn(ns string) int {
	out, _ := exec.Command("ip", "netns", "pids", ns).Output()
	n := 0
	for _, pid := range strings.Fields(string(out)) {
		if comm, _ := os.ReadFile("/proc/" + pid + "/comm"); strings.TrimSpace(string(comm)) == "ping" {
			n++
		}
	}
	return n
}
