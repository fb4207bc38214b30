package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/daemon"
	"github.com/vpcsim/vpcsim/router"
)

// serveFake serves mux on name.sock in the run directory set by tempRunDir
// until the test ends.
func serveFake(t *testing.T, name string, mux *http.ServeMux) {
	t.Helper()
	l, err := api.Listen(api.SocketPath(name))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(l)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
}

func TestStatsWatch(t *testing.T) {
	for _, format := range []string{"table", "json"} {
		t.Run(format, func(t *testing.T) {
			tempRunDir(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var fetches atomic.Int32
			mux := http.NewServeMux()
			mux.HandleFunc("GET /v1/stats", func(w http.ResponseWriter, r *http.Request) {
				n := fetches.Add(1)
				if n == 3 {
					defer cancel() // Ctrl-C after the third refresh
				}
				api.WriteJSON(w, http.StatusOK, router.Stats{VPCs: []router.VPCStats{{VPC: "vpc1", Received: router.Count{Packets: uint64(n)}}}})
			})
			serveFake(t, "one", mux)
			var out, errOut bytes.Buffer
			code := run(ctx, []string{"stats", "--watch", "--interval", "5ms", "-o", format}, &out, &errOut)
			if code != 0 {
				t.Fatalf("vpcsim stats --watch: exit %d, stderr %q", code, errOut.String())
			}
			if n := fetches.Load(); n < 3 {
				t.Errorf("fetched %d times, want at least 3", n)
			}
			switch format {
			case "table":
				if n := strings.Count(out.String(), clearScreen); n < 2 {
					t.Errorf("screen cleared %d times, want one per refresh:\n%q", n, out.String())
				}
			case "json":
				lines := strings.Split(strings.TrimSpace(out.String()), "\n")
				for i, line := range lines {
					var st router.Stats
					if err := json.Unmarshal([]byte(line), &st); err != nil || len(st.VPCs) != 1 || st.VPCs[0].Received.Packets != uint64(i+1) {
						t.Errorf("line %d = %q (%v), want stats with %d packets", i, line, err, i+1)
					}
				}
			}
		})
	}
}

func TestCaptureCommand(t *testing.T) {
	tempRunDir(t)
	const body = "pcapng bytes"
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/capture", func(w http.ResponseWriter, r *http.Request) {
		if got, want := r.URL.RawQuery, "count=5&duration=2s&host=a1"; got != want {
			t.Errorf("query %q, want %q", got, want)
		}
		w.Header().Set("Trailer", daemon.CaptureWrittenTrailer+", "+daemon.CaptureDroppedTrailer)
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(body))
		w.Header().Set(daemon.CaptureWrittenTrailer, "5")
		w.Header().Set(daemon.CaptureDroppedTrailer, "1")
	})
	serveFake(t, "one", mux)
	file := filepath.Join(t.TempDir(), "a1.pcapng")
	_, errOut, code := vpcsim(t, "capture", "--host", "a1", "-w", file, "--count", "5", "--duration", "2s")
	if code != 0 {
		t.Fatalf("vpcsim capture: exit %d, stderr %q", code, errOut)
	}
	if want := "capturing host a1; Ctrl-C to stop\n5 packets captured, 1 dropped by the capture\n"; errOut != want {
		t.Errorf("stderr = %q, want %q", errOut, want)
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != body {
		t.Errorf("file holds %q (%v), want %q", b, err, body)
	}
	// Standard output, when it is not a terminal.
	out := mustRun(t, "capture", "--host", "a1", "--count", "5", "--duration", "2s")
	if out != body {
		t.Errorf("stdout = %q, want %q", out, body)
	}
}

func TestObserveUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"capture", "-w", "-"}, "give exactly one of --peering and --host"},
		{[]string{"capture", "--host", "a1", "--peering", "p", "-w", "-"}, "give exactly one of --peering and --host"},
		{[]string{"capture", "--host", "a1", "--count", "-1"}, `invalid --count -1`},
		{[]string{"stats", "--watch", "--interval", "0s"}, `invalid --interval 0s`},
		{[]string{"graph", "-o", "table"}, `invalid --output "table": want dot, mermaid or json`},
		{[]string{"status", "-o", "dot"}, `invalid --output "dot": want table or json`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, errOut, code := vpcsim(t, tt.args...)
			if code != 2 || !strings.Contains(errOut, tt.want) {
				t.Errorf("vpcsim %s: exit %d, stderr %q; want exit 2 and %q", strings.Join(tt.args, " "), code, errOut, tt.want)
			}
		})
	}
}

func TestGraphOfFile(t *testing.T) {
	want, err := os.ReadFile("../../graph/testdata/best-practice.dot")
	if err != nil {
		t.Fatal(err)
	}
	if got := mustRun(t, "graph", "../../examples/best-practice.yaml"); got != string(want) {
		t.Errorf("vpcsim graph best-practice.yaml =\n%s\nwant\n%s", got, want)
	}
	if got := mustRun(t, "graph", "-o", "mermaid", "../../examples/best-practice.yaml"); !strings.HasPrefix(got, "flowchart LR\n") {
		t.Errorf("vpcsim graph -o mermaid =\n%s", got)
	}
	var g struct {
		Peerings []struct{ ID, Status string }
	}
	if err := json.Unmarshal([]byte(mustRun(t, "graph", "-o", "json", "../../examples/best-practice.yaml")), &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Peerings) != 1 || g.Peerings[0].ID != "pcx-1" || g.Peerings[0].Status != "active" {
		t.Errorf("vpcsim graph -o json: peerings %+v, want pcx-1 active", g.Peerings)
	}
}
