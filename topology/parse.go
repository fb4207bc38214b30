package topology

import (
	"bytes"
	"errors"
	"os"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Load reads and parses the topology file at path.
func Load(path string) (*Topology, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse parses a topology file's contents; file names it in errors.
//
// On success the Topology is fully defaulted (see the package comment). On
// failure the Topology is nil and the error is an ErrorList holding every
// problem found, sorted by position; a file that is not well-formed YAML
// gives a single error at the position where the YAML parser stopped.
func Parse(file string, data []byte) (*Topology, error) {
	var errs ErrorList
	// Editors on Windows start UTF-8 files with a byte order mark; YAML
	// allows one there. Columns count from after it, as editors show them.
	data = bytes.TrimPrefix(data, utf8BOM)
	body := parseYAML(file, data, &errs)
	if len(errs) > 0 {
		return nil, errs.Err()
	}
	d := newDecoder(file, &errs)
	raw := d.topology(body)
	if d.refused {
		// Values the refused aliases stood for are missing: checking the
		// rest would only report them as such.
		return nil, errs.Err()
	}
	t := build(file, raw, &errs)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return t, nil
}

var utf8BOM = []byte("\xef\xbb\xbf")

// parseYAML parses data into the body of its single document. It reports a
// malformed file, an empty one and one with several documents.
func parseYAML(file string, data []byte, errs *ErrorList) (body ast.Node) {
	// The YAML parser is not ours: should it panic on some input, report
	// that as a malformed file rather than take the caller down.
	defer func() {
		if r := recover(); r != nil {
			body = nil
			errs.Add(file, Pos{Line: 1, Col: 1}, "malformed YAML: %v", r)
		}
	}()
	if len(data) > MaxFileSize {
		errs.Add(file, Pos{Line: 1, Col: 1}, "file is too large: %d bytes, at most %d", len(data), MaxFileSize)
		return nil
	}
	if pos, ok := checkNesting(data); !ok {
		errs.Add(file, pos, "malformed YAML: nesting is deeper than %d levels", MaxNesting)
		return nil
	}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		pos, msg := Pos{Line: 1, Col: 1}, err.Error()
		var yerr yaml.Error
		if errors.As(err, &yerr) {
			msg = yerr.GetMessage()
			if tk := yerr.GetToken(); tk != nil && tk.Position != nil {
				pos = tokenPos(tk.Position.Line, tk.Position.Column)
			}
		}
		errs.Add(file, pos, "malformed YAML: %s", clip(firstLine(msg)))
		return nil
	}
	var docs []*ast.DocumentNode
	for _, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			docs = append(docs, doc)
		}
	}
	switch {
	case len(docs) == 0:
		errs.Add(file, Pos{Line: 1, Col: 1}, "empty topology file: want a mapping with at least %q", "name")
		return nil
	case len(docs) > 1:
		errs.Add(file, posOf(docs[1].Body), "a topology file holds one YAML document, found %d", len(docs))
		return nil
	}
	return docs[0].Body
}

// Limits that keep parsing fast: the YAML parser takes time quadratic in the
// nesting depth, and a topology file needs neither megabytes nor deep nesting.
const (
	// MaxFileSize is the largest topology file Parse accepts, in bytes.
	MaxFileSize = 1 << 20
	// MaxNesting is the deepest nesting of YAML collections Parse accepts,
	// counted as flow brackets or as block indentation columns.
	MaxNesting = 64
	// maxIndent is the deepest block indentation, in columns.
	maxIndent = 4 * MaxNesting
)

// checkNesting scans data for flow collections nested deeper than
// MaxNesting and block content indented beyond maxIndent, ignoring quoted
// strings and comments. It returns the position where the limit is passed.
// It errs on the side of accepting: the YAML parser reports what it misses.
func checkNesting(data []byte) (Pos, bool) {
	var (
		line, col = 1, 0
		depth     int
		quote     byte // '"' or '\'' inside a quoted string
		comment   bool
		lineStart      = true // only spaces and block indicators so far on this line
		prev      byte = '\n'
	)
	for i := 0; i < len(data); i++ {
		c := data[i]
		if c&0xC0 != 0x80 { // columns count characters, not UTF-8 continuation bytes
			col++
		}
		if c == '\n' {
			line, col = line+1, 0
			comment, lineStart, prev = false, quote == 0, c
			continue
		}
		if lineStart && c != ' ' && c != '\t' {
			// Block content (or a block indicator "- " / "? ") this far right
			// is nested at least this deep.
			if col > maxIndent && c != '#' {
				return Pos{Line: line, Col: col}, false
			}
			lineStart = c == '-' || c == '?'
		}
		switch {
		case comment:
		case quote == '"':
			if c == '\\' && i+1 < len(data) && data[i+1] != '\n' {
				i++
				col++
			} else if c == '"' {
				quote = 0
			}
		case quote == '\'':
			if c == '\'' {
				if i+1 < len(data) && data[i+1] == '\'' {
					i++
					col++
				} else {
					quote = 0
				}
			}
		case c == '#' && (prev == ' ' || prev == '\t' || prev == '\n'):
			comment = true
		case (c == '"' || c == '\'') && strings.IndexByte(" \t\n[{,:-?", prev) >= 0:
			quote = c
		case c == '[' || c == '{':
			if depth++; depth > MaxNesting {
				return Pos{Line: line, Col: col}, false
			}
		case c == ']' || c == '}':
			if depth > 0 {
				depth--
			}
		}
		prev = c
	}
	return Pos{}, true
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if s == "" {
		return "unexpected input"
	}
	return s
}
