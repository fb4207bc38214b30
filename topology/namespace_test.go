package topology

import (
	"strings"
	"testing"
)

// oneHost is a topology named name with one host named host.
func oneHost(name, host string) string {
	return "name: " + name + "\nvpcs:\n  - {id: v, cidr: 10.0.0.0/16, subnets: [{id: s, cidr: 10.0.0.0/24}], hosts: [{name: \"" + host + "\", subnet: s}]}\n"
}

func TestParseHostNameWithDash(t *testing.T) {
	// Issue 12: both of these owned namespace "rrn-a-b".
	list := parseErrors(t, oneHost("rrn", "a-b"))
	want := testFile + `:3:86: invalid host name "a-b": '-' separates topology and host in namespace names ("<topology>-<host>")`
	if len(list) != 1 || !strings.HasPrefix(list[0].Error(), want) {
		t.Errorf("Parse errors:\n%v\nwant one starting with:\n%s", list, want)
	}
	if top := mustParse(t, oneHost("rrn-a", "b")); top.Namespace("b") != "rrn-a-b" {
		t.Errorf("Namespace(b) = %q, want rrn-a-b", top.Namespace("b"))
	}
}

// TestNamespaceNamesUnambiguous checks, over every short name made of 'a',
// '-' and '.', that no two (topology, host) pairs the file accepts share a
// namespace name.
func TestNamespaceNamesUnambiguous(t *testing.T) {
	var names []string
	var grow func(prefix string)
	grow = func(prefix string) {
		if prefix != "" {
			names = append(names, prefix)
		}
		if len(prefix) < 4 {
			for _, c := range []string{"a", "-", "."} {
				grow(prefix + c)
			}
		}
	}
	grow("")
	var topologies, hosts []string
	for _, n := range names {
		if CheckName(n) == nil {
			topologies = append(topologies, n)
		}
		if _, err := Parse(testFile, []byte(oneHost("t", n))); err == nil {
			hosts = append(hosts, n)
		}
	}
	if len(topologies) < 10 || len(hosts) < 5 {
		t.Fatalf("only %d topology names and %d host names to try: %q, %q", len(topologies), len(hosts), topologies, hosts)
	}
	owner := make(map[string][2]string)
	for _, top := range topologies {
		for _, h := range hosts {
			ns := NamespaceName(top, h)
			if o, dup := owner[ns]; dup {
				t.Fatalf("namespace %q belongs to topology %q host %q and to topology %q host %q", ns, o[0], o[1], top, h)
			}
			owner[ns] = [2]string{top, h}
		}
	}
}
