package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// Every example must launch: the file parses and the control plane accepts
// it as the launch would apply it.
func TestValidateExamples(t *testing.T) {
	files, err := filepath.Glob("../../examples/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples found: %v", err)
	}
	for _, f := range files {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), []string{"validate", f}, &out, &errOut); code != 0 {
			t.Errorf("vpcsim validate %s: exit %d\n%s", f, code, errOut.String())
		}
		if !strings.Contains(out.String(), "ok") {
			t.Errorf("vpcsim validate %s printed %q, want a summary", f, out.String())
		}
	}
}
