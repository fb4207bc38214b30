package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/examples"
	"github.com/vpcsim/vpcsim/router"
	"github.com/vpcsim/vpcsim/tun/tuntest"
)

// Integration tests of the observation commands: stats, capture, graph,
// metrics and logs, against a running daemon.

// exampleTopology writes the example file with a unique topology name.
func exampleTopology(t *testing.T, file, prefix string) (name, path string) {
	t.Helper()
	b, err := examples.FS.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	yaml := regexp.MustCompile(`(?m)^name: .*$`).ReplaceAllString(string(b), "name: NAME")
	return writeTopology(t, prefix, yaml)
}

func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (make deps installs it)", tool)
		}
	}
}

// startCapture starts "vpcsim capture" with args and waits until it runs.
// wait returns its standard error once it has ended.
func startCapture(t *testing.T, args ...string) (wait func() string) {
	t.Helper()
	c := exec.Command(vpcsimBin, append([]string{"capture"}, args...)...)
	stderr, err := c.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Process.Kill(); c.Wait() })
	br := bufio.NewReader(stderr)
	line, err := br.ReadString('\n')
	if !strings.HasPrefix(line, "capturing ") {
		rest, _ := io.ReadAll(br)
		t.Fatalf("vpcsim capture %s: %q%s (%v)", strings.Join(args, " "), line, rest, err)
	}
	return func() string {
		rest, _ := io.ReadAll(br)
		if err := c.Wait(); err != nil {
			t.Errorf("vpcsim capture %s: %v\n%s", strings.Join(args, " "), err, rest)
		}
		return string(rest)
	}
}

// tcpdump returns the packets of a capture file, one line each.
func tcpdump(t *testing.T, file string) string {
	t.Helper()
	out, err := exec.Command("tcpdump", "-nn", "-r", file).CombinedOutput()
	if err != nil {
		t.Fatalf("tcpdump -r %s: %v\n%s", file, err, out)
	}
	return string(out)
}

// tsharkRows returns the fields of the packets of a capture file that match
// filter, one row per packet.
func tsharkRows(t *testing.T, file, filter string, fields ...string) [][]string {
	t.Helper()
	args := []string{"-n", "-r", file, "-Y", filter, "-T", "fields", "-E", "separator=/t"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	c := exec.Command("tshark", args...)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		t.Fatalf("tshark -r %s -Y %q: %v\n%s", file, filter, err, stderr.Bytes())
	}
	var rows [][]string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line != "" {
			rows = append(rows, strings.Split(line, "\t"))
		}
	}
	return rows
}

var summaryRE = regexp.MustCompile(`(\d+) packets captured, (\d+) dropped by the capture`)

