package tuntest_test

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/vpcsim/vpcsim/tun/tuntest"
)

var (
	src = netip.MustParseAddr("192.168.1.10")
	dst = netip.MustParseAddr("10.0.1.10")
)

// decode parses p with gopacket, failing t on any decoding error, and
// checks that serializing the decoded layers again, lengths and checksums
// computed by gopacket, gives back p byte for byte: the builder's lengths
// and checksums are the ones gopacket computes.
func decode(t *testing.T, p []byte) gopacket.Packet {
	t.Helper()
	pkt := gopacket.NewPacket(p, layers.LayerTypeIPv4, gopacket.Default)
	if e := pkt.ErrorLayer(); e != nil {
		t.Fatalf("gopacket cannot decode % x: %v", p, e.Error())
	}
	var ser []gopacket.SerializableLayer
	ip := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	for _, l := range pkt.Layers() {
		switch l := l.(type) {
		case *layers.UDP:
			l.SetNetworkLayerForChecksum(ip)
		case *layers.TCP:
			l.SetNetworkLayerForChecksum(ip)
		}
		s, ok := l.(gopacket.SerializableLayer)
		if !ok {
			t.Fatalf("layer %v cannot be serialized", l.LayerType())
		}
		ser = append(ser, s)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ser...); err != nil {
		t.Fatalf("serialize % x again: %v", p, err)
	}
	if got := buf.Bytes(); !bytes.Equal(got, p) {
		t.Fatalf("built        % x\ngopacket's   % x\n(lengths or checksums differ)", p, got)
	}
	return pkt
}

// checkIPv4 checks the IPv4 header gopacket decoded from pkt.
func checkIPv4(t *testing.T, pkt gopacket.Packet, proto layers.IPProtocol, length int) {
	t.Helper()
	ip := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	if ip.Version != 4 || ip.IHL != 5 || int(ip.Length) != length || ip.TTL != 64 || ip.Protocol != proto ||
		ip.Flags != 0 || ip.FragOffset != 0 || !ip.SrcIP.Equal(src.AsSlice()) || !ip.DstIP.Equal(dst.AsSlice()) {
		t.Errorf("IPv4 header %+v, want version 4, IHL 5, length %d, TTL 64, protocol %v, whole, %v -> %v", ip, length, proto, src, dst)
	}
}

func TestICMPEcho(t *testing.T) {
	for _, size := range []int{0, 1, 7, 56, 1472} {
		payload := tuntest.Payload(size)
		for _, tt := range []struct {
			name  string
			build func(src, dst netip.Addr, id, seq uint16, payload []byte) []byte
			typ   uint8
		}{
			{"request", tuntest.ICMPEcho, layers.ICMPv4TypeEchoRequest},
			{"reply", tuntest.ICMPEchoReply, layers.ICMPv4TypeEchoReply},
		} {
			p := tt.build(src, dst, 0x1234, 0xfedc, payload)
			pkt := decode(t, p)
			checkIPv4(t, pkt, layers.IPProtocolICMPv4, tuntest.IPv4HeaderLen+tuntest.ICMPHeaderLen+size)
			icmp := pkt.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
			if icmp.TypeCode != layers.CreateICMPv4TypeCode(tt.typ, 0) || icmp.Id != 0x1234 || icmp.Seq != 0xfedc || !bytes.Equal(icmp.Payload, payload) {
				t.Errorf("%s of %d bytes: ICMP %v id %#x seq %#x payload % x, want type %d id 0x1234 seq 0xfedc payload % x",
					tt.name, size, icmp.TypeCode, icmp.Id, icmp.Seq, icmp.Payload, tt.typ, payload)
			}
		}
	}
}

