package main

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vpcsim/vpcsim/examples"
	"github.com/vpcsim/vpcsim/tun/tuntest"
)

// Integration tests of vpcsim check, reach and save --expect: real
// namespaces, real ping and TCP/UDP probes.

// intentTopology is three VPCs: vpc1 peered with vpc2 and vpc3, with
// routes at both ends; vpc2 and vpc3 try to reach each other through
// vpc1. vpc4 is peered with none. Its rules all hold; the first is on
// line 37.
const intentTopology = `name: NAME
vpcs:
  - id: vpc1
    cidr: 10.1.0.0/16
    subnets: [{id: s1, cidr: 10.1.1.0/24}]
    route_tables:
      - id: vpc1-default
        routes:
          - {destination: 10.2.0.0/16, next_hop_type: peering, next_hop: pcx-12}
          - {destination: 10.3.0.0/16, next_hop_type: peering, next_hop: pcx-13}
    hosts: [{name: h1, subnet: s1, ip: 10.1.1.10}, {name: h1b, subnet: s1, ip: 10.1.1.11}]
  - id: vpc2
    cidr: 10.2.0.0/16
    subnets: [{id: s2, cidr: 10.2.1.0/24}]
    route_tables:
      - id: vpc2-default
        routes:
          - {destination: 10.1.0.0/16, next_hop_type: peering, next_hop: pcx-12}
          - {destination: 10.3.0.0/16, next_hop_type: peering, next_hop: pcx-12}
    hosts: [{name: h2, subnet: s2, ip: 10.2.1.10}]
  - id: vpc3
    cidr: 10.3.0.0/16
    subnets: [{id: s3, cidr: 10.3.1.0/24}]
    route_tables:
      - id: vpc3-default
        routes:
          - {destination: 10.1.0.0/16, next_hop_type: peering, next_hop: pcx-13}
    hosts: [{name: h3, subnet: s3, ip: 10.3.1.10}]
  - id: vpc4
    cidr: 10.4.0.0/16
    subnets: [{id: s4, cidr: 10.4.1.0/24}]
    hosts: [{name: h4, subnet: s4, ip: 10.4.1.10}]
peerings:
  - {id: pcx-12, vpc: vpc1, peer_vpc: vpc2}
  - {id: pcx-13, vpc: vpc1, peer_vpc: vpc3}
expect:
  - {from: vpc1, to: vpc2, reach: true}
  - {from: h3, to: vpc1, reach: true}
  - {from: h2, to: h1, protocol: tcp, port: 5201, reach: true}
  - {from: vpc1, to: h3, protocol: udp, port: 5353, reach: true}
  - {from: h2, to: h3, reach: false, because: NOT_TRANSITIVE}
  - {from: h3, to: h2, protocol: tcp, port: 22, reach: false, because: NO_ROUTE}
  - {from: h1, to: vpc4, reach: false, because: NO_ROUTE}
  - {from: h1, to: 10.2.1.99, reach: false, because: NO_HOST}
`

// intentFirstRule is the line of intentTopology's first rule.
const intentFirstRule = 37

