package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/examples"
	"github.com/vpcsim/vpcsim/explain"
	"github.com/vpcsim/vpcsim/intent"
	"github.com/vpcsim/vpcsim/topology"
)

// exampleText returns the text of an example file.
func exampleText(t *testing.T, name string) string {
	t.Helper()
	b, err := examples.FS.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// replaceRules returns a topology file's text with its expect: rules
// replaced by rules.
func replaceRules(t *testing.T, src, rules string) string {
	t.Helper()
	i := strings.Index(src, "\nexpect:\n")
	if i < 0 {
		t.Fatal("no expect: rules")
	}
	return src[:i+1] + "expect:\n" + rules
}

// startIntent serves the topology of src on name.sock as a daemon would
// for check, reach and save: the plan of its file, batches answered by
// analysis in memory, with probes that agree when asked for, and the file
// saved as Format writes it. It returns the control state.
func startIntent(t *testing.T, name, src string) *control.State {
	t.Helper()
	top, err := topology.Parse(name+".yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	st, err := control.New(top, control.Options{})
	if err != nil {
		t.Fatal(err)
	}
	serveFake(t, name, st, &fakeBackend{
		intent: func() (intent.Plan, error) { return intent.NewPlan(top), nil },
		explainAll: func(reqs []explain.Request, probe bool) ([]*explain.Result, error) {
			res, err := explain.ExplainAll(st, reqs)
			for _, r := range res {
				if probe {
					r.Probe = &explain.Probe{Method: "ping", Sent: true, OK: r.Verdict == explain.Reachable, Agrees: true, Outcome: "as analysed"}
				}
			}
			return res, err
		},
		save: func() ([]byte, error) {
			return topology.Format(st.Topology(top), "Topology \"x\" as it ran, saved by \"vpcsim save\"\nsecond line."), nil
		},
	})
	return st
}

func TestCheckCommand(t *testing.T) {
	tempRunDir(t)
	startIntent(t, "good", exampleText(t, "non-transitive.yaml"))
	startIntent(t, "bad", replaceRules(t, exampleText(t, "non-transitive.yaml"),
		"  - {from: h1, to: h2, reach: true}\n  - {from: h2, to: h3, reach: true}\n"))
	startIntent(t, "none", strings.Split(exampleText(t, "non-transitive.yaml"), "\nexpect:\n")[0]+"\n")

	out := mustRun(t, "check", "--topology", "good")
	for _, want := range []string{
		"topology \"non-transitive\" (good.yaml): 7 expectations, 7 host pairs, by analysis and real packets\n",
		"PASS  good.yaml:65:6  h2 -> h3, icmp: unreachable because NOT_TRANSITIVE\n",
		"\nok: 7 of 7 expectations hold; the real packets of every pair agree with the analysis (",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check printed\n%s\nwant it to contain %q", out, want)
		}
	}

	junit := filepath.Join(t.TempDir(), "check.xml")
	out, _, code := vpcsim(t, "check", "--topology", "bad", "--junit", junit, "-o", "json")
	if code != 1 {
		t.Errorf("check of a failing rule: exit %d, want 1", code)
	}
	var rep intent.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("check -o json printed %q: %v", out, err)
	}
	if rep.Pass || rep.Failed != 1 || !rep.Results[0].Pass || rep.Results[1].Pass || rep.Results[1].Outcomes[0].Explain == nil {
		t.Errorf("check -o json: %+v", rep)
	}
	if !strings.Contains(out, "-> peering pcx-12") || strings.Contains(out, `\u003e`) {
		t.Errorf("check -o json escapes the arrows of the trace:\n%s", out)
	}
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var j struct {
		Suites []struct {
			Cases []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &j); err != nil || len(j.Suites) != 1 || len(j.Suites[0].Cases) != 2 || j.Suites[0].Cases[0].Failure != nil || j.Suites[0].Cases[1].Failure == nil {
		t.Errorf("--junit wrote %s (%v), want 2 cases, the second failing", b, err)
	}

	_, errOut, code := vpcsim(t, "check", "--topology", "none")
	if code != 1 || !strings.Contains(errOut, `error: InvalidParameter: topology "non-transitive" (none.yaml) has no expect: rules: nothing to check`) {
		t.Errorf("check without rules: exit %d, stderr %q", code, errOut)
	}
}

func TestCheckCommandFile(t *testing.T) {
	tempRunDir(t)
	dir := t.TempDir()
	write := func(name, src string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for _, name := range []string{"best-practice.yaml", "non-transitive.yaml", "cross-account.yaml", "two-subnets.yaml"} {
		if out := mustRun(t, "check", "--no-probe", "../../examples/"+name); !strings.Contains(out, "by analysis\n") {
			t.Errorf("check --no-probe %s printed\n%s", name, out)
		}
	}
	nt := exampleText(t, "non-transitive.yaml")
	for _, tc := range []struct {
		name, rules string
		code        int
		stdout      string
		stderr      string
	}{
		{"reach true that fails", "  - {from: h2, to: h3, reach: true}\n", 1,
			"FAIL  " + "%s:59:6  h2 -> h3, icmp: reachable\n      h2 -> h3: want reachable; the analysis finds it unreachable: NOT_TRANSITIVE at vpc vpc1\n", ""},
		{"reach false that succeeds", "  - {from: h1, to: h2, reach: false}\n", 1,
			"FAIL  %s:59:6  h1 -> h2, icmp: unreachable\n      h1 -> h2: want unreachable; the analysis finds the path open both ways\n      FORWARD  reachable\n", ""},
		{"wrong because", "  - {from: h2, to: h3, reach: false, because: NO_ROUTE}\n", 1,
			"FAIL  %s:59:6  h2 -> h3, icmp: unreachable because NO_ROUTE\n", ""},
		{"a bad rule", "  - {from: h2, to: h9, reach: true}\n", 1, "", `%s:59:20: expectation: to "h9" is not a host, a VPC or an IPv4 address`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := write(strings.ReplaceAll(tc.name, " ", "-")+".yaml", replaceRules(t, nt, tc.rules))
			out, errOut, code := vpcsim(t, "check", "--no-probe", path)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr %q", code, tc.code, errOut)
			}
			if tc.stdout != "" && !strings.Contains(out, strings.ReplaceAll(tc.stdout, "%s", path)) {
				t.Errorf("printed\n%s\nwant it to contain\n%s", out, strings.ReplaceAll(tc.stdout, "%s", path))
			}
			if tc.stderr != "" && !strings.Contains(errOut, strings.ReplaceAll(tc.stderr, "%s", path)) {
				t.Errorf("stderr %q, want it to contain %q", errOut, strings.ReplaceAll(tc.stderr, "%s", path))
			}
		})
	}
}

