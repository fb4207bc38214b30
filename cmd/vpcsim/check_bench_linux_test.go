package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/explain"
	"github.com/vpcsim/vpcsim/topology"
	"github.com/vpcsim/vpcsim/tun/tuntest"
)

// scaleTopology returns a topology file of n VPCs in a chain, each with
// two hosts and peered with the next. Most peerings are routed at both
// ends; every fifth only at its requester's (its replies have no way
// back), and every third VPC also routes the one after next through its
// neighbour (never transit). Its rules name pairs of hosts, half of them
// in neighbouring VPCs, with icmp, TCP and UDP in turn; each says what the
// analysis of the file finds, so that all hold.
func scaleTopology(t testing.TB, n, rules int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("name: NAME\nvpcs:\n")
	pcx := func(i int) string { return fmt.Sprintf("pcx-%d", i) } // vpc i <-> vpc i+1
	for i := range n {
		fmt.Fprintf(&b, "  - id: vpc%d\n    cidr: 10.%d.0.0/16\n    subnets: [{id: s%d, cidr: 10.%d.1.0/24}]\n", i, i, i, i)
		fmt.Fprintf(&b, "    hosts: [{name: h%da, subnet: s%d}, {name: h%db, subnet: s%d}]\n", i, i, i, i)
		var routes []string
		route := func(dst int, via int) {
			routes = append(routes, fmt.Sprintf("          - {destination: 10.%d.0.0/16, next_hop_type: peering, next_hop: %s}\n", dst, pcx(via)))
		}
		if i > 0 && (i-1)%5 != 4 { // the accepter of pcx-(i-1) routes back, but every fifth
			route(i-1, i-1)
		}
		if i < n-1 {
			route(i+1, i)
			if i%3 == 0 && i < n-2 {
				route(i+2, i)
			}
		}
		fmt.Fprintf(&b, "    route_tables:\n      - id: vpc%d-default\n        routes:\n%s", i, strings.Join(routes, ""))
	}
	b.WriteString("peerings:\n")
	for i := range n - 1 {
		fmt.Fprintf(&b, "  - {id: %s, vpc: vpc%d, peer_vpc: vpc%d}\n", pcx(i), i, i+1)
	}
	src := b.String()
	top, err := topology.Parse("scale.yaml", []byte(strings.Replace(src, "NAME", "scale", 1)))
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, src)
	}
	st, err := control.New(top, control.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var reqs []explain.Request
	seen := make(map[explain.Request]bool)
	for k := 0; len(reqs) < rules; k++ {
		from, to := k%n, 0
		if k%2 == 0 { // a neighbour, either way
			to = (from + 1 + (n-2)*((k/n)%2)) % n
		} else { // farther
			to = (from + 2 + (k/n)%(n-3)) % n
		}
		req := explain.Request{Source: fmt.Sprintf("h%d%c", from, "ab"[(k/(2*n))%2]), Destination: fmt.Sprintf("h%d%c", to, "ab"[(k/(4*n))%2])}
		switch (k / 2) % 3 {
		case 0:
			req.Protocol = explain.ICMP
		case 1:
			req.Protocol, req.Port = explain.TCP, 5201
		case 2:
			req.Protocol, req.Port = explain.UDP, 5353
		}
		if !seen[req] {
			seen[req] = true
			reqs = append(reqs, req)
		}
	}
	res, err := explain.ExplainAll(st, reqs)
	if err != nil {
		t.Fatal(err)
	}
	b.WriteString("expect:\n")
	for i, r := range res {
		req := reqs[i]
		fmt.Fprintf(&b, "  - {from: %s, to: %s", req.Source, req.Destination)
		if req.Port != 0 {
			fmt.Fprintf(&b, ", protocol: %s, port: %d", req.Protocol, req.Port)
		}
		if r.Verdict == explain.Reachable {
			b.WriteString(", reach: true}\n")
			continue
		}
		code := r.Forward.Blocked
		if code == nil {
			code = r.Return.Blocked
		}
		fmt.Fprintf(&b, ", reach: false, because: %s}\n", code.Code)
	}
	return b.String()
}

// BenchmarkNSCheckScale runs vpcsim check on a topology of 20 VPCs, 40
// hosts and 200 expectations (120 of them unreachable pairs, whose probes
// wait out their second): "file" launches it, checks and tears it
// down, as CI would; "running" checks it as it runs. Both by analysis and
// real packets:
//
//	go test -run '^$' -bench CheckScale -benchtime 3x ./cmd/vpcsim/
func BenchmarkNSCheckScale(b *testing.B) {
	tuntest.NeedRoot(b, "ping")
	src := scaleTopology(b, 20, 200)
	unreachable := strings.Count(src, "reach: false")
	b.Logf("20 VPCs, 40 hosts, 200 expectations, %d of them unreachable", unreachable)

	b.Run("file", func(b *testing.B) {
		name, file := writeTopology(b, "bf", src)
		b.Cleanup(func() { runBin(b, "down", name) })
		for b.Loop() {
			out := binOK(b, "check", file)
			if !strings.Contains(out, "ok: 200 of 200 expectations hold; the real packets of every pair agree") {
				b.Fatalf("check printed\n%s", out)
			}
		}
	})
	b.Run("running", func(b *testing.B) {
		name, file := writeTopology(b, "br", src)
		binOK(b, "up", "-d", file)
		b.Cleanup(func() { runBin(b, "down", name) })
		for b.Loop() {
			if out := binOK(b, "--topology", name, "check"); !strings.Contains(out, "ok: 200 of 200") {
				b.Fatalf("check printed\n%s", out)
			}
		}
	})
}

// TestScaleTopology: the benchmark's file is what it says, without root.
func TestScaleTopology(t *testing.T) {
	src := scaleTopology(t, 20, 200)
	top, err := topology.Parse("scale.yaml", []byte(strings.Replace(src, "NAME", "scale", 1)))
	if err != nil {
		t.Fatal(err)
	}
	reachable := strings.Count(src, "reach: true")
	if len(top.VPCs) != 20 || top.HostCount() != 40 || len(top.Expect) != 200 || reachable < 60 || reachable > 140 {
		t.Errorf("%d VPCs, %d hosts, %d rules, %d reachable; want 20, 40, 200 and a mix", len(top.VPCs), top.HostCount(), len(top.Expect), reachable)
	}
	for _, code := range []string{"NO_ROUTE", "MISSING_RETURN_ROUTE", "NOT_TRANSITIVE"} {
		if !strings.Contains(src, "because: "+code) {
			t.Errorf("no rule blocked with %s", code)
		}
	}
}
