package topology

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// manyHosts is a topology of n hosts in one /16 subnet, every address
// assigned automatically.
func manyHosts(n int) string {
	return "name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    subnets: [{id: s, cidr: 10.0.0.0/16}]\n    hosts:\n" + hostLines(n, "s")
}

func TestParseHostLimit(t *testing.T) {
	top := mustParse(t, manyHosts(MaxHosts))
	if got := top.HostCount(); got != MaxHosts {
		t.Fatalf("HostCount() = %d, want %d", got, MaxHosts)
	}

	// Two VPCs: the error points at the first host past the limit, in the second.
	src := manyHosts(MaxHosts-1) + "  - id: w\n    cidr: 10.1.0.0/16\n    subnets: [{id: u, cidr: 10.1.0.0/16}]\n    hosts:\n" +
		"      - {name: w0, subnet: u}\n      - {name: w1, subnet: u}\n"
	list := parseErrors(t, src)
	line := 7 + MaxHosts - 1 + 5 // header, first VPC's hosts, second VPC's lines up to w1
	want := fmt.Sprintf("%s:%d:10: too many hosts: the topology has %d, at most %d", testFile, line, MaxHosts+1, MaxHosts)
	if len(list) != 1 || !strings.HasPrefix(list[0].Error(), want) {
		t.Errorf("Parse errors:\n%v\nwant one starting with:\n%s", list, want)
	}
}

// TestBuildAutoIPLinear builds 65,000 hosts without addresses in one /16
// subnet, as issue 12 did (it took 164 s): the lowest free address must be
// found without scanning the taken ones again for every host.
func TestBuildAutoIPLinear(t *testing.T) {
	const n = 65000
	f := func(v string) field[string] { return field[string]{V: v, Pos: Pos{Line: 1, Col: 1}, Set: true} }
	vpc := rawVPC{ID: f("v"), CIDR: f("10.0.0.0/16"), Subnets: []rawSubnet{{ID: f("s"), CIDR: f("10.0.0.0/16")}}}
	for i := range n {
		vpc.Hosts = append(vpc.Hosts, rawHost{Pos: Pos{Line: i + 1, Col: 1}, Name: f(fmt.Sprintf("h%d", i)), Subnet: f("s")})
	}
	// One given address on the way: the cursor must skip it.
	vpc.Hosts[10].IP = f("10.0.0.100")
	raw := &rawTopology{Name: f("t"), VPCs: []rawVPC{vpc}}

	var errs ErrorList
	done := make(chan *Topology, 1)
	go func() { done <- build(testFile, raw, &errs) }()
	var top *Topology
	select {
	case top = <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("build of %d hosts took longer than 10s", n)
	}
	// Only the host limit is broken.
	if len(errs) != 1 || !strings.Contains(errs[0].Msg, "too many hosts") {
		t.Errorf("build errors:\n%v\nwant only too many hosts", errs)
	}
	hosts := top.VPCs[0].Hosts
	for _, c := range []struct {
		i    int
		want string
	}{
		{0, "10.0.0.2"},
		{9, "10.0.0.11"},
		{10, "10.0.0.100"},
		{11, "10.0.0.12"},
		{98, "10.0.0.99"},
		{99, "10.0.0.101"},
		{n - 1, "10.0.253.233"}, // the 64,999th automatic address from .0.2, .0.100 skipped
	} {
		if got := hosts[c.i].IP.String(); got != c.want {
			t.Errorf("host %d: ip %s, want %s", c.i, got, c.want)
		}
	}
}

func TestCheckDescriptors(t *testing.T) {
	top := mustParse(t, manyHosts(1000))
	need := uint64(1000*DescriptorsPerHost + DescriptorReserve)
	if got := Descriptors(top); got != int(need) {
		t.Errorf("Descriptors(1000 hosts) = %d, want %d", got, need)
	}
	tests := []struct {
		limit uint64
		ok    bool
	}{
		{need, true},
		{1 << 20, true},
		{^uint64(0), true}, // unlimited
		{need - 1, false},
		{1024, false},
		{0, false},
	}
	for _, tt := range tests {
		err := checkDescriptors(top, tt.limit)
		if tt.ok {
			if err != nil {
				t.Errorf("checkDescriptors(1000 hosts, limit %d) = %v, want nil", tt.limit, err)
			}
			continue
		}
		if !errors.Is(err, ErrDescriptorLimit) || !strings.Contains(err.Error(), fmt.Sprintf(`"ulimit -n %d"`, need)) {
			t.Errorf("checkDescriptors(1000 hosts, limit %d) = %v, want ErrDescriptorLimit saying ulimit -n %d", tt.limit, err, need)
		}
	}
}
