package tun

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"
)

// rtnl is a minimal rtnetlink client: just the requests that configure a
// host interface, each sent with NLM_F_ACK and checked. A socket belongs to
// the network namespace of the thread that opened it.
type rtnl struct {
	fd  int
	seq uint32
	msg []byte
	rx  []byte
}

func dialRtnl() (*rtnl, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("rtnetlink socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("rtnetlink bind: %w", err)
	}
	return &rtnl{fd: fd, msg: make([]byte, 0, 256), rx: make([]byte, 4096)}, nil
}

func (c *rtnl) Close() error { return unix.Close(c.fd) }

// ifIndex returns the index of the interface called name.
func (c *rtnl) ifIndex(name string) (uint32, error) {
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, err
	}
	if err := unix.IoctlIfreq(c.fd, unix.SIOCGIFINDEX, ifr); err != nil {
		return 0, fmt.Errorf("index of %s: %w", name, err)
	}
	return ifr.Uint32(), nil
}

// setLink brings interface index up and, when non-zero, sets its MTU and
// transmit queue length.
func (c *rtnl) setLink(index uint32, mtu, txqlen int) error {
	c.begin(unix.RTM_NEWLINK, 0)
	var ifi [unix.SizeofIfInfomsg]byte // family AF_UNSPEC, type 0
	binary.NativeEndian.PutUint32(ifi[4:], index)
	binary.NativeEndian.PutUint32(ifi[8:], unix.IFF_UP)  // flags
	binary.NativeEndian.PutUint32(ifi[12:], unix.IFF_UP) // change mask
	c.msg = append(c.msg, ifi[:]...)
	if mtu > 0 {
		c.attrU32(unix.IFLA_MTU, uint32(mtu))
	}
	if txqlen > 0 {
		c.attrU32(unix.IFLA_TXQLEN, uint32(txqlen))
	}
	return c.exec()
}

// delLink deletes interface index.
func (c *rtnl) delLink(index uint32) error {
	c.begin(unix.RTM_DELLINK, 0)
	var ifi [unix.SizeofIfInfomsg]byte
	binary.NativeEndian.PutUint32(ifi[4:], index)
	c.msg = append(c.msg, ifi[:]...)
	return c.exec()
}

// addAddr assigns the IPv4 address prefix to interface index.
func (c *rtnl) addAddr(index uint32, prefix netip.Prefix) error {
	c.begin(unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_EXCL)
	var ifa [unix.SizeofIfAddrmsg]byte
	ifa[0] = unix.AF_INET
	ifa[1] = uint8(prefix.Bits())
	ifa[3] = unix.RT_SCOPE_UNIVERSE
	binary.NativeEndian.PutUint32(ifa[4:], index)
	c.msg = append(c.msg, ifa[:]...)
	a := prefix.Addr().As4()
	c.attr(unix.IFA_LOCAL, a[:])
	c.attr(unix.IFA_ADDRESS, a[:])
	return c.exec()
}

// addDefaultRoute adds the IPv4 default route via gw out of interface index.
func (c *rtnl) addDefaultRoute(index uint32, gw netip.Addr) error {
	c.begin(unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_EXCL)
	c.msg = append(c.msg,
		unix.AF_INET,           // family
		0,                      // dst_len: default route
		0,                      // src_len
		0,                      // tos
		unix.RT_TABLE_MAIN,     // table
		unix.RTPROT_BOOT,       // protocol, as `ip route add`
		unix.RT_SCOPE_UNIVERSE, // scope
		unix.RTN_UNICAST,       // type
		0, 0, 0, 0,             // flags
	)
	a := gw.As4()
	c.attr(unix.RTA_GATEWAY, a[:])
	c.attrU32(unix.RTA_OIF, index)
	return c.exec()
}

// begin starts a request of type typ with flags in addition to
// NLM_F_REQUEST|NLM_F_ACK.
func (c *rtnl) begin(typ, flags uint16) {
	c.seq++
	var h [unix.SizeofNlMsghdr]byte
	binary.NativeEndian.PutUint16(h[4:], typ)
	binary.NativeEndian.PutUint16(h[6:], unix.NLM_F_REQUEST|unix.NLM_F_ACK|flags)
	binary.NativeEndian.PutUint32(h[8:], c.seq)
	c.msg = append(c.msg[:0], h[:]...)
}

// attr appends a route attribute, padded to 4 bytes.
func (c *rtnl) attr(typ uint16, data []byte) {
	var h [unix.SizeofRtAttr]byte
	binary.NativeEndian.PutUint16(h[0:], uint16(unix.SizeofRtAttr+len(data)))
	binary.NativeEndian.PutUint16(h[2:], typ)
	c.msg = append(c.msg, h[:]...)
	c.msg = append(c.msg, data...)
	for len(c.msg)%4 != 0 {
		c.msg = append(c.msg, 0)
	}
}

func (c *rtnl) attrU32(typ uint16, v uint32) {
	var b [4]byte
	binary.NativeEndian.PutUint32(b[:], v)
	c.attr(typ, b[:])
}

// exec sends the request built since begin and waits for its
// acknowledgement, returning the kernel's error as a unix.Errno.
func (c *rtnl) exec() error {
	binary.NativeEndian.PutUint32(c.msg[0:], uint32(len(c.msg)))
	if err := unix.Sendto(c.fd, c.msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("rtnetlink send: %w", err)
	}
	for {
		n, _, err := unix.Recvfrom(c.fd, c.rx, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("rtnetlink receive: %w", err)
		}
		for b := c.rx[:n]; len(b) >= unix.SizeofNlMsghdr; {
			size := int(binary.NativeEndian.Uint32(b[0:]))
			typ := binary.NativeEndian.Uint16(b[4:])
			seq := binary.NativeEndian.Uint32(b[8:])
			if size < unix.SizeofNlMsghdr || size > len(b) {
				return fmt.Errorf("rtnetlink: malformed reply (%d of %d bytes)", size, len(b))
			}
			if typ == unix.NLMSG_ERROR && seq == c.seq {
				if size < unix.SizeofNlMsghdr+4 {
					return fmt.Errorf("rtnetlink: short error reply")
				}
				if errno := int32(binary.NativeEndian.Uint32(b[unix.SizeofNlMsghdr:])); errno != 0 {
					return unix.Errno(-errno)
				}
				return nil
			}
			next := (size + 3) &^ 3
			if next >= len(b) {
				break
			}
			b = b[next:]
		}
	}
}
