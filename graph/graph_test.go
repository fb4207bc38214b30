package graph

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"

	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/examples"
	"github.com/vpcsim/vpcsim/topology"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// exampleGraph returns the graph of an example file as it would launch.
func exampleGraph(t *testing.T, file string) Graph {
	t.Helper()
	b, err := examples.FS.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	topo, err := topology.Parse(file, b)
	if err != nil {
		t.Fatalf("Parse(%s): %v", file, err)
	}
	st, err := control.New(topo, control.Options{})
	if err != nil {
		t.Fatalf("control.New(%s): %v", file, err)
	}
	return FromTopology(topo, st.AllPeerings())
}

// fileGraph returns the graph of a topology file as it would launch.
func fileGraph(t *testing.T, path string) Graph {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	topo, err := topology.Parse(path, b)
	if err != nil {
		t.Fatalf("Parse(%s): %v", path, err)
	}
	st, err := control.New(topo, control.Options{})
	if err != nil {
		t.Fatalf("control.New(%s): %v", path, err)
	}
	return FromTopology(topo, st.AllPeerings())
}

// oddGraph has ids and names that need quoting in both languages, and a
// peering of every status.
func oddGraph() Graph {
	return Graph{
		Name: `odd "one"`,
		VPCs: []VPC{
			{ID: `vpc "1"`, Name: `a\b <x> & #1`, CIDR: "10.1.0.0/16", Account: "1", Region: "武汉",
				Subnets: []Subnet{{ID: "sub net", CIDR: "10.1.1.0/24", Hosts: []Host{{Name: "hôte-ü", IP: "10.1.1.10"}}}}},
			{ID: "vpc-2", CIDR: "10.2.0.0/16", Account: "2", Region: "武汉"},
			{ID: "vpc-3", CIDR: "10.3.0.0/16", Account: "2", Region: "武汉"},
		},
		Peerings: []Peering{
			{ID: "pcx-a", Name: `say "hi"`, VPC: `vpc "1"`, PeerVPC: "vpc-2", Status: control.StatusActive},
			{ID: "pcx-b", VPC: `vpc "1"`, PeerVPC: "vpc-3", Status: control.StatusPending},
			{ID: "pcx-c", VPC: "vpc-2", PeerVPC: "vpc-3", Status: control.StatusRejected},
			{ID: "pcx-d", VPC: "vpc-2", PeerVPC: "vpc-3", Status: control.StatusDeleted},
		},
	}
}

func TestGolden(t *testing.T) {
	graphs := map[string]func(t *testing.T) Graph{
		"best-practice":  func(t *testing.T) Graph { return exampleGraph(t, "best-practice.yaml") },
		"non-transitive": func(t *testing.T) Graph { return exampleGraph(t, "non-transitive.yaml") },
		"odd":            func(*testing.T) Graph { return oddGraph() },
		"one-sided":      func(t *testing.T) Graph { return fileGraph(t, "testdata/one-sided.yaml") },
	}
	formats := map[string]func(Graph, *bytes.Buffer) error{
		"dot":     func(g Graph, b *bytes.Buffer) error { return g.DOT(b) },
		"mermaid": func(g Graph, b *bytes.Buffer) error { return g.Mermaid(b) },
	}
	for name, mk := range graphs {
		for ext, write := range formats {
			t.Run(name+"."+ext, func(t *testing.T) {
				var b bytes.Buffer
				if err := write(mk(t), &b); err != nil {
					t.Fatal(err)
				}
				golden := filepath.Join("testdata", name+"."+ext)
				if *update {
					if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(string(want), b.String()); diff != "" {
					t.Errorf("%s of %s (-want +got):\n%s", ext, name, diff)
				}
			})
		}
	}
}

func TestStyles(t *testing.T) {
	var dot, mm bytes.Buffer
	g := oddGraph()
	g.DOT(&dot)
	g.Mermaid(&mm)
	var oneDOT, oneMM bytes.Buffer
	one := fileGraph(t, "testdata/one-sided.yaml")
	one.DOT(&oneDOT)
	one.Mermaid(&oneMM)
	tests := []struct {
		name, out, want string
		present         bool
	}{
		{"dot active solid", dot.String(), `"vpc:vpc \"1\"" -> "vpc:vpc-2" [label="pcx-a (say \"hi\")\nactive", style=solid]`, true},
		{"dot pending dashed", dot.String(), `[label="pcx-b\npending-acceptance", style=dashed]`, true},
		{"dot rejected grey", dot.String(), `[label="pcx-c\nrejected", style=dotted, color=grey, fontcolor=grey]`, true},
		{"dot deleted omitted", dot.String(), `pcx-d`, false},
		{"mermaid active solid", mm.String(), `v0r -- "pcx-a (say #quot;hi#quot;)<br/>active" --> v1r`, true},
		{"mermaid pending dotted", mm.String(), `v0r -. "pcx-b<br/>pending-acceptance" .-> v2r`, true},
		{"mermaid rejected grey", mm.String(), "linkStyle 2 stroke:#999", true},
		{"mermaid deleted omitted", mm.String(), `pcx-d`, false},
		{"dot one-sided orange", oneDOT.String(), `[label="pcx-12\nactive\nvpc1: 10.2.0.0/16\nvpc2: no route\n⚠ one-sided: vpc2 has no route over it", style=solid, color=orange, fontcolor=orange, penwidth=2]`, true},
		{"dot two-sided plain", oneDOT.String(), `[label="pcx-13\nactive\nvpc1: 10.3.1.0/24, 10.3.2.0/24 +1 more\nvpc3: 10.1.1.0/24", style=solid]`, true},
		{"mermaid one-sided orange", oneMM.String(), "linkStyle 0 stroke:orange", true},
		{"mermaid two-sided plain", oneMM.String(), "linkStyle 1", false},
		{"mermaid escapes", mm.String(), `subgraph v0["vpc #quot;1#quot; (a\b #lt;x#gt; #amp; #35;1)`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Contains(tt.out, tt.want); got != tt.present {
				t.Errorf("output contains %q = %v, want %v; output:\n%s", tt.want, got, tt.present, tt.out)
			}
		})
	}
}