func TestReachCommand(t *testing.T) {
	tempRunDir(t)
	startIntent(t, "nt", exampleText(t, "non-transitive.yaml"))
	want := "*** reachability by ICMP echo (analysis and real packets): 4 pairs\nh1 -> h2\nh2 -> h1 X\nh3 -> X\n*** 2 of 4 pairs reachable (50%)\n"
	if out := mustRun(t, "reach", "--probe", "--host", "h2"); !strings.HasPrefix(out, want) {
		t.Errorf("reach --probe --host h2 printed\n%s\nwant it to start with\n%s", out, want)
	}
	var m intent.Matrix
	if err := json.Unmarshal([]byte(mustRun(t, "reach", "--vpc", "vpc1,vpc3", "-o", "json")), &m); err != nil || len(m.Pairs) != 6 || m.Reachable != 4 {
		t.Errorf("reach --vpc vpc1,vpc3 -o json: %+v, %v", m, err)
	}
	if out := mustRun(t, "reach", "../../examples/non-transitive.yaml"); !strings.Contains(out, "h2 -> h3  NOT_TRANSITIVE at vpc vpc1\n") {
		t.Errorf("reach FILE printed\n%s", out)
	}
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"reach", "--probe", "../../examples/non-transitive.yaml"}, 2, "--probe sends real packets, which needs a running topology"},
		{[]string{"reach", "--vpc", "vpc9", "--host", "h1"}, 1, "error: InvalidParameter: no hosts match VPC vpc9"},
	} {
		_, errOut, code := vpcsim(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("vpcsim %s: exit %d, stderr %q; want exit %d with %q", strings.Join(tc.args, " "), code, errOut, tc.code, tc.msg)
		}
	}
}

