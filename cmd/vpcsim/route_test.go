package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
)

func TestRouteCommands(t *testing.T) {
	tempRunDir(t)
	st := startTopology(t, "cli")

	out := mustRun(t, "route", "list")
	want := `ROUTE TABLE   DESTINATION     NEXT HOP TYPE  NEXT HOP
vpc1-default  192.168.0.0/16  local          local
rtb-a         192.168.0.0/16  local          local
rtb-a         10.0.1.0/24     peering        pcx-1
vpc2-default  10.0.0.0/16     local          local
vpc2-default  192.168.1.0/24  peering        pcx-1
`
	if out != want {
		t.Errorf("route list =\n%s\nwant\n%s", out, want)
	}

	out = mustRun(t, "route", "add", "--table", "vpc1-default", "--destination", "10.0.2.0/24", "--peering", "pcx-1", "-o", "json")
	var r api.RouteChange
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("route add -o json printed %q: %v", out, err)
	}
	wantRoute := api.RouteChange{
		Route:    control.Route{RouteTable: "vpc1-default", Destination: "10.0.2.0/24", NextHopType: "peering", NextHop: "pcx-1"},
		Warnings: []string{},
	}
	if diff := cmp.Diff(wantRoute, r); diff != "" || !strings.Contains(out, `"warnings": []`) {
		t.Errorf("route add -o json (-want +got):\n%s\n%s", diff, out)
	}

	// Beyond the peer VPC: accepted, with a warning on stderr only.
	out, errOut, code := vpcsim(t, "route", "add", "--table", "vpc1-default", "--destination", "10.1.0.0/16", "--peering", "pcx-1")
	if code != 0 || !hasRow(out, "vpc1-default", "10.1.0.0/16", "peering", "pcx-1") ||
		!strings.HasPrefix(errOut, "warning: destination 10.1.0.0/16 is not inside vpc2's CIDR 10.0.0.0/16") {
		t.Errorf("route add beyond the peer: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	mustRun(t, "route", "delete", "--table", "vpc1-default", "--destination", "10.1.0.0/16")
	if tb, _ := st.Table("vpc1-default"); len(tb.Routes) != 2 {
		t.Errorf("after route add, table vpc1-default = %+v", tb)
	}

	out = mustRun(t, "route", "list", "--table", "vpc1-default", "-o", "json")
	var rs []control.Route
	if err := json.Unmarshal([]byte(out), &rs); err != nil || len(rs) != 2 || rs[0].NextHopType != "local" || rs[1].Destination != "10.0.2.0/24" {
		t.Errorf("route list --table vpc1-default -o json = %s (%v)", out, err)
	}
	out = mustRun(t, "route", "list", "--vpc", "vpc2")
	if strings.Count(out, "\n") != 3 || !strings.Contains(out, "vpc2-default") || strings.Contains(out, "rtb-a") {
		t.Errorf("route list --vpc vpc2 =\n%s", out)
	}

	// Replace: to another destination and back, in one step each.
	out, errOut, code = vpcsim(t, "route", "replace", "--table", "vpc1-default", "--destination", "10.0.2.0/24", "--new-destination", "10.9.0.0/16", "--peering", "pcx-1")
	if code != 0 || !hasRow(out, "vpc1-default", "10.9.0.0/16", "peering", "pcx-1") || !strings.HasPrefix(errOut, "warning: destination 10.9.0.0/16 is not inside vpc2's CIDR") {
		t.Errorf("route replace --new-destination: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	out = mustRun(t, "route", "replace", "--table", "vpc1-default", "--destination", "10.9.0.0/16", "--new-destination", "10.0.2.0/24", "--peering", "pcx-1", "-o", "json")
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.Destination != "10.0.2.0/24" || len(r.Warnings) != 0 {
		t.Errorf("route replace -o json printed %q: %v", out, err)
	}
	if tb, _ := st.Table("vpc1-default"); len(tb.Routes) != 2 {
		t.Errorf("after route replace, table vpc1-default = %+v", tb)
	}

	out = mustRun(t, "route", "delete", "--table", "vpc1-default", "--destination", "10.0.2.0/24")
	if !hasRow(out, "vpc1-default", "10.0.2.0/24", "peering", "pcx-1") {
		t.Errorf("route delete printed\n%s", out)
	}

	// Deleting the peering takes its routes along.
	mustRun(t, "peering", "delete", "pcx-1")
	out = mustRun(t, "route", "list")
	if strings.Contains(out, "pcx-1") {
		t.Errorf("after peering delete, route list =\n%s", out)
	}
	out = mustRun(t, "--account", partner, "route", "list", "--vpc", "vpc3")
	if !hasRow(out, "vpc3-default", "172.16.0.0/16", "local", "local") {
		t.Errorf("route list as partner =\n%s", out)
	}
}

func TestRouteErrors(t *testing.T) {
	tempRunDir(t)
	startTopology(t, "cli")
	tests := []struct {
		args   []string
		stderr string
		code   int
	}{
		{[]string{"route", "add", "--table", "rtb-a", "--destination", "10.0.1.0/24", "--peering", "pcx-1"},
			`error: RouteAlreadyExists: route table "rtb-a" already has a route to 10.0.1.0/24 (via pcx-1)` + "\n", 1},
		{[]string{"route", "add", "--table", "rtb-a", "--destination", "192.168.7.0/24", "--peering", "pcx-1"},
			`error: DestinationOverlapsLocal: route table "rtb-a": destination 192.168.7.0/24 overlaps the local route 192.168.0.0/16 of vpc vpc1` + "\n", 1},
		{[]string{"route", "add", "--table", "rtb-a", "--destination", "10.0.1.0/99", "--peering", "pcx-1"},
			`error: InvalidParameter: invalid destination "10.0.1.0/99": want an IPv4 CIDR such as 10.0.1.0/24` + "\n", 1},
		{[]string{"route", "add", "--table", "rtb-a", "--destination", "10.0.2.9/24", "--peering", "pcx-1"},
			"error: InvalidParameter: destination 10.0.2.9/24 is not a network address: its network is 10.0.2.0/24\n", 1},
		{[]string{"route", "add", "--table", "rtb-a", "--destination", "10.0.1.0/24"},
			"error: --table, --destination and --peering are required\n", 2},
		{[]string{"route", "replace", "--table", "rtb-a", "--destination", "10.9.0.0/16", "--peering", "pcx-1"},
			`error: RouteNotFound: route table "rtb-a" has no route to 10.9.0.0/16` + "\n", 1},
		{[]string{"route", "replace", "--table", "rtb-a", "--destination", "10.0.1.0/24", "--new-destination", "192.168.7.0/24", "--peering", "pcx-1"},
			`error: DestinationOverlapsLocal: route table "rtb-a": destination 192.168.7.0/24 overlaps the local route 192.168.0.0/16 of vpc vpc1` + "\n", 1},
		{[]string{"route", "replace", "--table", "rtb-a", "--destination", "10.0.1.0/24"},
			"error: --table, --destination and --peering are required\n", 2},
		{[]string{"route", "delete", "--table", "rtb-a", "--destination", "10.9.0.0/16"},
			`error: RouteNotFound: route table "rtb-a" has no route to 10.9.0.0/16` + "\n", 1},
		{[]string{"route", "delete", "--table", "rtb-a"}, "error: --table and --destination are required\n", 2},
		{[]string{"route", "list", "--table", "rtb-a", "--account", partner},
			`error: RouteTableNotFound: route table "rtb-a" not found in account 200000000002` + "\n", 1},
		{[]string{"route", "list", "--vpc", "vpc3"}, `error: VpcNotFound: vpc "vpc3" not found in account 100000000001` + "\n", 1},
		{[]string{"route", "list", "extra"}, "error: unknown command \"extra\" for \"vpcsim route list\"\n", 2},
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

func TestAccountCommand(t *testing.T) {
	tempRunDir(t)
	startTopology(t, "cli")
	tests := []struct {
		args   []string
		env    string
		stdout string
		stderr string
		code   int
	}{
		{args: []string{"account"}, stdout: "ID            NAME\n100000000001  me\n"},
		{args: []string{"account", "-o", "json"}, stdout: "{\n  \"id\": \"100000000001\",\n  \"name\": \"me\"\n}\n"},
		{args: []string{"account"}, env: partner, stdout: "ID            NAME\n200000000002  partner\n"},
		{args: []string{"account", "--account", me}, env: partner, stdout: "ID            NAME\n100000000001  me\n"},
		{args: []string{"account", "--account", "7"}, stderr: "error: AccountNotFound: account \"7\" not found\n", code: 1},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " ")+" "+tt.env, func(t *testing.T) {
			t.Setenv("VPCSIM_ACCOUNT", tt.env)
			out, errOut, code := vpcsim(t, tt.args...)
			if out != tt.stdout || errOut != tt.stderr || code != tt.code {
				t.Errorf("vpcsim %s (VPCSIM_ACCOUNT=%s): exit %d, stdout %q, stderr %q; want %d, %q, %q",
					strings.Join(tt.args, " "), tt.env, code, out, errOut, tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}
