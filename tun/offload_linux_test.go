package tun

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vpcsim/vpcsim/tun/tuntest"
)

// offloadPair is two offload hosts on one subnet, 10.9.0.10 and 10.9.0.20,
// joined by copy loops that move packets with their virtio-net headers from
// one device to the other, as the router does.
type offloadPair struct {
	a, b      *Host
	maxPacket atomic.Int64 // largest IP packet read
	maxGSO    atomic.Int64 // largest gso_size seen in a header
	bad       atomic.Int64 // packets whose IPv4 total length is not their length
	badSum    atomic.Int64 // packets whose IPv4 header checksum does not verify
}

func newOffloadPair(t *testing.T) *offloadPair {
	t.Helper()
	cfg := func(ip string) HostConfig {
		c := testConfig()
		c.Addr = netip.MustParsePrefix(ip + "/24")
		c.Offload = true
		return c
	}
	p := &offloadPair{}
	p.a = newHost(t, cfg("10.9.0.10"))
	p.b = newHost(t, cfg("10.9.0.20"))
	var wg sync.WaitGroup
	t.Cleanup(func() {
		p.a.Device().Close()
		p.b.Device().Close()
		wg.Wait()
	})
	wg.Go(func() { p.copy(t, p.a.Device(), p.b.Device()) })
	wg.Go(func() { p.copy(t, p.b.Device(), p.a.Device()) })
	return p
}

// copy moves packets from src to dst until src is closed.
func (p *offloadPair) copy(t *testing.T, src, dst *Device) {
	const offset = 16
	bufs, sizes := makeBufs(8, offset+MaxOffloadPacket)
	for {
		n, err := src.Read(bufs, sizes, offset)
		if err != nil {
			if !errors.Is(err, os.ErrClosed) {
				t.Errorf("Read: %v", err)
			}
			return
		}
		out := bufs[:n]
		for i := range n {
			pkt := bufs[i][offset : offset+sizes[i]]
			if int(binary.BigEndian.Uint16(pkt[2:4])) != len(pkt) {
				p.bad.Add(1)
			}
			if headerSum(pkt[:int(pkt[0]&0x0f)*4]) != 0xffff {
				p.badSum.Add(1)
			}
			hdr := bufs[i][offset-VirtioNetHdrLen : offset]
			gso := binary.LittleEndian.Uint16(hdr[4:6])
			storeMax(&p.maxPacket, int64(len(pkt)))
			storeMax(&p.maxGSO, int64(gso))
			out[i] = bufs[i][:offset+sizes[i]]
		}
		if _, err := dst.Write(out, offset); err != nil && !errors.Is(err, os.ErrClosed) {
			t.Errorf("Write: %v", err)
		}
		for i := range n {
			bufs[i] = bufs[i][:cap(bufs[i])]
		}
	}
}

// headerSum returns the ones' complement sum of the 16-bit words of h: 0xffff
// for an IPv4 header whose checksum verifies.
func headerSum(h []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(h[i:]))
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return uint16(sum)
}

func storeMax(v *atomic.Int64, x int64) {
	for {
		old := v.Load()
		if x <= old || v.CompareAndSwap(old, x) {
			return
		}
	}
}

