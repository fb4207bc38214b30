// Package tuntest is the test kit of vpcsim's data plane: an in-memory
// packet device, so that routers can be tested without root, namespaces or
// TUN devices; builders of the IPv4 packets hosts send (ICMP echo, UDP, TCP
// SYN, any header with options or fragment fields) and a parser of echo
// messages; and NeedRoot, which skips the tests that do need root.
package tuntest

import (
	"net"
	"sync"
)

// Device is an in-memory packet device: what a test sends on Inbound the
// router reads, and what the router writes appears on Outbound.
type Device struct {
	Inbound  chan []byte // packets from the host to the router
	Outbound chan []byte // packets from the router to the host; never closed

	closeOnce sync.Once
	closed    chan struct{}
}

// NewDevice returns a device whose channels hold capacity packets each.
func NewDevice(capacity int) *Device {
	return &Device{
		Inbound:  make(chan []byte, capacity),
		Outbound: make(chan []byte, capacity),
		closed:   make(chan struct{}),
	}
}

// Read blocks for one packet, then takes more while they are queued, up to
// len(bufs). After Close it returns net.ErrClosed.
func (d *Device) Read(bufs [][]byte, sizes []int, offset int) (int, error) {
	select {
	case p := <-d.Inbound:
		sizes[0] = copy(bufs[0][offset:], p)
	case <-d.closed:
		return 0, net.ErrClosed
	}
	n := 1
	for n < len(bufs) {
		select {
		case p := <-d.Inbound:
			sizes[n] = copy(bufs[n][offset:], p)
			n++
		default:
			return n, nil
		}
	}
	return n, nil
}

// Write copies each packet onto Outbound. When Outbound is full the packet is
// dropped, as a real interface would when its host does not read.
func (d *Device) Write(bufs [][]byte, offset int) (int, error) {
	select {
	case <-d.closed:
		return 0, net.ErrClosed
	default:
	}
	for _, b := range bufs {
		p := append([]byte(nil), b[offset:]...)
		select {
		case d.Outbound <- p:
		default:
		}
	}
	return len(bufs), nil
}

// Close makes Read and Write fail with net.ErrClosed. It is idempotent.
func (d *Device) Close() error {
	d.closeOnce.Do(func() { close(d.closed) })
	return nil
}
