package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/gopacket/pcapgo"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/examples"
	"github.com/vpcsim/vpcsim/router"
	"github.com/vpcsim/vpcsim/topology"
	"github.com/vpcsim/vpcsim/tun/tuntest"
)

// fakeDaemon is a Daemon of the yaml topology on in-memory devices: no
// namespaces, no root. Its API is served on a socket in a temporary run
// directory.
type fakeDaemon struct {
	*Daemon
	devs map[string]*tuntest.Device
	hc   *http.Client // of the daemon's socket
	logs *bytes.Buffer
}

// withPartner adds a second account to a topology file.
func withPartner(yaml []byte) []byte {
	return bytes.Replace(yaml, []byte("    name: me\n"), []byte("    name: me\n  - id: \"200000000002\"\n    name: partner\n"), 1)
}

func newFakeDaemon(t *testing.T, file string) *fakeDaemon {
	t.Helper()
	b, err := examples.FS.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return newFakeDaemonYAML(t, file, withPartner(b))
}

// newFakeDaemonYAML is newFakeDaemon of the topology yaml.
func newFakeDaemonYAML(t *testing.T, file string, yaml []byte) *fakeDaemon {
	t.Helper()
	topo, err := topology.Parse(file, yaml)
	if err != nil {
		t.Fatalf("Parse(%s): %v", file, err)
	}
	logs := new(bytes.Buffer)
	var mu sync.Mutex
	d := newDaemon(topo, slog.New(slog.NewJSONHandler(lockedWriter{&mu, logs}, nil)))
	f := &fakeDaemon{Daemon: d, devs: make(map[string]*tuntest.Device), logs: logs}
	devices := make(map[string]router.Device)
	for _, v := range topo.VPCs {
		for _, h := range v.Hosts {
			f.devs[h.Name] = tuntest.NewDevice(16)
			devices[h.Name] = f.devs[h.Name]
		}
	}
	d.Network, d.State, err = Wire(topo, devices, router.Config{}, control.Options{OnChange: d.logChange})
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "vpcsim-daemon")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	t.Setenv(api.RunDirEnv, dir)
	if err := d.serve(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	sock := api.SocketPath(topo.Name)
	f.hc = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}}
	return f
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// get sends GET path as account acct.
func (f *fakeDaemon) do(t testing.TB, method, path, acct string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, "http://vpcsim"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if acct != "" {
		req.Header.Set(api.AccountHeader, acct)
	}
	resp, err := f.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

type capturedPacket struct {
	iface string
	data  []byte
}

// readCapture reads a pcapng stream to its end.
func readCapture(t testing.TB, r io.Reader) []capturedPacket {
	t.Helper()
	ng, err := pcapgo.NewNgReader(r, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatalf("NewNgReader: %v", err)
	}
	var out []capturedPacket
	for {
		data, ci, err := ng.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("ReadPacketData: %v", err)
		}
		iface, err := ng.Interface(ci.InterfaceIndex)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, capturedPacket{iface.Name, data})
	}
}

func TestCaptureHost(t *testing.T) {
	f := newFakeDaemon(t, "best-practice.yaml")
	a1 := netip.MustParseAddr("192.168.1.10")
	gw := netip.MustParseAddr("192.168.1.1")
	resp := f.do(t, "GET", "/v1/capture?host=a1&count=2", "")
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/capture: %s", resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-pcapng" {
		t.Errorf("Content-Type = %q, want application/x-pcapng", ct)
	}
	// The headers come once the taps are attached: the ping is seen.
	req := tuntest.ICMPEcho(a1, gw, 7, 1, []byte("vpcsim"))
	f.devs["a1"].Inbound <- req
	pkts := readCapture(t, resp.Body)
	if len(pkts) != 2 {
		t.Fatalf("captured %d packets, want 2 (request out, reply in)", len(pkts))
	}
	if pkts[0].iface != "a1 out" || !bytes.Equal(pkts[0].data, req) {
		t.Errorf("packet 0 on %q = %x, want the request %x on \"a1 out\"", pkts[0].iface, pkts[0].data, req)
	}
	if pkts[1].iface != "a1 in" {
		t.Errorf("packet 1 on %q, want \"a1 in\" (the gateway's reply)", pkts[1].iface)
	}
	if got := resp.Trailer.Get(api.CaptureWrittenTrailer); got != "2" {
		t.Errorf("trailer %s = %q, want 2", api.CaptureWrittenTrailer, got)
	}
	if got := resp.Trailer.Get(api.CaptureDroppedTrailer); got != "0" {
		t.Errorf("trailer %s = %q, want 0", api.CaptureDroppedTrailer, got)
	}
	// The taps are gone: a new capture of the same host may start.
	resp2 := f.do(t, "GET", "/v1/capture?host=a1&duration=10ms", "")
	defer resp2.Body.Close()
	if resp2.StatusCode != http.StatusOK {
		t.Errorf("second capture of a1: %s, want 200 OK", resp2.Status)
	}
	io.Copy(io.Discard, resp2.Body)
}