// TestDOTRenders feeds every DOT output to Graphviz, which must accept it.
func TestDOTRenders(t *testing.T) {
	if _, err := exec.LookPath("dot"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("dot (graphviz) is missing: .ci/run installs it")
		}
		t.Skip("needs dot: apt-get install graphviz")
	}
	for _, name := range []string{"best-practice", "non-transitive", "odd", "one-sided"} {
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", name+".dot"))
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("dot", "-Tsvg")
			cmd.Stdin = bytes.NewReader(in)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil || stderr.Len() > 0 {
				t.Fatalf("dot -Tsvg: %v: %s", err, stderr.Bytes())
			}
			if !bytes.Contains(out, []byte("<svg")) {
				t.Errorf("dot -Tsvg wrote no SVG:\n%s", out)
			}
			if name == "odd" {
				// Graphviz writes '-' as "&#45;"; the rest comes through.
				for _, want := range []string{"hôte", "武汉", `vpc &quot;1&quot; (a\b &lt;x&gt; &amp; #1)`} {
					if !bytes.Contains(out, []byte(want)) {
						t.Errorf("dot -Tsvg lost %q:\n%s", want, out)
					}
				}
			}
		})
	}
}

// TestHostileLabels: names from other accounts reach a terminal through
// DOT and Mermaid too; no control character may pass.
func TestHostileLabels(t *testing.T) {
	g := oddGraph()
	g.VPCs[0].Name = "\x1b[2J\a\t\u202e"
	g.Peerings[0].Name = "two\nlines\x1b]0;title\a"
	for _, format := range []string{"dot", "mermaid"} {
		var b bytes.Buffer
		if format == "dot" {
			g.DOT(&b)
		} else {
			g.Mermaid(&b)
		}
		for _, r := range b.String() {
			if r != '\n' && r != '\t' && !unicode.IsPrint(r) {
				t.Errorf("%s output holds %U:\n%q", format, r, b.String())
				break
			}
		}
		want := `\u001b[2J\u0007\u0009\u202e`
		if format == "dot" {
			want = strings.ReplaceAll(want, `\`, `\\`) // DOT escapes backslashes
		}
		if !strings.Contains(b.String(), want) {
			t.Errorf("%s output does not show the escaped name:\n%s", format, b.String())
		}
	}
}

func TestSetRoutes(t *testing.T) {
	g := fileGraph(t, "testdata/one-sided.yaml")
	p12, p13 := g.Peerings[0], g.Peerings[1]
	if p12.VPCRoutes == nil || len(p12.VPCRoutes) != 1 || p12.PeerRoutes == nil || len(p12.PeerRoutes) != 0 || !p12.OneSided {
		t.Errorf("pcx-12: %+v, want vpc1 routing 10.2.0.0/16, vpc2 known to route nothing (its table is unused), one-sided", p12)
	}
	if len(p13.VPCRoutes) != 3 || len(p13.PeerRoutes) != 1 || p13.OneSided {
		t.Errorf("pcx-13: %+v, want 3 and 1 routes, not one-sided", p13)
	}

	// Seen from an account that owns vpc1 only: vpc2's side is unknown,
	// and a peering is not one-sided for what cannot be seen.
	g.SetRoutes([]RouteOver{{VPC: "vpc1", Destination: "10.2.0.0/16", Peering: "pcx-12"}, {VPC: "vpc2", Destination: "10.1.0.0/16", Peering: "pcx-12"}},
		func(vpc string) bool { return vpc == "vpc1" })
	p12 = g.Peerings[0]
	if !cmp.Equal(p12.VPCRoutes, []string{"10.2.0.0/16"}) || p12.PeerRoutes != nil || p12.OneSided {
		t.Errorf("pcx-12 seen from vpc1's account: %+v", p12)
	}
	b, _ := json.Marshal(g.Peerings[1])
	if want := `"vpc_routes":[],"peer_vpc_routes":null,"one_sided":false`; !strings.Contains(string(b), want) {
		t.Errorf("pcx-13 as JSON: %s, want it to contain %s", b, want)
	}
	if got := strings.Join(peeringLabel(g.Peerings[1]), "|"); got != "pcx-13|active|vpc1: no route|vpc3: routes not visible" {
		t.Errorf("label of pcx-13: %q", got)
	}
}
