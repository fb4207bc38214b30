package router

import (
	"fmt"
	"net"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// sinkDevice discards what is written to it and counts it; Read blocks until
// Close. It allocates nothing, so it can sit under allocation guards.
type sinkDevice struct {
	written atomic.Uint64
	closed  chan struct{}
}

func newSinkDevice() *sinkDevice { return &sinkDevice{closed: make(chan struct{})} }

func (d *sinkDevice) Read([][]byte, []int, int) (int, error) {
	<-d.closed
	return 0, net.ErrClosed
}

func (d *sinkDevice) Write(bufs [][]byte, _ int) (int, error) {
	d.written.Add(uint64(len(bufs)))
	return len(bufs), nil
}

func (d *sinkDevice) Close() error {
	select {
	case <-d.closed:
	default:
		close(d.closed)
	}
	return nil
}

var _ Device = (*sinkDevice)(nil)

// forwardBench is the best-practice pair of VPCs with sink devices: packets
// are fed straight to a1's port and counted when written to b1. The
// Network has a lane per CPU (GOMAXPROCS).
type forwardBench struct {
	n    *Network
	a1   *port
	b1   *sinkDevice
	link *linkEnd
	tmpl []byte
}

func newForwardBench(tb testing.TB, size int) *forwardBench {
	tb.Helper()
	fb := &forwardBench{b1: newSinkDevice()}
	n, err := New(Config{MTU: max(size, 1500), MaxPacket: max(size, 1500), QueueLen: 4096, Lanes: runtime.GOMAXPROCS(0), VPCs: []VPC{{
		ID: "vpc1", CIDR: pfx("192.168.0.0/16"), Tables: []string{"vpc1-default"},
		Subnets: []Subnet{{ID: "subnet-a", CIDR: pfx("192.168.1.0/24"), Table: "vpc1-default"}},
		Hosts:   []Host{{Name: "a1", Subnet: "subnet-a", IP: addr("192.168.1.10"), Device: newSinkDevice()}},
	}, {
		ID: "vpc2", CIDR: pfx("10.0.0.0/16"), Tables: []string{"vpc2-default"},
		Subnets: []Subnet{{ID: "subnet-b", CIDR: pfx("10.0.1.0/24"), Table: "vpc2-default"}},
		Hosts:   []Host{{Name: "b1", Subnet: "subnet-b", IP: addr("10.0.1.10"), Device: fb.b1}},
	}}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { n.Close() })
	if err := n.Update([]Peering{pcx12}, bothWays); err != nil {
		tb.Fatal(err)
	}
	fb.n = n
	fb.a1 = n.routers["vpc1"].ports[0]
	fb.link = n.links["pcx-12"].end(n.routers["vpc1"])
	fb.tmpl = udp(addr("192.168.1.10"), addr("10.0.1.10"), size)
	return fb
}

// fill makes rb a full batch of the template packet. Only the headers are
// written: buffers that come back from the link hold a packet of the same
// size, or zeros if new, and the router reads no payload. The benchmark
// measures the router, not a payload copy.
func (fb *forwardBench) fill(rb *batch) {
	pl := fb.n.pool
	pl.fill(rb, pl.slots)
	for i := range pl.slots {
		copy(rb.bufs[i][Headroom:], fb.tmpl[:28])
		rb.sizes[i] = len(fb.tmpl)
	}
	rb.n = pl.slots
}

// queued returns the batches waiting on the link's lanes.
func (fb *forwardBench) queued() int {
	n := 0
	for i := range fb.link.lanes {
		n += len(fb.link.lanes[i].q)
	}
	return n
}

// drain waits until every packet handed to the link has been written.
func (fb *forwardBench) drain(tb testing.TB) {
	deadline := time.Now().Add(10 * time.Second)
	busy := func() bool {
		for i := range fb.link.lanes {
			if fb.link.lanes[i].epoch.Load()&1 == 1 {
				return true
			}
		}
		return fb.queued() > 0
	}
	for busy() {
		if time.Now().After(deadline) {
			tb.Fatal("link did not drain")
		}
		time.Sleep(100 * time.Microsecond)
	}
}

func TestForwardAllocatesNothing(t *testing.T) {
	fb := newForwardBench(t, 1500)
	pl := fb.n.pool
	// Warm the pool with more batches than can be in flight: the
	// forwarding goroutine waits while the link holds inFlight batches.
	const inFlight = 64
	warm := make([]*batch, 2*inFlight)
	for i := range warm {
		warm[i] = pl.get()
		pl.fill(warm[i], pl.slots)
	}
	for _, b := range warm {
		pl.put(b)
	}
	rb := pl.get()
	w := newWorker(0)
	forward := func() {
		for fb.queued() >= inFlight {
			runtime.Gosched()
		}
		fb.fill(rb)
		fb.a1.forward(w, rb)
	}
	for range 2000 {
		forward()
	}
	fb.drain(t)
	if n := testing.AllocsPerRun(1000, forward); n != 0 {
		t.Errorf("forward allocates %v times per batch of %d packets, want 0", n, fb.n.pool.slots)
	}
	fb.drain(t)
	if got := fb.b1.written.Load(); got == 0 {
		t.Fatal("no packet reached b1: the guard measured nothing")
	}
	if d := fb.n.Stats().VPCs[0].Drops.Total(); d != 0 {
		t.Errorf("vpc1 dropped %d packets, want 0", d)
	}
}

// BenchmarkForward measures the routers' per-packet path (parse, source
// check, FIB lookup, hand-over onto a peering, delivery by the peer router)
// with a lane per CPU: GOMAXPROCS goroutines forward batches from a1 side
// by side, each as a lane of its own, and the peer router's link
// goroutines deliver them. Run with -cpu 1,N for the figures of one core
// and of N. pkts/s counts packets delivered.
func BenchmarkForward(b *testing.B) {
	for _, size := range []int{64, 1500, 9000, 65000} {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			fb := newForwardBench(b, size)
			slots := fb.n.pool.slots
			b.ReportAllocs()
			b.SetBytes(int64(size))
			before := fb.b1.written.Load()
			var lanes atomic.Int32
			start := time.Now()
			b.SetParallelism(1)
			b.RunParallel(func(pb *testing.PB) {
				w := newWorker(int(lanes.Add(1)-1) % len(fb.n.lanes))
				rb := fb.n.pool.get()
				for k := 0; pb.Next(); {
					if k++; k == slots {
						fb.fill(rb)
						fb.a1.forward(w, rb)
						k = 0
					}
				}
				fb.n.pool.put(rb)
			})
			fb.drain(b)
			elapsed := time.Since(start)
			delivered := fb.b1.written.Load() - before
			b.ReportMetric(float64(delivered)/elapsed.Seconds(), "pkts/s")
			b.ReportMetric(float64(fb.n.Stats().VPCs[0].Drops[DropQueueFull])/float64(b.N), "drops/op")
		})
	}
}
