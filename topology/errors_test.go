package topology

import (
	"fmt"
	"strings"
	"testing"
)

func TestErrorListShowsAtMostMaxErrors(t *testing.T) {
	tests := []struct {
		n        int
		wantLast string // the last line of Error()
	}{
		{1, "f.yaml:1:1: error 0"},
		{MaxErrorsShown, fmt.Sprintf("f.yaml:%d:1: error %d", MaxErrorsShown, MaxErrorsShown-1)},
		{MaxErrorsShown + 1, "… and 1 more error"},
		{100_000, fmt.Sprintf("… and %d more errors", 100_000-MaxErrorsShown)},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n), func(t *testing.T) {
			l := make(ErrorList, tt.n)
			for i := range l {
				l[i] = &Error{File: "f.yaml", Pos: Pos{Line: i + 1, Col: 1}, Msg: fmt.Sprintf("error %d", i)}
			}
			lines := strings.Split(l.Error(), "\n")
			if want := min(tt.n, MaxErrorsShown+1); len(lines) != want {
				t.Errorf("ErrorList of %d: Error() has %d lines, want %d", tt.n, len(lines), want)
			}
			if got := lines[len(lines)-1]; got != tt.wantLast {
				t.Errorf("ErrorList of %d: last line of Error() = %q, want %q", tt.n, got, tt.wantLast)
			}
			if got, want := lines[0], "f.yaml:1:1: error 0"; got != want {
				t.Errorf("ErrorList of %d: first line of Error() = %q, want %q", tt.n, got, want)
			}
		})
	}
}