// junitReport is JUnit XML as a CI system reads it.
type junitReport struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Suites   []struct {
		Cases []struct {
			Name    string `xml:"name,attr"`
			File    string `xml:"file,attr"`
			Line    int    `xml:"line,attr"`
			Failure *struct {
				Type string `xml:"type,attr"`
				Text string `xml:",chardata"`
			} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// checkFile runs vpcsim check FILE with JUnit output, and returns what it
// printed, its exit status and the JUnit report. Whatever happens, the
// topology it launched is gone afterwards.
func checkFile(t *testing.T, name, file string) (result, junitReport) {
	t.Helper()
	t.Cleanup(func() {
		runBin(t, "down", name)
		if left := netnsWithPrefix(t, name+"-"); len(left) > 0 {
			t.Errorf("namespaces left after check: %v", left)
		}
	})
	junit := filepath.Join(t.TempDir(), "junit.xml")
	r := runBin(t, "check", file, "--junit", junit)
	var j junitReport
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatalf("check wrote no JUnit: %v\n%s%s", err, r.stdout, r.stderr)
	}
	dec := xml.NewDecoder(strings.NewReader(string(b)))
	dec.Strict = true
	if err := dec.Decode(&j); err != nil {
		t.Fatalf("the JUnit of check does not parse: %v\n%s", err, b)
	}
	if len(j.Suites) != 1 {
		t.Fatalf("JUnit with %d test suites, want 1:\n%s", len(j.Suites), b)
	}
	if left := netnsWithPrefix(t, name+"-"); len(left) > 0 {
		t.Errorf("check left namespaces: %v", left)
	}
	return r, j
}

// TestNSCheck: a file whose rules all hold passes, by analysis and real
// packets; one wrong rule of each kind fails the check, which names it
// with its trace, and JUnit has a test case per rule.
func TestNSCheck(t *testing.T) {
	tuntest.NeedRoot(t, "ping")
	name, file := writeTopology(t, "ck", intentTopology)
	r, j := checkFile(t, name, file)
	if r.code != 0 {
		t.Fatalf("check of rules that hold: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "by analysis and real packets") || !strings.Contains(r.stdout, "\nok: 8 of 8 expectations hold; the real packets of every pair agree with the analysis (") {
		t.Errorf("check printed\n%s", r.stdout)
	}
	if j.Tests != 8 || j.Failures != 0 || len(j.Suites[0].Cases) != 8 {
		t.Errorf("JUnit: %d tests, %d failures, %d cases; want 8, 0, 8", j.Tests, j.Failures, len(j.Suites[0].Cases))
	}
	for i, c := range j.Suites[0].Cases {
		if c.File != file || c.Line != intentFirstRule+i || c.Failure != nil {
			t.Errorf("JUnit case %d %q: %s:%d, failure %v", i, c.Name, c.File, c.Line, c.Failure)
		}
	}

	for _, tc := range []struct {
		name, rule string
		kind       string
		want       []string // in what check prints
	}{
		{"reach true that fails", "{from: vpc2, to: vpc3, reach: true}", "unreachable", []string{
			"vpc2 -> vpc3, icmp: reachable (1 pair)\n      h2 -> h3: want reachable; the analysis finds it unreachable: NOT_TRANSITIVE at vpc vpc1\n      probe (ping): no echo reply\n      FORWARD  unreachable\n",
			"      blocked: NOT_TRANSITIVE at vpc vpc1 (the router of vpc1 counts it as not_transitive)\n      fix: vpc1 does not forward traffic between its peerings",
		}},
		{"reach false that succeeds", "{from: h1b, to: h2, protocol: udp, port: 53, reach: false}", "reachable", []string{
			"h1b -> h2, udp port 53: unreachable\n      h1b -> h2: want unreachable; the analysis finds the path open both ways\n      probe (udp): the message came back from 10.2.1.10:53\n      FORWARD  reachable\n",
			"      fix: the path crosses peering pcx-12; to block it, delete its route over pcx-12 in route table vpc1-default or vpc2-default",
		}},
		{"wrong because", "{from: h4, to: h1, reach: false, because: MISSING_RETURN_ROUTE}", "wrong_reason", []string{
			"h4 -> h1, icmp: unreachable because MISSING_RETURN_ROUTE\n      h4 -> h1: want unreachable because MISSING_RETURN_ROUTE; it is unreachable because NO_ROUTE at route_table vpc4-default\n",
			"      blocked: NO_ROUTE at route_table vpc4-default (the router of vpc4 counts it as no_route)\n",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name, file := writeTopology(t, "ck", intentTopology+"  - "+tc.rule+"\n")
			r, j := checkFile(t, name, file)
			line := intentFirstRule + 8
			if r.code != 1 {
				t.Errorf("exit %d, want 1", r.code)
			}
			if want := fmt.Sprintf("\nFAIL  %s:%d:6  ", file, line); !strings.Contains(r.stdout, want) || strings.Count(r.stdout, "\nFAIL  ") != 1 {
				t.Errorf("check printed\n%s\nwant one FAIL, at %q", r.stdout, want)
			}
			for _, want := range tc.want {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("check printed\n%s\nwant it to contain\n%s", r.stdout, want)
				}
			}
			if !strings.Contains(r.stdout, "\nFAILED: 1 of 9 expectations fails; the real packets of every pair agree with the analysis (") {
				t.Errorf("summary of\n%s", r.stdout)
			}
			cases := j.Suites[0].Cases
			if j.Tests != 9 || j.Failures != 1 || len(cases) != 9 {
				t.Fatalf("JUnit: %d tests, %d failures, %d cases; want 9, 1, 9", j.Tests, j.Failures, len(cases))
			}
			if f := cases[8].Failure; f == nil || cases[8].Line != line || f.Type != tc.kind || !strings.Contains(f.Text, tc.want[1]) {
				t.Errorf("JUnit case %+v, want the failure %s at line %d with the trace", cases[8], tc.kind, line)
			}
		})
	}
}

// TestNSCheckExamples: every rule of every example holds, by analysis and
// by real packets.
func TestNSCheckExamples(t *testing.T) {
	tuntest.NeedRoot(t, "ping")
	for _, ex := range []string{"best-practice.yaml", "non-transitive.yaml", "cross-account.yaml", "two-subnets.yaml"} {
		t.Run(ex, func(t *testing.T) {
			b, err := examples.FS.ReadFile(ex)
			if err != nil {
				t.Fatal(err)
			}
			src := strings.Replace(string(b), "\nname: "+strings.TrimSuffix(ex, ".yaml")+"\n", "\nname: NAME\n", 1)
			name, file := writeTopology(t, "ex", src)
			r, j := checkFile(t, name, file)
			if r.code != 0 || j.Failures != 0 || j.Tests < 4 {
				t.Errorf("check %s: exit %d, %d of %d rules fail\n%s%s", ex, r.code, j.Failures, j.Tests, r.stdout, r.stderr)
			}
		})
	}
}

// TestNSSaveExpectRoundTrip: a topology changed with the CLI, saved with
// its reachability matrix, torn down and checked from the saved file
// passes; with one route changed in the file, check fails and names the
// rules that broke.
func TestNSSaveExpectRoundTrip(t *testing.T) {
	tuntest.NeedRoot(t, "ping")
	name, file := writeTopology(t, "sx", intentTopology)
	up(t, name, file)
	run := func(args ...string) string { return binOK(t, append([]string{"--topology", name}, args...)...) }

	// vpc4 gets a peering with vpc1, routed at both ends; vpc3 loses its
	// route back to vpc1.
	p := decode[peeringJSON](t, run("peering", "create", "--vpc", "vpc1", "--peer-vpc", "vpc4", "-o", "json"))
	run("route", "add", "--table", "vpc1-default", "--destination", "10.4.0.0/16", "--peering", p.ID)
	run("route", "add", "--table", "vpc4-default", "--destination", "10.1.1.0/24", "--peering", p.ID)
	run("route", "delete", "--table", "vpc3-default", "--destination", "10.1.0.0/16")

	// The rules of the launch file that the changes broke fail, by
	// analysis and by real packets.
	r := runBin(t, "--topology", name, "check")
	var failed []string
	for _, l := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(l, "FAIL  ") {
			failed = append(failed, l[strings.Index(l, ".yaml:")+len(".yaml:"):])
		}
	}
	if want := []string{
		fmt.Sprintf("%d:6  h3 -> vpc1, icmp: reachable (2 pairs)", intentFirstRule+1),
		fmt.Sprintf("%d:6  vpc1 -> h3, udp port 5353: reachable (2 pairs)", intentFirstRule+3),
		fmt.Sprintf("%d:6  h1 -> vpc4, icmp: unreachable because NO_ROUTE (1 pair)", intentFirstRule+6),
	}; r.code != 1 || strings.Join(failed, "|") != strings.Join(want, "|") {
		t.Errorf("check of the changed topology: exit %d, failed %q, want exit 1 and %q\n%s", r.code, failed, want, r.stdout)
	}
	// The same file cannot be launched for a check while it runs.
	if r := runBin(t, "check", file); r.code != 1 || !strings.Contains(r.stderr, "error: AlreadyRunning: ") || !strings.Contains(r.stderr, "or check it as it runs: vpcsim check --topology "+name) {
		t.Errorf("check FILE of a running topology: exit %d, stderr %q", r.code, r.stderr)
	}
	// The matrix, by real pings too, and the graph's routes per side.
	out := run("reach", "--probe")
	for _, want := range []string{"h1 -> h1b h2 X h4\n", "h3 -> X X X X\n", "*** 10 of 20 pairs reachable (50%)\n", "h1 -> h3  MISSING_RETURN_ROUTE at route_table vpc3-default\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("reach --probe printed\n%s\nwant it to contain %q", out, want)
		}
	}
	var g struct {
		Peerings []struct {
			ID       string   `json:"id"`
			Peer     []string `json:"peer_vpc_routes"`
			OneSided bool     `json:"one_sided"`
		}
	}
	if err := json.Unmarshal([]byte(run("graph", "-o", "json")), &g); err != nil {
		t.Fatal(err)
	}
	for _, pe := range g.Peerings {
		if want := pe.ID == "pcx-13"; pe.OneSided != want {
			t.Errorf("graph: peering %s one-sided %v, want %v (peer routes %v)", pe.ID, pe.OneSided, want, pe.Peer)
		}
	}
	run("explain", "h1", "h4", "--assert", "reachable", "--probe")
	if r := runBin(t, "--topology", name, "explain", "h1", "h3", "--assert", "reachable", "--probe"); r.code != 1 || !strings.Contains(r.stderr, "assertion failed: h1 -> h3 is unreachable, not reachable") {
		t.Errorf("explain --assert reachable of a blocked pair: exit %d, stderr %q", r.code, r.stderr)
	}

	saved := filepath.Join(t.TempDir(), "saved.yaml")
	run("save", "--expect", "-o", saved)
	binOK(t, "down", name)

	r, j := checkFile(t, name, saved)
	if r.code != 0 || j.Failures != 0 {
		t.Fatalf("check of the saved file: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if j.Tests != 12 {
		t.Errorf("the saved file has %d rules, want 12: one for each ordered pair of the 4 VPCs, whose host pairs fare alike", j.Tests)
	}

	// Without vpc4's route to vpc1, vpc1 and vpc4 no longer talk.
	b, err := os.ReadFile(saved)
	if err != nil {
		t.Fatal(err)
	}
	route := "          - {destination: 10.1.1.0/24, next_hop_type: peering, next_hop: " + p.ID + "}\n"
	changed := strings.Replace(string(b), route, "", 1)
	if changed == string(b) {
		t.Fatalf("no route %q in the saved file:\n%s", route, b)
	}
	if err := os.WriteFile(saved, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	r, j = checkFile(t, name, saved)
	var broke []string
	for _, c := range j.Suites[0].Cases {
		if c.Failure != nil {
			broke = append(broke, c.Name[strings.Index(c.Name, " ")+1:])
		}
	}
	if want := []string{"vpc1 -> vpc4, icmp: reachable", "vpc4 -> vpc1, icmp: reachable"}; r.code != 1 || strings.Join(broke, "|") != strings.Join(want, "|") {
		t.Errorf("check of the saved file with a route removed: exit %d, broke %q, want %q\n%s", r.code, broke, want, r.stdout)
	}
}
