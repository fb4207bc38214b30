package router

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
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

	"github.com/vpcsim/vpcsim/tun"
	"github.com/vpcsim/vpcsim/tun/tuntest"
)

// nsPairs is a Network of VPC pairs on real hosts, each a namespace with a
// TUN interface of a queue per lane: pair i (from 1) peers VPC "a<i>",
// 10.(100+i).0.0/16, host a<i> at 10.(100+i).1.10, with VPC "b<i>",
// 10.(200+i).0.0/16, host b<i> at 10.(200+i).1.10, over pcx-<i>, with
// routes both ways.
type nsPairs struct {
	*Network
	ns map[string]string     // namespace by host name
	ip map[string]netip.Addr // address by host name
}

var nsSeq atomic.Int64

// newNSPairs builds pairs VPC pairs with lanes lanes and a queue per lane
// on every host; cfg gives the other settings. Everything is removed when
// the test ends.
func newNSPairs(t *testing.T, pairs, lanes int, cfg Config) *nsPairs {
	t.Helper()
	np := &nsPairs{ns: make(map[string]string), ip: make(map[string]netip.Addr)}
	prefix := fmt.Sprintf("vrt-%d-%d-", os.Getpid(), nsSeq.Add(1))
	offload := true
	host := func(name string, octet int) Host {
		ip := netip.AddrFrom4([4]byte{10, byte(octet), 1, 10})
		hc := tun.HostConfig{Namespace: prefix + name, Addr: netip.PrefixFrom(ip, 24),
			Gateway: netip.AddrFrom4([4]byte{10, byte(octet), 1, 1}), Queues: lanes, Offload: offload}
		h, err := tun.CreateHost(hc)
		if errors.Is(err, tun.ErrOffloadUnsupported) {
			offload, hc.Offload = false, false
			h, err = tun.CreateHost(hc)
		}
		if err != nil {
			t.Fatalf("create host %s: %v", name, err)
		}
		t.Cleanup(func() { h.Close() }) // after the Network's Close
		np.ns[name], np.ip[name] = h.Namespace(), ip
		return Host{Name: name, Subnet: "s-" + name, IP: ip, Device: MultiQueue(h.Devices())}
	}
	vpc := func(id string, octet int) VPC {
		return VPC{ID: id, CIDR: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(octet), 0, 0}), 16),
			Tables:  []string{"rtb-" + id},
			Subnets: []Subnet{{ID: "s-" + id, CIDR: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(octet), 1, 0}), 24), Table: "rtb-" + id}},
			Hosts:   []Host{host(id, octet)}}
	}
	var peerings []Peering
	tables := make(map[string][]Route)
	for i := 1; i <= pairs; i++ {
		a, b := fmt.Sprint("a", i), fmt.Sprint("b", i)
		cfg.VPCs = append(cfg.VPCs, vpc(a, 100+i), vpc(b, 200+i))
		id := fmt.Sprint("pcx-", i)
		peerings = append(peerings, Peering{ID: id, VPC: a, PeerVPC: b})
		tables["rtb-"+a] = []Route{{Destination: cfg.VPCs[len(cfg.VPCs)-1].Subnets[0].CIDR, Peering: id}}
		tables["rtb-"+b] = []Route{{Destination: cfg.VPCs[len(cfg.VPCs)-2].Subnets[0].CIDR, Peering: id}}
	}
	cfg.Lanes = lanes
	if offload {
		cfg.MaxPacket = tun.MaxOffloadPacket
	}
	n, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { n.Close() })
	np.Network = n
	if err := n.Update(peerings, tables); err != nil {
		t.Fatalf("Update: %v", err)
	}
	return np
}

// iperfResult is what the harness reads of `iperf3 -J` client output.
type iperfResult struct {
	End struct {
		SumSent     struct{ Retransmits int } `json:"sum_sent"`
		SumReceived struct {
			BitsPerSecond float64 `json:"bits_per_second"`
		} `json:"sum_received"`
	} `json:"end"`
	Error string `json:"error"`
}

