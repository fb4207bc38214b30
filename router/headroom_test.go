package router

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/vpcsim/vpcsim/tun/tuntest"
)

// headDevice is a device that keeps metadata before its packets, as a TUN
// device with offloads does: frames carry headLen bytes of metadata, then
// the packet.
type headDevice struct {
	in, out chan []byte // frames
	closed  chan struct{}
}

const headLen = 10

func newHeadDevice() *headDevice {
	return &headDevice{in: make(chan []byte, 8), out: make(chan []byte, 8), closed: make(chan struct{})}
}

func (d *headDevice) Headroom() int { return headLen }

func (d *headDevice) Read(bufs [][]byte, sizes []int, offset int) (int, error) {
	select {
	case f := <-d.in:
		sizes[0] = copy(bufs[0][offset-headLen:], f) - headLen
		return 1, nil
	case <-d.closed:
		return 0, net.ErrClosed
	}
}

func (d *headDevice) Write(bufs [][]byte, offset int) (int, error) {
	for _, b := range bufs {
		d.out <- bytes.Clone(b[offset-headLen:])
	}
	return len(bufs), nil
}

func (d *headDevice) Close() error {
	select {
	case <-d.closed:
	default:
		close(d.closed)
	}
	return nil
}

var _ Device = (*headDevice)(nil)

// TestHeadroom checks what the bytes before a packet hold on the way out:
// the reading device's metadata when both ends keep metadata, zeros for a
// packet from a device that keeps none, and zeros for a gateway's reply.
func TestHeadroom(t *testing.T) {
	a1, b1 := newHeadDevice(), newHeadDevice()
	a2 := scribbler{tuntest.NewDevice(4)}
	tn := newTestNetWith(t, Config{}, map[string]Device{"a1": a1, "b1": b1, "a2": a2})
	tn.update(t, []Peering{pcx12}, bothWays)
	meta := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	zero := make([]byte, headLen)
	a1IP, b1IP := addr("192.168.1.10"), addr("10.0.1.10")

	recv := func(d *headDevice) []byte {
		t.Helper()
		select {
		case f := <-d.out:
			return f
		case <-time.After(2 * time.Second):
			t.Fatal("no packet delivered")
			return nil
		}
	}
	tests := []struct {
		name     string
		send     func()
		to       *headDevice
		wantHead []byte
	}{
		{"metadata crosses a peering", func() { a1.in <- append(bytes.Clone(meta), udp(a1IP, b1IP, 100)...) }, b1, meta},
		{"gateway reply has none", func() {
			a1.in <- append(bytes.Clone(meta), echoRequest(a1IP, addr("192.168.1.1"), 1, 64)...)
		}, a1, zero},
		{"device without metadata", func() { a2.Inbound <- udp(addr("192.168.2.10"), a1IP, 100) }, a1, zero},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.send()
			f := recv(tt.to)
			if got := f[:headLen]; !bytes.Equal(got, tt.wantHead) {
				t.Errorf("delivered metadata % x, want % x", got, tt.wantHead)
			}
			if version(f[headLen:]) != 4 || !ipv4(f[headLen:]).valid() {
				t.Errorf("delivered packet % x is not a valid IPv4 packet", f[headLen:])
			}
		})
	}
}

// scribbler is a device without metadata that leaves garbage in the bytes
// before offset, which a device that owns no headroom may do.
type scribbler struct{ *tuntest.Device }

func (d scribbler) Read(bufs [][]byte, sizes []int, offset int) (int, error) {
	n, err := d.Device.Read(bufs, sizes, offset)
	for i := range n {
		for j := range offset {
			bufs[i][j] = 0xee
		}
	}
	return n, err
}

func TestPoolSizes(t *testing.T) {
	tests := []struct {
		maxPacket, wantSlots int
	}{
		{1500, BatchSize},
		{9000, BatchSize},
		{65535, 8},
	}
	for _, tt := range tests {
		p := newPool(tt.maxPacket)
		if p.slots != tt.wantSlots || p.bufSize != Headroom+tt.maxPacket {
			t.Errorf("newPool(%d): %d slots of %d bytes, want %d of %d", tt.maxPacket, p.slots, p.bufSize, tt.wantSlots, Headroom+tt.maxPacket)
		}
		if idle := cap(p.free) * p.slots * p.bufSize; idle > poolBytes+p.slots*p.bufSize*16 {
			t.Errorf("newPool(%d) may keep %d bytes idle, want about %d at most", tt.maxPacket, idle, poolBytes)
		}
	}
}

func TestMaxPacketRange(t *testing.T) {
	for _, cfg := range []Config{{MTU: 1500, MaxPacket: 1400}, {MaxPacket: 65536}} {
		if n, err := New(cfg); err == nil {
			n.Close()
			t.Errorf("New(MTU %d, MaxPacket %d) succeeded, want an error", cfg.MTU, cfg.MaxPacket)
		}
	}
}

// TestIdleHostMemory checks that an idle host ties up one buffer, not a
// batch of them: a topology of hundreds of hosts with 64 KiB buffers stays
// small.
func TestIdleHostMemory(t *testing.T) {
	const hosts = 100
	v := VPC{ID: "vpc1", CIDR: pfx("10.0.0.0/16"), Tables: []string{"rtb"},
		Subnets: []Subnet{{ID: "s", CIDR: pfx("10.0.0.0/16"), Table: "rtb"}}}
	for i := range hosts {
		v.Hosts = append(v.Hosts, Host{Name: fmt.Sprint("h", i), Subnet: "s",
			IP: netip.AddrFrom4([4]byte{10, 0, byte(i / 200), byte(10 + i%200)}), Device: newSinkDevice()})
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	n, err := New(Config{MaxPacket: 65535, VPCs: []VPC{v}})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	time.Sleep(100 * time.Millisecond) // every reader blocks in Read
	runtime.GC()
	runtime.ReadMemStats(&after)
	perHost := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / hosts
	t.Logf("%d bytes per idle host", perHost)
	if limit := int64(2 * (Headroom + 65535)); perHost > limit {
		t.Errorf("an idle host holds %d bytes, want at most %d (one 64 KiB buffer and change)", perHost, limit)
	}
}

func TestNextWant(t *testing.T) {
	want, full := 1, 0
	var seen []int
	for range 6 * growAfter { // sustained load: doubles every growAfter full reads, up to the slots
		want, full = nextWant(want, full, want, 16)
		seen = append(seen, want)
	}
	if want != 16 {
		t.Errorf("after %d full reads want = %d, want 16 (the slots)", 6*growAfter, want)
	}
	if seen[growAfter-2] != 1 || seen[growAfter-1] != 2 {
		t.Errorf("want over full reads = %v, want 1 until the %d-th, then 2", seen, growAfter)
	}
	if w, f := nextWant(16, 2, 3, 16); w != 3 || f != 0 {
		t.Errorf("a read of 3 after asking 16: want %d full %d, want 3, 0", w, f)
	}
	if w, _ := nextWant(4, 0, 0, 16); w != 1 {
		t.Errorf("a read of nothing: want %d, want 1", w)
	}
}
