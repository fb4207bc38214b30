package tun

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// ICMP message types used by the tests.
const (
	icmpEchoReply   = 0
	icmpEchoRequest = 8
)

// checksum returns the Internet checksum of b.
func checksum(b []byte) uint16 {
	var sum uint32
	for ; len(b) >= 2; b = b[2:] {
		sum += uint32(b[0])<<8 | uint32(b[1])
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// icmpEcho builds an IPv4 ICMP echo request or reply (typ) from src to dst.
func icmpEcho(src, dst netip.Addr, typ uint8, id, seq uint16, payload []byte) []byte {
	const ihl = 20
	p := make([]byte, ihl+8+len(payload))
	p[0] = 0x45
	binary.BigEndian.PutUint16(p[2:], uint16(len(p)))
	p[8] = 64 // TTL
	p[9] = 1  // ICMP
	s, d := src.As4(), dst.As4()
	copy(p[12:], s[:])
	copy(p[16:], d[:])
	binary.BigEndian.PutUint16(p[10:], checksum(p[:ihl]))
	icmp := p[ihl:]
	icmp[0] = typ
	binary.BigEndian.PutUint16(icmp[4:], id)
	binary.BigEndian.PutUint16(icmp[6:], seq)
	copy(icmp[8:], payload)
	binary.BigEndian.PutUint16(icmp[2:], checksum(icmp))
	return p
}

// echo is a parsed IPv4 ICMP echo message.
type echo struct {
	src, dst netip.Addr
	typ      uint8
	id, seq  uint16
	payload  []byte
}

// parseEcho parses p as an IPv4 ICMP echo request or reply and checks its
// checksums.
func parseEcho(p []byte) (echo, error) {
	if len(p) < 20 || p[0]>>4 != 4 {
		return echo{}, fmt.Errorf("not an IPv4 packet: % x", p[:min(len(p), 20)])
	}
	ihl := int(p[0]&0xf) * 4
	total := int(binary.BigEndian.Uint16(p[2:]))
	if ihl < 20 || total != len(p) || total < ihl+8 {
		return echo{}, fmt.Errorf("bad IPv4 lengths: ihl %d, total %d, packet %d", ihl, total, len(p))
	}
	if checksum(p[:ihl]) != 0 {
		return echo{}, fmt.Errorf("bad IPv4 header checksum")
	}
	if p[9] != 1 {
		return echo{}, fmt.Errorf("protocol %d, want 1 (ICMP)", p[9])
	}
	icmp := p[ihl:]
	if checksum(icmp) != 0 {
		return echo{}, fmt.Errorf("bad ICMP checksum")
	}
	if icmp[0] != icmpEchoRequest && icmp[0] != icmpEchoReply || icmp[1] != 0 {
		return echo{}, fmt.Errorf("ICMP type %d code %d, want an echo", icmp[0], icmp[1])
	}
	return echo{
		src:     netip.AddrFrom4([4]byte(p[12:16])),
		dst:     netip.AddrFrom4([4]byte(p[16:20])),
		typ:     icmp[0],
		id:      binary.BigEndian.Uint16(icmp[4:]),
		seq:     binary.BigEndian.Uint16(icmp[6:]),
		payload: icmp[8:],
	}, nil
}

// replyTo turns the echo request p into its reply in place: addresses
// swapped, type 0, both checksums recomputed.
func replyTo(p []byte) {
	ihl := int(p[0]&0xf) * 4
	var a [4]byte
	copy(a[:], p[12:16])
	copy(p[12:16], p[16:20])
	copy(p[16:20], a[:])
	p[10], p[11] = 0, 0
	binary.BigEndian.PutUint16(p[10:], checksum(p[:ihl]))
	icmp := p[ihl:]
	icmp[0] = icmpEchoReply
	icmp[2], icmp[3] = 0, 0
	binary.BigEndian.PutUint16(icmp[2:], checksum(icmp))
}
