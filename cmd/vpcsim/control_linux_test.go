package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vpcsim/vpcsim/tun/tuntest"
)

// Integration tests of the live control plane (issue: accounts, the peering
// lifecycle and route tables) against a running daemon and real ping.

const (
	acctA = "100000000001"
	acctB = "200000000002"
)

const crossAccount = `name: NAME
region: wuhan
peering_expiry: 3s
accounts:
  - {id: "100000000001", name: me}
  - {id: "200000000002", name: partner}
vpcs:
  - id: vpc-a
    account: "100000000001"
    cidr: 192.168.0.0/16
    subnets: [{id: sn-a, cidr: 192.168.1.0/24}]
    hosts: [{name: a1, subnet: sn-a, ip: 192.168.1.10}]
  - id: vpc-b
    account: "200000000002"
    cidr: 10.0.0.0/16
    subnets: [{id: sn-b, cidr: 10.0.1.0/24}]
    hosts: [{name: b1, subnet: sn-b, ip: 10.0.1.10}]
  - {id: vpc-c, account: "200000000002", cidr: 172.16.0.0/16}
  - {id: vpc-d, account: "200000000002", cidr: 172.17.0.0/16}
  - {id: vpc-overlap, account: "100000000001", cidr: 10.0.0.0/16}
  - {id: vpc-far, account: "100000000001", region: beijing, cidr: 172.18.0.0/16}
`

type peeringJSON struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	ExpiresAt string `json:"expires_at"`
}

type routeJSON struct {
	RouteTable  string `json:"route_table"`
	Destination string `json:"destination"`
	NextHopType string `json:"next_hop_type"`
	NextHop     string `json:"next_hop"`
}

func decode[T any](t testing.TB, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return v
}

