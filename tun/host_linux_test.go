package tun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vpcsim/vpcsim/tun/tuntest"
)

// testPrefix starts the name of every namespace these tests create; the
// PID keeps parallel runs apart.
var testPrefix = fmt.Sprintf("vpcsimtun%d-", os.Getpid())

func TestMain(m *testing.M) {
	// The runtime never ends the main thread, which /proc/self names: a
	// thread that TestNSDo leaves in a namespace to be ended must not be
	// it. Locked to this goroutine, it runs no test.
	runtime.LockOSThread()
	code := m.Run()
	if os.Geteuid() == 0 {
		// Leak check: every test must have removed its namespaces.
		left, err := List(testPrefix)
		if err != nil || len(left) > 0 {
			fmt.Fprintf(os.Stderr, "leaked namespaces %q (list error %v)\n", left, err)
			for _, ns := range left {
				Delete(ns)
			}
			code = 1
		}
	}
	os.Exit(code)
}

var nsCounter atomic.Int32

// uniqueNS returns a namespace name no other test uses.
func uniqueNS() string { return fmt.Sprintf("%s%d", testPrefix, nsCounter.Add(1)) }

// testConfig returns a valid config for a fresh namespace: host 10.9.0.10/24,
// gateway 10.9.0.1.
func testConfig() HostConfig {
	return HostConfig{
		Namespace: uniqueNS(),
		Addr:      netip.MustParsePrefix("10.9.0.10/24"),
		Gateway:   netip.MustParseAddr("10.9.0.1"),
	}
}

// newHost creates a host that is closed when the test ends.
func newHost(t testing.TB, cfg HostConfig) *Host {
	t.Helper()
	h, err := CreateHost(cfg)
	if err != nil {
		t.Fatalf("CreateHost(%+v): %v", cfg, err)
	}
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Errorf("Host(%s).Close: %v", h.Namespace(), err)
		}
	})
	return h
}

// run runs a command and returns its combined output, failing the test on
// error.
func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// readTimeout reads one batch from d, failing the test if nothing arrives
// within timeout. On timeout it closes d to unblock the read.
func readTimeout(t testing.TB, d *Device, bufs [][]byte, sizes []int, timeout time.Duration) int {
	t.Helper()
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := d.Read(bufs, sizes, 0)
		done <- result{n, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("Read: %v", r.err)
		}
		return r.n
	case <-time.After(timeout):
		d.Close()
		<-done
		t.Fatalf("Read: no packet within %v", timeout)
		return 0
	}
}

func makeBufs(n, size int) ([][]byte, []int) {
	bufs := make([][]byte, n)
	for i := range bufs {
		bufs[i] = make([]byte, size)
	}
	return bufs, make([]int, n)
}

