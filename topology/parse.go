package topology

import (
	"errors"
	"fmt"
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
	body := parseYAML(file, data, &errs)
	if len(errs) > 0 {
		return nil, errs.Err()
	}
	d := &decoder{file: file, errs: &errs, anchors: make(map[string]ast.Node)}
	raw := d.topology(body)
	t := build(file, raw, &errs)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return t, nil
}

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
		errs.Add(file, pos, "malformed YAML: %s", firstLine(msg))
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

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if s == "" {
		return fmt.Sprint("unexpected input")
	}
	return s
}