// iperf runs a TCP test of the given seconds from host client to host
// server, the server on port, with extra client arguments, and returns its
// result.
func (np *nsPairs) iperf(ctx context.Context, client, server string, port, secs int, extra ...string) (iperfResult, error) {
	srv := exec.CommandContext(ctx, "ip", "netns", "exec", np.ns[server], "iperf3", "-s", "-1", "-p", fmt.Sprint(port))
	if err := srv.Start(); err != nil {
		return iperfResult{}, err
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	args := append([]string{"netns", "exec", np.ns[client], "iperf3", "-c", np.ip[server].String(), "-p", fmt.Sprint(port), "-J", "-t", fmt.Sprint(secs)}, extra...)
	var res iperfResult
	for try := 0; ; try++ { // until the server listens
		out, _ := exec.CommandContext(ctx, "ip", args...).Output()
		res = iperfResult{}
		if err := json.Unmarshal(out, &res); err != nil {
			return res, fmt.Errorf("iperf3 %s -> %s: %v: %s", client, server, err, out)
		}
		if res.Error == "" {
			return res, nil
		}
		if !strings.Contains(res.Error, "connect") || try == 50 || ctx.Err() != nil {
			return res, fmt.Errorf("iperf3 %s -> %s: %s", client, server, res.Error)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// laneBytes returns the bytes each lane has read.
func (np *nsPairs) laneBytes() []uint64 {
	b := make([]uint64, len(np.lanes))
	for i := range np.lanes {
		b[i] = np.lanes[i].read.bytes.Load()
	}
	return b
}

// TestNSLanesForwardFlowsInParallel runs one TCP stream in each of four
// VPC pairs at once and checks that more than one OS thread forwarded them
// at the same instant: a tap on every sending host, which runs on the
// goroutine that reads the host, notes its thread and spins a little,
// timing itself; two such spins on different threads that overlap in time,
// each on its CPU throughout, are two threads forwarding at once. It also
// checks that the lanes shared the reading.
func TestNSLanesForwardFlowsInParallel(t *testing.T) {
	tuntest.NeedRoot(t, "ip", "iperf3")
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("needs 2 CPUs")
	}
	const lanes, pairs, secs = 2, 4, 2
	np := newNSPairs(t, pairs, lanes, Config{})
	// Which queue a new flow leaves its host by is the kernel's hash of
	// the flow: now and then all four land on one. Then the lanes are not
	// what is under test, and new connections get new hashes. Nor are
	// they when other work on the machine kept one of the two CPUs the
	// whole time: lanes that share the flows forward at the same instant
	// in some attempt, lanes taking turns never do.
	const attempts = 4
	sharedOnce := false
	for attempt := 1; attempt <= attempts; attempt++ {
		r := np.runParallel(t, pairs, secs)
		t.Logf("attempt %d: lanes read %v bytes; %d spins on %d threads, %d pairs of them on two threads at once",
			attempt, r.bytes, r.spins, r.threads, r.overlaps)
		var total uint64
		for _, b := range r.bytes {
			total += b
		}
		shared := 0
		for _, b := range r.bytes {
			if b >= total/10 {
				shared++
			}
		}
		if shared < 2 {
			continue
		}
		sharedOnce = true
		if r.overlaps > 0 {
			return
		}
	}
	if !sharedOnce {
		t.Fatalf("in %d attempts the lanes never shared the four flows", attempts)
	}
	t.Errorf("in %d attempts no two threads forwarded at the same instant", attempts)
}

// spin is one timed spin of a tap: the thread it ran on, and its start and
// end in wall-clock and thread CPU time.
type spin struct {
	tid          int
	wall0, wall1 int64
	cpu0, cpu1   int64
	done         atomic.Bool // set once the fields are
}

// spinTap returns a tap that records a spin of about 20 µs for each packet
// in spins, while there is room.
func spinTap(spins []spin, next *atomic.Int64) Tap {
	return func([]byte) {
		i := next.Add(1) - 1
		if i >= int64(len(spins)) {
			return
		}
		var cpu unix.Timespec
		s := &spins[i]
		s.tid = unix.Gettid()
		unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &cpu)
		s.cpu0, s.wall0 = cpu.Nano(), time.Now().UnixNano()
		for time.Now().UnixNano()-s.wall0 < 20_000 {
		}
		unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &cpu)
		s.cpu1, s.wall1 = cpu.Nano(), time.Now().UnixNano()
		s.done.Store(true)
	}
}

// overlaps counts the spins done, the pairs of them on different threads
// whose times overlap, each spin having been on its CPU for 90% of its time
// at least, and the threads seen.
func overlaps(spins []spin) (done, pairs, threads int) {
	var on []*spin
	tids := make(map[int]bool)
	for i := range spins {
		s := &spins[i]
		if !s.done.Load() {
			continue
		}
		done++
		tids[s.tid] = true
		if s.cpu1-s.cpu0 >= (s.wall1-s.wall0)*9/10 {
			on = append(on, s)
		}
	}
	slices.SortFunc(on, func(a, b *spin) int { return cmp.Compare(a.wall0, b.wall0) })
	for i, a := range on {
		for _, b := range on[i+1:] {
			if b.wall0 >= a.wall1 {
				break
			}
			if b.tid != a.tid {
				pairs++
			}
		}
	}
	return done, pairs, len(tids)
}

// parallelRun is what runParallel saw.
type parallelRun struct {
	bytes                    []uint64 // read by each lane
	spins, threads, overlaps int
}

// runParallel runs a TCP stream from a<i> to b<i> in each pair for secs
// seconds, all at once, with spinning taps on the a<i> from the first
// second on.
func (np *nsPairs) runParallel(t *testing.T, pairs, secs int) parallelRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(secs+20)*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, pairs)
	for i := range pairs {
		wg.Go(func() {
			_, errs[i] = np.iperf(ctx, fmt.Sprint("a", i+1), fmt.Sprint("b", i+1), 5201, secs)
		})
	}
	time.Sleep(time.Second) // every stream is up
	before := np.laneBytes()
	spins := make([]spin, 20000)
	var next atomic.Int64
	for i := range pairs {
		detach, err := np.TapHost(fmt.Sprint("a", i+1), spinTap(spins, &next), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer detach()
	}
	time.Sleep(time.Duration(secs)*time.Second - 1500*time.Millisecond)
	next.Store(int64(len(spins))) // no more spins begin
	after := np.laneBytes()
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	r := parallelRun{}
	for i := range after {
		r.bytes = append(r.bytes, after[i]-before[i])
	}
	r.spins, r.overlaps, r.threads = overlaps(spins)
	return r
}

