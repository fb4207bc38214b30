package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vpcsim/vpcsim/daemon"
	"github.com/vpcsim/vpcsim/tun/tuntest"
)

// The tests in this file hold vpcsim to honest outcomes: a command that
// fails says so with its exit status, and one that is interrupted either
// finishes or undoes what it did, and says which.

// manyHosts is a topology of n hosts in one VPC: slow enough to launch that
// a test can interrupt it.
func manyHosts(n int) string {
	var b strings.Builder
	b.WriteString("name: NAME\nvpcs:\n  - id: vpc1\n    cidr: 10.1.0.0/16\n    subnets: [{id: s1, cidr: 10.1.0.0/22}]\n    hosts:\n")
	for i := range n {
		fmt.Fprintf(&b, "      - {name: h%d, subnet: s1}\n", i)
	}
	return b.String()
}

func TestNSUpWhileRunningFails(t *testing.T) {
	tuntest.NeedRoot(t, "ping")
	name, file := writeTopology(t, "ar", bestPractice)
	up(t, name, file)
	binFails(t, "AlreadyRunning", "up", "-d", file)
	// Another file with the same topology name.
	other := filepath.Join(t.TempDir(), "other.yaml")
	yaml := strings.Replace(manyHosts(1), "name: NAME", "name: "+name, 1)
	if err := os.WriteFile(other, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	binFails(t, "AlreadyRunning", "up", "-d", other)
	binFails(t, "AlreadyRunning", "up", other)
	if !ping(t, name, "a1", "10.0.1.10") {
		t.Error("the running topology stopped forwarding")
	}
}

// startUp starts "vpcsim up -d file" and returns it once it has printed
// its first host, with the rest of its output to come on lines.
func startUp(t *testing.T, file string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	c := exec.Command(vpcsimBin, "up", "-d", file)
	stdout, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	c.Stderr = &stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "host ") {
			go func() {
				for sc.Scan() {
				}
			}()
			return c, &stderr
		}
	}
	c.Wait()
	t.Fatalf("vpcsim up -d %s created no host: %s", file, &stderr)
	return nil, nil
}

func TestNSInterruptedLaunchUndoesItself(t *testing.T) {
	tuntest.NeedRoot(t, "ping")
	name, file := writeTopology(t, "ci", manyHosts(600))
	c, stderr := startUp(t, file)
	c.Process.Signal(os.Interrupt)
	err := c.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Errorf("vpcsim up -d interrupted: %v, want exit status 130", err)
	}
	if !strings.Contains(stderr.String(), "interrupted; the daemon removed what it had created") {
		t.Errorf("stderr %q does not say the launch was undone", stderr)
	}
	if left := netnsWithPrefix(t, name+"-"); len(left) > 0 {
		t.Errorf("namespaces left after an interrupted launch: %d", len(left))
		runBin(t, "down", name)
	}
	if _, err := daemon.ReadRecord(name); err == nil {
		t.Errorf("record of %s left after an interrupted launch", name)
	}
}

func TestNSLaunchOutlivesItsParent(t *testing.T) {
	tuntest.NeedRoot(t, "ping")
	name, file := writeTopology(t, "cp", manyHosts(400))
	c, _ := startUp(t, file)
	c.Process.Kill()
	c.Wait()
	t.Cleanup(func() { runBin(t, "down", name) })
	// The daemon finishes the launch on its own.
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := runBin(t, "--topology", name, "status")
		if r.code == 0 && strings.Contains(r.stdout, "TOPOLOGY "+name+"  pid") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the daemon did not finish its launch after its parent died:\n%s%s", r.stdout, r.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := len(netnsWithPrefix(t, name+"-")); n != 400 {
		t.Errorf("%d namespaces, want 400", n)
	}
	if !ping(t, name, "h0", "10.1.0.3") {
		t.Error("h0 cannot reach h1")
	}
}

func TestNSHungDaemonDoesNotHangCommands(t *testing.T) {
	tuntest.NeedRoot(t, "ping")
	name, file := writeTopology(t, "hd", bestPractice)
	other, otherFile := writeTopology(t, "ok", manyHosts(1))
	up(t, name, file)
	up(t, other, otherFile)
	r, err := daemon.ReadRecord(name)
	if err != nil {
		t.Fatal(err)
	}
	syscall.Kill(r.PID, syscall.SIGSTOP)
	defer syscall.Kill(r.PID, syscall.SIGCONT)

	start := time.Now()
	out := binOK(t, "status")
	if !strings.Contains(out, "TOPOLOGY "+name+"  NOT-ANSWERING") || !strings.Contains(out, "TOPOLOGY "+other+"  pid") {
		t.Errorf("status with a hung daemon:\n%s\nwant %s marked not answering and %s shown", out, name, other)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("status took %v with a hung daemon", d)
	}
	start = time.Now()
	binOK(t, "down", name)
	if d := time.Since(start); d > 25*time.Second {
		t.Errorf("down of a hung daemon took %v", d)
	}
	if left := netnsWithPrefix(t, name+"-"); len(left) > 0 {
		t.Errorf("namespaces left after down of a hung daemon: %v", left)
	}
}