func TestNSCreateHost(t *testing.T) {
	tuntest.NeedRoot(t, "ip")
	cfg := testConfig()
	cfg.MTU = 1400
	h := newHost(t, cfg)
	ns := h.Namespace()

	if ns != cfg.Namespace {
		t.Errorf("Namespace() = %q, want %q", ns, cfg.Namespace)
	}
	if d := h.Device(); d.Name() != "eth0" || d.MTU() != 1400 {
		t.Errorf("Device() name %q MTU %d, want eth0 1400", d.Name(), d.MTU())
	}
	if got := len(h.Devices()); got != 1 {
		t.Errorf("len(Devices()) = %d, want 1", got)
	}

	checks := []struct {
		name string
		args []string
		want []string
	}{
		{"ip netns list", []string{"netns", "list"}, []string{ns}},
		{"address", []string{"-n", ns, "-4", "-o", "addr", "show", "dev", "eth0"}, []string{"inet 10.9.0.10/24"}},
		{"link", []string{"-n", ns, "link", "show", "dev", "eth0"}, []string{"mtu 1400", "UP", "LOWER_UP", "qlen 1000"}},
		{"loopback", []string{"-n", ns, "link", "show", "dev", "lo"}, []string{"UP"}},
		{"default route", []string{"-n", ns, "-4", "route", "show", "default"}, []string{"default via 10.9.0.1 dev eth0"}},
		{"tun details", []string{"-n", ns, "-d", "link", "show", "dev", "eth0"}, []string{"tun type tun pi off"}},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			out := run(t, "ip", c.args...)
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("ip %s = %q, want it to contain %q", strings.Join(c.args, " "), out, w)
				}
			}
		})
	}
	t.Run("ipv6 disabled", func(t *testing.T) {
		out, err := Exec(ns, "cat", "/proc/sys/net/ipv6/conf/eth0/disable_ipv6").CombinedOutput()
		if err != nil {
			t.Skipf("no IPv6 settings: %v: %s", err, out)
		}
		if got := strings.TrimSpace(string(out)); got != "1" {
			t.Errorf("net.ipv6.conf.eth0.disable_ipv6 = %q, want 1", got)
		}
	})

	t.Run("no tun descriptor in children", func(t *testing.T) {
		out, err := Exec(ns, "ls", "-l", "/proc/self/fd/").CombinedOutput()
		if err != nil {
			t.Fatalf("ls /proc/self/fd in %s: %v: %s", ns, err, out)
		}
		if strings.Contains(string(out), "/dev/net/tun") {
			t.Errorf("a command run in the namespace inherited the TUN descriptor:\n%s", out)
		}
	})

	if ok, err := Exists(ns); !ok || err != nil {
		t.Errorf("Exists(%q) = %v, %v, want true, nil", ns, ok, err)
	}
	if got, err := List(testPrefix); err != nil || !slices.Contains(got, ns) {
		t.Errorf("List(%q) = %q, %v, want it to contain %q", testPrefix, got, err, ns)
	}

	if err := h.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := h.Close(); err != nil {
		t.Errorf("second Close: %v, want nil", err)
	}
	if ok, err := Exists(ns); ok || err != nil {
		t.Errorf("after Close, Exists(%q) = %v, %v, want false, nil", ns, ok, err)
	}
	if out := run(t, "ip", "netns", "list"); strings.Contains(out, ns+" ") || strings.Contains(out, ns+"\n") {
		t.Errorf("after Close, ip netns list = %q, still shows %q", out, ns)
	}
}

// TestNSPing answers a real ping from inside the namespace: the request is
// read from the Device, a hand-made reply is written back, and ping must
// succeed.
func TestNSPing(t *testing.T) {
	tuntest.NeedRoot(t, "ping")
	cfg := testConfig()
	h := newHost(t, cfg)
	d := h.Device()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ping := ExecContext(ctx, h.Namespace(), "ping", "-n", "-c1", "-W3", cfg.Gateway.String())
	var out bytes.Buffer
	ping.Stdout, ping.Stderr = &out, &out
	if err := ping.Start(); err != nil {
		t.Fatalf("start ping: %v", err)
	}

	bufs, sizes := makeBufs(8, cfg.MTU+DefaultMTU)
	n := readTimeout(t, d, bufs, sizes, 5*time.Second)
	if n != 1 {
		t.Fatalf("Read = %d packets, want 1 (the echo request)", n)
	}
	p := bufs[0][:sizes[0]]
	req, err := tuntest.ParseEcho(p)
	if err != nil {
		t.Fatalf("read packet % x: %v", p, err)
	}
	if req.Reply || req.Src != cfg.Addr.Addr() || req.Dst != cfg.Gateway {
		t.Fatalf("read ICMP echo (reply %v) %v -> %v, want an echo request %v -> %v", req.Reply, req.Src, req.Dst, cfg.Addr.Addr(), cfg.Gateway)
	}
	reply := tuntest.ICMPEchoReply(req.Dst, req.Src, req.ID, req.Seq, req.Payload)
	if n, err := d.Write([][]byte{reply}, 0); n != 1 || err != nil {
		t.Fatalf("Write(reply) = %d, %v, want 1, nil", n, err)
	}
	if err := ping.Wait(); err != nil {
		t.Fatalf("ping %v from %s: %v\n%s", cfg.Gateway, h.Namespace(), err, out.String())
	}
	if !strings.Contains(out.String(), "1 received") {
		t.Errorf("ping output %q, want 1 received", out.String())
	}
}

