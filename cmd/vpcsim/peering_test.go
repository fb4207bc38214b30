package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/daemon"
	"github.com/vpcsim/vpcsim/topology"
)

const (
	me      = "100000000001"
	partner = "200000000002"
)

var created = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// cliTopology: vpc1 (with rtb-a for subnet-a) and vpc2 of me, vpc3 of
// partner, one region; pcx-1 joins vpc1 and vpc2 with routes at both ends.
func cliTopology() *topology.Topology {
	vpc := func(id, acct, cidr string, tables ...string) topology.VPC {
		v := topology.VPC{ID: id, Account: acct, Region: "wuhan", CIDR: netip.MustParsePrefix(cidr)}
		v.RouteTables = []topology.RouteTable{{ID: v.DefaultRouteTable()}}
		for _, rt := range tables {
			v.RouteTables = append(v.RouteTables, topology.RouteTable{ID: rt})
		}
		return v
	}
	vpc1 := vpc("vpc1", me, "192.168.0.0/16", "rtb-a")
	vpc1.Subnets = []topology.Subnet{{ID: "subnet-a", CIDR: netip.MustParsePrefix("192.168.1.0/24"), RouteTable: "rtb-a"}}
	vpc1.RouteTables[1].Routes = []topology.Route{{Destination: netip.MustParsePrefix("10.0.1.0/24"), NextHopType: "peering", NextHop: "pcx-1"}}
	vpc2 := vpc("vpc2", me, "10.0.0.0/16")
	vpc2.Subnets = []topology.Subnet{{ID: "subnet-b", CIDR: netip.MustParsePrefix("10.0.1.0/24"), RouteTable: "vpc2-default"}}
	vpc2.RouteTables[0].Routes = []topology.Route{{Destination: netip.MustParsePrefix("192.168.1.0/24"), NextHopType: "peering", NextHop: "pcx-1"}}
	return &topology.Topology{
		File: "cli.yaml", Name: "cli", Region: "wuhan", PeeringExpiry: 168 * time.Hour, PeeringsPerVPC: 10,
		Accounts: []topology.Account{{ID: me, Name: "me"}, {ID: partner, Name: "partner"}},
		VPCs:     []topology.VPC{vpc1, vpc2, vpc("vpc3", partner, "172.16.0.0/16")},
		Peerings: []topology.Peering{{ID: "pcx-1", Name: "PeerConn", VPC: "vpc1", PeerVPC: "vpc2", PeerAccount: me}},
	}
}

// tempRunDir points VPCSIM_RUN_DIR at a new temporary directory, short
// enough for socket paths, and VPCSIM_STATE_DIR at one beside it, and
// clears VPCSIM_ACCOUNT.
func tempRunDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "vpcsim-cli")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	t.Setenv(api.RunDirEnv, dir)
	t.Setenv(daemon.StateDirEnv, filepath.Join(dir, "state"))
	t.Setenv("VPCSIM_ACCOUNT", "")
	return dir
}

// startTopology serves a control state of cliTopology on name.sock in the
// run directory set by tempRunDir.
func startTopology(t *testing.T, name string) *control.State {
	t.Helper()
	st, err := control.New(cliTopology(), control.Options{Now: func() time.Time { return created }})
	if err != nil {
		t.Fatalf("control.New: %v", err)
	}
	serveFake(t, name, st, &fakeBackend{})
	return st
}

// vpcsim runs the command line as main does, and returns what it printed
// and its exit status.
func vpcsim(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), code
}

// mustRun runs the command line and fails unless it succeeds.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := vpcsim(t, args...)
	if code != 0 {
		t.Fatalf("vpcsim %s: exit %d, stderr %q", strings.Join(args, " "), code, errOut)
	}
	return out
}

