package router

import (
	"encoding/binary"
	"net/netip"
)

// ipv4 is an IPv4 packet, header first (RFC 791, section 3.1):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|Version|  IHL  |Type of Service|          Total Length         |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|         Identification        |Flags|      Fragment Offset    |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  Time to Live |    Protocol   |         Header Checksum       |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                       Source Address                          |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                    Destination Address                        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                    Options                    |    Padding    |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Call valid first: the other methods assume it returned true, and then
// they neither index out of range nor allocate.
type ipv4 []byte

// Offsets and sizes of the IPv4 header fields the router reads.
const (
	ipv4VersionIHL = 0  // version in the high nibble, header length in 32-bit words in the low one
	ipv4TotalLen   = 2  // 2 bytes: header and payload
	ipv4FlagsFrag  = 6  // 2 bytes: 3 flag bits, then the fragment offset in 8-byte units
	ipv4Protocol   = 9  // the payload's protocol
	ipv4Checksum   = 10 // 2 bytes: over the header, options included
	ipv4Src        = 12 // 4 bytes
	ipv4Dst        = 16 // 4 bytes
	ipv4MinHeader  = 20 // a header without options

	// ipv4FragMask covers the more-fragments flag and the fragment offset:
	// non-zero in every fragment of a fragmented packet.
	ipv4FragMask = 0x3fff
)

// Offsets of the fields of an ICMP echo message (RFC 792), after the IP
// header.
const (
	icmpType       = 0
	icmpCode       = 1
	icmpChecksum   = 2 // 2 bytes, over the whole message
	icmpEchoHdrLen = 8 // type, code, checksum, identifier, sequence number
)

// Protocol and ICMP type numbers.
const (
	protoICMP     = 1
	icmpEchoReply = 0
	icmpEcho      = 8
)

// version returns the IP version nibble of any packet; 0 for an empty one.
func version(p []byte) byte {
	if len(p) == 0 {
		return 0
	}
	return p[ipv4VersionIHL] >> 4
}

// valid reports whether p is a well-formed IPv4 header whose total length is
// exactly len(p) and whose checksum verifies.
//
// A receiving host's kernel drops a packet whose header checksum does not
// verify, without a word; checking it here makes the drop a counted one
// (malformed). Hosts with segmentation offload hand over TCP super-packets
// whose headers the kernel has checksummed like any other (tun's offload
// tests check it), so no packet a host's stack sends fails the check.
func (p ipv4) valid() bool {
	if len(p) < ipv4MinHeader || p[ipv4VersionIHL]>>4 != 4 {
		return false
	}
	ihl := p.headerLen()
	return ihl >= ipv4MinHeader && ihl <= len(p) && int(binary.BigEndian.Uint16(p[ipv4TotalLen:])) == len(p) &&
		headerSumOK(p[:ihl])
}

// headerSumOK reports whether the checksum of h, an IPv4 header of a
// multiple of 4 bytes, verifies: whether the ones' complement sum of its
// 16-bit words is all ones. It sums 32-bit words into 64 bits and folds the
// carries back in at the end, which gives the same sum (RFC 1071, section
// 2(B)) with a quarter of the additions of a byte-pair loop: five for a
// header without options.
func headerSumOK(h []byte) bool {
	var s uint64
	for ; len(h) >= 4; h = h[4:] {
		s += uint64(binary.BigEndian.Uint32(h))
	}
	s = s>>32 + s&0xffffffff // at most 15 words: below 2^36, now below 2^33
	s = s>>32 + s&0xffffffff
	s = s>>16 + s&0xffff
	s = s>>16 + s&0xffff
	return s == 0xffff
}

// headerLen returns the header length, options included, in bytes.
func (p ipv4) headerLen() int  { return int(p[ipv4VersionIHL]&0x0f) * 4 }
func (p ipv4) protocol() byte  { return p[ipv4Protocol] }
func (p ipv4) src() netip.Addr { return netip.AddrFrom4([4]byte(p[ipv4Src : ipv4Src+4])) }
func (p ipv4) dst() netip.Addr { return netip.AddrFrom4([4]byte(p[ipv4Dst : ipv4Dst+4])) }

// fragment reports whether p is a fragment of a larger packet.
func (p ipv4) fragment() bool {
	return binary.BigEndian.Uint16(p[ipv4FlagsFrag:])&ipv4FragMask != 0
}

// echoReply turns an ICMP echo request into its reply in place: addresses
// swapped, type 0, ICMP checksum recomputed. The IP header checksum is
// unchanged because swapping two words does not change a ones' complement
// sum. It reports false, leaving p untouched, if p is not an echo request.
func (p ipv4) echoReply() bool {
	icmp := p[p.headerLen():]
	if p.protocol() != protoICMP || len(icmp) < icmpEchoHdrLen || icmp[icmpType] != icmpEcho || icmp[icmpCode] != 0 {
		return false
	}
	// Fragments cannot be answered: the ICMP header is only in the first one
	// and the checksum covers all of them.
	if p.fragment() {
		return false
	}
	var a [4]byte
	copy(a[:], p[ipv4Src:ipv4Src+4])
	copy(p[ipv4Src:ipv4Src+4], p[ipv4Dst:ipv4Dst+4])
	copy(p[ipv4Dst:ipv4Dst+4], a[:])
	icmp[icmpType] = icmpEchoReply
	icmp[icmpChecksum], icmp[icmpChecksum+1] = 0, 0
	binary.BigEndian.PutUint16(icmp[icmpChecksum:], checksum(icmp))
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