// TestNSEchoBatch writes echo requests to the host's own address, so that
// the namespace's kernel answers them, and reads the replies in batches.
func TestNSEchoBatch(t *testing.T) {
	tuntest.NeedRoot(t)
	cfg := testConfig()
	h := newHost(t, cfg)
	d := h.Device()

	const count = 32
	const offset = 16 // room for a header in front, as the router may use
	reqs := make([][]byte, count)
	for i := range reqs {
		p := tuntest.ICMPEcho(cfg.Gateway, cfg.Addr.Addr(), 0x7a7a, uint16(i), []byte("vpcsim batch"))
		reqs[i] = append(make([]byte, offset), p...)
	}
	if n, err := d.Write(reqs, offset); n != count || err != nil {
		t.Fatalf("Write(%d requests) = %d, %v, want %d, nil", count, n, err, count)
	}
	// Give the kernel time to queue every reply, so one Read can take many.
	time.Sleep(100 * time.Millisecond)

	bufs, sizes := makeBufs(count, offset+DefaultMTU)
	seen := make(map[uint16]bool)
	maxBatch := 0
	for len(seen) < count {
		n := readTimeout(t, d, bufs, sizes, 3*time.Second)
		maxBatch = max(maxBatch, n)
		for i := range n {
			e, err := tuntest.ParseEcho(bufs[i][:sizes[i]])
			if err != nil {
				t.Fatalf("packet %d of batch: %v", i, err)
			}
			if !e.Reply || e.Src != cfg.Addr.Addr() || e.Dst != cfg.Gateway || e.ID != 0x7a7a {
				t.Fatalf("read ICMP echo (reply %v) %v -> %v id %#x, want an echo reply %v -> %v id 0x7a7a", e.Reply, e.Src, e.Dst, e.ID, cfg.Addr.Addr(), cfg.Gateway)
			}
			if seen[e.Seq] {
				t.Fatalf("reply seq %d read twice", e.Seq)
			}
			seen[e.Seq] = true
		}
	}
	if maxBatch < 2 {
		t.Errorf("largest Read batch = %d packets, want several of the %d queued", maxBatch, count)
	}
	t.Logf("read %d replies, largest batch %d", count, maxBatch)
}

// TestNSTryRead checks that TryRead returns at once when nothing is
// ready, and that PollFD polls readable exactly while a packet is.
func TestNSTryRead(t *testing.T) {
	tuntest.NeedRoot(t)
	cfg := testConfig()
	h := newHost(t, cfg)
	d := h.Device()
	readable := func(timeout int) bool {
		fds := []unix.PollFd{{Fd: int32(d.PollFD()), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, timeout)
		if err != nil {
			t.Fatalf("poll: %v", err)
		}
		return n == 1
	}
	bufs, sizes := makeBufs(4, DefaultMTU)
	if n, err := d.TryRead(bufs, sizes, 0); n != 0 || err != nil {
		t.Fatalf("TryRead on an idle device = %d, %v, want 0, nil", n, err)
	}
	if readable(0) {
		t.Fatal("PollFD readable with nothing queued")
	}
	const count = 3
	for i := range count {
		req := tuntest.ICMPEcho(cfg.Gateway, cfg.Addr.Addr(), 0x7b7b, uint16(i), []byte("try"))
		if n, err := d.Write([][]byte{req}, 0); n != 1 || err != nil {
			t.Fatalf("Write(request) = %d, %v", n, err)
		}
	}
	got := 0
	for got < count {
		if !readable(3000) {
			t.Fatalf("PollFD not readable with %d replies to come", count-got)
		}
		n, err := d.TryRead(bufs, sizes, 0)
		if err != nil || n == 0 {
			t.Fatalf("TryRead after poll = %d, %v, want packets", n, err)
		}
		for i := range n {
			if e, err := tuntest.ParseEcho(bufs[i][:sizes[i]]); err != nil || !e.Reply || e.ID != 0x7b7b {
				t.Fatalf("TryRead packet %d: %+v, %v, want an echo reply", i, e, err)
			}
		}
		got += n
	}
	if readable(0) {
		t.Error("PollFD still readable after every reply was read")
	}
	d.Close()
	if _, err := d.TryRead(bufs, sizes, 0); !errors.Is(err, os.ErrClosed) {
		t.Errorf("TryRead after Close: %v, want os.ErrClosed", err)
	}
}

// TestNSWriteSkipsBadPackets checks that a packet the kernel refuses does
// not stop the rest of the batch.
func TestNSWriteSkipsBadPackets(t *testing.T) {
	tuntest.NeedRoot(t)
	cfg := testConfig()
	h := newHost(t, cfg)
	d := h.Device()

	good := func(seq uint16) []byte {
		return tuntest.ICMPEcho(cfg.Gateway, cfg.Addr.Addr(), 1, seq, nil)
	}
	bad := []byte{0x00, 0x01, 0x02} // neither IPv4 nor IPv6
	n, err := d.Write([][]byte{good(1), bad, good(2)}, 0)
	if n != 2 || err == nil || !strings.Contains(err.Error(), "packet 1") {
		t.Fatalf("Write(good, bad, good) = %d, %v, want 2 and an error about packet 1", n, err)
	}
	bufs, sizes := makeBufs(4, DefaultMTU)
	got := 0
	for got < 2 {
		got += readTimeout(t, d, bufs, sizes, 3*time.Second)
	}
}

func TestNSCloseUnblocksRead(t *testing.T) {
	tuntest.NeedRoot(t)
	h := newHost(t, testConfig())
	d := h.Device()

	done := make(chan error, 1)
	go func() {
		bufs, sizes := makeBufs(4, DefaultMTU)
		_, err := d.Read(bufs, sizes, 0)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond) // let Read block
	select {
	case err := <-done:
		t.Fatalf("Read returned %v before Close", err)
	default:
	}
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrClosed) {
			t.Errorf("Read after Close: %v, want os.ErrClosed", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Read still blocked 2s after Close")
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v, want nil", err)
	}
	bufs, sizes := makeBufs(1, DefaultMTU)
	if _, err := d.Read(bufs, sizes, 0); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Read on closed device: %v, want os.ErrClosed", err)
	}
	if _, err := d.Write(bufs, 0); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Write on closed device: %v, want os.ErrClosed", err)
	}
}

