package intent

import (
	"context"
	"io/fs"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/examples"
	"github.com/vpcsim/vpcsim/explain"
	"github.com/vpcsim/vpcsim/topology"
)

// parse parses a topology file's text, failing the test on any error.
func parse(t testing.TB, file, src string) *topology.Topology {
	t.Helper()
	top, err := topology.Parse(file, []byte(src))
	if err != nil {
		t.Fatalf("Parse(%s): %v", file, err)
	}
	return top
}

// example returns the text of an example file.
func example(t testing.TB, name string) string {
	t.Helper()
	b, err := examples.FS.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// withRules returns the text of an example file with its expect: rules
// replaced by rules.
func withRules(t testing.TB, name, rules string) string {
	t.Helper()
	src := example(t, name)
	i := strings.Index(src, "\nexpect:\n")
	if i < 0 {
		t.Fatalf("%s has no expect: rules", name)
	}
	return src[:i+1] + "expect:\n" + rules
}

// local returns the in-memory explainer of t as launched.
func local(t testing.TB, top *topology.Topology) (Local, *control.State) {
	t.Helper()
	st, err := control.New(top, control.Options{})
	if err != nil {
		t.Fatalf("control.New(%s): %v", top.Name, err)
	}
	return Local{State: st}, st
}

// check checks the plan of top in memory.
func check(t testing.TB, top *topology.Topology) *Report {
	t.Helper()
	ex, _ := local(t, top)
	rep, err := Check(context.Background(), ex, NewPlan(top), Options{})
	if err != nil {
		t.Fatalf("Check(%s): %v", top.Name, err)
	}
	return rep
}

func TestNewPlan(t *testing.T) {
	top := parse(t, "nt.yaml", example(t, "non-transitive.yaml"))
	p := NewPlan(top)
	if p.Topology != "non-transitive" || p.File != "nt.yaml" {
		t.Errorf("plan of %q from %q", p.Topology, p.File)
	}
	wantHosts := []Host{
		{Name: "h1", VPC: "vpc1", IP: netip.MustParseAddr("10.1.1.10")},
		{Name: "h2", VPC: "vpc2", IP: netip.MustParseAddr("10.2.1.10")},
		{Name: "h3", VPC: "vpc3", IP: netip.MustParseAddr("10.3.1.10")},
	}
	if diff := cmp.Diff(wantHosts, p.Hosts, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("hosts (-want +got):\n%s", diff)
	}
	if len(p.Rules) != len(top.Expect) {
		t.Fatalf("%d rules, want %d", len(p.Rules), len(top.Expect))
	}
	r := p.Rules[2] // {from: vpc2, to: vpc1, protocol: tcp, port: 5201, reach: true}
	want := Rule{File: "nt.yaml", Line: top.Expect[2].Pos.Line, Col: 6, From: "vpc2", To: "vpc1", Protocol: explain.TCP, Port: 5201,
		Reach: true, Pairs: []Pair{{From: "h2", To: "h1"}}}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("rule 2 (-want +got):\n%s", diff)
	}
	if got, want := r.String(), "vpc2 -> vpc1, tcp port 5201: reachable"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got, want := p.Rules[4].String(), "h2 -> h3, icmp: unreachable because NOT_TRANSITIVE"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := r.Where(); !strings.HasPrefix(got, "nt.yaml:") || !strings.HasSuffix(got, ":6") {
		t.Errorf("Where() = %q, want nt.yaml:LINE:6", got)
	}
}

// TestCheckExamples: every rule of every example holds by analysis.
func TestCheckExamples(t *testing.T) {
	names, err := fs.Glob(examples.FS, "*.yaml")
	if err != nil || len(names) < 4 {
		t.Fatalf("examples: %v, %v", names, err)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			top := parse(t, name, example(t, name))
			if len(top.Expect) < 4 {
				t.Errorf("%s has %d expect: rules, want at least 4", name, len(top.Expect))
			}
			rep := check(t, top)
			if !rep.Pass || rep.Passed != len(top.Expect) || rep.Failed != 0 {
				var b strings.Builder
				rep.WriteText(&b)
				t.Errorf("Check(%s) does not pass:\n%s", name, b.String())
			}
		})
	}
}