func TestNSCapturePingAndIperf(t *testing.T) {
	tuntest.NeedRoot(t, "ping")
	needTools(t, "tcpdump", "tshark", "iperf3")
	name, file := exampleTopology(t, "best-practice.yaml", "cap")
	up(t, name, file)
	dir := t.TempDir()
	peeringFile, hostFile := filepath.Join(dir, "pcx.pcapng"), filepath.Join(dir, "a1.pcapng")

	// Ping at 20 packets a second: no loss, nothing lost by the captures.
	waitPeering := startCapture(t, "--topology", name, "--peering", "pcx-1", "-w", peeringFile, "--duration", "3s")
	waitHost := startCapture(t, "--topology", name, "--host", "a1", "-w", hostFile, "--duration", "3s")
	out := binOK(t, "--topology", name, "exec", "a1", "--", "ping", "-n", "-q", "-c", "20", "-i", "0.05", "-W", "1", "10.0.1.10")
	if !strings.Contains(out, " 0% packet loss") {
		t.Errorf("ping while capturing:\n%s\nwant 0%% packet loss", out)
	}
	for _, c := range []struct {
		file string
		wait func() string
	}{{peeringFile, waitPeering}, {hostFile, waitHost}} {
		summary := c.wait()
		m := summaryRE.FindStringSubmatch(summary)
		if m == nil || m[2] != "0" {
			t.Errorf("capture into %s: summary %q, want \"N packets captured, 0 dropped by the capture\"", c.file, summary)
		}
		dump := tcpdump(t, c.file)
		for _, want := range []string{
			"IP 192.168.1.10 > 10.0.1.10: ICMP echo request",
			"IP 10.0.1.10 > 192.168.1.10: ICMP echo reply",
		} {
			if !strings.Contains(dump, want) {
				t.Errorf("tcpdump -r %s: no %q in\n%s", c.file, want, dump)
			}
		}
		// Each ICMP packet once per capture point it crossed.
		count := make(map[string]int)
		for _, row := range tsharkRows(t, c.file, "icmp", "frame.interface_name", "icmp.type", "ip.src", "ip.dst") {
			count[strings.Join(row, " ")]++
		}
		want := map[string]int{
			"pcx-1 vpc1->vpc2 8 192.168.1.10 10.0.1.10": 20,
			"pcx-1 vpc2->vpc1 0 10.0.1.10 192.168.1.10": 20,
		}
		if c.file == hostFile {
			want = map[string]int{
				"a1 out 8 192.168.1.10 10.0.1.10": 20,
				"a1 in 0 10.0.1.10 192.168.1.10":  20,
			}
		}
		if diff := cmp.Diff(want, count); diff != "" {
			t.Errorf("tshark -r %s: ICMP packets by interface, type, source, destination (-want +got):\n%s", c.file, diff)
		}
	}

	// A second of iperf3 (20 Mbit/s, so the files stay small) across the peering: TCP to port 5201 is captured.
	iperfFile := filepath.Join(dir, "iperf.pcapng")
	server := exec.Command(vpcsimBin, "--topology", name, "exec", "b1", "--", "iperf3", "-s", "-1")
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Process.Kill(); server.Wait() })
	waitIperf := startCapture(t, "--topology", name, "--peering", "pcx-1", "-w", iperfFile, "--duration", "4s")
	var client result
	for try := 0; try < 20; try++ { // until the server listens
		if client = runBin(t, "--topology", name, "exec", "a1", "--", "iperf3", "-c", "10.0.1.10", "-t", "1", "-b", "20M"); client.code == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if client.code != 0 {
		t.Fatalf("iperf3 -c: exit %d\n%s%s", client.code, client.stdout, client.stderr)
	}
	t.Logf("iperf3 while capturing: %s", waitIperf())
	if rows := tsharkRows(t, iperfFile, "tcp.dstport == 5201 && ip.dst == 10.0.1.10", "frame.number"); len(rows) == 0 {
		t.Errorf("tshark -r %s: no TCP to 10.0.1.10 port 5201", iperfFile)
	}
	if dump := tcpdump(t, iperfFile); !strings.Contains(dump, "> 10.0.1.10.5201: Flags [S]") {
		t.Errorf("tcpdump -r %s: no SYN to 10.0.1.10.5201", iperfFile)
	}
}

func TestNSCaptureErrors(t *testing.T) {
	tuntest.NeedRoot(t, "ping")
	name, file := exampleTopology(t, "best-practice.yaml", "cer")
	up(t, name, file)
	binFails(t, "HostNotFound", "--topology", name, "capture", "--host", "nobody", "-w", "-")
	binFails(t, "PeeringNotFound", "--topology", name, "capture", "--peering", "pcx-9", "-w", "-")
	if r := runBin(t, "--topology", name, "capture", "-w", "-"); r.code != 2 {
		t.Errorf("capture without --peering or --host: exit %d, want 2 (usage)", r.code)
	}
}

var metricsRE = regexp.MustCompile(`metrics  http://(\S+)/metrics`)