func TestNSCrossAccountLifecycle(t *testing.T) {
	tuntest.NeedRoot(t, "ping")
	name, file := writeTopology(t, "xa", crossAccount)
	up(t, name, file)
	as := func(acct string, args ...string) []string {
		return append([]string{"--topology", name, "--account", acct}, args...)
	}

	p := decode[peeringJSON](t, binOK(t, as(acctA, "peering", "create", "--vpc", "vpc-a", "--peer-vpc", "vpc-b", "--peer-account", acctB, "--name", "PeerConn", "-o", "json")...))
	if p.Status != "pending-acceptance" || p.ExpiresAt == "" {
		t.Fatalf("created %+v, want pending-acceptance with expires_at", p)
	}
	// Routes cannot be prepared through a pending peering, and nothing flows.
	binFails(t, "PeeringNotActive", as(acctA, "route", "add", "--table", "vpc-a-default", "--destination", "10.0.1.0/24", "--peering", p.ID)...)
	if ping(t, name, "a1", "10.0.1.10") {
		t.Error("a1 reaches b1 through a pending peering")
	}
	binFails(t, "NotPermitted", as(acctA, "peering", "accept", p.ID)...)
	if got := decode[peeringJSON](t, binOK(t, as(acctB, "peering", "accept", p.ID, "-o", "json")...)); got.Status != "active" {
		t.Fatalf("accept by the peer account: status %q, want active", got.Status)
	}
	binFails(t, "InvalidParameter", as(acctA, "route", "add", "--table", "vpc-a-default", "--destination", "10.0.1.7/24", "--peering", p.ID)...)
	binOK(t, as(acctA, "route", "add", "--table", "vpc-a-default", "--destination", "10.0.1.0/24", "--peering", p.ID)...)
	if ping(t, name, "a1", "10.0.1.10") {
		t.Error("a1 reaches b1 with a route on one side only")
	}
	binOK(t, as(acctB, "route", "add", "--table", "vpc-b-default", "--destination", "192.168.1.0/24", "--peering", p.ID)...)
	if !ping(t, name, "a1", "10.0.1.10") || !ping(t, name, "b1", "192.168.1.10") {
		t.Fatal("no traffic with the peering active and routes at both ends")
	}
	routes := decode[[]routeJSON](t, binOK(t, as(acctA, "route", "list", "--table", "vpc-a-default", "-o", "json")...))
	if len(routes) != 2 || routes[0].NextHopType != "local" || routes[1].Destination != "10.0.1.0/24" {
		t.Errorf("route list = %+v, want local then 10.0.1.0/24", routes)
	}

	// Deleting one side's route stops communication; adding it back restores it.
	binOK(t, as(acctB, "route", "delete", "--table", "vpc-b-default", "--destination", "192.168.1.0/24")...)
	if ping(t, name, "a1", "10.0.1.10") || ping(t, name, "b1", "192.168.1.10") {
		t.Error("traffic flows with the return route deleted")
	}
	binOK(t, as(acctB, "route", "add", "--table", "vpc-b-default", "--destination", "192.168.1.0/24", "--peering", p.ID)...)
	if !ping(t, name, "a1", "10.0.1.10") {
		t.Error("traffic does not come back with the route re-added")
	}

	// Errors leave the running topology as it was.
	binFails(t, "CidrOverlap", as(acctA, "peering", "create", "--vpc", "vpc-overlap", "--peer-vpc", "vpc-b", "--peer-account", acctB)...)
	binFails(t, "PeeringAlreadyExists", as(acctB, "peering", "create", "--vpc", "vpc-b", "--peer-vpc", "vpc-a", "--peer-account", acctA)...)
	binFails(t, "CrossRegionNotSupported", as(acctA, "peering", "create", "--vpc", "vpc-a", "--peer-vpc", "vpc-far")...)
	binFails(t, "VpcNotFound", as(acctA, "peering", "create", "--vpc", "vpc-a", "--peer-vpc", "vpc-nope", "--peer-account", acctB)...)
	binFails(t, "VpcNotFound", as(acctA, "peering", "create", "--vpc", "vpc-a", "--peer-vpc", "vpc-c", "--peer-account", acctA)...)
	binFails(t, "PeeringNotFound", as(acctA, "peering", "delete", "pcx-nope")...)
	binFails(t, "AccountNotFound", as("999", "peering", "list")...)
	if !ping(t, name, "a1", "10.0.1.10") {
		t.Error("traffic stopped after rejected operations")
	}

	// Reject: gone from the list, there with --all.
	r := decode[peeringJSON](t, binOK(t, as(acctA, "peering", "create", "--vpc", "vpc-a", "--peer-vpc", "vpc-c", "--peer-account", acctB, "-o", "json")...))
	binFails(t, "NotPermitted", as(acctA, "peering", "reject", r.ID)...)
	binOK(t, as(acctB, "peering", "reject", r.ID)...)
	if list := binOK(t, as(acctB, "peering", "list")...); strings.Contains(list, r.ID) {
		t.Errorf("peering list shows the rejected %s:\n%s", r.ID, list)
	}
	all := decode[[]peeringJSON](t, binOK(t, as(acctB, "peering", "list", "--all", "-o", "json")...))
	if !hasPeering(all, r.ID, "rejected") {
		t.Errorf("peering list --all = %+v, want %s rejected", all, r.ID)
	}
	binFails(t, "InvalidState", as(acctB, "peering", "accept", r.ID)...)

	// Expiry (peering_expiry: 3s): an unaccepted request expires.
	e := decode[peeringJSON](t, binOK(t, as(acctA, "peering", "create", "--vpc", "vpc-a", "--peer-vpc", "vpc-d", "--peer-account", acctB, "-o", "json")...))
	time.Sleep(3500 * time.Millisecond)
	binFails(t, "InvalidState", as(acctB, "peering", "accept", e.ID)...)
	all = decode[[]peeringJSON](t, binOK(t, as(acctA, "peering", "list", "--all", "-o", "json")...))
	if !hasPeering(all, e.ID, "expired") {
		t.Errorf("peering list --all = %+v, want %s expired", all, e.ID)
	}

	// An account sees only the peerings of its VPCs.
	binFails(t, "PeeringNotFound", as(acctA, "peering", "show", "pcx-nope")...)
	show := binOK(t, as(acctB, "peering", "show", p.ID)...)
	if !strings.Contains(show, "vpc-b-default") || !strings.Contains(show, "sn-b") {
		t.Errorf("peering show lacks the related route table and subnet:\n%s", show)
	}
}

