package topology

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestParseLimits(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // "LINE:COL: message" substring; "" for success
	}{
		{"deep flow", "name: t\nvpcs: " + strings.Repeat("[", 10000), "2:71: malformed YAML: nesting is deeper than 64 levels"},
		{"deep flow mappings", strings.Repeat("{a: ", 10000), "1:257: malformed YAML: nesting is deeper than 64 levels"},
		{"deep compact sequences", strings.Repeat("- ", 10000), "1:257: malformed YAML: nesting is deeper than 64 levels"},
		{"deep indentation", "name: t\nvpcs:\n" + strings.Repeat(" ", 300) + "- id: v\n", "3:301: malformed YAML: nesting is deeper than 64 levels"},
		{"too large", "name: t\n" + strings.Repeat("# padding\n", MaxFileSize/10), "1:1: file is too large"},
		{"brackets in quotes", "name: t\nregion: \"" + strings.Repeat("[", 100) + "\"\n", "2:9: invalid region"},
		{"brackets in single quotes", "name: t\nregion: '" + strings.Repeat("{", 100) + "''s'\n", "2:9: invalid region"},
		{"brackets in comments", "name: t # " + strings.Repeat("[", 100) + "\n", ""},
		{"indented comment", "name: t\n" + strings.Repeat(" ", 300) + "# far right\n", ""},
		{"blank line of spaces", "name: t\n" + strings.Repeat(" ", 300) + "\nregion: r\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(testFile, []byte(tt.src))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			list := parseErrors(t, tt.src)
			if want := testFile + ":" + tt.want; !strings.Contains(list.Error(), want) {
				t.Errorf("Parse errors:\n%v\nwant one containing:\n%s", list, want)
			}
		})
	}
}

func TestParseLimitsCountCharacters(t *testing.T) {
	// Two-byte characters before the brackets: the column counts characters.
	src := "name: t\nregion: éé " + strings.Repeat("[", 100)
	list := parseErrors(t, src)
	if want := testFile + ":2:76: malformed YAML: nesting"; !strings.Contains(list.Error(), want) {
		t.Errorf("Parse errors:\n%v\nwant one containing:\n%s", list, want)
	}
}

// TestParseManyOverlappingSubnets checks that a subnet overlapping many
// others costs one error and no more time than one overlapping one: 1,000
// subnets each covering 4,096 gave four million errors.
func TestParseManyOverlappingSubnets(t *testing.T) {
	var b strings.Builder
	b.WriteString("name: t\nvpcs:\n  - id: v\n    cidr: 10.0.0.0/16\n    subnets:\n")
	for i := range 4096 {
		fmt.Fprintf(&b, "      - {id: s%d, cidr: 10.0.%d.%d/28}\n", i, i/16, i%16*16)
	}
	for i := range 1000 {
		fmt.Fprintf(&b, "      - {id: big%d, cidr: 10.0.0.0/16}\n", i)
	}
	start := time.Now()
	list := parseErrors(t, b.String())
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Parse took %v", d)
	}
	if len(list) != 1000 {
		t.Fatalf("Parse reported %d errors, want 1000 (one per overlapping subnet)", len(list))
	}
	want := `subnet "big0": cidr 10.0.0.0/16 overlaps subnet "s0" (10.0.0.0/28) at 6:24 and 4095 more`
	if !strings.Contains(list[0].Error(), want) {
		t.Errorf("first error = %q, want one containing %q", list[0], want)
	}
}