func TestPeeringCommands(t *testing.T) {
	tempRunDir(t)
	startTopology(t, "cli")

	out := mustRun(t, "peering", "list")
	want := `ID     NAME      STATUS  VPC   PEER VPC  ACCOUNT       PEER ACCOUNT  REGION  EXPIRES
pcx-1  PeerConn  active  vpc1  vpc2      100000000001  100000000001  wuhan   -
`
	if out != want {
		t.Errorf("peering list =\n%s\nwant\n%s", out, want)
	}

	// A cross-account request, as JSON.
	out = mustRun(t, "peering", "create", "--vpc", "vpc1", "--peer-vpc", "vpc3", "--peer-account", partner, "--name", "x", "-o", "json")
	var p map[string]any
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("peering create -o json printed %q: %v", out, err)
	}
	for _, k := range []string{"id", "name", "status", "vpc", "peer_vpc", "account", "peer_account", "region", "created_at", "expires_at"} {
		if _, ok := p[k]; !ok {
			t.Errorf("peering JSON %s lacks %q", out, k)
		}
	}
	if p["status"] != "pending-acceptance" || p["expires_at"] != "2026-03-11T05:06:07Z" || p["created_at"] != "2026-03-04T05:06:07Z" {
		t.Errorf("peering create JSON = %v", p)
	}
	id := p["id"].(string)

	// The partner sees it, through the environment.
	t.Setenv("VPCSIM_ACCOUNT", partner)
	out = mustRun(t, "peering", "list", "-o", "json")
	var ps []control.Peering
	if err := json.Unmarshal([]byte(out), &ps); err != nil || len(ps) != 1 || ps[0].ID != id {
		t.Fatalf("peering list as partner = %s (%v), want only %s", out, err, id)
	}
	// The requester cannot accept it.
	_, errOut, code := vpcsim(t, "peering", "accept", id, "--account", me)
	if want := fmt.Sprintf("error: NotPermitted: only the accepter account %s can accept peering %s\n", partner, id); errOut != want || code != 1 {
		t.Errorf("peering accept by the requester: exit %d, stderr %q; want 1, %q", code, errOut, want)
	}
	out = mustRun(t, "peering", "accept", id)
	if !strings.Contains(out, id) || !strings.Contains(out, " active ") {
		t.Errorf("peering accept printed %q, want %s active", out, id)
	}
	out = mustRun(t, "peering", "delete", id)
	if !strings.Contains(out, " deleted ") {
		t.Errorf("peering delete printed %q", out)
	}
	t.Setenv("VPCSIM_ACCOUNT", "")

	// Reject a new one; it leaves the default list but not --all.
	out = mustRun(t, "peering", "create", "--vpc", "vpc2", "--peer-vpc", "vpc3", "--peer-account", partner, "-o", "json")
	var q control.Peering
	if err := json.Unmarshal([]byte(out), &q); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "--account", partner, "peering", "reject", q.ID)
	out = mustRun(t, "peering", "list")
	if strings.Contains(out, q.ID) || strings.Contains(out, id) {
		t.Errorf("peering list shows rejected or deleted peerings:\n%s", out)
	}
	out = mustRun(t, "peering", "list", "--all")
	if !hasRow(out, q.ID, "-", "rejected") || !hasRow(out, id, "x", "deleted") {
		t.Errorf("peering list --all =\n%s\nwant %s rejected and %s", out, q.ID, id)
	}
	out = mustRun(t, "--account", partner, "peering", "list")
	if out != "No peerings.\n" {
		t.Errorf("peering list as partner = %q, want none", out)
	}
}