func hasPeering(ps []peeringJSON, id, status string) bool {
	for _, p := range ps {
		if p.ID == id && p.Status == status {
			return true
		}
	}
	return false
}

func TestNSDeletePeeringStopsTrafficAtOnce(t *testing.T) {
	tuntest.NeedRoot(t, "ping")
	name, file := writeTopology(t, "dp", bestPractice)
	up(t, name, file)

	// A continuous ping, each reply line stamped with its arrival time.
	c := exec.Command(vpcsimBin, "--topology", name, "exec", "a1", "--", "ping", "-n", "-D", "-i", "0.02", "10.0.1.10")
	out, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var replies []float64
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			if !strings.Contains(line, "bytes from") || !strings.HasPrefix(line, "[") {
				continue
			}
			ts, err := strconv.ParseFloat(line[1:strings.Index(line, "]")], 64)
			if err == nil {
				mu.Lock()
				replies = append(replies, ts)
				mu.Unlock()
			}
		}
	}()
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(replies) }
	for deadline := time.Now().Add(5 * time.Second); count() < 10; {
		if time.Now().After(deadline) {
			t.Fatalf("continuous ping got %d replies before the delete, want 10", count())
		}
		time.Sleep(10 * time.Millisecond)
	}
	binOK(t, "--topology", name, "peering", "delete", "pcx-1")
	returned := float64(time.Now().UnixMicro()) / 1e6
	time.Sleep(500 * time.Millisecond)
	c.Process.Signal(os.Interrupt)
	c.Wait()
	<-done
	mu.Lock()
	defer mu.Unlock()
	for _, ts := range replies {
		if ts > returned {
			t.Errorf("reply at %.6f, after peering delete returned at %.6f", ts, returned)
		}
	}
	for _, table := range []string{"vpc1-default", "vpc2-default"} {
		routes := decode[[]routeJSON](t, binOK(t, "--topology", name, "route", "list", "--table", table, "-o", "json"))
		for _, r := range routes {
			if r.NextHop == "pcx-1" {
				t.Errorf("%s still has %+v after the peering was deleted", table, r)
			}
		}
	}
}

func TestNSPeeringLimit(t *testing.T) {
	tuntest.NeedRoot(t, "ping")
	// The file ends with its expect: rules: the peerings go first in the list.
	yaml := strings.Replace(bestPractice, "peerings:\n", vpcList(2, 12)+"peerings:\n"+
		"  - {id: pcx-2, vpc: vpc1, peer_vpc: vpc-x2}\n  - {id: pcx-3, vpc: vpc1, peer_vpc: vpc-x3}\n", 1)
	name, file := writeTopology(t, "pl", yaml)
	up(t, name, file)
	// vpc1 has pcx-1..3; seven more fill it to ten.
	for i := 4; i <= 10; i++ {
		binOK(t, "--topology", name, "peering", "create", "--vpc", "vpc1", "--peer-vpc", fmt.Sprintf("vpc-x%d", i))
	}
	binFails(t, "PeeringLimitExceeded", "--topology", name, "peering", "create", "--vpc", "vpc1", "--peer-vpc", "vpc-x11")
	if !ping(t, name, "a1", "10.0.1.10") {
		t.Error("traffic stopped after the refused peering")
	}
}

// vpcList declares host-less VPCs vpc-x<from>..vpc-x<to> with distinct CIDRs.
func vpcList(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		fmt.Fprintf(&b, "  - {id: vpc-x%d, cidr: 172.%d.0.0/16}\n", i, 16+i)
	}
	return b.String()
}
