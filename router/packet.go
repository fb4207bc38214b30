package router

import (
	"encoding/binary"
	"net/netip"
)

// ipv4 is an IPv4 packet, header first. Its accessors assume the packet has
// passed valid; they never allocate.
type ipv4 []byte

const (
	ipv4MinHeader = 20
	protoICMP     = 1
	icmpEchoReply = 0
	icmpEcho      = 8
)

// version returns the IP version nibble of any packet; 0 for an empty one.
func version(p []byte) byte {
	if len(p) == 0 {
		return 0
	}
	return p[0] >> 4
}

// valid reports whether p is a well-formed IPv4 header whose total length is
// exactly len(p).
func (p ipv4) valid() bool {
	if len(p) < ipv4MinHeader || p[0]>>4 != 4 {
		return false
	}
	ihl := int(p[0]&0x0f) * 4
	return ihl >= ipv4MinHeader && ihl <= len(p) && int(binary.BigEndian.Uint16(p[2:4])) == len(p)
}

func (p ipv4) headerLen() int  { return int(p[0]&0x0f) * 4 }
func (p ipv4) protocol() byte  { return p[9] }
func (p ipv4) src() netip.Addr { return netip.AddrFrom4([4]byte(p[12:16])) }
func (p ipv4) dst() netip.Addr { return netip.AddrFrom4([4]byte(p[16:20])) }

// echoReply turns an ICMP echo request into its reply in place: addresses
// swapped, type 0, ICMP checksum recomputed. The IP header checksum is
// unchanged because swapping two words does not change a ones' complement
// sum. It reports false, leaving p untouched, if p is not an echo request.
func (p ipv4) echoReply() bool {
	hl := p.headerLen()
	icmp := p[hl:]
	if p.protocol() != protoICMP || len(icmp) < 8 || icmp[0] != icmpEcho || icmp[1] != 0 {
		return false
	}
	// Fragments cannot be answered: the ICMP header is only in the first one
	// and the checksum covers all of them.
	if binary.BigEndian.Uint16(p[6:8])&0x3fff != 0 {
		return false
	}
	var a [4]byte
	copy(a[:], p[12:16])
	copy(p[12:16], p[16:20])
	copy(p[16:20], a[:])
	icmp[0] = icmpEchoReply
	icmp[2], icmp[3] = 0, 0
	binary.BigEndian.PutUint16(icmp[2:4], checksum(icmp))
	return true
}

// checksum returns the Internet checksum (RFC 1071) of b.
func checksum(b []byte) uint16 {
	var sum uint32
	for len(b) >= 2 {
		sum += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}
