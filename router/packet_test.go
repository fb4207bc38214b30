package router

import (
	"encoding/binary"
	"math/rand/v2"
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
		{"bad header checksum", mutate(func(p []byte) []byte { p[ipv4Checksum+1]++; return p }), false},
		{"header changed under its checksum", mutate(func(p []byte) []byte { p[8]--; return p }), false}, // TTL
		{"options", tuntest.IPv4{Src: a, Dst: b, Options: make([]byte, 40)}.Packet(nil), true},
		{"options cut short", tuntest.IPv4{Src: a, Dst: b, Options: make([]byte, 40)}.Packet(nil)[:59], false},
		{"fragment", tuntest.IPv4{Src: a, Dst: b, Flags: tuntest.FlagMoreFragments}.Packet(make([]byte, 8)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ipv4(tt.pkt).valid(); got != tt.want {
				t.Errorf("ipv4(%x).valid() = %v, want %v", tt.pkt, got, tt.want)
			}
		})
	}
}

// TestHeaderSumOK checks the word-wise header checksum against checksum,
// the plain byte-pair sum, on random headers of every length, half of them
// with their checksum filled in.
func TestHeaderSumOK(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 100000 {
		h := make([]byte, 4*(5+rng.IntN(11)))
		for j := range h {
			h[j] = byte(rng.Uint32())
		}
		if i%8 == 0 { // words of all ones make the carries longest
			for j := range h {
				h[j] = 0xff
			}
			h[rng.IntN(len(h))] = byte(rng.Uint32())
		}
		if i%2 == 0 {
			h[ipv4Checksum], h[ipv4Checksum+1] = 0, 0
			binary.BigEndian.PutUint16(h[ipv4Checksum:], checksum(h))
		}
		if got, want := headerSumOK(h), checksum(h) == 0; got != want {
			t.Fatalf("headerSumOK(% x) = %v, want %v", h, got, want)
		}
	}
}

func TestEchoReply(t *testing.T) {
	a, gw := addr("192.168.1.10"), addr("192.168.1.1")
	withOptions := func(size int) []byte {
		req := echoRequest(a, gw, 7, size)
		return tuntest.IPv4{Src: a, Dst: gw, Protocol: tuntest.ProtoICMP, Options: []byte{1, 1, 1, 1, 1, 1, 1, 1}}.Packet(req[ipv4MinHeader:])
	}
	for _, tt := range []struct {
		name string
		req  []byte
	}{
		{"28 bytes", echoRequest(a, gw, 7, 28)},
		{"29 bytes", echoRequest(a, gw, 7, 29)},
		{"84 bytes", echoRequest(a, gw, 7, 84)},
		{"1500 bytes", echoRequest(a, gw, 7, 1500)},
		{"IP options", withOptions(84)},
	} {
		p := ipv4(append([]byte(nil), tt.req...))
		if !p.valid() || !p.echoReply() {
			t.Fatalf("%s: echoReply() = false, want true", tt.name)
		}
		// ParseEcho checks both checksums.
		req, _ := tuntest.ParseEcho(tt.req)
		rep, err := tuntest.ParseEcho(p)
		if err != nil {
			t.Fatalf("%s: reply % x: %v", tt.name, []byte(p), err)
		}
		if !rep.Reply || rep.Src != gw || rep.Dst != a || rep.ID != req.ID || rep.Seq != req.Seq || string(rep.Payload) != string(req.Payload) {
			t.Errorf("%s: reply %+v, want an echo reply %v -> %v with the request's id, seq and payload", tt.name, rep, gw, a)
		}
		if string(p[:12]) != string(tt.req[:12]) || string(p[20:p.headerLen()]) != string(tt.req[20:p.headerLen()]) {
			t.Errorf("%s: reply header % x, want the request's but for the addresses (% x)", tt.name, []byte(p[:p.headerLen()]), tt.req[:p.headerLen()])
		}
	}
	if u := ipv4(udp(a, gw, 64)); u.echoReply() {
		t.Error("echoReply() of a UDP packet = true, want false")
	}
	if r := ipv4(tuntest.ICMPEchoReply(a, gw, 1, 1, nil)); r.echoReply() {
		t.Error("echoReply() of an echo reply = true, want false")
	}
	for _, h := range []tuntest.IPv4{
		{Flags: tuntest.FlagMoreFragments},
		{FragmentOffset: 8},
	} {
		h.Src, h.Dst, h.Protocol = a, gw, tuntest.ProtoICMP
		frag := ipv4(h.Packet(echoRequest(a, gw, 1, 64)[ipv4MinHeader:]))
		if frag.echoReply() {
			t.Errorf("echoReply() of a fragment (%+v) = true, want false", h)
		}
	}
}
