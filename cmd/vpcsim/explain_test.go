package main

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/explain"
	"github.com/vpcsim/vpcsim/topology"
)

// startLab serves the lab topology of package explain on lab.sock, with an
// explain endpoint that analyses without probing, as the daemon does.
func startLab(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile("../../explain/testdata/lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	topo, err := topology.Parse("lab.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	st, err := control.New(topo, control.Options{})
	if err != nil {
		t.Fatal(err)
	}
	serveFake(t, "lab", st, &fakeBackend{explain: func(req api.ExplainRequest) (*explain.Result, error) {
		res, err := explain.Explain(st, req.Request)
		if errors.Is(err, explain.ErrInvalidRequest) {
			err = control.Errorf(control.CodeInvalidParameter, "%v", err)
		}
		return res, err
	}})
}

func TestExplainCommand(t *testing.T) {
	tempRunDir(t)
	startLab(t)

	out := mustRun(t, "explain", "a1", "p1")
	for _, want := range []string{
		"a1 (192.168.1.10, vpc1) -> p1 (172.16.1.10, vpc4), icmp: UNREACHABLE\n",
		"FORWARD  unreachable\nSTEP  COMPONENT    ID        VERDICT  DETAIL\n",
		"3     route_table  rtb-a     BLOCKED  no route matches 172.16.1.10",
		"blocked: NO_ROUTE at route_table rtb-a (the router of vpc1 counts it as no_route)\n",
		"vpcsim route add --table rtb-a --destination 172.16.0.0/16 --peering pcx-14",
		"RETURN  reachable\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("explain a1 p1 printed\n%s\nwant it to contain %q", out, want)
		}
	}

	out = mustRun(t, "explain", "a1", "b1", "--protocol", "tcp", "--port", "80", "-o", "json")
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("explain -o json printed %q: %v", out, err)
	}
	for _, k := range []string{"source", "destination", "protocol", "port", "verdict", "forward", "return"} {
		if _, ok := res[k]; !ok {
			t.Errorf("explain JSON lacks %q: %s", k, out)
		}
	}
	if res["verdict"] != "reachable" || res["port"] != 80.0 {
		t.Errorf("explain JSON verdict %v port %v, want reachable 80", res["verdict"], res["port"])
	}

	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"explain", "a1"}, 2, "accepts 2 arg(s)"},
		{[]string{"explain", "a1", "b1", "--protocol", "sctp"}, 2, `invalid --protocol "sctp"`},
		{[]string{"explain", "a1", "b1", "--port", "80"}, 2, "--port needs --protocol tcp or udp"},
		{[]string{"explain", "a1", "b1", "--protocol", "udp", "--port", "0"}, 2, "invalid --port 0"},
		{[]string{"explain", "a1", "nosuch"}, 1, "error: InvalidParameter: invalid explain request: destination \"nosuch\""},
	} {
		_, errOut, code := vpcsim(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("vpcsim %s: exit %d, stderr %q; want exit %d with %q", strings.Join(tc.args, " "), code, errOut, tc.code, tc.msg)
		}
	}
}

func TestWriteExplainProbe(t *testing.T) {
	for _, tc := range []struct {
		probe explain.Probe
		want  string
	}{
		{explain.Probe{Method: "ping", Sent: true, Outcome: "no echo reply", Agrees: true, Note: "vpc3 counted no_route drops",
			Drops: map[string]map[string]uint64{"vpc3": {"no_route": 2}}},
			"\nPROBE  ping: no echo reply\n  drops: vpc3 no_route +2\n  agrees with the analysis: vpc3 counted no_route drops\n"},
		{explain.Probe{Method: "ping", Sent: true, OK: true, Outcome: "echo reply received", Note: "the analysis found the path blocked, but an answer came back"},
			"\nPROBE  ping: echo reply received\n  DISAGREES with the analysis: the analysis found the path blocked, but an answer came back\n"},
		{explain.Probe{Method: "udp", Outcome: "not sent", Note: "probes need Linux network namespaces"},
			"\nPROBE  udp: not sent\n  nothing was sent: probes need Linux network namespaces\n"},
	} {
		var b strings.Builder
		res := &explain.Result{Verdict: explain.Unreachable, Probe: &tc.probe}
		if err := writeExplain(&b, res); err != nil {
			t.Fatal(err)
		}
		if got := b.String(); !strings.HasSuffix(got, tc.want) {
			t.Errorf("writeExplain(probe %+v) printed\n%s\nwant it to end with\n%s", tc.probe, got, tc.want)
		}
	}
}

func TestFixCommands(t *testing.T) {
	const (
		me      = "100000000001"
		partner = "200000000002"
	)
	msg := "account " + partner + " must accept it (vpcsim --account " + partner + " peering accept pcx-1), then add a route: vpcsim --account " + me + " route add --table rtb-a --destination 10.0.1.0/24 --peering pcx-1"
	tests := []struct{ topo, want string }{
		{"", "account " + partner + " must accept it (vpcsim --account " + partner + " peering accept pcx-1), then add a route: vpcsim route add --table rtb-a --destination 10.0.1.0/24 --peering pcx-1"},
		{"lab", "account " + partner + " must accept it (vpcsim --topology lab --account " + partner + " peering accept pcx-1), then add a route: vpcsim --topology lab route add --table rtb-a --destination 10.0.1.0/24 --peering pcx-1"},
	}
	for _, tt := range tests {
		res := &explain.Result{Return: explain.Path{Blocked: &explain.Blocked{Message: msg}}}
		fixCommands(res, me, tt.topo)
		if got := res.Return.Blocked.Message; got != tt.want {
			t.Errorf("fixCommands(topology %q):\n got %s\nwant %s", tt.topo, got, tt.want)
		}
	}
}