func TestNSCreateHostExists(t *testing.T) {
	tuntest.NeedRoot(t, "ip")
	cfg := testConfig()
	h := newHost(t, cfg)

	again := cfg
	again.Addr = netip.MustParsePrefix("10.8.0.10/24")
	again.Gateway = netip.MustParseAddr("10.8.0.1")
	h2, err := CreateHost(again)
	if err == nil {
		h2.Close()
		t.Fatalf("CreateHost(%q) twice succeeded, want an error", cfg.Namespace)
	}
	if !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), cfg.Namespace) {
		t.Errorf("CreateHost(%q) twice: %v, want fs.ErrExist naming the namespace", cfg.Namespace, err)
	}
	// The first host is untouched: same address, still answering.
	out := run(t, "ip", "-n", cfg.Namespace, "-4", "-o", "addr", "show", "dev", "eth0")
	if !strings.Contains(out, "10.9.0.10/24") || strings.Contains(out, "10.8.0.10") {
		t.Errorf("first host's address after failed re-create: %q, want only 10.9.0.10/24", out)
	}
	echoRoundTrip(t, h, cfg)
}

// echoRoundTrip checks that h's namespace answers an echo request written
// to its device.
func echoRoundTrip(t *testing.T, h *Host, cfg HostConfig) {
	t.Helper()
	req := tuntest.ICMPEcho(cfg.Gateway, cfg.Addr.Addr(), 9, 9, nil)
	if n, err := h.Device().Write([][]byte{req}, 0); n != 1 || err != nil {
		t.Fatalf("Write(echo request) = %d, %v, want 1, nil", n, err)
	}
	bufs, sizes := makeBufs(1, DefaultMTU)
	readTimeout(t, h.Device(), bufs, sizes, 3*time.Second)
	if e, err := tuntest.ParseEcho(bufs[0][:sizes[0]]); err != nil || !e.Reply {
		t.Fatalf("read %+v, %v, want an echo reply", e, err)
	}
}