// TestNSOffloadIperf runs a TCP stream between two offload hosts through a
// header-preserving copy loop, and checks that the kernel segmented nothing
// on the way: packets longer than the MTU crossed, each with a correct IPv4
// total length.
func TestNSOffloadIperf(t *testing.T) {
	tuntest.NeedRoot(t, "ip", "iperf3")
	if _, err := exec.LookPath("iperf3"); err != nil {
		t.Skip("needs iperf3")
	}
	p := newOffloadPair(t)
	if got := p.a.Device().Headroom(); got != VirtioNetHdrLen {
		t.Fatalf("Headroom() = %d, want %d", got, VirtioNetHdrLen)
	}
	if got := p.a.Device().MaxPacket(); got != MaxOffloadPacket {
		t.Errorf("MaxPacket() = %d, want %d", got, MaxOffloadPacket)
	}
	if out, err := exec.Command("ip", "netns", "exec", p.a.Namespace(), "ethtool", "-k", "eth0").CombinedOutput(); err == nil {
		for _, want := range []string{"tcp-segmentation-offload: on", "tx-checksumming: on"} {
			if !bytes.Contains(out, []byte(want)) {
				t.Errorf("ethtool -k eth0 does not say %q:\n%s", want, out)
			}
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv := ExecContext(ctx, p.b.Namespace(), "iperf3", "-s", "-1", "-B", "10.9.0.20")
	var srvOut bytes.Buffer
	srv.Stdout, srv.Stderr = &srvOut, &srvOut
	if err := srv.Start(); err != nil {
		t.Fatalf("start iperf3 server: %v", err)
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	var out []byte
	var err error
	for range 20 { // until the server listens
		out, err = ExecContext(ctx, p.a.Namespace(), "iperf3", "-c", "10.9.0.20", "-t", "1").CombinedOutput()
		if err == nil || !bytes.Contains(out, []byte("connect")) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("iperf3 -c: %v\n%s\nserver:\n%s", err, out, srvOut.String())
	}
	if !bytes.Contains(out, []byte("receiver")) {
		t.Fatalf("iperf3 -c output has no receiver summary:\n%s", out)
	}
	t.Logf("largest packet %d bytes, largest gso_size %d", p.maxPacket.Load(), p.maxGSO.Load())
	if got := p.maxPacket.Load(); got <= DefaultMTU {
		t.Errorf("largest packet read = %d bytes, want more than the MTU %d (TSO super-packets)", got, DefaultMTU)
	}
	if got := p.maxGSO.Load(); got == 0 || got > DefaultMTU {
		t.Errorf("largest gso_size = %d, want a segment size within the MTU %d", got, DefaultMTU)
	}
	if got := p.bad.Load(); got != 0 {
		t.Errorf("%d packets had an IPv4 total length other than their length", got)
	}
	// The router drops packets whose header checksum does not verify: the
	// kernel must checksum the header of every super-packet it hands over.
	if got := p.badSum.Load(); got != 0 {
		t.Errorf("%d packets had an IPv4 header checksum that does not verify", got)
	}
}

// TestNSOffloadHeaderRoom checks the offset rules of an offload device and
// that a plain packet with a zeroed header goes through: the host answers
// an echo request written with one.
func TestNSOffloadHeaderRoom(t *testing.T) {
	tuntest.NeedRoot(t)
	cfg := testConfig()
	cfg.Offload = true
	h := newHost(t, cfg)
	d := h.Device()
	req := tuntest.ICMPEcho(cfg.Gateway, cfg.Addr.Addr(), 5, 5, []byte("offload"))
	if n, err := d.Write([][]byte{append(make([]byte, 4), req...)}, 4); n != 0 || !errors.Is(err, io.ErrShortBuffer) {
		t.Errorf("Write(offset 4) = %d, %v, want 0 and io.ErrShortBuffer", n, err)
	}
	bufs, sizes := makeBufs(1, 16+MaxOffloadPacket)
	if n, err := d.Read(bufs, sizes, 4); n != 0 || !errors.Is(err, io.ErrShortBuffer) {
		t.Errorf("Read(offset 4) = %d, %v, want 0 and io.ErrShortBuffer", n, err)
	}
	buf := append(make([]byte, 16), req...) // zeroed header: a plain packet
	if n, err := d.Write([][]byte{buf}, 16); n != 1 || err != nil {
		t.Fatalf("Write(echo request, zeroed header) = %d, %v, want 1, nil", n, err)
	}
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := d.Read(bufs, sizes, 16)
		done <- result{n, err}
	}()
	select {
	case r := <-done:
		if r.n != 1 || r.err != nil {
			t.Fatalf("Read = %d, %v, want 1, nil", r.n, r.err)
		}
	case <-time.After(3 * time.Second):
		d.Close()
		<-done
		t.Fatal("no echo reply within 3s")
	}
	if e, err := tuntest.ParseEcho(bufs[0][16 : 16+sizes[0]]); err != nil || !e.Reply || e.Seq != 5 {
		t.Fatalf("read %+v, %v, want echo reply seq 5", e, err)
	}
	if hdr := bufs[0][16-VirtioNetHdrLen : 16]; hdr[1] != 0 { // gso_type
		t.Errorf("echo reply header % x, want gso_type 0 (none)", hdr)
	}
}

func TestNSOffloadMultiQueue(t *testing.T) {
	tuntest.NeedRoot(t, "ip")
	cfg := testConfig()
	cfg.Queues, cfg.Offload = 2, true
	h := newHost(t, cfg)
	for i, d := range h.Devices() {
		if d.Headroom() != VirtioNetHdrLen {
			t.Errorf("Devices()[%d].Headroom() = %d, want %d", i, d.Headroom(), VirtioNetHdrLen)
		}
	}
	out := run(t, "ip", "-n", h.Namespace(), "-d", "link", "show", "dev", "eth0")
	for _, want := range []string{"vnet_hdr on", "multi_queue", "pi off"} {
		if !strings.Contains(out, want) {
			t.Errorf("ip -d link show eth0 = %q, want %q", out, want)
		}
	}
	plain := newHost(t, testConfig())
	if d := plain.Device(); d.Headroom() != 0 || d.MaxPacket() != DefaultMTU {
		t.Errorf("without Offload: Headroom() = %d, MaxPacket() = %d, want 0, %d", d.Headroom(), d.MaxPacket(), DefaultMTU)
	}
}
