package intent

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
)

// failingReport is the report of the non-transitive example with one
// failing rule of each kind, on lines 5, 6 and 7 of the rules.
func failingReport(t *testing.T) *Report {
	t.Helper()
	top := parse(t, "nt.yaml", withRules(t, "non-transitive.yaml", `  - {from: h1, to: h2, reach: true}
  - {from: vpc2, to: vpc3, reach: true}
  - {from: h1, to: h3, reach: false}
  - {from: h3, to: h2, reach: false, because: NO_ROUTE}
`))
	rep := check(t, top)
	if rep.Failed != 3 {
		t.Fatalf("%d rules fail, want 3", rep.Failed)
	}
	return rep
}

func TestWriteText(t *testing.T) {
	rep := failingReport(t)
	line := rep.Results[0].Rule.Line // the others follow
	var b bytes.Buffer
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	at := func(i int) string { return "nt.yaml:" + itoa(line+i) + ":6  " }
	for _, want := range []string{
		"topology \"non-transitive\" (nt.yaml): 4 expectations, 4 host pairs, by analysis\n\n",
		"PASS  " + at(0) + "h1 -> h2, icmp: reachable\n",
		"FAIL  " + at(1) + "vpc2 -> vpc3, icmp: reachable (1 pair)\n",
		"      h2 -> h3: want reachable; the analysis finds it unreachable: NOT_TRANSITIVE at vpc vpc1\n      FORWARD  unreachable\n        STEP  COMPONENT    ID            VERDICT  DETAIL\n",
		"        5     vpc          vpc1          BLOCKED  receives over pcx-12: destination 10.3.1.10 is outside its CIDR 10.1.0.0/16\n",
		"      blocked: NOT_TRANSITIVE at vpc vpc1 (the router of vpc1 counts it as not_transitive)\n      fix: vpc1 does not forward traffic between its peerings",
		"FAIL  " + at(2) + "h1 -> h3, icmp: unreachable\n      h1 -> h3: want unreachable; the analysis finds the path open both ways\n      FORWARD  reachable\n",
		"      fix: the path crosses peering pcx-13; to block it, delete its route over pcx-13 in route table vpc1-default or vpc3-default, or delete the peering",
		"FAIL  " + at(3) + "h3 -> h2, icmp: unreachable because NO_ROUTE\n      h3 -> h2: want unreachable because NO_ROUTE; it is unreachable because NOT_TRANSITIVE at vpc vpc1\n",
		"\nFAILED: 3 of 4 expectations fail (",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("WriteText wrote\n%s\nwant it to contain\n%s", out, want)
		}
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestWriteTextPasses(t *testing.T) {
	rep := check(t, parse(t, "nt.yaml", example(t, "non-transitive.yaml")))
	var b bytes.Buffer
	rep.WriteText(&b)
	out := b.String()
	if strings.Contains(out, "FAIL") || strings.Contains(out, "FORWARD") {
		t.Errorf("a passing report shows failures or traces:\n%s", out)
	}
	if !strings.Contains(out, "\nok: 7 of 7 expectations hold (") {
		t.Errorf("summary missing:\n%s", out)
	}
}

// TestWriteTextHostile: a file name from the command line cannot put a
// control character on the terminal.
func TestWriteTextHostile(t *testing.T) {
	rep := failingReport(t)
	rep.File = "evil\x1b[2J.yaml"
	for i := range rep.Results {
		rep.Results[i].Rule.File = rep.File
	}
	var b bytes.Buffer
	rep.WriteText(&b)
	if strings.Contains(b.String(), "\x1b") {
		t.Errorf("WriteText passed an escape through:\n%q", b.String())
	}
}

func TestReportJSON(t *testing.T) {
	rep := failingReport(t)
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Topology     string  `json:"topology"`
		Pass         *bool   `json:"pass"`
		Expectations int     `json:"expectations"`
		Failed       int     `json:"failed"`
		Pairs        int     `json:"pairs"`
		Seconds      float64 `json:"seconds"`
		Results      []struct {
			Expectation map[string]any `json:"expectation"`
			Pass        bool           `json:"pass"`
			Outcomes    []struct {
				From, To, Verdict, Code, Failure, Problem string
				Explain                                   map[string]any `json:"explain"`
			} `json:"outcomes"`
		} `json:"results"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Topology != "non-transitive" || got.Pass == nil || *got.Pass || got.Expectations != 4 || got.Failed != 3 || got.Pairs != 4 || len(got.Results) != 4 {
		t.Fatalf("JSON report: %s", b)
	}
	first := got.Results[0]
	if first.Expectation["from"] != "h1" || first.Expectation["file"] != "nt.yaml" || first.Expectation["line"] == nil || first.Expectation["pairs"] != nil {
		t.Errorf("expectation of the first result: %v", first.Expectation)
	}
	if o := first.Outcomes[0]; !first.Pass || o.Verdict != "reachable" || o.Explain != nil || o.Failure != "" {
		t.Errorf("a passing outcome: %+v", o)
	}
	o := got.Results[3].Outcomes[0]
	if got.Results[3].Pass || o.From != "h3" || o.To != "h2" || o.Verdict != "unreachable" || o.Code != "NOT_TRANSITIVE" || o.Failure != FailReason || o.Explain["forward"] == nil {
		t.Errorf("the failing outcome: %+v", o)
	}
}

// junit is what a CI system reads of JUnit XML, decoded independently of
// the package's own types.
type junit struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Props    []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			File      string `xml:"file,attr"`
			Line      int    `xml:"line,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestWriteJUnit(t *testing.T) {
	rep := failingReport(t)
	var b bytes.Buffer
	if err := rep.WriteJUnit(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("no XML declaration:\n%s", b.String())
	}
	var j junit
	dec := xml.NewDecoder(&b)
	dec.Strict = true
	if err := dec.Decode(&j); err != nil {
		t.Fatalf("JUnit does not parse: %v", err)
	}
	if j.Tests != 4 || j.Failures != 3 || len(j.Suites) != 1 {
		t.Fatalf("testsuites: %d tests, %d failures, %d suites; want 4, 3, 1", j.Tests, j.Failures, len(j.Suites))
	}
	s := j.Suites[0]
	if s.Name != "vpcsim check non-transitive" || s.Tests != 4 || s.Failures != 3 || len(s.Cases) != 4 {
		t.Fatalf("testsuite %q: %d tests, %d failures, %d cases", s.Name, s.Tests, s.Failures, len(s.Cases))
	}
	line := rep.Results[0].Rule.Line
	for i, c := range s.Cases {
		if c.File != "nt.yaml" || c.Line != line+i || c.Classname != "vpcsim.check.non-transitive" {
			t.Errorf("case %d: file %q line %d classname %q", i, c.File, c.Line, c.Classname)
		}
		if want := itoa(line+i) + ":6 " + rep.Results[i].Rule.String(); c.Name != want {
			t.Errorf("case %d named %q, want %q", i, c.Name, want)
		}
		if (c.Failure == nil) != (i == 0) {
			t.Errorf("case %d %q: failure %v", i, c.Name, c.Failure)
		}
	}
	f := s.Cases[1].Failure
	if f.Type != FailUnreachable || !strings.HasPrefix(f.Message, "nt.yaml:"+itoa(line+1)+":6: 1 of 1 pair fail: h2 -> h3: want reachable") ||
		!strings.Contains(f.Text, "blocked: NOT_TRANSITIVE at vpc vpc1") {
		t.Errorf("failure of case 1: type %q, message %q, text:\n%s", f.Type, f.Message, f.Text)
	}
	if f := s.Cases[2].Failure; f.Type != FailReachable {
		t.Errorf("failure of case 2: type %q, want %q", f.Type, FailReachable)
	}
	if f := s.Cases[3].Failure; f.Type != FailReason {
		t.Errorf("failure of case 3: type %q, want %q", f.Type, FailReason)
	}
}