func TestCapturePeering(t *testing.T) {
	f := newFakeDaemon(t, "best-practice.yaml")
	a1, b1 := netip.MustParseAddr("192.168.1.10"), netip.MustParseAddr("10.0.1.10")
	resp := f.do(t, "GET", "/v1/capture?peering=pcx-1&count=1", "")
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/capture: %s", resp.Status)
	}
	req := tuntest.ICMPEcho(a1, b1, 7, 1, []byte("vpcsim"))
	f.devs["a1"].Inbound <- req
	pkts := readCapture(t, resp.Body)
	if len(pkts) != 1 || pkts[0].iface != "pcx-1 vpc1->vpc2" || !bytes.Equal(pkts[0].data, req) {
		t.Fatalf("captured %v, want the request on \"pcx-1 vpc1->vpc2\"", pkts)
	}
	select {
	case got := <-f.devs["b1"].Outbound:
		if !bytes.Equal(got, req) {
			t.Errorf("b1 got %x, want %x", got, req)
		}
	case <-time.After(5 * time.Second):
		t.Error("b1 got nothing: capturing must not stop forwarding")
	}
}

func TestCaptureStopsWhenClientGoes(t *testing.T) {
	f := newFakeDaemon(t, "best-practice.yaml")
	resp := f.do(t, "GET", "/v1/capture?host=b1", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/capture: %s", resp.Status)
	}
	resp.Body.Close()
	// Once the handler has noticed, the taps are detached.
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := f.do(t, "GET", "/v1/capture?host=b1&duration=1ms", "")
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
		if r.StatusCode == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("capture of b1 still attached after the client left: %s", r.Status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCaptureErrors(t *testing.T) {
	f := newFakeDaemon(t, "best-practice.yaml")
	// a1 is watched by as many captures as a point takes.
	for range router.MaxTaps {
		busy := f.do(t, "GET", "/v1/capture?host=a1", "")
		defer busy.Body.Close()
		if busy.StatusCode != http.StatusOK {
			t.Fatalf("GET /v1/capture?host=a1: %s", busy.Status)
		}
	}
	const partner = "200000000002"
	tests := []struct {
		name, query, acct string
		status            int
		code              control.Code
	}{
		{"nothing", "", "", 400, control.CodeInvalidParameter},
		{"both", "host=a1&peering=pcx-1", "", 400, control.CodeInvalidParameter},
		{"bad count", "host=a1&count=-1", "", 400, control.CodeInvalidParameter},
		{"bad duration", "host=a1&duration=soon", "", 400, control.CodeInvalidParameter},
		{"unknown host", "host=zz", "", 404, control.CodeHostNotFound},
		{"host of another account", "host=b1", partner, 404, control.CodeHostNotFound},
		{"unknown peering", "peering=pcx-9", "", 404, control.CodePeeringNotFound},
		{"peering of another account", "peering=pcx-1", partner, 404, control.CodePeeringNotFound},
		{"unknown account", "host=a1", "999", 404, control.CodeAccountNotFound},
		{"already captured", "host=a1", "", 409, control.CodeInvalidState},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.do(t, "GET", "/v1/capture?"+tt.query, tt.acct)
			defer resp.Body.Close()
			var e control.Error
			json.NewDecoder(resp.Body).Decode(&e)
			if resp.StatusCode != tt.status || e.Code != tt.code {
				t.Errorf("GET /v1/capture?%s = %d %s (%s), want %d %s", tt.query, resp.StatusCode, e.Code, e.Message, tt.status, tt.code)
			}
		})
	}
}

func TestCaptureDeletedPeering(t *testing.T) {
	f := newFakeDaemon(t, "best-practice.yaml")
	if _, err := f.State.DeletePeering("", "pcx-1"); err != nil {
		t.Fatal(err)
	}
	resp := f.do(t, "GET", "/v1/capture?peering=pcx-1", "")
	defer resp.Body.Close()
	var e control.Error
	json.NewDecoder(resp.Body).Decode(&e)
	if resp.StatusCode != http.StatusConflict || e.Code != control.CodePeeringNotActive {
		t.Errorf("capture of a deleted peering = %d %s, want 409 %s", resp.StatusCode, e.Code, control.CodePeeringNotActive)
	}
}