// TestCheckFailures: a rule of each kind that does not hold fails, with
// the kind of failure, a problem that says why and the analysis; the
// rules around it still pass.
func TestCheckFailures(t *testing.T) {
	for _, tt := range []struct {
		name, rule string
		kind       string
		problem    string
		code       string
	}{
		{"reach true that fails", "{from: h2, to: h3, reach: true}", FailUnreachable,
			"want reachable; the analysis finds it unreachable: NOT_TRANSITIVE at vpc vpc1", "NOT_TRANSITIVE"},
		{"reach false that succeeds", "{from: h1, to: h2, protocol: udp, port: 53, reach: false}", FailReachable,
			"want unreachable; the analysis finds the path open both ways", ""},
		{"wrong because", "{from: h3, to: h2, reach: false, because: NO_ROUTE}", FailReason,
			"want unreachable because NO_ROUTE; it is unreachable because NOT_TRANSITIVE at vpc vpc1", "NOT_TRANSITIVE"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			top := parse(t, "nt.yaml", withRules(t, "non-transitive.yaml",
				"  - {from: h1, to: vpc2, reach: true}\n  - "+tt.rule+"\n  - {from: h1, to: h3, reach: true}\n"))
			rep := check(t, top)
			if rep.Pass || rep.Passed != 2 || rep.Failed != 1 || rep.Expectations != 3 {
				t.Fatalf("report: pass %v, %d passed, %d failed of %d; want 2 passed, 1 failed of 3", rep.Pass, rep.Passed, rep.Failed, rep.Expectations)
			}
			for i, rr := range rep.Results {
				if rr.Pass != (i != 1) {
					t.Errorf("rule %d (%s): pass %v", i, rr.Rule.String(), rr.Pass)
				}
			}
			o := rep.Results[1].Outcomes[0]
			if o.Pass || o.Failure != tt.kind || o.Problem != tt.problem || o.Code != tt.code {
				t.Errorf("outcome: pass %v, failure %q, problem %q, code %q; want failure %q, problem %q, code %q",
					o.Pass, o.Failure, o.Problem, o.Code, tt.kind, tt.problem, tt.code)
			}
			if o.Explain == nil || o.Explain.Source.Host != o.From {
				t.Errorf("a failing outcome carries the analysis %+v", o.Explain)
			}
			if rep.Results[0].Outcomes[0].Explain != nil {
				t.Error("a passing outcome carries the analysis")
			}
		})
	}
}

// fakeProbes is an explainer that analyses in memory and then makes up
// the probe of each pair with probe.
type fakeProbes struct {
	Local
	probe func(res *explain.Result) *explain.Probe

	mu    sync.Mutex
	calls [][]explain.Request
}

func (f *fakeProbes) ExplainAll(ctx context.Context, reqs []explain.Request, probe bool) ([]*explain.Result, error) {
	f.mu.Lock()
	f.calls = append(f.calls, reqs)
	f.mu.Unlock()
	res, err := f.Local.ExplainAll(ctx, reqs, false)
	if err != nil || !probe {
		return res, err
	}
	for _, r := range res {
		r.Probe = f.probe(r)
	}
	return res, nil
}

// agreeing is a probe that meets the fate the analysis predicts.
func agreeing(res *explain.Result) *explain.Probe {
	ok := res.Verdict == explain.Reachable
	return &explain.Probe{Method: "ping", Sent: true, OK: ok, Agrees: true, Outcome: "as predicted"}
}

