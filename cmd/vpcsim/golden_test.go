package main

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/router"
)

var update = flag.Bool("update", false, "rewrite the golden files of TestJSONShapes")

// TestJSONShapes pins what -o json prints, command by command, against
// testdata/json/*.json: the keys, their order and types, [] for empty lists
// and "" for empty strings. Run with -update to rewrite the files after a
// deliberate change, and read the diff.
func TestJSONShapes(t *testing.T) {
	tempRunDir(t)
	st, err := control.New(cliTopology(), control.Options{Now: func() time.Time { return created }})
	if err != nil {
		t.Fatal(err)
	}
	serveFake(t, "cli", st, &fakeBackend{
		status: func(acct string) (api.Status, error) {
			ps, err := st.Peerings(acct, false)
			return api.Status{
				Name: "cli", State: api.StateRunning, PID: 42, File: "cli.yaml", Started: created, Region: "wuhan", MTU: 1500,
				VPCs: []api.VPCStatus{
					{ID: "vpc1", Account: me, Region: "wuhan", CIDR: "192.168.0.0/16",
						Subnets: []api.SubnetStatus{{ID: "subnet-a", CIDR: "192.168.1.0/24", Gateway: "192.168.1.1", RouteTable: "rtb-a"}}},
				},
				Hosts:     []api.HostStatus{{Name: "a1", VPC: "vpc1", Subnet: "subnet-a", IP: "192.168.1.10", Namespace: "cli-a1"}},
				Peerings:  ps,
				DataPlane: api.DataPlaneStatus{InStep: true, Checked: created, Differences: []string{}},
			}, err
		},
		stats: func(api.StatsFilter) (api.Stats, error) {
			return api.Stats{
				VPCs:  []router.VPCStats{{VPC: "vpc1", Received: router.Count{Packets: 3, Bytes: 252}, Drops: router.Drops{router.DropNoRoute: 1}}},
				Links: []router.LinkStats{{Peering: "pcx-1", From: "vpc1", To: "vpc2", Count: router.Count{Packets: 2, Bytes: 168}, Drops: router.Drops{}}},
				Hosts: []router.HostStats{{Host: "a1", VPC: "vpc1", TX: router.Count{Packets: 3, Bytes: 252}, RX: router.Count{Packets: 2, Bytes: 168}}},
				Lanes: []router.LaneStats{{Lane: 0, Read: router.Count{Packets: 3, Bytes: 252}}},
			}, nil
		},
	})
	writeRecord(t, "cli")
	startLab(t)

	tests := []struct {
		name string
		args []string
	}{
		{"status", []string{"status"}},
		{"peering-create", []string{"peering", "create", "--vpc", "vpc1", "--peer-vpc", "vpc3", "--peer-account", partner}},
		{"peering-list", []string{"peering", "list"}},
		{"peering-list-empty", []string{"peering", "list", "--region", "nowhere"}},
		{"peering-show", []string{"peering", "show", "PeerConn"}},
		{"route-add", []string{"route", "add", "--table", "vpc2-default", "--destination", "172.16.0.0/16", "--peering", "pcx-1"}},
		{"route-list", []string{"route", "list", "--vpc", "vpc2"}},
		{"route-delete", []string{"route", "delete", "--table", "rtb-a", "--destination", "10.0.1.0/24"}},
		{"peering-delete", []string{"peering", "delete", "pcx-1"}},
		{"account", []string{"account"}},
		{"account-list", []string{"account", "list"}},
		{"stats", []string{"stats"}},
		{"events", []string{"events"}},
		{"explain", []string{"--topology", "lab", "explain", "a1", "p1"}},
		{"validate", []string{"validate", "../../examples/best-practice.yaml"}},
		{"validate-errors", []string{"validate", "testdata/bad.yaml"}},
		{"graph", []string{"graph", "../../examples/best-practice.yaml"}},
		{"check", []string{"check", "--no-probe", "../../examples/non-transitive.yaml"}},
		{"reach", []string{"reach", "../../examples/non-transitive.yaml"}},
		{"version", []string{"version"}},
		{"error", []string{"peering", "show", "pcx-9"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(tt.args, "-o", "json")
			if !slices.Contains(args, "--topology") {
				args = append([]string{"--topology", "cli"}, args...)
			}
			out, errOut, _ := vpcsim(t, args...)
			if tt.name == "error" {
				out = errOut
			} else if errOut != "" && !strings.HasPrefix(tt.name, "validate") {
				t.Fatalf("vpcsim %s: stderr %q", strings.Join(args, " "), errOut)
			}
			got := normalize(out)
			file := filepath.Join("testdata", "json", tt.name+".json")
			if *update {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test -run TestJSONShapes -update)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("vpcsim %s (-%s +got):\n%s", strings.Join(args, " "), file, diff)
			}
			// Only an absent object or time may be null, never a list.
			if nulls := regexp.MustCompile(`"(\w+)": null`).FindAllStringSubmatch(got, -1); len(nulls) > 0 {
				for _, n := range nulls {
					if n[1] != "probe" && n[1] != "blocked" && n[1] != "explain" && n[1] != "expires_at" {
						t.Errorf("vpcsim %s printed %s", strings.Join(args, " "), n[0])
					}
				}
			}
		})
	}
}

// normalize replaces what differs from run to run: generated peering ids,
// times of now and durations, the build's version.
func normalize(s string) string {
	for _, r := range []struct{ re, with string }{
		{`pcx-[0-9a-f]{8}`, "pcx-GENERATED"},
		{`"(version|commit|go_version|platform)": "[^"]*"`, `"$1": "X"`},
		{`"seconds": [0-9.e-]+`, `"seconds": 0`},
	} {
		s = regexp.MustCompile(r.re).ReplaceAllString(s, r.with)
	}
	return s
}