// TestNSTwoLaunchesAtOnce: of two up -d of one topology at the same time,
// one launches and the other says AlreadyRunning; nothing is left over.
func TestNSTwoLaunchesAtOnce(t *testing.T) {
	tuntest.NeedRoot(t, "ping")
	name, file := writeTopology(t, "tw", manyHosts(20))
	t.Cleanup(func() { runBin(t, "down", name) })
	results := make(chan result, 2)
	for range 2 {
		go func() { results <- runBin(t, "up", "-d", file) }()
	}
	a, b := <-results, <-results
	if a.code != 0 {
		a, b = b, a
	}
	if a.code != 0 || b.code != 1 || !strings.Contains(b.stderr, "error: AlreadyRunning: ") {
		t.Fatalf("two up -d at once: exits %d and %d, stderr %q and %q; want one up and one AlreadyRunning", a.code, b.code, a.stderr, b.stderr)
	}
	if n := len(netnsWithPrefix(t, name+"-")); n != 20 {
		t.Errorf("%d namespaces, want the 20 of the one launch", n)
	}
	if !ping(t, name, "h0", "10.1.0.3") {
		t.Error("the topology that launched does not forward")
	}
}

// TestNSExecLikeAShell: vpcsim exec passes signals to the command's whole
// process group and exits as a shell would; down ends what exec left
// running in the hosts.
func TestNSExecLikeAShell(t *testing.T) {
	tuntest.NeedRoot(t, "ping", "sh", "sleep")
	name, file := writeTopology(t, "xs", bestPractice)
	up(t, name, file)
	exec1 := func(args ...string) result {
		return runBin(t, append([]string{"--topology", name, "exec", "a1", "--"}, args...)...)
	}
	notExec := filepath.Join(t.TempDir(), "script")
	os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644)
	for _, tt := range []struct {
		name string
		args []string
		code int
	}{
		{"exit status", []string{"sh", "-c", "exit 7"}, 7},
		{"missing program", []string{"no-such-program"}, 127},
		{"not executable", []string{notExec}, 126},
		{"killed by a signal", []string{"sh", "-c", "kill -TERM $$"}, 128 + 15},
	} {
		if r := exec1(tt.args...); r.code != tt.code {
			t.Errorf("%s: exit %d (stderr %q), want %d", tt.name, r.code, r.stderr, tt.code)
		}
	}
	if r := runBin(t, "--topology", name, "exec", "a1", "ping", "-c", "1", "10.0.1.10"); r.code != 2 || !strings.Contains(r.stderr, "vpcsim exec a1 -- ping -c 1 10.0.1.10") {
		t.Errorf("exec without --: exit %d, stderr %q; want 2 and the command line with --", r.code, r.stderr)
	}

	// SIGTERM to vpcsim reaches the command and its child: the trap runs,
	// and the sleep it started is gone.
	c := exec.Command(vpcsimBin, "--topology", name, "exec", "a1", "--", "sh", "-c",
		`trap 'echo trapped; exit 3' TERM; sleep 1000 & echo $! ; wait`)
	out, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	if !sc.Scan() {
		t.Fatal("the command printed no pid")
	}
	sleepPID, _ := strconv.Atoi(sc.Text())
	// The shell's child is "sleep" only once it has exec'd: before, it
	// still runs the shell's trap, which would swallow the signal.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", sleepPID)); string(comm) == "sleep\n" {
			break
		}
	}
	c.Process.Signal(syscall.SIGTERM)
	// A child that outlives the signal holds the output open: end it
	// after a while, so that the test fails rather than hangs.
	var outlived atomic.Bool
	guard := time.AfterFunc(10*time.Second, func() {
		outlived.Store(true)
		syscall.Kill(sleepPID, syscall.SIGKILL)
	})
	rest, _ := io.ReadAll(out)
	guard.Stop()
	err = c.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 || !strings.Contains(string(rest), "trapped") {
		t.Errorf("SIGTERM to vpcsim exec: %v, output %q; want the trap's exit 3 and its message", err, rest)
	}
	time.Sleep(100 * time.Millisecond)
	if outlived.Load() || running(sleepPID) {
		syscall.Kill(sleepPID, syscall.SIGKILL)
		t.Errorf("the command's child (pid %d) outlived SIGTERM to vpcsim exec", sleepPID)
	}

	// What exec left running ends with down.
	// It says so once it runs in the host, so that down cannot come first.
	bg := exec.Command(vpcsimBin, "--topology", name, "exec", "b1", "--", "sh", "-c", "echo up; exec sleep 1000")
	bgOut, err := bg.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := bg.Start(); err != nil {
		t.Fatal(err)
	}
	if sc := bufio.NewScanner(bgOut); !sc.Scan() || sc.Text() != "up" {
		t.Fatal("the background command did not start")
	}
	exited := make(chan error, 1)
	go func() { exited <- bg.Wait() }()
	down := binOK(t, "down", name)
	if !strings.Contains(down, "ended the process still running in its hosts") {
		t.Errorf("down said %q, want it to say it ended the process", down)
	}
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		bg.Process.Kill()
		t.Error("a process started with exec outlived down")
	}
}

// running reports whether the process pid runs: it exists and is not a
// zombie waiting to be reaped.
func running(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i > 0 && i+2 < len(b) && b[i+2] != 'Z'
}