// TestNSFlowStaysInOrderUnderLoad sends a sequence-numbered UDP stream of
// datagrams of many sizes, so that some batches go over the peering
// delivered by their sender and some queued, from a1 to b1 while four TCP
// streams load the same pair both ways, and checks that the datagrams that
// arrive arrive in order.
func TestNSFlowStaysInOrderUnderLoad(t *testing.T) {
	tuntest.NeedRoot(t, "ip", "iperf3")
	const lanes, secs = 2, 3
	np := newNSPairs(t, 1, lanes, Config{})
	const port = 7777
	var rx, tx int
	if err := tun.Do(np.ns["b1"], func() (err error) {
		rx, err = udpSocket(netip.AddrPortFrom(netip.IPv4Unspecified(), port), netip.AddrPort{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(rx)
	if err := tun.Do(np.ns["a1"], func() (err error) {
		tx, err = udpSocket(netip.AddrPort{}, netip.AddrPortFrom(np.ip["b1"], port))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(tx)

	ctx, cancel := context.WithTimeout(context.Background(), (secs+20)*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	var loadErrs [2]error
	wg.Go(func() { _, loadErrs[0] = np.iperf(ctx, "a1", "b1", 5201, secs, "-P", "4") })
	wg.Go(func() { _, loadErrs[1] = np.iperf(ctx, "a1", "b1", 5202, secs, "-P", "4", "-R") })
	time.Sleep(500 * time.Millisecond)

	type result struct{ got, late, dup int }
	res := make(chan result, 1)
	go func() {
		var r result
		buf := make([]byte, 2048)
		last := int64(-1)
		for {
			n, _, err := unix.Recvfrom(rx, buf, 0)
			if err != nil {
				break // the receive timeout: the stream is over
			}
			if n < 8 {
				continue
			}
			seq := int64(binary.BigEndian.Uint64(buf))
			switch {
			case seq > last:
				r.got++
				last = seq
			case seq == last:
				r.dup++
			default:
				r.late++
			}
		}
		res <- r
	}()
	sent := 0
	buf := make([]byte, 1400)
	for start := time.Now(); time.Since(start) < 2*time.Second; sent++ {
		size := 8 + (sent*97)%(len(buf)-8)
		binary.BigEndian.PutUint64(buf, uint64(sent))
		unix.Write(tx, buf[:size]) // a full queue drops it: only order is checked
		if sent%64 == 0 {
			runtime.Gosched()
		}
	}
	r := <-res
	wg.Wait()
	for _, err := range loadErrs {
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("sent %d datagrams, %d arrived in order, %d out of order, %d twice; lanes read %v bytes", sent, r.got, r.late, r.dup, np.laneBytes())
	if r.late != 0 || r.dup != 0 {
		t.Errorf("%d of %d datagrams arrived out of order and %d twice, want none", r.late, r.got+r.late+r.dup, r.dup)
	}
	if r.got < sent/10 {
		t.Errorf("%d of %d datagrams arrived, want at least a tenth: the stream was not under test", r.got, sent)
	}
}

// udpSocket returns a UDP socket in the calling thread's namespace, bound
// to local and connected to remote where they are valid, with a 1 s
// receive timeout and a large receive buffer.
func udpSocket(local, remote netip.AddrPort) (int, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	sa := func(ap netip.AddrPort) *unix.SockaddrInet4 {
		return &unix.SockaddrInet4{Addr: ap.Addr().As4(), Port: int(ap.Port())}
	}
	tv := unix.NsecToTimeval(time.Second.Nanoseconds())
	err = errors.Join(
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 8<<20),
		unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv))
	if err == nil && local.IsValid() {
		err = unix.Bind(fd, sa(local))
	}
	if err == nil && remote.IsValid() {
		err = unix.Connect(fd, sa(remote))
	}
	if err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// TestNSDeletedInterfaceIsGone deletes a host's eth0 under the router, as
// a user inside the host may, and checks that the router gives the device
// up, logs a few lines about it rather than one per retry, counts what it
// can no longer deliver to the host, and goes on forwarding for the others.
func TestNSDeletedInterfaceIsGone(t *testing.T) {
	tuntest.NeedRoot(t, "ip", "ping")
	var logs syncBuffer
	retry := retryPolicy{pause: time.Millisecond, maxPause: 20 * time.Millisecond, logEvery: 100 * time.Millisecond, goneAfter: 300 * time.Millisecond}
	np := newNSPairs(t, 2, 2, Config{Logger: slog.New(slog.NewTextHandler(&logs, nil)), retry: retry})
	ping := func(from, to string) error {
		out, err := exec.Command("ip", "netns", "exec", np.ns[from], "ping", "-c", "2", "-i", "0.1", "-W", "1", np.ip[to].String()).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ping %s -> %s: %v\n%s", from, to, err, out)
		}
		return nil
	}
	if err := ping("a1", "b1"); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ip", "-n", np.ns["a1"], "link", "del", "eth0").CombinedOutput(); err != nil {
		t.Fatalf("ip link del eth0: %v\n%s", err, out)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !hostStats(t, np.Network, "a1").DeviceGone {
		if time.Now().After(deadline) {
			t.Fatalf("a1 not gone 5s after its eth0 was deleted: %+v\n%s", hostStats(t, np.Network, "a1"), logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // every queue has given up
	lines := strings.Count(logs.String(), "host=a1")
	errs := hostStats(t, np.Network, "a1").ReadErrors
	time.Sleep(300 * time.Millisecond)
	if more := hostStats(t, np.Network, "a1").ReadErrors - errs; more != 0 {
		t.Errorf("a1 failed %d more reads after it was given up, want none", more)
	}
	// Per queue: the first failure, a summary per 100 ms, the verdict.
	if max := 2 * (2 + 300/100 + 1); lines > max || strings.Count(logs.String(), "host=a1") != lines {
		t.Errorf("a1's loss was logged in %d lines, and then in %d, want at most %d and no more:\n%s", lines, strings.Count(logs.String(), "host=a1"), max, logs.String())
	}
	t.Logf("a1 gone after %d failed reads, in %d log lines", errs, lines)

	// b1's echo requests can no longer be delivered: counted, not lost.
	if err := ping("b1", "a1"); err == nil {
		t.Error("b1 pinged a1, whose eth0 is gone")
	}
	if d := np.Stats().VPCs; d == nil {
		t.Fatal("no VPC stats")
	}
	var failed uint64
	for _, v := range np.Stats().VPCs {
		if v.VPC == "a1" {
			failed = v.Drops[DropWriteFailed]
		}
	}
	if failed == 0 {
		t.Error("a1's VPC counts no write_failed drop for the echo requests it could not deliver")
	}
	if err := ping("a2", "b2"); err != nil {
		t.Errorf("the other pair stopped: %v", err)
	}
}

// lanePackets returns the packets each lane has read.
func (np *nsPairs) lanePackets() []uint64 {
	p := make([]uint64, len(np.lanes))
	for i := range np.lanes {
		p[i] = np.lanes[i].read.packets.Load()
	}
	return p
}

// TestNSFlowKeepsToOneLane checks what the lanes rely on: that the kernel
// sends the packets of a flow out of the queue the flow's last packet was
// written to, so that a TCP stream's data and its acknowledgements, and a
// ping's requests and replies, are all read by the one lane that writes the
// flow into its hosts.
func TestNSFlowKeepsToOneLane(t *testing.T) {
	tuntest.NeedRoot(t, "ip", "iperf3", "ping")
	np := newNSPairs(t, 1, 2, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, flow := range []struct {
		name string
		run  func() error
	}{
		{"tcp", func() error { _, err := np.iperf(ctx, "a1", "b1", 5201, 1); return err }},
		{"ping", func() error {
			out, err := exec.CommandContext(ctx, "ip", "netns", "exec", np.ns["a1"], "ping", "-c", "20", "-i", "0.01", np.ip["b1"].String()).CombinedOutput()
			if err != nil {
				return fmt.Errorf("ping: %v\n%s", err, out)
			}
			return nil
		}},
	} {
		before := np.lanePackets()
		if err := flow.run(); err != nil {
			t.Fatal(err)
		}
		after := np.lanePackets()
		var total, most uint64
		for i := range after {
			d := after[i] - before[i]
			total += d
			most = max(most, d)
		}
		t.Logf("%s: lanes read %v packets, before %v", flow.name, after, before)
		// iperf3's control connection is a flow of its own and may take
		// the other lane: a few dozen packets.
		if other := total - most; total == 0 || other > total/100+40 {
			t.Errorf("%s: the lanes read %v packets (from %v): %d off the busiest lane, want the flow on one", flow.name, after, before, other)
		}
	}
}
