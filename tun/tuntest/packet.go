package tuntest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// Header lengths of the packets the builders make.
const (
	IPv4HeaderLen = 20 // an IPv4 header without options
	ICMPHeaderLen = 8  // the header of an ICMP echo message
	UDPHeaderLen  = 8
	TCPHeaderLen  = 20 // a TCP header without options
)

// IP protocol numbers (IPv4.Protocol).
const (
	ProtoICMP = 1
	ProtoTCP  = 6
	ProtoUDP  = 17
)

// Flags of an IPv4 header (IPv4.Flags).
const (
	FlagMoreFragments = 1 << 0
	FlagDontFragment  = 1 << 1
)

// ICMP types of the echo messages.
const (
	icmpEchoReply   = 0
	icmpEchoRequest = 8
)

// IPv4 is the header of an IPv4 packet to build. Given addresses and a
// protocol, the zero value of the other fields makes a whole (unfragmented)
// packet with TTL 64 and no options.
//
// ICMPEcho, UDP and TCPSYN build packets with a plain header. To build one
// with options or fragment fields, build it plainly and pass its transport
// part, p[IPv4HeaderLen:], to Packet: none of their checksums covers the IP
// header beyond the addresses, protocol and length, which Packet keeps.
type IPv4 struct {
	Src, Dst       netip.Addr // both IPv4
	Protocol       uint8      // ProtoICMP, ProtoTCP, ProtoUDP or any other
	TTL            uint8      // 0 means 64
	ID             uint16     // the identification field
	Flags          uint8      // FlagDontFragment, FlagMoreFragments
	FragmentOffset uint16     // in bytes, a multiple of 8
	Options        []byte     // padded with zeros (end of options) to a multiple of 4 bytes, 40 at most
}

// Packet returns the header followed by payload, with the header length,
// total length and header checksum filled in. It panics if an address is
// not IPv4, the options are longer than 40 bytes, the fragment offset is
// not a multiple of 8, or the packet would be longer than 65535 bytes.
func (h IPv4) Packet(payload []byte) []byte {
	if !h.Src.Is4() || !h.Dst.Is4() {
		panic(fmt.Sprintf("tuntest: IPv4 packet %v -> %v: both addresses must be IPv4", h.Src, h.Dst))
	}
	hl := IPv4HeaderLen + (len(h.Options)+3)&^3
	total := hl + len(payload)
	switch {
	case hl > 60:
		panic(fmt.Sprintf("tuntest: %d bytes of IPv4 options, want at most 40", len(h.Options)))
	case h.FragmentOffset%8 != 0:
		panic(fmt.Sprintf("tuntest: fragment offset %d is not a multiple of 8", h.FragmentOffset))
	case total > 65535:
		panic(fmt.Sprintf("tuntest: IPv4 packet of %d bytes, want at most 65535", total))
	}
	ttl := h.TTL
	if ttl == 0 {
		ttl = 64
	}
	p := make([]byte, total)
	p[0] = 4<<4 | byte(hl/4)
	binary.BigEndian.PutUint16(p[2:4], uint16(total))
	binary.BigEndian.PutUint16(p[4:6], h.ID)
	binary.BigEndian.PutUint16(p[6:8], uint16(h.Flags&7)<<13|h.FragmentOffset/8)
	p[8] = ttl
	p[9] = h.Protocol
	src, dst := h.Src.As4(), h.Dst.As4()
	copy(p[12:16], src[:])
	copy(p[16:20], dst[:])
	copy(p[IPv4HeaderLen:hl], h.Options)
	binary.BigEndian.PutUint16(p[10:12], checksum(0, p[:hl]))
	copy(p[hl:], payload)
	return p
}

// ICMPEcho returns an IPv4 ICMP echo request from src to dst with the
// given identifier, sequence number and payload, checksummed.
func ICMPEcho(src, dst netip.Addr, id, seq uint16, payload []byte) []byte {
	return icmpEcho(src, dst, icmpEchoRequest, id, seq, payload)
}

// ICMPEchoReply returns an IPv4 ICMP echo reply from src to dst with the
// given identifier, sequence number and payload, checksummed.
func ICMPEchoReply(src, dst netip.Addr, id, seq uint16, payload []byte) []byte {
	return icmpEcho(src, dst, icmpEchoReply, id, seq, payload)
}

func icmpEcho(src, dst netip.Addr, typ uint8, id, seq uint16, payload []byte) []byte {
	m := make([]byte, ICMPHeaderLen+len(payload))
	m[0] = typ
	binary.BigEndian.PutUint16(m[4:6], id)
	binary.BigEndian.PutUint16(m[6:8], seq)
	copy(m[ICMPHeaderLen:], payload)
	binary.BigEndian.PutUint16(m[2:4], checksum(0, m))
	return IPv4{Src: src, Dst: dst, Protocol: ProtoICMP}.Packet(m)
}

