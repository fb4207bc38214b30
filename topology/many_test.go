package topology

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseReportsEveryError checks the full error list of a file with many
// mistakes against its golden file, so none is dropped, none is reported
// twice and the order is the file's.
func TestParseReportsEveryError(t *testing.T) {
	path := filepath.Join("testdata", "many-errors.yaml")
	_, err := Load(path)
	if err == nil {
		t.Fatalf("Load(%s) succeeded, want errors", path)
	}
	golden, rerr := os.ReadFile(filepath.Join("testdata", "many-errors.golden"))
	if rerr != nil {
		t.Fatal(rerr)
	}
	want := strings.Split(strings.TrimSpace(string(golden)), "\n")
	got := strings.Split(err.Error(), "\n")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load(%s) errors mismatch (-want +got):\n%s", path, diff)
	}
}

func TestLoadMissingFile(t *testing.T) {
	if _, err := Load(filepath.Join("testdata", "no-such-file.yaml")); !os.IsNotExist(err) {
		t.Errorf("Load(missing file) error = %v, want a not-exist error", err)
	}
}