func TestControlChangesAreLogged(t *testing.T) {
	f := newFakeDaemon(t, "best-practice.yaml")
	steps := []struct {
		method, path string
		want         map[string]string
	}{
		{"DELETE", "/v1/routes?table=vpc1-default&destination=10.0.1.0/24",
			map[string]string{"op": "route.delete", "account": "100000000001", "route_table": "vpc1-default", "destination": "10.0.1.0/24", "next_hop": "pcx-1"}},
		{"DELETE", "/v1/peerings/pcx-1",
			map[string]string{"op": "peering.delete", "account": "100000000001", "peering": "pcx-1", "status": "deleted"}},
	}
	for _, s := range steps {
		f.logs.Reset()
		resp := f.do(t, s.method, s.path, "")
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: %s", s.method, s.path, resp.Status)
		}
		var line map[string]any
		if err := json.Unmarshal(f.logs.Bytes(), &line); err != nil {
			t.Fatalf("%s %s: log is not one JSON line: %v\n%s", s.method, s.path, err, f.logs)
		}
		if line["msg"] != "control change" {
			t.Errorf("%s %s: msg = %v, want \"control change\"", s.method, s.path, line["msg"])
		}
		for k, v := range s.want {
			if line[k] != v {
				t.Errorf("%s %s: log %s = %v, want %q", s.method, s.path, k, line[k], v)
			}
		}
	}
	// A refused change and a read are not logged at info level.
	f.logs.Reset()
	for _, p := range []string{"/v1/peerings/pcx-1"} {
		resp := f.do(t, "DELETE", p, "")
		resp.Body.Close()
		resp = f.do(t, "GET", p, "")
		resp.Body.Close()
	}
	if f.logs.Len() != 0 {
		t.Errorf("refused change and read logged at info level:\n%s", f.logs)
	}
}

func TestMetricsAddr(t *testing.T) {
	tests := []struct{ in, want string }{
		{":9464", "127.0.0.1:9464"},
		{"9464", "127.0.0.1:9464"},
		{"0.0.0.0:9464", "0.0.0.0:9464"},
		{"[::1]:0", "[::1]:0"},
		{"localhost:1", "localhost:1"},
	}
	for _, tt := range tests {
		if got, err := metricsAddr(tt.in); got != tt.want || err != nil {
			t.Errorf("metricsAddr(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "nine", "99999", "host"} {
		if got, err := metricsAddr(bad); err == nil || !strings.Contains(err.Error(), `"`+bad+`"`) {
			t.Errorf("metricsAddr(%q) = %q, %v; want an error quoting it", bad, got, err)
		}
	}
}

func TestServeMetrics(t *testing.T) {
	f := newFakeDaemon(t, "best-practice.yaml")
	if err := f.listenMetrics("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	f.serveMetrics()
	defer f.metrics.Close()
	if _, _, err := net.SplitHostPort(f.MetricsAddr()); err != nil {
		t.Fatalf("MetricsAddr() = %q: %v", f.MetricsAddr(), err)
	}
	f.devs["a1"].Inbound <- tuntest.ICMPEcho(netip.MustParseAddr("192.168.1.10"), netip.MustParseAddr("192.168.1.1"), 7, 1, []byte("vpcsim"))
	want := `vpcsim_vpc_received_packets_total{vpc="vpc1"} 1`
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get("http://" + f.MetricsAddr() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if bytes.Contains(body, []byte(want)) && bytes.Contains(body, []byte(`vpcsim_peering_status{peer_vpc="vpc2",peering="pcx-1",status="active",vpc="vpc1"} 1`)) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /metrics: no %q in\n%s", want, body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCaptureEndsWhenDaemonCloses(t *testing.T) {
	f := newFakeDaemon(t, "best-practice.yaml")
	resp := f.do(t, "GET", "/v1/capture?host=a1", "")
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/capture: %s", resp.Status)
	}
	go f.Close()
	done := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(resp.Body)
		done <- b
	}()
	select {
	case b := <-done:
		if pkts := readCapture(t, bytes.NewReader(b)); len(pkts) != 0 {
			t.Errorf("captured %d packets, want 0", len(pkts))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("capture still running after the daemon began closing")
	}
}
