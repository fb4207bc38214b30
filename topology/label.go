package topology

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CheckLabel reports whether s may be the display name of an account, a
// VPC or a peering: at most MaxLabelLen characters of one line of
// printable text. Names come from files and from the API, from any
// account, and are printed in other accounts' tables and pictures: a
// control character (an ESC, a newline, a right-to-left override) could
// rewrite a terminal or forge a row.
func CheckLabel(s string) error {
	if n := utf8.RuneCountInString(s); n > MaxLabelLen {
		start := []rune(s[:min(len(s), 4*MaxLabelLen)])[:MaxLabelLen]
		return fmt.Errorf("name %q… is too long: %d characters, at most %d", Printable(string(start)), n, MaxLabelLen)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("name %q holds a control character; use one line of printable text", s)
		}
	}
	return nil
}

// maxPrintable is the most characters Printable keeps.
const maxPrintable = 1000

// Printable returns s as it may be printed where it cannot be trusted: every
// character that is not printable (control characters, format characters
// such as direction overrides, tabs and newlines) written as a \u escape,
// and at most maxPrintable characters, then "…". Text that passed
// CheckLabel comes back unchanged.
func Printable(s string) string {
	clean := len(s) <= maxPrintable
	for _, r := range s {
		if !clean || !unicode.IsPrint(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == maxPrintable {
			b.WriteString("…")
			break
		}
		switch {
		case unicode.IsPrint(r):
			b.WriteRune(r)
		case r > 0xffff:
			fmt.Fprintf(&b, `\U%08x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		n++
	}
	return b.String()
}