func TestNSMetricsStatsGraphAndLogs(t *testing.T) {
	tuntest.NeedRoot(t, "ping")
	needTools(t, "curl", "dot")
	name, file := exampleTopology(t, "non-transitive.yaml", "obs")
	out := binOK(t, "up", "-d", "--log-format", "json", "--metrics-addr", "127.0.0.1:0", file)
	t.Cleanup(func() { runBin(t, "down", name) })
	m := metricsRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("vpcsim up --metrics-addr: no metrics address in\n%s", out)
	}
	scrape := func() string {
		out, err := exec.Command("curl", "-sSf", "--max-time", "5", "http://"+m[1]+"/metrics").Output()
		if err != nil {
			t.Fatalf("curl http://%s/metrics: %v", m[1], err)
		}
		return string(out)
	}
	const series = `vpcsim_drops_total{reason="not_transitive",vpc="vpc1"} `
	if !strings.Contains(scrape(), series+"0\n") {
		t.Errorf("before any transit attempt: no %q0", series)
	}
	if ping(t, name, "h2", "10.3.1.10") {
		t.Error("h2 reached h3 through vpc1")
	}
	if s := scrape(); strings.Contains(s, series+"0\n") || !strings.Contains(s, series) {
		t.Errorf("after a transit attempt: %q is still 0 or missing", series)
	}

	// stats: the drops show as a column, and in JSON.
	table := binOK(t, "--topology", name, "stats")
	if !hasRow(table, "VPC", "PACKETS", "BYTES", "DROPS", "NOT_TRANSITIVE") || !hasRow(table, "HOST", "VPC", "TX", "PACKETS", "TX", "BYTES", "RX", "PACKETS") {
		t.Errorf("vpcsim stats: no VPC and HOST headers with a NOT_TRANSITIVE column:\n%s", table)
	}
	var st struct {
		VPCs []struct {
			VPC   string            `json:"vpc"`
			Drops map[string]uint64 `json:"drops"`
		} `json:"vpcs"`
	}
	if err := json.Unmarshal([]byte(binOK(t, "--topology", name, "stats", "-o", "json")), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.VPCs) != 3 || st.VPCs[0].VPC != "vpc1" || st.VPCs[0].Drops["not_transitive"] == 0 {
		t.Errorf("vpcsim stats -o json: %+v, want vpc1 first with not_transitive drops", st.VPCs)
	}

	// A host's TX is what it sent, RX what it was delivered: the same
	// numbers the kernel keeps for its interface. h2 sent more than it got
	// back: its pings to h3 went unanswered.
	if !ping(t, name, "h2", "10.1.1.10") {
		t.Error("h2 cannot reach h1")
	}
	var hs router.Stats
	if err := json.Unmarshal([]byte(binOK(t, "--topology", name, "stats", "--host", "h2", "-o", "json")), &hs); err != nil || len(hs.Hosts) != 1 {
		t.Fatalf("vpcsim stats --host h2 -o json: %+v (%v)", hs, err)
	}
	var link []struct {
		Stats struct {
			RX, TX struct{ Packets, Bytes uint64 }
		} `json:"stats64"`
	}
	ipOut := binOK(t, "--topology", name, "exec", "h2", "--", "ip", "-j", "-s", "link", "show", "dev", "eth0")
	if err := json.Unmarshal([]byte(ipOut), &link); err != nil || len(link) != 1 {
		t.Fatalf("ip -j -s link show dev eth0: %v\n%s", err, ipOut)
	}
	got, kernel := hs.Hosts[0], link[0].Stats
	if got.TX != router.Count(kernel.TX) || got.RX != router.Count(kernel.RX) || got.TX.Packets <= got.RX.Packets {
		t.Errorf("vpcsim stats for h2: tx %+v rx %+v; ip -s link in h2: tx %+v rx %+v", got.TX, got.RX, kernel.TX, kernel.RX)
	}

	// graph of the running topology renders.
	dotOut := binOK(t, "--topology", name, "graph")
	c := exec.Command("dot", "-Tsvg")
	c.Stdin = strings.NewReader(dotOut)
	if svg, err := c.Output(); err != nil || !bytes.Contains(svg, []byte("<svg")) {
		t.Errorf("vpcsim graph | dot -Tsvg: %v\n%s", err, dotOut)
	}
	if mm := binOK(t, "--topology", name, "graph", "-o", "mermaid"); !strings.HasPrefix(mm, "flowchart LR\n") {
		t.Errorf("vpcsim graph -o mermaid:\n%s", mm)
	}

	// A control change is one JSON log line.
	binOK(t, "--topology", name, "route", "delete", "--table", "vpc2-default", "--destination", "10.3.0.0/16")
	logFile := filepath.Join(api.SocketDir(), name+".log")
	var found bool
	deadline := time.Now().Add(5 * time.Second)
	for !found && time.Now().Before(deadline) {
		b, err := os.ReadFile(logFile)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("log line is not JSON: %q: %v", line, err)
			}
			if rec["msg"] == "control change" && rec["op"] == "route.delete" && rec["route_table"] == "vpc2-default" &&
				rec["destination"] == "10.3.0.0/16" && rec["account"] == "100000000001" {
				found = true
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !found {
		b, _ := os.ReadFile(logFile)
		t.Errorf("no JSON \"control change\" line for the route deletion in %s:\n%s", logFile, b)
	}
}
