package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/gopacket/pcapgo"
	"golang.org/x/sys/unix"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/router"
	"github.com/vpcsim/vpcsim/tun/tuntest"
)

func TestStatsWatch(t *testing.T) {
	for _, format := range []string{"table", "terminal", "json"} {
		t.Run(format, func(t *testing.T) {
			tempRunDir(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var fetches atomic.Int32
			serveFake(t, "one", nil, &fakeBackend{stats: func(api.StatsFilter) (api.Stats, error) {
				n := fetches.Add(1)
				if n == 3 {
					defer cancel() // Ctrl-C after the third refresh
				}
				return router.Stats{VPCs: []router.VPCStats{{VPC: "vpc1", Received: router.Count{Packets: uint64(n)}}}}, nil
			}})
			var out, errOut bytes.Buffer
			var stdout io.Writer = &out
			var screen func() string
			if format == "terminal" {
				stdout, screen = openPTY(t)
				format = "table"
			}
			code := run(ctx, []string{"stats", "--watch", "--interval", "5ms", "-o", format}, stdout, &errOut)
			if code != 0 {
				t.Fatalf("vpcsim stats --watch: exit %d, stderr %q", code, errOut.String())
			}
			if n := fetches.Load(); n < 3 {
				t.Errorf("fetched %d times, want at least 3", n)
			}
			// The refresh cut short by Ctrl-C prints nothing.
			printed := func(s string) int {
				blocks := strings.Count(s, "Ctrl-C to stop")
				if blocks < 2 {
					t.Errorf("%d refreshes printed, want at least 2:\n%q", blocks, s)
				}
				return blocks
			}
			switch {
			case screen != nil:
				s := screen()
				if got, want := strings.Count(s, clearScreen), printed(s); got != want {
					t.Errorf("screen cleared %d times, want one per refresh (%d):\n%q", got, want, s)
				}
			case format == "table":
				// Not a terminal: no escapes, the refreshes after the first
				// with rates.
				s := out.String()
				if strings.Contains(s, "\x1b") || strings.Count(s, "PKT/S") != printed(s)-1 {
					t.Errorf("stats --watch into a pipe printed\n%q", s)
				}
			case format == "json":
				lines := strings.Split(strings.TrimSpace(out.String()), "\n")
				for i, line := range lines {
					var sample struct {
						Time time.Time `json:"time"`
						router.Stats
					}
					if err := json.Unmarshal([]byte(line), &sample); err != nil || sample.Time.IsZero() ||
						len(sample.VPCs) != 1 || sample.VPCs[0].Received.Packets != uint64(i+1) {
						t.Errorf("line %d = %q (%v), want stats with %d packets and a time", i, line, err, i+1)
					}
				}
			}
		})
	}
}

// newPTY opens a pseudo-terminal and returns its terminal end and the
// other one, closed when the test ends.
func newPTY(t *testing.T) (term, master *os.File) {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	t.Cleanup(func() { ptm.Close() })
	if err := unix.IoctlSetPointerInt(int(ptm.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ptm.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	pts, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pts.Close() })
	return pts, ptm
}

// openPTY opens a pseudo-terminal and returns its terminal end and a
// function that closes that end and returns all that was written to it.
func openPTY(t *testing.T) (*os.File, func() string) {
	t.Helper()
	pts, ptm := newPTY(t)
	var buf bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		io.Copy(&buf, ptm) // ends with EIO once the terminal end closes
	}()
	var once sync.Once
	return pts, func() string {
		once.Do(func() {
			pts.Close()
			<-done
		})
		return buf.String()
	}
}

func TestCaptureCommand(t *testing.T) {
	tempRunDir(t)
	pkt := tuntest.ICMPEcho(netip.MustParseAddr("192.168.1.10"), netip.MustParseAddr("10.0.1.10"), 1, 1, nil)
	var got []api.CaptureRequest
	serveFake(t, "one", nil, &fakeBackend{capture: func(req api.CaptureRequest) (api.CapturePoint, error) {
		got = append(got, req)
		return api.CapturePoint{
			Names: [2]string{"a1 out", "a1 in"},
			Attach: func(out, in router.Tap) (func(), error) {
				stop := make(chan struct{})
				go func() { // a1 pings until the capture has its packets
					for {
						select {
						case <-stop:
							return
						case <-time.After(time.Millisecond):
							out(pkt)
						}
					}
				}()
				return func() { close(stop) }, nil
			},
		}, nil
	}})
	file := filepath.Join(t.TempDir(), "a1.pcapng")
	_, errOut, code := vpcsim(t, "capture", "--host", "a1", "-w", file, "--count", "5", "--duration", "20s")
	if code != 0 {
		t.Fatalf("vpcsim capture: exit %d, stderr %q", code, errOut)
	}
	if want := "capturing host a1; Ctrl-C to stop\n5 packets captured, 0 dropped by the capture\n"; errOut != want {
		t.Errorf("stderr = %q, want %q", errOut, want)
	}
	if want := (api.CaptureRequest{Host: "a1", Count: 5, Duration: 20 * time.Second}); len(got) != 1 || got[0] != want {
		t.Errorf("the daemon was asked for %+v, want %+v", got, want)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if n := countPackets(t, f); n != 5 {
		t.Errorf("%s holds %d packets, want 5", file, n)
	}
	// Standard output, when it is not a terminal.
	out := mustRun(t, "capture", "--host", "a1", "--count", "3")
	if n := countPackets(t, strings.NewReader(out)); n != 3 {
		t.Errorf("stdout holds %d packets, want 3", n)
	}
}

// countPackets reads a pcapng stream to its end and counts its packets.
func countPackets(t *testing.T, r io.Reader) int {
	t.Helper()
	ng, err := pcapgo.NewNgReader(r, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatalf("not pcapng: %v", err)
	}
	n := 0
	for {
		_, _, err := ng.ReadPacketData()
		if err == io.EOF {
			return n
		}
		if err != nil {
			t.Fatalf("ReadPacketData: %v", err)
		}
		n++
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
