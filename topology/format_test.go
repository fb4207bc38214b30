package topology

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestFormatRoundTrip: every example and test topology, written by Format
// and parsed again, is the same topology.
func TestFormatRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("../examples/*.yaml")
	files = append(files, "../explain/testdata/lab.yaml")
	if len(files) < 4 {
		t.Fatalf("found %d topology files", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want, err := Parse(f, b)
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, want)
		})
	}
}

func roundTrip(t *testing.T, want *Topology) {
	t.Helper()
	out := Format(want, "saved by a test\nsecond line")
	got, err := Parse("formatted.yaml", out)
	if err != nil {
		t.Fatalf("Parse(Format(t)): %v\n%s", err, out)
	}
	if !strings.HasPrefix(string(out), "# saved by a test\n# second line\nname: ") {
		t.Errorf("Format did not start with the header:\n%s", out)
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreTypes(Pos{}), cmpopts.IgnoreFields(Topology{}, "File"), cmpopts.EquateEmpty(), cmpopts.EquateComparable(netip.Prefix{}, netip.Addr{})); diff != "" {
		t.Errorf("Parse(Format(t)) differs (-want +got):\n%s\n%s", diff, out)
	}
}

// TestFormatQuotes: names and ids that YAML would misread come back as
// they were, and ended peerings keep their status.
func TestFormatQuotes(t *testing.T) {
	src := `name: q
accounts:
  - {id: "100000000001", name: "yes"}
  - {id: 200000000002, name: 'a: b # c "d" <x> & 对等'}
vpcs:
  - {id: v1, name: "null", cidr: 10.1.0.0/16, subnets: [{id: s1, cidr: 10.1.1.0/24}], hosts: [{name: "1", subnet: s1}]}
  - {id: v2, account: "200000000002", cidr: 10.2.0.0/16}
  - {id: v3, account: "200000000002", cidr: 10.3.0.0/16}
peerings:
  - {id: p1, name: "true", vpc: v1, peer_vpc: v2, peer_account: "200000000002", status: rejected}
  - {id: p2, name: "-x", vpc: v1, peer_vpc: v3, peer_account: "200000000002", accepted: true, status: deleted}
  - {id: p3, vpc: v1, peer_vpc: v2, peer_account: "200000000002", status: expired}
`
	want, err := Parse("q.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, want)
}
