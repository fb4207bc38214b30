package tuntest_test

import (
	"fmt"
	"net/netip"

	"github.com/vpcsim/vpcsim/tun/tuntest"
)

func ExampleParseEcho() {
	a1, gw := netip.MustParseAddr("192.168.1.10"), netip.MustParseAddr("192.168.1.1")
	req := tuntest.ICMPEcho(a1, gw, 7, 1, []byte("hi"))
	e, err := tuntest.ParseEcho(req)
	fmt.Println(len(req), e.Src, "->", e.Dst, e.Reply, e.ID, e.Seq, string(e.Payload), err)
	// Output: 30 192.168.1.10 -> 192.168.1.1 false 7 1 hi <nil>
}

// A fragment with IP options: the transport part of a plain packet under
// a header built field by field.
func ExampleIPv4_Packet() {
	a1, b1 := netip.MustParseAddr("192.168.1.10"), netip.MustParseAddr("10.0.1.10")
	udp := tuntest.UDP(a1, b1, 40000, 5201, tuntest.Payload(64))[tuntest.IPv4HeaderLen:]
	p := tuntest.IPv4{
		Src: a1, Dst: b1, Protocol: tuntest.ProtoUDP,
		ID: 1, Flags: tuntest.FlagMoreFragments,
		Options: []byte{0x94, 0x04, 0, 0}, // router alert
	}.Packet(udp)
	fmt.Printf("% x\n", p[:24])
	// Output: 46 00 00 60 00 01 20 00 40 11 f8 cb c0 a8 01 0a 0a 00 01 0a 94 04 00 00
}
