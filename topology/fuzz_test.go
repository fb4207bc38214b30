package topology

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// maxParseTime is the longest Parse of one fuzz input may take. The largest
// file Parse accepts (MaxFileSize) takes well under it.
const maxParseTime = 2 * time.Second

// FuzzParse checks that Parse never panics and finishes within
// maxParseTime, that a failure is always a non-empty, positioned, sorted
// ErrorList of short messages that prints at most MaxErrorsShown of them,
// and that a success is a fully defaulted model that obeys every limit.
//
// Run it with a memory cap, so that an input that makes Parse hold too
// much fails instead of swapping:
//
//	GOMEMLIMIT=1GiB go test -run '^$' -fuzz FuzzParse -fuzztime 60s ./topology/
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "examples", "*.yaml"))
	more, _ := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	for _, path := range append(seeds, more...) {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("name: t\nvpcs: [{id: v, cidr: 10.0.0.0/30, subnets: [{id: s, cidr: 10.0.0.0/30}], hosts: [{name: h, subnet: s}]}]\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("name: t\n---\n"))
	// Aliases: repeated, nested, circular, unknown.
	f.Add([]byte(aliasedVPCs(3, 5)))
	f.Add([]byte(aliasBomb(4)))
	f.Add([]byte("name: t\nvpcs:\n  - &v {id: v, cidr: 10.0.0.0/16, route_tables: [{id: r, routes: [*v]}]}\n"))
	f.Add([]byte("name: &n t\nregion: *n\naccounts: [{id: &a 1}]\nvpcs: [{id: v, account: *a, cidr: 10.0.0.0/16}]\n"))
	f.Add([]byte("name: t\nregion: *nowhere\n"))
	// Expectations: every kind of endpoint, bad protocols and ports.
	f.Add([]byte("name: t\nvpcs: [{id: v, cidr: 10.0.0.0/16, subnets: [{id: s, cidr: 10.0.1.0/24}], hosts: [{name: h, subnet: s}, {name: g, subnet: s}]}]\n" +
		"expect:\n  - {from: h, to: g, reach: true}\n  - {from: v, to: v, protocol: tcp, port: 1, reach: true}\n" +
		"  - {from: 10.0.1.2, to: 10.0.1.1, protocol: udp, port: 70000, reach: false, because: NO_HOST}\n  - {from: v, to: h, reach: true, because: x}\n"))
	// Huge scalars, plain, quoted, block and aliased.
	big := strings.Repeat("x", 4*MaxValueLen)
	f.Add([]byte("name: t\nvpcs: [{id: " + big + ", name: \"" + big + "\", cidr: 10.0.0.0/16}]\n"))
	f.Add([]byte("name: t\nregion: &b " + big + "\nvpcs: [{id: *b, region: *b, cidr: *b}, {id: *b}]\n"))
	f.Add([]byte("name: t\nregion: |\n  " + big + "\nmtu: " + strings.Repeat("9", 100) + "\n"))
	// The byte order mark, CIDRs at the edges, host names at the edges.
	f.Add([]byte("\ufeffname: t\nvpcs: [{id: v, cidr: 192.168.255.240/28, subnets: [{id: s, cidr: 192.168.255.240/28}], hosts: [{name: h.1, subnet: s}]}]\n"))
	f.Add([]byte("name: t-a\nvpcs: [{id: v, cidr: 0.0.0.0/0, subnets: [{id: s, cidr: 10.0.0.0/29}], hosts: [{name: a-b, subnet: s}]}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// A hang would never reach the check below: crash the worker,
		// which makes the fuzzer keep the input.
		hung := time.AfterFunc(10*maxParseTime, func() { panic(fmt.Sprintf("Parse of %d bytes hangs", len(data))) })
		defer hung.Stop()
		start := time.Now()
		top, err := Parse("f.yaml", data)
		if d := time.Since(start); d > maxParseTime {
			t.Fatalf("Parse of %d bytes took %v, want at most %v", len(data), d, maxParseTime)
		}
		if err != nil {
			checkErrorList(t, err)
			return
		}
		checkDefaulted(t, top)
	})
}

func checkErrorList(t *testing.T, err error) {
	t.Helper()
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("Parse error is %T, want ErrorList: %v", err, err)
	}
	if len(list) == 0 {
		t.Fatal("Parse returned an empty ErrorList")
	}
	if n := strings.Count(list.Error(), "\n") + 1; n > MaxErrorsShown+1 {
		t.Errorf("Error() prints %d lines, want at most %d", n, MaxErrorsShown+1)
	}
	for i, e := range list {
		// A message quotes at most a few values, each cut at MaxValueLen.
		if len(e.Msg) > 4*MaxValueLen+200 {
			t.Errorf("error %d has %d bytes: %.200q…", i, len(e.Msg), e.Msg)
		}
		if e.Pos.Line < 1 || e.Pos.Col < 1 || e.File != "f.yaml" || e.Msg == "" {
			t.Errorf("error %d = %q at %+v, want a message at a known position", i, e.Error(), e.Pos)
		}
		if !strings.HasPrefix(e.Error(), "f.yaml:") {
			t.Errorf("error %d = %q, want FILE:LINE:COL: prefix", i, e.Error())
		}
		if i > 0 {
			p, q := list[i-1].Pos, e.Pos
			if q.Line < p.Line || (q.Line == p.Line && q.Col < p.Col) {
				t.Errorf("errors %d and %d are out of order: %v, %v", i-1, i, p, q)
			}
		}
	}
}