// openFDs counts this process's open file descriptors.
func openFDs(t testing.TB) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// TestNSCreateHostFailureCleanup fails CreateHost at each step and checks
// that nothing is left behind: no namespace, no open descriptor.
func TestNSCreateHostFailureCleanup(t *testing.T) {
	tuntest.NeedRoot(t)
	t.Cleanup(func() { testHookStep = nil })
	steps := []struct{ step, wantMsg string }{
		{"tun", "create tun in netns"},
		{"lo", "set lo up"},
		{"link", "set eth0 mtu 1500 txqueuelen 1000 up"},
		{"addr", "add address 10.9.0.10/24"},
		{"route", "add default route via 10.9.0.1"},
	}
	injected := errors.New("injected failure")
	for _, tt := range steps {
		t.Run(tt.step, func(t *testing.T) {
			cfg := testConfig()
			cfg.Queues = 2
			testHookStep = func(step string) error {
				if step == tt.step {
					return injected
				}
				return nil
			}
			defer func() { testHookStep = nil }()
			before := openFDs(t)
			h, err := CreateHost(cfg)
			if err == nil {
				h.Close()
				t.Fatalf("CreateHost failing at %q succeeded", tt.step)
			}
			if !errors.Is(err, injected) || !strings.Contains(err.Error(), tt.wantMsg) || !strings.Contains(err.Error(), cfg.Namespace) {
				t.Errorf("CreateHost failing at %q: %v, want the injected error with %q and the namespace", tt.step, err, tt.wantMsg)
			}
			if ok, err := Exists(cfg.Namespace); ok || err != nil {
				t.Errorf("after failure at %q, Exists(%q) = %v, %v, want false, nil", tt.step, cfg.Namespace, ok, err)
			}
			if after := openFDs(t); after != before {
				t.Errorf("after failure at %q, %d open descriptors, want %d", tt.step, after, before)
			}
		})
	}
	t.Run("invalid config", func(t *testing.T) {
		cfg := testConfig()
		cfg.Gateway = netip.MustParseAddr("10.1.2.3")
		if h, err := CreateHost(cfg); !errors.Is(err, ErrInvalidConfig) {
			if err == nil {
				h.Close()
			}
			t.Fatalf("CreateHost(gateway outside subnet) error = %v, want ErrInvalidConfig", err)
		}
		if ok, _ := Exists(cfg.Namespace); ok {
			t.Errorf("invalid config left namespace %q behind", cfg.Namespace)
		}
	})
}

func TestNSMultiQueue(t *testing.T) {
	tuntest.NeedRoot(t, "ip")
	cfg := testConfig()
	cfg.Queues = 3
	h := newHost(t, cfg)
	if got := len(h.Devices()); got != 3 {
		t.Fatalf("len(Devices()) = %d, want 3", got)
	}
	out := run(t, "ip", "-n", h.Namespace(), "-d", "link", "show", "dev", "eth0")
	if !strings.Contains(out, "multi_queue") {
		t.Errorf("ip -d link show eth0 = %q, want multi_queue", out)
	}
}

func TestNSDeleteMissing(t *testing.T) {
	tuntest.NeedRoot(t)
	ns := uniqueNS()
	if err := Delete(ns); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Delete(%q) = %v, want fs.ErrNotExist", ns, err)
	}
	if ok, err := Exists(ns); ok || err != nil {
		t.Errorf("Exists(%q) = %v, %v, want false, nil", ns, ok, err)
	}
}

// TestNSNoAllocs guards the data path: a Write and a Read through a real
// TUN device allocate nothing.
func TestNSNoAllocs(t *testing.T) {
	tuntest.NeedRoot(t)
	cfg := testConfig()
	h := newHost(t, cfg)
	d := h.Device()
	reqs := [][]byte{tuntest.ICMPEcho(cfg.Gateway, cfg.Addr.Addr(), 3, 3, make([]byte, 56))}
	bufs, sizes := makeBufs(8, DefaultMTU)
	var failed error
	allocs := testing.AllocsPerRun(200, func() {
		if n, err := d.Write(reqs, 0); n != 1 || err != nil {
			failed = fmt.Errorf("Write = %d, %v", n, err)
		}
		if n, err := d.Read(bufs, sizes, 0); n < 1 || err != nil {
			failed = fmt.Errorf("Read = %d, %v", n, err)
		}
	})
	if failed != nil {
		t.Fatal(failed)
	}
	if allocs != 0 {
		t.Errorf("Write+Read allocated %v times per run, want 0", allocs)
	}
	allocs = testing.AllocsPerRun(200, func() {
		if n, err := d.TryRead(bufs, sizes, 0); n != 0 || err != nil {
			failed = fmt.Errorf("TryRead on an idle device = %d, %v", n, err)
		}
	})
	if failed != nil {
		t.Fatal(failed)
	}
	if allocs != 0 {
		t.Errorf("TryRead allocated %v times per run, want 0", allocs)
	}
}

