package topology

import (
	"strings"
	"testing"
)

func TestCheckLabelAndPrintable(t *testing.T) {
	tests := []struct {
		name, in, printed string
		ok                bool
	}{
		{"plain", "PeerConn", "PeerConn", true},
		{"chinese", "对等连接", "对等连接", true},
		{"space", "my peering", "my peering", true},
		{"empty", "", "", true},
		{"escape", "\x1b[2J", `\u001b[2J`, false},
		{"bell", "ding\a", `ding\u0007`, false},
		{"newline", "a\npcx-9  active", `a\u000apcx-9  active`, false},
		{"tab", "a\tb", `a\u0009b`, false},
		{"rtl override", "abc\u202edcba", `abc\u202edcba`, false},
		{"nul", "a\x00", `a\u0000`, false},
		{"max", strings.Repeat("x", MaxLabelLen), strings.Repeat("x", MaxLabelLen), true},
		{"too long", strings.Repeat("x", MaxLabelLen+1), strings.Repeat("x", MaxLabelLen+1), false},
		{"a megabyte", strings.Repeat("\x1b", 1<<20), strings.Repeat(`\u001b`, maxPrintable) + "…", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := CheckLabel(tt.in); (err == nil) != tt.ok {
				t.Errorf("CheckLabel(%q) = %v, want ok %v", tt.in, err, tt.ok)
			}
			if got := Printable(tt.in); got != tt.printed {
				t.Errorf("Printable(%q) = %q, want %q", tt.in, got, tt.printed)
			}
			if err := CheckLabel(tt.in); err != nil && len(err.Error()) > 1000 {
				t.Errorf("CheckLabel error is %d bytes long", len(err.Error()))
			}
		})
	}
}