func TestExplainAssert(t *testing.T) {
	tempRunDir(t)
	startLab(t)
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"explain", "a1", "p1", "--assert", "unreachable"}, 0, ""},
		{[]string{"explain", "a1", "b1", "--assert", "reachable", "-o", "json"}, 0, ""},
		{[]string{"explain", "a1", "p1", "--assert", "reachable"}, 1, "assertion failed: a1 -> p1 is unreachable, not reachable\n"},
		{[]string{"explain", "a1", "b1", "--assert", "unreachable"}, 1, "assertion failed: a1 -> b1 is reachable, not unreachable\n"},
		{[]string{"explain", "a1", "b1", "--assert", "yes"}, 2, `invalid --assert "yes": want reachable or unreachable`},
	} {
		out, errOut, code := vpcsim(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.stderr) {
			t.Errorf("vpcsim %s: exit %d, stderr %q; want exit %d with %q", strings.Join(tc.args, " "), code, errOut, tc.code, tc.stderr)
		}
		if tc.code != 2 && !strings.Contains(out, "reachable") {
			t.Errorf("vpcsim %s printed no answer: %q", strings.Join(tc.args, " "), out)
		}
	}
}

// TestSaveExpect: save --expect writes the matrix as rules that hold,
// keeping the saved file's header; after a route is deleted, the rules
// of the pairs that used it fail.
func TestSaveExpect(t *testing.T) {
	tempRunDir(t)
	st := startIntent(t, "nt", exampleText(t, "non-transitive.yaml"))
	out := mustRun(t, "save", "--expect")
	if !strings.HasPrefix(out, "# Topology \"x\" as it ran, saved by \"vpcsim save\"\n# second line.\n# expect: the reachability of its 3 hosts then (4 of 6 pairs reachable), by \"vpcsim save --expect\".\nname: ") {
		t.Errorf("save --expect wrote the header\n%s", out[:min(len(out), 300)])
	}
	want := `expect:
  - {from: vpc1, to: vpc2, reach: true}
  - {from: vpc1, to: vpc3, reach: true}
  - {from: vpc2, to: vpc1, reach: true}
  - {from: vpc2, to: vpc3, reach: false, because: NOT_TRANSITIVE}
  - {from: vpc3, to: vpc1, reach: true}
  - {from: vpc3, to: vpc2, reach: false, because: NOT_TRANSITIVE}
`
	if !strings.HasSuffix(out, want) {
		t.Errorf("save --expect wrote\n%s\nwant it to end with\n%s", out, want)
	}
	saved := filepath.Join(t.TempDir(), "saved.yaml")
	if err := os.WriteFile(saved, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "check", "--no-probe", saved)

	// One route less in the file: the rules of the pairs that used it fail.
	changed := strings.Replace(out, "          - {destination: 10.3.0.0/16, next_hop_type: peering, next_hop: pcx-13}\n", "", 1)
	if changed == out {
		t.Fatalf("no route of vpc1 to vpc3 in\n%s", out)
	}
	if err := os.WriteFile(saved, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	got, _, code := vpcsim(t, "check", "--no-probe", saved)
	var failed []string
	for _, line := range strings.Split(got, "\n") {
		if strings.HasPrefix(line, "FAIL  ") {
			failed = append(failed, line[strings.Index(line, ".yaml:")+1:])
		}
	}
	if want := []string{"yaml:" + itoaLine(changed, "{from: vpc1, to: vpc3") + ":6  vpc1 -> vpc3, icmp: reachable (1 pair)",
		"yaml:" + itoaLine(changed, "{from: vpc3, to: vpc1") + ":6  vpc3 -> vpc1, icmp: reachable (1 pair)"}; code != 1 || strings.Join(failed, "|") != strings.Join(want, "|") {
		t.Errorf("check of the changed file: exit %d, failed %q, want exit 1 and %q:\n%s", code, failed, want, got)
	}

	// The matrix follows the running topology.
	if _, err := st.DeleteRoute(me, "vpc1-default", "10.3.0.0/16"); err != nil {
		t.Fatal(err)
	}
	out = mustRun(t, "save", "--expect")
	if !strings.Contains(out, "  - {from: vpc1, to: vpc3, reach: false, because: NO_ROUTE}\n  - {from: vpc2, to: vpc1, reach: true}\n") {
		t.Errorf("save --expect after deleting vpc1's route to vpc3 wrote\n%s", out)
	}
}

// itoaLine returns the number of the line of text that holds s.
func itoaLine(text, s string) string {
	i := strings.Index(text, s)
	if i < 0 {
		return "?"
	}
	return strconv.Itoa(strings.Count(text[:i], "\n") + 1)
}
