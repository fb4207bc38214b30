package router

import (
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vpcsim/vpcsim/tun/tuntest"
)

// brokenDevice is a host device whose reads fail, as a TUN device's do
// once its interface is deleted, for the first fails reads (all of them if
// fails is negative); after that it reads from Device.
type brokenDevice struct {
	*tuntest.Device
	fails int64
	reads atomic.Int64
}

var errDetached = errors.New("file descriptor in bad state")

func (d *brokenDevice) Read(bufs [][]byte, sizes []int, offset int) (int, error) {
	if n := d.reads.Add(1); d.fails < 0 || n <= d.fails {
		return 0, errDetached
	}
	return d.Device.Read(bufs, sizes, offset)
}

// deadSockDevice is a pollable device whose reads all fail, and count in
// reads.
type deadSockDevice struct {
	*sockDevice
	reads *atomic.Int64
}

func (d *deadSockDevice) TryRead([][]byte, []int, int) (int, error) {
	d.reads.Add(1)
	return 0, errDetached
}

func (d *deadSockDevice) Read([][]byte, []int, int) (int, error) {
	d.reads.Add(1)
	return 0, errDetached
}

// quickRetry is a retry policy for tests: a run of failures is logged
// every 50 ms and given up after 200 ms.
var quickRetry = retryPolicy{pause: time.Millisecond, maxPause: 5 * time.Millisecond, logEvery: 50 * time.Millisecond, goneAfter: 200 * time.Millisecond}

// hostStats returns the counters of host.
func hostStats(t *testing.T, n *Network, host string) HostStats {
	t.Helper()
	for _, h := range n.Stats().Hosts {
		if h.Host == host {
			return h
		}
	}
	t.Fatalf("no host %q in Stats", host)
	return HostStats{}
}

// TestFailingDeviceIsGivenUp checks that a host device whose reads keep
// failing is retried with growing pauses, logged a bounded number of times,
// and given up: marked gone, and no longer read. The other hosts go on.
func TestFailingDeviceIsGivenUp(t *testing.T) {
	for _, polled := range []bool{false, true} {
		t.Run(map[bool]string{false: "goroutine", true: "poller"}[polled], func(t *testing.T) {
			var logs syncBuffer
			cfg := Config{Logger: slog.New(slog.NewTextHandler(&logs, nil)), retry: quickRetry}
			broken := &brokenDevice{Device: tuntest.NewDevice(8), fails: -1}
			var tn *testNet
			if polled {
				tn, _ = newPolledTestNet(t, cfg, func(name string, d *sockDevice) Device {
					if name == "a2" {
						return &deadSockDevice{sockDevice: d, reads: &broken.reads}
					}
					return d
				})
				// A packet waiting makes the descriptor ready, as a
				// detached TUN descriptor always is.
				tn.send("a2", udp(addr("192.168.2.10"), addr("192.168.1.10"), 64))
			} else {
				tn = newTestNetWith(t, cfg, map[string]Device{"a2": broken})
			}
			tn.update(t, []Peering{pcx12}, bothWays)

			deadline := time.Now().Add(5 * time.Second)
			for !hostStats(t, tn.Network, "a2").DeviceGone {
				if time.Now().After(deadline) {
					t.Fatalf("a2 not gone after 5s; stats %+v; log:\n%s", hostStats(t, tn.Network, "a2"), logs.String())
				}
				time.Sleep(5 * time.Millisecond)
			}
			h := hostStats(t, tn.Network, "a2")
			if h.ReadErrors < 2 {
				t.Errorf("a2: %d read errors counted, want the run of failures (at least 2)", h.ReadErrors)
			}
			// Retries pause longer and longer: at most one per ms at first,
			// then one per 5 ms, over the 200 ms until the device is gone.
			if max := uint64(200/5 + 10); h.ReadErrors > max {
				t.Errorf("a2: %d failed reads before it was given up, want at most %d: retries do not pause", h.ReadErrors, max)
			}
			reads := broken.reads.Load()
			time.Sleep(50 * time.Millisecond)
			if got := broken.reads.Load(); got != reads {
				t.Errorf("a2 was read %d more times after it was given up, want none", got-reads)
			}
			// The first failure, at most one summary per 50 ms, and the
			// verdict: a handful of lines, not one per failure.
			lines := strings.Count(logs.String(), "host=a2")
			if lines < 2 || lines > 2+200/50+1 {
				t.Errorf("a2's failures were logged in %d lines, want 2..%d:\n%s", lines, 2+200/50+1, logs.String())
			}
			for _, want := range []string{`msg="read from host failed; retrying"`, `msg="read from host failing; device gone, no longer read"`} {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("log lacks %s:\n%s", want, logs.String())
				}
			}
			pingPong(t, tn, 5)
		})
	}
}

// TestFailingDeviceRecovers checks that reads that fail for a while and then
// succeed again are logged, and the host keeps being read.
func TestFailingDeviceRecovers(t *testing.T) {
	var logs syncBuffer
	cfg := Config{Logger: slog.New(slog.NewTextHandler(&logs, nil)), retry: quickRetry}
	broken := &brokenDevice{Device: tuntest.NewDevice(8), fails: 5}
	tn := newTestNetWith(t, cfg, map[string]Device{"a1": broken})
	tn.dev["a1"] = broken.Device
	tn.update(t, []Peering{pcx12}, bothWays)
	pingPong(t, tn, 5)
	if h := hostStats(t, tn.Network, "a1"); h.DeviceGone || h.ReadErrors != 5 {
		t.Errorf("a1: gone %v after %d read errors, want not gone after 5", h.DeviceGone, h.ReadErrors)
	}
	if !strings.Contains(logs.String(), `msg="read from host recovered"`) {
		t.Errorf("log does not say a1 recovered:\n%s", logs.String())
	}
}

// TestHostStatsJSONKeys checks that a host's read errors and whether its
// device is gone are in its JSON even when zero and false.
func TestHostStatsJSONKeys(t *testing.T) {
	b, err := json.Marshal(HostStats{Host: "a1", VPC: "v"})
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"read_errors":0`, `"device_gone":false`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("HostStats JSON %s lacks %s", b, key)
		}
	}
}