func TestUDP(t *testing.T) {
	for _, size := range []int{0, 1, 20, 1472} {
		payload := tuntest.Payload(size)
		p := tuntest.UDP(src, dst, 40000, 5201, payload)
		pkt := decode(t, p)
		checkIPv4(t, pkt, layers.IPProtocolUDP, tuntest.IPv4HeaderLen+tuntest.UDPHeaderLen+size)
		udp := pkt.Layer(layers.LayerTypeUDP).(*layers.UDP)
		if udp.SrcPort != 40000 || udp.DstPort != 5201 || int(udp.Length) != tuntest.UDPHeaderLen+size || udp.Checksum == 0 || !bytes.Equal(udp.Payload, payload) {
			t.Errorf("UDP of %d bytes: %+v, want 40000 -> 5201, length %d, a checksum, payload % x", size, udp, tuntest.UDPHeaderLen+size, payload)
		}
	}
}

func TestTCPSYN(t *testing.T) {
	p := tuntest.TCPSYN(src, dst, 40000, 5201, 0xdeadbeef)
	pkt := decode(t, p)
	checkIPv4(t, pkt, layers.IPProtocolTCP, tuntest.IPv4HeaderLen+tuntest.TCPHeaderLen)
	tcp := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
	flags := []bool{tcp.FIN, tcp.RST, tcp.PSH, tcp.ACK, tcp.URG, tcp.ECE, tcp.CWR, tcp.NS}
	if tcp.SrcPort != 40000 || tcp.DstPort != 5201 || tcp.Seq != 0xdeadbeef || tcp.Ack != 0 || tcp.DataOffset != 5 ||
		!tcp.SYN || tcp.Window != 64240 || len(tcp.Payload) != 0 {
		t.Errorf("TCP %+v, want 40000 -> 5201, seq 0xdeadbeef, data offset 5, SYN, window 64240, no payload", tcp)
	}
	for _, f := range flags {
		if f {
			t.Errorf("TCP flags %+v, want SYN only", tcp)
			break
		}
	}
}

// TestIPv4 builds headers with options and fragment fields around the
// transport part of a plain packet, as the package doc describes.
func TestIPv4(t *testing.T) {
	udp := tuntest.UDP(src, dst, 1, 2, []byte("options"))[tuntest.IPv4HeaderLen:]
	routerAlert := []byte{0x94, 0x04, 0x00, 0x00}
	tests := []struct {
		name      string
		h         tuntest.IPv4
		ihl       uint8
		flags     layers.IPv4Flag
		offset    uint16 // in 8-byte units, as gopacket has it
		wantBytes []byte // the options as on the wire
	}{
		{"router alert", tuntest.IPv4{Options: routerAlert}, 6, 0, 0, routerAlert},
		{"options padded", tuntest.IPv4{Options: []byte{1, 1, 1}}, 6, 0, 0, []byte{1, 1, 1, 0}},
		{"longest options", tuntest.IPv4{Options: bytes.Repeat([]byte{1}, 40)}, 15, 0, 0, bytes.Repeat([]byte{1}, 40)},
		{"first fragment", tuntest.IPv4{ID: 77, Flags: tuntest.FlagMoreFragments}, 5, layers.IPv4MoreFragments, 0, nil},
		{"later fragment", tuntest.IPv4{ID: 77, FragmentOffset: 1480}, 5, 0, 185, nil},
		{"don't fragment, TTL 1", tuntest.IPv4{Flags: tuntest.FlagDontFragment, TTL: 1}, 5, layers.IPv4DontFragment, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.h
			h.Src, h.Dst, h.Protocol = src, dst, tuntest.ProtoUDP
			p := h.Packet(udp)
			pkt := decode(t, p)
			ip := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
			wantTTL := h.TTL
			if wantTTL == 0 {
				wantTTL = 64
			}
			if ip.IHL != tt.ihl || int(ip.Length) != len(p) || ip.Flags != tt.flags || ip.FragOffset != tt.offset || ip.Id != h.ID || ip.TTL != wantTTL {
				t.Errorf("IPv4 header %+v, want IHL %d, length %d, flags %v, fragment offset %d, id %d, TTL %d", ip, tt.ihl, len(p), tt.flags, tt.offset, h.ID, wantTTL)
			}
			if got := p[tuntest.IPv4HeaderLen : int(ip.IHL)*4]; !bytes.Equal(got, tt.wantBytes) {
				t.Errorf("options % x, want % x", got, tt.wantBytes)
			}
			if got := p[ip.IHL*4:]; !bytes.Equal(got, udp) {
				t.Errorf("payload % x, want the UDP datagram % x", got, udp)
			}
		})
	}
}

