package topology

import (
	"fmt"
	"sort"
	"strings"
)

// Error is a problem at a position of a topology file.
type Error struct {
	File string
	Pos  Pos
	Msg  string
}

// Error formats e as FILE:LINE:COL: message.
func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Pos.Line, e.Pos.Col, e.Msg)
}

// MaxErrorsShown is the most errors ErrorList.Error lists. A file with
// more mistakes than that is better fixed from the top and checked again;
// the list itself keeps every error.
const MaxErrorsShown = 100

// ErrorList is every problem found in a topology file, in file order.
type ErrorList []*Error

// Error formats the list one error per line: the first MaxErrorsShown, then
// a line counting the rest.
func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i == MaxErrorsShown {
			more, noun := len(l)-i, "errors"
			if more == 1 {
				noun = "error"
			}
			fmt.Fprintf(&b, "\n… and %d more %s", more, noun)
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Add appends an error at pos.
func (l *ErrorList) Add(file string, pos Pos, format string, args ...any) {
	*l = append(*l, &Error{File: file, Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// Sort orders the list by position.
func (l ErrorList) Sort() {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i].Pos, l[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// Err returns l as an error, or nil when it is empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	l.Sort()
	return l
}
