package router

import (
	"encoding/binary"
	"net/netip"
	"testing"
)

// echoRequest builds an IPv4 ICMP echo request of total length size (>= 28).
func echoRequest(src, dst netip.Addr, seq uint16, size int) []byte {
	p := make([]byte, size)
	p[0] = 0x45
	binary.BigEndian.PutUint16(p[2:4], uint16(size))
	p[8] = 64
	p[9] = protoICMP
	s, d := src.As4(), dst.As4()
	copy(p[12:16], s[:])
	copy(p[16:20], d[:])
	binary.BigEndian.PutUint16(p[10:12], checksum(p[:20]))
	icmp := p[20:]
	icmp[0] = icmpEcho
	binary.BigEndian.PutUint16(icmp[4:6], 0x77)
	binary.BigEndian.PutUint16(icmp[6:8], seq)
	for i := 8; i < len(icmp); i++ {
		icmp[i] = byte(i)
	}
	binary.BigEndian.PutUint16(icmp[2:4], checksum(icmp))
	return p
}

// udp builds an IPv4 UDP packet (zero UDP checksum) of total length size (>= 28).
func udp(src, dst netip.Addr, size int) []byte {
	p := echoRequest(src, dst, 0, size)
	p[9] = 17
	p[10], p[11] = 0, 0
	binary.BigEndian.PutUint16(p[10:12], checksum(p[:20]))
	binary.BigEndian.PutUint16(p[20:22], 40000)
	binary.BigEndian.PutUint16(p[22:24], 5201)
	binary.BigEndian.PutUint16(p[24:26], uint16(size-20))
	p[26], p[27] = 0, 0
	return p
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
