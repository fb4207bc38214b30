package main

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/router"
	"github.com/vpcsim/vpcsim/tun/tuntest"
)

// TestNSDeletedDeviceIsGoneAndTheLogStops deletes a host's eth0 from
// inside its namespace, as a careless user may, and checks that the
// daemon gives the device up (stats and status say so), that its log
// says so in a few lines and then stops growing, that the other host
// still forwards, and that down removes the log.
func TestNSDeletedDeviceIsGoneAndTheLogStops(t *testing.T) {
	tuntest.NeedRoot(t, "ping")
	name, file := writeTopology(t, "dg", bestPractice)
	up(t, name, file)
	logFile := api.LogPath(name)

	var st []api.Status
	if err := json.Unmarshal([]byte(binOK(t, "status", "-o", "json", "--topology", name)), &st); err != nil {
		t.Fatal(err)
	}
	ns := make(map[string]string)
	for _, h := range st[0].Hosts {
		ns[h.Name] = h.Namespace
		if h.DeviceGone {
			t.Errorf("host %s: device gone before anything happened", h.Name)
		}
	}
	if !ping(t, name, "a1", "10.0.1.10") {
		t.Fatal("a1 cannot ping b1")
	}
	if out, err := exec.Command("ip", "-n", ns["a1"], "link", "del", "eth0").CombinedOutput(); err != nil {
		t.Fatalf("ip link del eth0 in %s: %v\n%s", ns["a1"], err, out)
	}

	hostStats := func() map[string]router.HostStats {
		var s api.Stats
		if err := json.Unmarshal([]byte(binOK(t, "--topology", name, "stats", "-o", "json")), &s); err != nil {
			t.Fatal(err)
		}
		m := make(map[string]router.HostStats)
		for _, h := range s.Hosts {
			m[h.Host] = h
		}
		return m
	}
	// The router gives a device up after 5 s of failed reads.
	deadline := time.Now().Add(20 * time.Second)
	for !hostStats()["a1"].DeviceGone {
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logFile)
			t.Fatalf("a1's device not gone 20 s after its eth0 was deleted: %+v\nlog:\n%s", hostStats()["a1"], b)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if h := hostStats(); h["a1"].ReadErrors == 0 || h["b1"].DeviceGone {
		t.Errorf("stats: a1 %+v, b1 %+v; want a1's failed reads counted and b1's device up", h["a1"], h["b1"])
	}
	if err := json.Unmarshal([]byte(binOK(t, "status", "-o", "json", "--topology", name)), &st); err != nil {
		t.Fatal(err)
	}
	for _, h := range st[0].Hosts {
		if h.DeviceGone != (h.Name == "a1") {
			t.Errorf("status: host %s device_gone %v", h.Name, h.DeviceGone)
		}
	}
	if table := binOK(t, "status", "--topology", name); !strings.Contains(table, "DEVICE") || !strings.Contains(table, " gone") {
		t.Errorf("vpcsim status does not show a1's device gone:\n%s", table)
	}

	// Every queue of the host has given up within a second of the first;
	// from then on the log must not grow.
	time.Sleep(time.Second)
	before, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	after, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("the log grew by %d bytes in 3 s after the device was given up:\n%s", len(after)-len(before), after[len(before):])
	}
	// Per queue, at most the first failure, a summary, and the verdict.
	lines := 0
	for _, l := range strings.Split(string(after), "\n") {
		if strings.Contains(l, "host=a1") && strings.Contains(l, "read from host") {
			lines++
		}
	}
	if lines == 0 || lines > 3*router.MaxLanes {
		t.Errorf("a1's failures were logged in %d lines, want 1..%d:\n%s", lines, 3*router.MaxLanes, after)
	}
	t.Logf("a1 gone after %d failed reads, logged in %d lines; log %d bytes", hostStats()["a1"].ReadErrors, lines, len(after))

	// b1's requests to a1 can no longer be delivered; b1 itself is
	// still served.
	if ping(t, name, "b1", "192.168.1.10") {
		t.Error("b1 pinged a1, whose eth0 is gone")
	}
	if !ping(t, name, "b1", "10.0.1.1") {
		t.Error("b1 cannot ping its gateway after a1's device was given up")
	}

	binOK(t, "down", name)
	if _, err := os.Stat(logFile); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after down, the log %s: %v, want it removed", logFile, err)
	}
}