// BenchmarkNSHost measures creating and configuring a host, and closing it
// (devices closed, namespace deleted), reported as the median create-ms and
// close-ms per host.
func BenchmarkNSHost(b *testing.B) {
	tuntest.NeedRoot(b)
	var create, closing []time.Duration
	for b.Loop() {
		cfg := testConfig()
		start := time.Now()
		h, err := CreateHost(cfg)
		if err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		if err := h.Close(); err != nil {
			b.Fatal(err)
		}
		create = append(create, mid.Sub(start))
		closing = append(closing, time.Since(mid))
	}
	median := func(d []time.Duration) float64 {
		slices.Sort(d)
		return float64(d[len(d)/2].Microseconds()) / 1000
	}
	b.ReportMetric(median(create), "create-ms")
	b.ReportMetric(median(closing), "close-ms")
}

// TestNSThreadsStayHome checks that creating hosts, successfully or not,
// leaves every thread of the process in the original network namespace.
func TestNSThreadsStayHome(t *testing.T) {
	tuntest.NeedRoot(t)
	home, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { testHookStep = nil })
	for range 4 {
		newHost(t, testConfig())
		// Fail after the thread has entered the new namespace.
		testHookStep = func(step string) error {
			if step == "addr" {
				return errors.New("injected failure")
			}
			return nil
		}
		if h, err := CreateHost(testConfig()); err == nil {
			h.Close()
			t.Fatal("CreateHost with a failing step succeeded")
		}
		testHookStep = nil
	}
	checkThreadsHome(t, home)
}

// TestNSCreateHostConcurrent launches hosts in parallel, as a topology
// launch does, and checks each one works.
func TestNSCreateHostConcurrent(t *testing.T) {
	tuntest.NeedRoot(t)
	const hosts = 16
	cfgs := make([]HostConfig, hosts)
	hs := make([]*Host, hosts)
	errs := make([]error, hosts)
	var wg sync.WaitGroup
	for i := range hosts {
		cfgs[i] = testConfig()
		cfgs[i].Addr = netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 7, byte(i), 10}), 24)
		cfgs[i].Gateway = netip.AddrFrom4([4]byte{10, 7, byte(i), 1})
		wg.Go(func() { hs[i], errs[i] = CreateHost(cfgs[i]) })
	}
	wg.Wait()
	t.Cleanup(func() {
		var wg sync.WaitGroup
		for _, h := range hs {
			if h != nil {
				wg.Go(func() {
					if err := h.Close(); err != nil {
						t.Errorf("Host(%s).Close: %v", h.Namespace(), err)
					}
				})
			}
		}
		wg.Wait()
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("CreateHost(%+v): %v", cfgs[i], err)
		}
	}
	for i, h := range hs {
		echoRoundTrip(t, h, cfgs[i])
	}
}