func checkDefaulted(t *testing.T, top *Topology) {
	t.Helper()
	if top.Name == "" || top.Region == "" || top.MTU < MinMTU || top.PeeringExpiry <= 0 || top.PeeringsPerVPC < 1 || len(top.Accounts) == 0 {
		t.Fatalf("settings not defaulted: %+v", top)
	}
	if n := top.HostCount(); n > MaxHosts {
		t.Errorf("%d hosts accepted, at most %d", n, MaxHosts)
	}
	sized := func(bits int) bool { return bits >= MinPrefixLen && bits <= MaxPrefixLen }
	namespaces := make(map[string]string)
	for _, v := range top.VPCs {
		if v.Account == "" || v.Region == "" || !v.CIDR.Addr().Is4() || v.RouteTable(v.DefaultRouteTable()) == nil {
			t.Errorf("VPC %q not defaulted: %+v", v.ID, v)
		}
		private := false
		for _, r := range privateRanges {
			private = private || (r.Bits() <= v.CIDR.Bits() && r.Contains(v.CIDR.Addr()))
		}
		if !private || !sized(v.CIDR.Bits()) {
			t.Errorf("VPC %q: cidr %v accepted", v.ID, v.CIDR)
		}
		for _, s := range v.Subnets {
			if v.RouteTable(s.RouteTable) == nil || !v.CIDR.Contains(s.CIDR.Addr()) || !sized(s.CIDR.Bits()) {
				t.Errorf("subnet %q of VPC %q: route table %q, cidr %v", s.ID, v.ID, s.RouteTable, s.CIDR)
			}
		}
		for _, h := range v.Hosts {
			s := v.Subnet(h.Subnet)
			if s == nil || !s.CIDR.Contains(h.IP) || h.IP == s.Gateway() || h.IP == s.CIDR.Addr() || h.IP == lastAddr(s.CIDR) {
				t.Errorf("host %q of VPC %q: ip %v in subnet %+v", h.Name, v.ID, h.IP, s)
			}
			ns := top.Namespace(h.Name)
			if other, dup := namespaces[ns]; dup || strings.Contains(h.Name, "-") || len(ns) > MaxNamespaceLen {
				t.Errorf("host %q: namespace %q (also host %q's)", h.Name, ns, other)
			}
			namespaces[ns] = h.Name
		}
		for _, rt := range v.RouteTables {
			for _, r := range rt.Routes {
				if r.NextHopType != NextHopPeering || top.Peering(r.NextHop) == nil || r.Destination != r.Destination.Masked() {
					t.Errorf("route %+v of table %q", r, rt.ID)
				}
			}
		}
	}
	for _, p := range top.Peerings {
		if top.VPC(p.VPC) == nil || top.VPC(p.PeerVPC) == nil || top.Account(p.PeerAccount) == nil {
			t.Errorf("peering not resolved: %+v", p)
		}
	}
}
