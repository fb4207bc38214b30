package router

import (
	"bytes"
	"errors"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vpcsim/vpcsim/tun/tuntest"
)

// sockDevice is a pollable Device: one end of a SOCK_SEQPACKET socket pair,
// which keeps packet boundaries as a TUN descriptor does. Two goroutines
// join the other end to a tuntest.Device, so that a test sends and expects
// packets on its channels as with any in-memory host.
type sockDevice struct {
	fd, peer int
	closed   atomic.Bool
	pumps    sync.WaitGroup
	reads    atomic.Int64 // blocking Read calls
	empty    atomic.Int64 // read system calls that found nothing
}

func newSockDevice(t testing.TB, host *tuntest.Device) *sockDevice {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socketpair: %v", err)
	}
	if err := unix.SetNonblock(fds[0], true); err != nil {
		t.Fatalf("set nonblock: %v", err)
	}
	d := &sockDevice{fd: fds[0], peer: fds[1]}
	d.pumps.Add(2)
	go func() { // host -> router
		defer d.pumps.Done()
		for p := range host.Inbound {
			if _, err := unix.Write(d.peer, p); err != nil {
				return
			}
		}
	}()
	go func() { // router -> host
		defer d.pumps.Done()
		buf := make([]byte, 65536)
		for {
			n, err := unix.Read(d.peer, buf)
			if err != nil || n == 0 {
				return
			}
			host.Outbound <- append([]byte(nil), buf[:n]...)
		}
	}()
	return d
}

func (d *sockDevice) PollFD() int { return d.fd }

func (d *sockDevice) TryRead(bufs [][]byte, sizes []int, offset int) (int, error) {
	if d.closed.Load() {
		return 0, net.ErrClosed
	}
	for i := range bufs {
		n, err := unix.Read(d.fd, bufs[i][offset:])
		switch {
		case err == unix.EAGAIN:
			d.empty.Add(1)
			return i, nil
		case err != nil:
			return i, err
		}
		sizes[i] = n
	}
	return len(bufs), nil
}

func (d *sockDevice) Read(bufs [][]byte, sizes []int, offset int) (int, error) {
	d.reads.Add(1)
	for {
		if n, err := d.TryRead(bufs, sizes, offset); n > 0 || err != nil {
			return n, err
		}
		unix.Poll([]unix.PollFd{{Fd: int32(d.fd), Events: unix.POLLIN}}, 10)
	}
}

func (d *sockDevice) Write(bufs [][]byte, offset int) (int, error) {
	for i, b := range bufs {
		if _, err := unix.Write(d.fd, b[offset:]); err != nil {
			return i, err
		}
	}
	return len(bufs), nil
}

// Close ends the pumps; the tuntest.Device's Inbound must be closed too.
func (d *sockDevice) Close() error {
	if d.closed.Swap(true) {
		return nil
	}
	unix.Shutdown(d.fd, unix.SHUT_RDWR)
	unix.Shutdown(d.peer, unix.SHUT_RDWR)
	return nil
}

// newPolledTestNet is newTestNet with every host on a sockDevice, so that
// the poller, not a goroutine per host, reads them all. wrap, if not nil,
// may put a host's sockDevice in another Device.
func newPolledTestNet(t *testing.T, cfg Config, wrap func(string, *sockDevice) Device) (*testNet, map[string]*sockDevice) {
	t.Helper()
	hosts := make(map[string]*tuntest.Device)
	socks := make(map[string]*sockDevice)
	devs := make(map[string]Device)
	for _, name := range []string{"a1", "a2", "b1", "c1"} {
		hosts[name] = tuntest.NewDevice(64)
		socks[name] = newSockDevice(t, hosts[name])
		devs[name] = socks[name]
		if wrap != nil {
			devs[name] = wrap(name, socks[name])
		}
	}
	t.Cleanup(func() { // after the Network's Close, registered later
		for name, h := range hosts {
			close(h.Inbound)
			socks[name].Close()
			socks[name].pumps.Wait()
			unix.Close(socks[name].fd)
			unix.Close(socks[name].peer)
		}
	})
	tn := newTestNetWith(t, cfg, devs)
	for name, h := range hosts {
		tn.dev[name] = h
	}
	return tn, socks
}

// pingPong sends n echo requests a1 -> b1 and as many b1 -> a1, each
// answered before the next, and checks they arrive unchanged.
func pingPong(t *testing.T, tn *testNet, n int) {
	t.Helper()
	for i := range n {
		req := echoRequest(addr("192.168.1.10"), addr("10.0.1.10"), uint16(i), 84)
		tn.send("a1", req)
		if got := tn.expect(t, "b1"); string(got) != string(req) {
			t.Fatalf("b1 got %x, want %x", got, req)
		}
		rep := echoRequest(addr("10.0.1.10"), addr("192.168.1.10"), uint16(i), 84)
		tn.send("b1", rep)
		if got := tn.expect(t, "a1"); string(got) != string(rep) {
			t.Fatalf("a1 got %x, want %x", got, rep)
		}
	}
}

