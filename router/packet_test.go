package router

import (
	"net/netip"
	"testing"

	"github.com/vpcsim/vpcsim/tun/tuntest"
)

// echoRequest returns an ICMP echo request of size bytes in all (>= 28).
func echoRequest(src, dst netip.Addr, seq uint16, size int) []byte {
	return tuntest.ICMPEcho(src, dst, 0x77, seq, tuntest.Payload(size-tuntest.IPv4HeaderLen-tuntest.ICMPHeaderLen))
}

// udp returns a UDP datagram from port 40000 to 5201 of size bytes in all
// (>= 28).
func udp(src, dst netip.Addr, size int) []byte {
	return tuntest.UDP(src, dst, 40000, 5201, tuntest.Payload(size-tuntest.IPv4HeaderLen-tuntest.UDPHeaderLen))
}

func TestValid(t *testing.T) {
	a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	good := echoRequest(a, b, 1, 64)
	mutate := func(f func(p []byte) []byte) []byte {
		return f(append([]byte(nil), good...))
	}
	tests := []struct {
		name string
		pkt  []byte
		want bool
	}{
		{"good", good, true},
		{"empty", nil, false},
		{"short", good[:19], false},
		{"ipv6", mutate(func(p []byte) []byte { p[0] = 0x65; return p }), false},
		{"ihl too small", mutate(func(p []byte) []byte { p[0] = 0x44; return p }), false},
		{"ihl beyond packet", mutate(func(p []byte) []byte { p[0] = 0x4f; return p[:40] }), false},
		{"total length too long", mutate(func(p []byte) []byte { p[3]++; return p }), false},
		{"total length too short", mutate(func(p []byte) []byte { p[3]--; return p }), false},
		{"trailing bytes", append(append([]byte(nil), good...), 0), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ipv4(tt.pkt).valid(); got != tt.want {
				t.Errorf("ipv4(%x).valid() = %v, want %v", tt.pkt, got, tt.want)
			}
		})
	}
}

func TestEchoReply(t *testing.T) {
	a, gw := netip.MustParseAddr("192.168.1.10"), netip.MustParseAddr("192.168.1.1")
	for _, size := range []int{28, 29, 84, 1500} {
		p := ipv4(echoRequest(a, gw, 7, size))
		if !p.echoReply() {
			t.Fatalf("size %d: echoReply() = false, want true", size)
		}
		if p.src() != gw || p.dst() != a {
			t.Errorf("size %d: reply %v -> %v, want %v -> %v", size, p.src(), p.dst(), gw, a)
		}
		if p[20] != icmpEchoReply {
			t.Errorf("size %d: ICMP type %d, want %d", size, p[20], icmpEchoReply)
		}
		if c := checksum(p[:20]); c != 0 {
			t.Errorf("size %d: IP header checksum does not verify (%#04x)", size, c)
		}
		if c := checksum(p[20:]); c != 0 {
			t.Errorf("size %d: ICMP checksum does not verify (%#04x)", size, c)
		}
	}
	if u := ipv4(udp(a, gw, 64)); u.echoReply() {
		t.Error("echoReply() of a UDP packet = true, want false")
	}
	frag := ipv4(echoRequest(a, gw, 1, 64))
	frag[6] |= 0x20 // more fragments
	if frag.echoReply() {
		t.Error("echoReply() of a fragment = true, want false")
	}
}
