package main

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/daemon"
)

// writeRecord leaves the record of a topology name run by this process, as
// a daemon does, with the namespaces of its hosts.
func writeRecord(t *testing.T, name string, namespaces ...string) {
	t.Helper()
	b, err := json.Marshal(daemon.Record{Name: name, PID: os.Getpid(), Namespaces: namespaces})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(api.SocketDir(), name+".json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestErrorsHaveCodes runs every error path around the control API that a
// user meets: each prints "error: <Code>: <message>" and exits 1.
func TestErrorsHaveCodes(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tests := []struct {
		name  string
		setup func(t *testing.T)
		args  []string
		code  control.Code
		msg   string // a regular expression the message matches
	}{
		{"no topology is running", nil,
			[]string{"peering", "list"}, control.CodeTopologyNotRunning, `^no topology is running; start one with "vpcsim up"$`},
		{"several topologies are running", func(t *testing.T) { startTopology(t, "one"); startTopology(t, "two") },
			[]string{"route", "list"}, control.CodeMissingParameter, `^2 topologies are running \(one, two\); choose one with --topology$`},
		{"the named topology is not running", nil,
			[]string{"--topology", "gone", "stats"}, control.CodeTopologyNotRunning, `^topology "gone" is not running`},
		{"exec: no topology is running", nil,
			[]string{"exec", "a1", "--", "true"}, control.CodeTopologyNotRunning, `^no topology is running`},
		{"exec: the named topology is not running", nil,
			[]string{"--topology", "gone", "exec", "a1", "--", "true"}, control.CodeTopologyNotRunning, `^topology "gone" is not running$`},
		{"exec: several topologies have the host", func(t *testing.T) { writeRecord(t, "one", "one-a1"); writeRecord(t, "two", "two-a1") },
			[]string{"exec", "a1", "--", "true"}, control.CodeMissingParameter, `^2 running topologies have a host "a1" \(one, two\); choose one with --topology$`},
		{"exec: no running topology has the host", func(t *testing.T) { writeRecord(t, "one", "one-a1"); writeRecord(t, "two", "two-b1") },
			[]string{"exec", "c1", "--", "true"}, control.CodeHostNotFound, `^no running topology has a host "c1" \(running: one, two\)$`},
		{"the topology has no such host", func(t *testing.T) { writeRecord(t, "one", "one-a1") },
			[]string{"exec", "b9", "--", "true"}, control.CodeHostNotFound, `^topology "one" has no host "b9"$`},
		{"status: the named topology is not running", nil,
			[]string{"--topology", "gone", "status"}, control.CodeTopologyNotRunning, `^topology "gone" is not running$`},
		{"down: the named topology is not running", nil,
			[]string{"down", "gone"}, control.CodeTopologyNotRunning, `^topology "gone" is not running$`},
		{"already running", func(t *testing.T) { writeRecord(t, "best-practice") },
			[]string{"up"}, control.CodeAlreadyRunning, `^topology "best-practice" is already running \(pid \d+\)`},
		{"an unreadable file", nil,
			[]string{"validate", "no/such/file.yaml"}, control.CodeInvalidParameter, `^cannot read topology file: open no/such/file.yaml: no such file or directory$`},
		{"an unreadable file to launch", nil,
			[]string{"up", "no/such/file.yaml"}, control.CodeInvalidParameter, `^cannot read topology file: `},
		{"a metrics address in use", nil,
			[]string{"up", "--metrics-addr", busy.Addr().String()}, control.CodeAddressInUse, `^metrics: ` + regexp.QuoteMeta(busy.Addr().String()) + ` is already in use`},
		{"a daemon that does not answer", func(t *testing.T) {
			l, err := net.ListenUnix("unix", &net.UnixAddr{Name: api.SocketPath("dead"), Net: "unix"})
			if err != nil {
				t.Fatal(err)
			}
			l.SetUnlinkOnClose(false)
			l.Close() // the socket file stays, nobody listens
		}, []string{"--topology", "dead", "account"}, control.CodeTopologyNotRunning, `^no daemon answers at `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tempRunDir(t)
			if tt.setup != nil {
				tt.setup(t)
			}
			_, errOut, code := vpcsim(t, tt.args...)
			prefix := "error: " + string(tt.code) + ": "
			msg, ok := strings.CutPrefix(strings.TrimSuffix(errOut, "\n"), prefix)
			if code != 1 || !ok || strings.Contains(msg, "\n") || !regexp.MustCompile(tt.msg).MatchString(msg) {
				t.Errorf("vpcsim %s: exit %d, stderr %q; want exit 1 and one line %q matching %q",
					strings.Join(tt.args, " "), code, errOut, prefix+"...", tt.msg)
			}
		})
	}
}

// TestDownNeverSignalsAnotherProcess leaves a record whose PID another
// process has since taken: down must see the daemon is gone, clean up,
// and leave that process alone.
func TestDownNeverSignalsAnotherProcess(t *testing.T) {
	tempRunDir(t)
	sleep := exec.Command("sleep", "60")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	defer sleep.Process.Kill()
	exited := make(chan error, 1)
	go func() { exited <- sleep.Wait() }()
	b, _ := json.Marshal(daemon.Record{Name: "reused", PID: sleep.Process.Pid, StartTime: 1})
	if err := os.WriteFile(filepath.Join(api.SocketDir(), "reused.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, "status")
	if !strings.Contains(out, "DEAD") || !strings.Contains(out, `"vpcsim down reused"`) || strings.Contains(out, "--all") {
		t.Errorf("status of a dead daemon:\n%s\nwant it marked dead, advising \"vpcsim down reused\" (not --all)", out)
	}
	out = mustRun(t, "down", "reused")
	if !strings.Contains(out, "was gone") {
		t.Errorf("down printed %q, want it to say the daemon was gone", out)
	}
	select {
	case err := <-exited:
		t.Fatalf("down killed an unrelated process that reused the daemon's PID: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	if _, err := os.Stat(filepath.Join(api.SocketDir(), "reused.json")); !os.IsNotExist(err) {
		t.Errorf("the record is still there after down: %v", err)
	}
}

// TestTopologyNamesAreChecked: a name no topology can have never reaches a
// path: it is a usage error wherever it is given.
func TestTopologyNamesAreChecked(t *testing.T) {
	tempRunDir(t)
	for _, args := range [][]string{
		{"down", "../../etc"},
		{"--topology", "../x", "status"},
		{"--topology", "../x", "peering", "list"},
		{"--topology", "A", "exec", "a1", "--", "true"},
		{"down", "--topology", "x/y"},
	} {
		_, errOut, code := vpcsim(t, args...)
		if code != 2 || !strings.Contains(errOut, "a topology name is") {
			t.Errorf("vpcsim %s: exit %d, stderr %q; want exit 2 and what a topology name is", strings.Join(args, " "), code, errOut)
		}
	}
}

// TestCellsArePrintable: a name from another account cannot clear the
// screen or forge a row of a table.
func TestCellsArePrintable(t *testing.T) {
	got := cells("pcx-1", "\x1b[2J", "a\npcx-9\tactive", "\u202eevil", strings.Repeat("\a", 1<<20))
	if strings.ContainsAny(got, "\x1b\n\a\u202e") || strings.Count(got, "\t") != 4 || len(got) > 10000 {
		t.Errorf("cells(hostile) = %.300q", got)
	}
	if want := "pcx-1\t\\u001b[2J\ta\\u000apcx-9\\u0009active\t\\u202eevil\t"; !strings.HasPrefix(got, want) {
		t.Errorf("cells(hostile) = %.200q, want it to start %q", got, want)
	}
}