func TestPollerForwards(t *testing.T) {
	for _, busy := range []time.Duration{0, 20 * time.Millisecond} {
		t.Run("busy="+busy.String(), func(t *testing.T) {
			tn, socks := newPolledTestNet(t, Config{BusyPoll: busy}, nil)
			if len(tn.pollers) == 0 {
				t.Fatal("no poller: socket devices are pollable")
			}
			tn.update(t, []Peering{pcx12}, bothWays)
			pingPong(t, tn, 50)

			tn.send("a1", echoRequest(addr("192.168.1.10"), addr("192.168.1.1"), 1, 84))
			got := ipv4(tn.expect(t, "a1"))
			if !got.valid() || got.src() != addr("192.168.1.1") || got[20] != icmpEchoReply {
				t.Fatalf("a1 got %x from its gateway, want an echo reply", []byte(got))
			}
			tn.send("a1", echoRequest(addr("192.168.1.10"), addr("172.16.1.10"), 1, 84))
			tn.expectDrop(t, "vpc1", DropNoRoute)

			// A burst larger than a batch arrives whole and in order.
			for i := range 3 * BatchSize {
				tn.send("a1", udp(addr("192.168.1.10"), addr("192.168.2.10"), 60+i))
			}
			for i := range 3 * BatchSize {
				if got := tn.expect(t, "a2"); len(got) != 60+i {
					t.Fatalf("packet %d of the burst: %d bytes, want %d", i, len(got), 60+i)
				}
			}
			for name, d := range socks {
				if n := d.reads.Load(); n != 0 {
					t.Errorf("%s: %d blocking reads, want none: the poller reads every host", name, n)
				}
			}
		})
	}
}

// failingDevice is a sockDevice whose TryRead fails, as a device in trouble
// would, while its Read works.
type failingDevice struct{ *sockDevice }

var errTrouble = errors.New("device in trouble")

func (failingDevice) TryRead([][]byte, []int, int) (int, error) { return 0, errTrouble }

func TestPollerHandsFailingDeviceToGoroutine(t *testing.T) {
	var logs syncBuffer
	cfg := Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	tn, socks := newPolledTestNet(t, cfg, func(name string, d *sockDevice) Device {
		if name == "a1" {
			return failingDevice{d}
		}
		return d
	})
	tn.update(t, []Peering{pcx12}, bothWays)
	pingPong(t, tn, 10)
	if socks["a1"].reads.Load() == 0 {
		t.Error("a1 was never read by a goroutine of its own")
	}
	if socks["b1"].reads.Load() != 0 {
		t.Error("b1, which works, left the poller")
	}
	if l := logs.String(); !strings.Contains(l, "host=a1") || !strings.Contains(l, `err="device in trouble"`) {
		t.Errorf("log does not name the failing host and error:\n%s", l)
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestBusyPollLeavesTheCPUToOthers checks that a busy-polling poller with
// nothing to read lets other goroutines run, even on one CPU, rather than
// only when the runtime preempts it.
func TestBusyPollLeavesTheCPUToOthers(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	tn, _ := newPolledTestNet(t, Config{BusyPoll: time.Hour}, nil)
	tn.send("a1", udp(addr("192.168.1.10"), addr("192.168.2.10"), 100)) // start the poll
	tn.expect(t, "a2")
	// The 50 ms are of this process's CPU time: on a loaded machine the
	// poller's sched_yield lets other processes run, and the wall clock
	// would count their time against this goroutine.
	turns := 0
	for start := processCPU(t); processCPU(t)-start < 50*time.Millisecond; turns++ {
		runtime.Gosched()
	}
	// Preemption alone would give this goroutine about 5 turns (one per
	// 10 ms); yielding gives it thousands.
	if turns < 100 {
		t.Errorf("%d turns in 50 ms of CPU beside a busy-polling poller, want at least 100", turns)
	}
}

// processCPU returns the CPU time this process has used.
func processCPU(t *testing.T) time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		t.Fatalf("clock_gettime: %v", err)
	}
	return time.Duration(ts.Nano())
}

// TestPingPongReadsOncePerPacket checks that request/response traffic is
// read with one system call per packet, not two: mostly without the extra
// read that finds the device empty.
func TestPingPongReadsOncePerPacket(t *testing.T) {
	tn, socks := newPolledTestNet(t, Config{}, nil)
	tn.update(t, []Peering{pcx12}, bothWays)
	pingPong(t, tn, 50)
	for _, name := range []string{"a1", "b1"} {
		if empty, want := socks[name].empty.Load(), int64(50/growAfter+1); empty > want {
			t.Errorf("%s: %d empty reads for 50 packets, want at most %d", name, empty, want)
		}
	}
}