func TestIPv4Panics(t *testing.T) {
	for _, tt := range []struct {
		name    string
		h       tuntest.IPv4
		payload int
	}{
		{"IPv6 source", tuntest.IPv4{Src: netip.MustParseAddr("::1"), Dst: dst}, 0},
		{"no destination", tuntest.IPv4{Src: src}, 0},
		{"41 bytes of options", tuntest.IPv4{Src: src, Dst: dst, Options: make([]byte, 41)}, 0},
		{"fragment offset not a multiple of 8", tuntest.IPv4{Src: src, Dst: dst, FragmentOffset: 12}, 0},
		{"too long", tuntest.IPv4{Src: src, Dst: dst}, 65535 - 19},
	} {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("%+v.Packet(%d bytes) did not panic", tt.h, tt.payload)
				}
			}()
			tt.h.Packet(make([]byte, tt.payload))
		})
	}
	// The limits themselves are fine.
	if p := (tuntest.IPv4{Src: src, Dst: dst}).Packet(make([]byte, 65535-20)); len(p) != 65535 {
		t.Errorf("largest packet is %d bytes, want 65535", len(p))
	}
}

func TestParseEcho(t *testing.T) {
	req := tuntest.ICMPEcho(src, dst, 7, 9, []byte("ping"))
	e, err := tuntest.ParseEcho(req)
	if err != nil || e.Src != src || e.Dst != dst || e.Reply || e.ID != 7 || e.Seq != 9 || string(e.Payload) != "ping" {
		t.Errorf("ParseEcho(request) = %+v, %v; want the request 7/9 %v -> %v with payload \"ping\"", e, err, src, dst)
	}
	rep := tuntest.ICMPEchoReply(dst, src, 7, 9, nil)
	if e, err := tuntest.ParseEcho(rep); err != nil || !e.Reply || e.Src != dst || len(e.Payload) != 0 {
		t.Errorf("ParseEcho(reply) = %+v, %v; want a reply from %v with no payload", e, err, dst)
	}
	withOptions := tuntest.IPv4{Src: src, Dst: dst, Protocol: tuntest.ProtoICMP, Options: []byte{1}}.Packet(req[tuntest.IPv4HeaderLen:])
	if e, err := tuntest.ParseEcho(withOptions); err != nil || e.Seq != 9 {
		t.Errorf("ParseEcho(request with options) = %+v, %v; want seq 9", e, err)
	}

	mutate := func(p []byte, f func(p []byte)) []byte {
		p = bytes.Clone(p)
		f(p)
		return p
	}
	for _, tt := range []struct {
		name string
		p    []byte
	}{
		{"empty", nil},
		{"IPv6", mutate(req, func(p []byte) { p[0] = 0x65 })},
		{"truncated", req[:len(req)-1]},
		{"IP checksum", mutate(req, func(p []byte) { p[8]-- })},
		{"ICMP checksum", mutate(req, func(p []byte) { p[len(p)-1]++ })},
		{"UDP", tuntest.UDP(src, dst, 1, 2, nil)},
		{"destination unreachable", tuntest.IPv4{Src: src, Dst: dst, Protocol: tuntest.ProtoICMP}.Packet([]byte{3, 1, 0xfc, 0xfe, 0, 0, 0, 0})},
	} {
		if e, err := tuntest.ParseEcho(tt.p); err == nil {
			t.Errorf("ParseEcho(%s) = %+v, want an error", tt.name, e)
		}
	}
}

func TestPayload(t *testing.T) {
	p := tuntest.Payload(300)
	if len(p) != 300 || p[0] != 0 || p[1] != 1 || p[255] != 255 || p[256] != 0 || p[299] != 43 {
		t.Errorf("Payload(300) = % x, want 0, 1, ... 255, 0, 1, ...", p)
	}
}