func TestPeeringShow(t *testing.T) {
	tempRunDir(t)
	startTopology(t, "cli")
	out := mustRun(t, "peering", "show", "pcx-1")
	want := `ID:        pcx-1
Name:      PeerConn
Status:    active
VPC:       vpc1 (account 100000000001)
Peer VPC:  vpc2 (account 100000000001)
Region:    wuhan
Created:   2026-03-04T05:06:07Z
Expires:   -

ROUTE TABLE   VPC   DESTINATION     SUBNETS
rtb-a         vpc1  10.0.1.0/24     subnet-a
vpc2-default  vpc2  192.168.1.0/24  subnet-b
`
	if out != want {
		t.Errorf("peering show =\n%s\nwant\n%s", out, want)
	}
	out = mustRun(t, "peering", "show", "pcx-1", "-o", "json")
	var d struct {
		ID     string `json:"id"`
		Routes []struct {
			RouteTable  string   `json:"route_table"`
			Destination string   `json:"destination"`
			Subnets     []string `json:"subnets"`
		} `json:"routes"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil || d.ID != "pcx-1" || len(d.Routes) != 2 || d.Routes[0].Subnets[0] != "subnet-a" {
		t.Errorf("peering show -o json = %s (%v)", out, err)
	}
}

func TestPeeringErrors(t *testing.T) {
	tempRunDir(t)
	startTopology(t, "cli")
	tests := []struct {
		args   []string
		stderr string
		code   int
	}{
		{[]string{"peering", "create", "--vpc", "vpc1", "--peer-vpc", "vpc2"}, "error: PeeringAlreadyExists: peering pcx-1 (active) already joins vpc1 and vpc2\n", 1},
		{[]string{"peering", "create", "--vpc", "vpc1", "--peer-vpc", "vpc3"}, `error: VpcNotFound: vpc "vpc3" not found in account 100000000001` + "\n", 1},
		{[]string{"peering", "create", "--vpc", "vpc1"}, "error: both --vpc and --peer-vpc are required\n", 2},
		{[]string{"peering", "accept"}, "error: accepts 1 arg(s), received 0\n", 2},
		{[]string{"peering", "show", "pcx-9"}, `error: PeeringNotFound: peering "pcx-9" not found in account 100000000001` + "\n", 1},
		{[]string{"peering", "delete", "pcx-1", "--account", "42"}, `error: AccountNotFound: account "42" not found` + "\n", 1},
		{[]string{"peering", "list", "--topology", "other"}, "error: TopologyNotRunning: topology \"other\" is not running (no socket " + api.SocketPath("other") + ")\n", 1},
		{[]string{"peering", "list", "-o", "yaml"}, "error: invalid --output \"yaml\": want table or json\n", 2},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, errOut, code := vpcsim(t, tt.args...)
			if errOut != tt.stderr || code != tt.code || out != "" {
				t.Errorf("vpcsim %s: exit %d, stdout %q, stderr %q; want exit %d, stderr %q",
					strings.Join(tt.args, " "), code, out, errOut, tt.code, tt.stderr)
			}
		})
	}
}

func TestDialTopology(t *testing.T) {
	dir := tempRunDir(t)

	_, errOut, code := vpcsim(t, "account")
	if want := "error: TopologyNotRunning: no topology is running; start one with \"vpcsim up\"\n"; errOut != want || code != 1 {
		t.Errorf("account with nothing running: exit %d, stderr %q; want 1, %q", code, errOut, want)
	}

	startTopology(t, "one")
	if out := mustRun(t, "account"); out != "ID            NAME\n100000000001  me\n" {
		t.Errorf("account = %q", out)
	}
	startTopology(t, "two")
	_, errOut, code = vpcsim(t, "account")
	if want := "error: MissingParameter: 2 topologies are running (one, two); choose one with --topology\n"; errOut != want || code != 1 {
		t.Errorf("account with two running: exit %d, stderr %q; want 1, %q", code, errOut, want)
	}
	if out := mustRun(t, "account", "--topology", "two", "--account", partner, "-o", "json"); out != "{\n  \"id\": \"200000000002\",\n  \"name\": \"partner\"\n}\n" {
		t.Errorf("account --topology two -o json = %q", out)
	}
	_, errOut, code = vpcsim(t, "account", "--topology", "../two")
	if code != 2 || !strings.Contains(errOut, "invalid --topology") {
		t.Errorf("account --topology ../two: exit %d, stderr %q; want a usage error", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "one.sock")); err != nil {
		t.Errorf("socket one.sock: %v", err)
	}
}

// hasRow reports whether a line of the table out starts with the cells.
func hasRow(out string, cells ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= len(cells) && strings.Join(f[:len(cells)], " ") == strings.Join(cells, " ") {
			return true
		}
	}
	return false
}