func TestCheckProbes(t *testing.T) {
	top := parse(t, "nt.yaml", example(t, "non-transitive.yaml"))
	ex, _ := local(t, top)
	p := NewPlan(top)

	f := &fakeProbes{Local: ex, probe: agreeing}
	rep, err := Check(context.Background(), f, p, Options{Probe: true})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Pass || !rep.Probed || rep.Disagreements != 0 {
		t.Errorf("agreeing probes: pass %v, probed %v, %d disagreements", rep.Pass, rep.Probed, rep.Disagreements)
	}

	// h1 -> h2 answers by analysis, but the packets get no reply.
	f.probe = func(res *explain.Result) *explain.Probe {
		if res.Source.Host == "h1" && res.Destination.Host == "h2" {
			return &explain.Probe{Method: "ping", Sent: true, Outcome: "no echo reply", Note: "the analysis found the path open, but no answer came back"}
		}
		if res.Source.Host == "h3" {
			return &explain.Probe{Method: "udp", Outcome: "not sent", Note: "netns gone"}
		}
		return agreeing(res)
	}
	rep, err = Check(context.Background(), f, p, Options{Probe: true})
	if err != nil {
		t.Fatal(err)
	}
	// h3 is the source of two rules.
	if rep.Pass || rep.Disagreements != 1 || rep.Failed != 3 {
		t.Fatalf("a disagreeing and an unsent probe: pass %v, %d disagreements, %d failed; want 1 disagreement, 3 failed", rep.Pass, rep.Disagreements, rep.Failed)
	}
	o := rep.Results[0].Outcomes[0]
	if o.Failure != FailDisagreement || o.Problem != "the real packets disagree with the analysis: no echo reply; the analysis found the path open, but no answer came back" {
		t.Errorf("h1 -> h2: failure %q, problem %q", o.Failure, o.Problem)
	}
	o = rep.Results[3].Outcomes[0] // h3 -> h1 udp
	if o.Failure != FailNotProbed || o.Problem != "no probe was sent: netns gone" {
		t.Errorf("h3 -> h1: failure %q, problem %q", o.Failure, o.Problem)
	}
	if !strings.Contains(rep.Summary(), "the real packets of 1 pair DISAGREE with the analysis") {
		t.Errorf("summary %q does not tell of the disagreement", rep.Summary())
	}

	// Without probes nothing is sent, and Local refuses to send.
	if _, err := Check(context.Background(), ex, p, Options{Probe: true}); err != ErrCannotProbe {
		t.Errorf("Check(Local, Probe) = %v, want ErrCannotProbe", err)
	}
}

// TestCheckAsksOncePerPair: pairs that several rules share are answered
// once, in batches of at most Options.Batch.
func TestCheckAsksOncePerPair(t *testing.T) {
	top := parse(t, "nt.yaml", withRules(t, "non-transitive.yaml", `  - {from: h1, to: h2, reach: true}
  - {from: vpc1, to: vpc2, reach: true}
  - {from: h1, to: vpc2, reach: true}
  - {from: h1, to: 10.2.1.10, reach: true}
  - {from: vpc1, to: vpc3, reach: true}
  - {from: vpc1, to: vpc3, protocol: tcp, port: 1, reach: true}
  - {from: vpc2, to: vpc1, reach: true}
`))
	ex, _ := local(t, top)
	f := &fakeProbes{Local: ex}
	rep, err := Check(context.Background(), f, NewPlan(top), Options{Batch: 2})
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	asked := make(map[explain.Request]int)
	for _, c := range f.calls {
		sizes = append(sizes, len(c))
		for _, r := range c {
			asked[r]++
		}
	}
	// h1->h2, h1->10.2.1.10, h1->h3, h1->h3 tcp/1, h2->h1.
	if want := []int{2, 2, 1}; !cmp.Equal(sizes, want) {
		t.Errorf("batches of %v, want %v", sizes, want)
	}
	for r, n := range asked {
		if n != 1 {
			t.Errorf("%+v asked %d times", r, n)
		}
	}
	if !rep.Pass || rep.Pairs != 5 {
		t.Errorf("pass %v with %d pairs, want a pass with 5", rep.Pass, rep.Pairs)
	}
}

func TestCheckNoRules(t *testing.T) {
	top := parse(t, "nt.yaml", strings.Split(example(t, "non-transitive.yaml"), "\nexpect:\n")[0]+"\n")
	rep := check(t, top)
	if rep.Pass || rep.Summary() != "FAILED: no expectations: nothing was checked" {
		t.Errorf("a plan without rules: pass %v, %q", rep.Pass, rep.Summary())
	}
}