// TestNSDo checks that Do runs its function in the namespace, returns its
// error, and leaves the calling thread and every other at home.
func TestNSDo(t *testing.T) {
	tuntest.NeedRoot(t)
	cfg := testConfig()
	h := newHost(t, cfg)
	var want unix.Stat_t
	if err := unix.Stat(nsPath(h.Namespace()), &want); err != nil {
		t.Fatal(err)
	}
	home, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	var inside string
	errFn := errors.New("from fn")
	err = Do(h.Namespace(), func() error {
		var err error
		inside, err = os.Readlink("/proc/thread-self/ns/net")
		if err != nil {
			return err
		}
		// The host's address exists only in its namespace.
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: cfg.Addr.Addr().As4()}); err != nil {
			return fmt.Errorf("bind to the host's address: %w", err)
		}
		return errFn
	})
	if !errors.Is(err, errFn) {
		t.Fatalf("Do(%q) = %v, want fn's error", h.Namespace(), err)
	}
	if wantNS := fmt.Sprintf("net:[%d]", want.Ino); inside != wantNS {
		t.Errorf("fn ran in %s, want %s (%s)", inside, wantNS, h.Namespace())
	}
	checkThreadsHome(t, home)

	// A function that does not return leaves the thread in the namespace:
	// the thread must end.
	tid := 0
	if err := Do(h.Namespace(), func() error { tid = unix.Gettid(); runtime.Goexit(); return nil }); err == nil {
		t.Error("Do(fn that calls runtime.Goexit) = nil, want an error")
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, err := os.Stat(fmt.Sprintf("/proc/self/task/%d", tid)); errors.Is(err, fs.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("thread %d, left in %s by a function that did not return, still runs", tid, h.Namespace())
		}
	}
	checkThreadsHome(t, home)
}

// checkThreadsHome fails t if a thread of the process is not in the
// network namespace home.
func checkThreadsHome(t *testing.T, home string) {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		ns, err := os.Readlink("/proc/self/task/" + task.Name() + "/ns/net")
		if err != nil {
			continue // the thread exited meanwhile
		}
		if ns != home {
			t.Errorf("thread %s is in netns %s, want %s", task.Name(), ns, home)
		}
	}
}

func TestDoErrors(t *testing.T) {
	called := false
	fn := func() error { called = true; return nil }
	if err := Do("vpcsim-no-such-netns", fn); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Do(a missing namespace) = %v, want fs.ErrNotExist", err)
	}
	if err := Do("../etc", fn); !errors.Is(err, ErrInvalidName) {
		t.Errorf("Do(%q) = %v, want ErrInvalidName", "../etc", err)
	}
	if called {
		t.Error("Do ran fn for a namespace it could not enter")
	}
}

// TestNSReopenHost kills a host's TUN interface as a daemon's death does,
// with a process still running in the namespace, then reopens the host:
// eth0 is back, configured, and the process never noticed.
func TestNSReopenHost(t *testing.T) {
	tuntest.NeedRoot(t, "ip", "sleep")
	cfg := testConfig()
	h, err := CreateHost(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ns := h.Namespace()
	t.Cleanup(func() { Delete(ns) })
	sleep := Exec(ns, "sleep", "60")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- sleep.Wait() }()
	t.Cleanup(func() { sleep.Process.Kill() })
	for _, d := range h.Devices() { // the daemon dies: its descriptors close
		d.Close()
	}
	if out := run(t, "ip", "-n", ns, "link"); strings.Contains(out, "eth0") {
		t.Fatalf("eth0 outlived its descriptor:\n%s", out)
	}

	r, err := ReopenHost(cfg)
	if err != nil {
		t.Fatalf("ReopenHost: %v", err)
	}
	if out := run(t, "ip", "-n", ns, "-4", "-o", "addr", "show", "dev", "eth0"); !strings.Contains(out, "inet 10.9.0.10/24") {
		t.Errorf("after ReopenHost, eth0 = %q", out)
	}
	if out := run(t, "ip", "-n", ns, "-4", "route", "show", "default"); !strings.Contains(out, "default via 10.9.0.1 dev eth0") {
		t.Errorf("after ReopenHost, default route = %q", out)
	}
	select {
	case err := <-exited:
		t.Fatalf("the process in the namespace ended: %v", err)
	default:
	}
	// Reopening a host whose eth0 is there replaces it.
	r2, err := ReopenHost(cfg)
	if err != nil {
		t.Fatalf("ReopenHost over a live eth0: %v", err)
	}
	for _, d := range r.Devices() {
		d.Close() // the namespace goes with r2's Close
	}
	if err := r2.Close(); err != nil {
		t.Fatal(err)
	}
	if ok, _ := Exists(ns); ok {
		t.Errorf("Close of a reopened host left the namespace")
	}
	cfg.Namespace = uniqueNS()
	if _, err := ReopenHost(cfg); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReopenHost of a namespace that does not exist = %v, want fs.ErrNotExist", err)
	}
}