// UDP returns an IPv4 UDP datagram from src:sport to dst:dport carrying
// payload, its UDP checksum computed.
func UDP(src, dst netip.Addr, sport, dport uint16, payload []byte) []byte {
	seg := make([]byte, UDPHeaderLen+len(payload))
	binary.BigEndian.PutUint16(seg[0:2], sport)
	binary.BigEndian.PutUint16(seg[2:4], dport)
	binary.BigEndian.PutUint16(seg[4:6], uint16(len(seg)))
	copy(seg[UDPHeaderLen:], payload)
	c := checksum(pseudoHeaderSum(src, dst, ProtoUDP, len(seg)), seg)
	if c == 0 {
		c = 0xffff // zero would mean "no checksum" (RFC 768)
	}
	binary.BigEndian.PutUint16(seg[6:8], c)
	return IPv4{Src: src, Dst: dst, Protocol: ProtoUDP}.Packet(seg)
}

// TCPSYN returns an IPv4 TCP segment from src:sport to dst:dport with only
// SYN set, sequence number seq, a window of 64240 bytes and no options,
// checksummed: the first packet of a connection attempt.
func TCPSYN(src, dst netip.Addr, sport, dport uint16, seq uint32) []byte {
	seg := make([]byte, TCPHeaderLen)
	binary.BigEndian.PutUint16(seg[0:2], sport)
	binary.BigEndian.PutUint16(seg[2:4], dport)
	binary.BigEndian.PutUint32(seg[4:8], seq)
	seg[12] = TCPHeaderLen / 4 << 4 // data offset
	seg[13] = 0x02                  // SYN
	binary.BigEndian.PutUint16(seg[14:16], 64240)
	binary.BigEndian.PutUint16(seg[16:18], checksum(pseudoHeaderSum(src, dst, ProtoTCP, len(seg)), seg))
	return IPv4{Src: src, Dst: dst, Protocol: ProtoTCP}.Packet(seg)
}

// Payload returns n bytes counting up from 0 (modulo 256): a payload that a
// test can tell from a zeroed buffer or from another packet's bytes.
func Payload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// Echo is an ICMP echo message as ParseEcho reads it.
type Echo struct {
	Src, Dst netip.Addr
	Reply    bool // an echo reply (type 0), not a request (type 8)
	ID, Seq  uint16
	Payload  []byte // shares the parsed packet's memory
}

// ParseEcho parses p as an IPv4 packet, options allowed, carrying an ICMP
// echo request or reply. It fails unless the header length, total length
// and both checksums are right.
func ParseEcho(p []byte) (Echo, error) {
	if len(p) < IPv4HeaderLen || p[0]>>4 != 4 {
		return Echo{}, fmt.Errorf("not an IPv4 packet: % x", p[:min(len(p), IPv4HeaderLen)])
	}
	hl := int(p[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(p[2:4]))
	if hl < IPv4HeaderLen || total != len(p) || total < hl+ICMPHeaderLen {
		return Echo{}, fmt.Errorf("bad IPv4 lengths: header %d, total %d, packet %d", hl, total, len(p))
	}
	if checksum(0, p[:hl]) != 0 {
		return Echo{}, errors.New("bad IPv4 header checksum")
	}
	if p[9] != ProtoICMP {
		return Echo{}, fmt.Errorf("protocol %d, want %d (ICMP)", p[9], ProtoICMP)
	}
	m := p[hl:]
	if checksum(0, m) != 0 {
		return Echo{}, errors.New("bad ICMP checksum")
	}
	if m[0] != icmpEchoRequest && m[0] != icmpEchoReply || m[1] != 0 {
		return Echo{}, fmt.Errorf("ICMP type %d code %d, want an echo request or reply", m[0], m[1])
	}
	return Echo{
		Src:     netip.AddrFrom4([4]byte(p[12:16])),
		Dst:     netip.AddrFrom4([4]byte(p[16:20])),
		Reply:   m[0] == icmpEchoReply,
		ID:      binary.BigEndian.Uint16(m[4:6]),
		Seq:     binary.BigEndian.Uint16(m[6:8]),
		Payload: m[ICMPHeaderLen:],
	}, nil
}

// pseudoHeaderSum returns the ones' complement sum of the IPv4 pseudo
// header that TCP and UDP checksums cover (RFC 768, RFC 9293).
func pseudoHeaderSum(src, dst netip.Addr, proto uint8, length int) uint32 {
	s, d := src.As4(), dst.As4()
	var ph [12]byte
	copy(ph[0:4], s[:])
	copy(ph[4:8], d[:])
	ph[9] = proto
	binary.BigEndian.PutUint16(ph[10:12], uint16(length))
	return sum(0, ph[:])
}

// checksum returns the Internet checksum (RFC 1071) of b, starting from the
// partial sum initial.
func checksum(initial uint32, b []byte) uint16 {
	s := sum(initial, b)
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}

// sum adds the big-endian 16-bit words of b to s, a final odd byte padded
// with zero.
func sum(s uint32, b []byte) uint32 {
	for ; len(b) >= 2; b = b[2:] {
		s += uint32(b[0])<<8 | uint32(b[1])
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	return s
}
