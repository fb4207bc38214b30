package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vpcsim/vpcsim/daemon"
	"github.com/vpcsim/vpcsim/examples"
	"github.com/vpcsim/vpcsim/tun/tuntest"
)

// The tests in this file run the vpcsim binary, as a user would, against
// real namespaces. They need root and skip without it.

var vpcsimBin string // built by TestMain

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vpcsim-cli-")
	if err != nil {
		panic(err)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		// Records and sockets of these tests stay out of the real run directory.
		os.Setenv("VPCSIM_RUN_DIR", filepath.Join(dir, "run"))
		os.Setenv(daemon.StateDirEnv, filepath.Join(dir, "state"))
		vpcsimBin = filepath.Join(dir, "vpcsim")
		if out, err := exec.Command("go", "build", "-o", vpcsimBin, ".").CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build vpcsim: %v\n%s", err, out)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

// result is what one vpcsim invocation did.
type result struct {
	stdout, stderr string
	code           int
}

// runBin runs the vpcsim binary with args.
func runBin(t testing.TB, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	c := exec.Command(vpcsimBin, args...)
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("vpcsim %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// binOK runs vpcsim and fails the test unless it exits 0.
func binOK(t testing.TB, args ...string) string {
	t.Helper()
	r := runBin(t, args...)
	if r.code != 0 {
		t.Fatalf("vpcsim %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// binFails runs vpcsim and checks it exits 1 with "error: CODE: ...".
func binFails(t testing.TB, code string, args ...string) {
	t.Helper()
	r := runBin(t, args...)
	if r.code != 1 || !strings.HasPrefix(r.stderr, "error: "+code+": ") {
		t.Errorf("vpcsim %s: exit %d, stderr %q; want exit 1 and \"error: %s: ...\"", strings.Join(args, " "), r.code, r.stderr, code)
	}
}

var topoSeq atomic.Int32

// writeTopology writes yaml, with a unique topology name, to a file.
func writeTopology(t testing.TB, prefix, yaml string) (name, file string) {
	t.Helper()
	name = fmt.Sprintf("%s%d-%d", prefix, os.Getpid()%100000, topoSeq.Add(1))
	yaml = strings.Replace(yaml, "name: NAME", "name: "+name, 1)
	file = filepath.Join(t.TempDir(), prefix+".yaml")
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return name, file
}

// up launches file with "vpcsim up -d" and registers its tear-down.
func up(t *testing.T, name, file string) {
	t.Helper()
	binOK(t, "up", "-d", file)
	t.Cleanup(func() {
		runBin(t, "down", name)
		if left := netnsWithPrefix(t, name+"-"); len(left) > 0 {
			t.Errorf("namespaces left after down: %v", left)
		}
	})
}

func netnsWithPrefix(t testing.TB, prefix string) []string {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], prefix) {
			names = append(names, f[0])
		}
	}
	return names
}

// ping reports whether host (of topology name) gets a reply from ip.
func ping(t testing.TB, name, host, ip string) bool {
	t.Helper()
	r := runBin(t, "--topology", name, "exec", host, "--", "ping", "-n", "-q", "-c", "2", "-i", "0.2", "-W", "1", ip)
	return r.code == 0
}

func TestNSValidateRejectsBadFilesBeforeCreatingAnything(t *testing.T) {
	tuntest.NeedRoot(t, "ping")
	tests := []struct{ name, yaml, want string }{
		{"unknown key", "name: NAME\nvpcs:\n  - id: v1\n    cidr: 10.0.0.0/16\n    colour: red\n", ":5:5: "},
		{"bad cidr", "name: NAME\nvpcs:\n  - id: v1\n    cidr: 10.0.0.0/33\n", ":4:11: "},
		{"subnet outside vpc", "name: NAME\nvpcs:\n  - id: v1\n    cidr: 10.0.0.0/16\n    subnets: [{id: s1, cidr: 10.1.0.0/24}]\n", ":5:"},
		{"overlapping peered vpcs", `name: NAME
vpcs:
  - {id: v1, cidr: 10.0.0.0/16}
  - {id: v2, cidr: 10.0.0.0/16}
peerings:
  - {id: p1, vpc: v1, peer_vpc: v2}
`, ":6:6: CidrOverlap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, file := writeTopology(t, "bad", tt.yaml)
			for _, cmd := range [][]string{{"validate", file}, {"up", "-d", file}, {"up", file}} {
				r := runBin(t, cmd...)
				if r.code != 1 || !strings.Contains(r.stderr, file+tt.want) {
					t.Errorf("vpcsim %s: exit %d, stderr %q; want exit 1 and %q", strings.Join(cmd, " "), r.code, r.stderr, file+tt.want)
				}
			}
			// Other tests may create namespaces meanwhile: look for ours.
			if left := netnsWithPrefix(t, name+"-"); len(left) > 0 {
				t.Errorf("namespaces created for a bad file: %v", left)
			}
		})
	}
}

// bestPractice is the built-in example, its name left for writeTopology.
var bestPractice = strings.Replace(string(examples.BestPractice()), "name: best-practice", "name: NAME", 1)

func TestNSUpStatusExecDown(t *testing.T) {
	tuntest.NeedRoot(t, "ping")
	name, file := writeTopology(t, "ud", bestPractice)
	up(t, name, file)

	var st []struct {
		Name  string `json:"name"`
		Hosts []struct {
			Name, IP, Namespace string
		} `json:"hosts"`
		Peerings []struct{ ID, Status string } `json:"peerings"`
	}
	if err := json.Unmarshal([]byte(binOK(t, "status", "-o", "json", "--topology", name)), &st); err != nil {
		t.Fatal(err)
	}
	if len(st) != 1 || len(st[0].Hosts) != 2 || len(st[0].Peerings) != 1 || st[0].Peerings[0].Status != "active" {
		t.Fatalf("status = %+v, want one topology with 2 hosts and pcx-1 active", st)
	}
	if !ping(t, name, "a1", "10.0.1.10") || !ping(t, name, "b1", "192.168.1.10") {
		t.Error("a1 and b1 cannot ping each other through pcx-1")
	}
	// exec passes the command's exit status through.
	if r := runBin(t, "--topology", name, "exec", "a1", "--", "sh", "-c", "exit 7"); r.code != 7 {
		t.Errorf("exec ... exit 7: exit %d, want 7", r.code)
	}
	if r := runBin(t, "--topology", name, "exec", "zz", "--", "true"); r.code != 1 || !strings.Contains(r.stderr, `no host "zz"`) {
		t.Errorf("exec on an unknown host: exit %d, stderr %q", r.code, r.stderr)
	}
	binOK(t, "down", name)
	if left := netnsWithPrefix(t, name+"-"); len(left) > 0 {
		t.Errorf("namespaces left after down: %v", left)
	}
}

func TestNSKilledDaemonCleanedUpByDownAll(t *testing.T) {
	tuntest.NeedRoot(t, "ping")
	name, file := writeTopology(t, "kd", bestPractice)
	binOK(t, "up", "-d", file)
	pidFile, err := os.ReadFile(filepath.Join(os.Getenv("VPCSIM_RUN_DIR"), name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct{ PID int }
	json.Unmarshal(pidFile, &rec)
	if rec.PID <= 0 {
		t.Fatalf("no pid in record %s", pidFile)
	}
	syscall.Kill(rec.PID, syscall.SIGKILL)
	for deadline := time.Now().Add(5 * time.Second); syscall.Kill(rec.PID, 0) == nil; {
		if time.Now().After(deadline) {
			t.Fatal("daemon survived SIGKILL")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if left := netnsWithPrefix(t, name+"-"); len(left) != 2 {
		t.Fatalf("after SIGKILL: namespaces %v, want the two of the dead daemon", left)
	}
	out := binOK(t, "down", "--all")
	if !strings.Contains(out, strconv.Quote(name)) {
		t.Errorf("down --all said %q, want it to name %q", out, name)
	}
	if left := netnsWithPrefix(t, name+"-"); len(left) > 0 {
		t.Errorf("namespaces left after down --all: %v", left)
	}
}

// TestNSUpQuietAndJSON: up --quiet prints the summary and the time only;
// up -o json prints the launched topology as JSON, the progress on
// standard error; an empty list is [] in the stats of a topology without
// peerings.
func TestNSUpQuietAndJSON(t *testing.T) {
	tuntest.NeedRoot(t, "ping")
	name, file := writeTopology(t, "uq", `name: NAME
vpcs:
  - id: v1
    cidr: 10.0.0.0/16
    subnets: [{id: s1, cidr: 10.0.1.0/24}]
    hosts: [{name: h1, subnet: s1, ip: 10.0.1.10}]
`)
	t.Cleanup(func() { runBin(t, "down", name) })
	r := runBin(t, "up", "-d", "--quiet", file)
	if r.code != 0 || strings.Contains(r.stdout, "launching") || strings.Contains(r.stdout, "netns "+name) ||
		!strings.Contains(r.stdout, "TOPOLOGY "+name) || !regexp.MustCompile(`topology "`+name+`" is up in \d`).MatchString(r.stdout) {
		t.Errorf("up -d --quiet: exit %d, stdout\n%s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	var stats map[string]json.RawMessage
	if err := json.Unmarshal([]byte(binOK(t, "--topology", name, "stats", "-o", "json")), &stats); err != nil || string(stats["peerings"]) != "[]" {
		t.Errorf("stats -o json of a topology without peerings: peerings = %s (%v), want []", stats["peerings"], err)
	}
	binOK(t, "down", name)

	r = runBin(t, "up", "-d", "-o", "json", file)
	var up struct {
		Name          string  `json:"name"`
		State         string  `json:"state"`
		LaunchSeconds float64 `json:"launch_seconds"`
		Hosts         []struct{ Name string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &up); err != nil || r.code != 0 || up.Name != name || up.State != "running" ||
		up.LaunchSeconds <= 0 || len(up.Hosts) != 1 {
		t.Errorf("up -d -o json: exit %d, %+v (%v), stdout\n%s", r.code, up, err, r.stdout)
	}
	if !strings.Contains(r.stderr, "launching topology") || !strings.Contains(r.stderr, "is up in") {
		t.Errorf("up -d -o json: no progress on stderr:\n%s", r.stderr)
	}
}
