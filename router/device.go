package router

import "errors"

// Headroom is how many bytes every packet buffer holds before its packet.
// The router passes it as the offset of every Read and Write, so a device
// may keep per-packet metadata in front of the packet: a TUN device with
// offloads keeps its virtio-net header there, up to Headroom bytes. The
// router carries those bytes along with the packet, unread, from the device
// that read it to the one that writes it, and zeroes them in a packet it
// makes itself (a gateway's echo reply) and in every packet read from a
// device that does not report a headroom of its own (see Device).
//
// Zeroed metadata must mean a plain, complete packet, and the devices of
// one Network must agree on what non-zero metadata means.
const Headroom = 16

// Device is a packet device the router reads from and writes to: a host's
// TUN interface, or an in-memory fake in tests. Packets are raw IP packets.
//
// Read blocks until at least one packet is available, then fills
// bufs[i][offset:] with up to len(bufs) packets, setting sizes[i], and
// returns how many it read. Write writes each bufs[i][offset:] as one packet
// and returns how many it wrote; the router counts the others as
// write_failed drops. Read is called by one goroutine; Write may be called
// concurrently with Read and with itself. Close unblocks Read.
//
// The router always passes offset Headroom. A device that uses bytes before
// the offset for metadata reports how many with a method Headroom() int
// (at most Headroom); the router zeroes the bytes before packets read from
// any other device.
type Device interface {
	Read(bufs [][]byte, sizes []int, offset int) (n int, err error)
	Write(bufs [][]byte, offset int) (int, error)
	Close() error
}

// headroomer is a Device that keeps metadata before its packets.
type headroomer interface {
	Headroom() int
}

// usesHeadroom reports whether d keeps metadata before its packets.
func usesHeadroom(d Device) bool {
	h, ok := d.(headroomer)
	return ok && h.Headroom() > 0
}

// pollable is a Device the poller can serve: PollFD returns a descriptor
// that epoll reports readable (level-triggered) while a packet is ready,
// and TryRead is Read without the wait, returning 0 and no error when no
// packet is ready. The device keeps ownership of the descriptor. TUN
// devices are pollable; on Linux each lane reads its queue of every host
// from one goroutine (see poller) rather than from a goroutine each.
type pollable interface {
	PollFD() int
	TryRead(bufs [][]byte, sizes []int, offset int) (int, error)
}

// MultiQueue returns a Device made of the queues of one interface, such as
// the queues of a multi-queue TUN interface (tun.Host.Devices), for
// Host.Device. The Network reads queue i from lane i (modulo the lanes),
// and each lane writes into its own queue (modulo the queues), so a host
// with a queue per lane has each of its flows forwarded by one lane, and
// its flows spread over all of them. The queues must agree on their
// headroom. Read and Write of the returned Device use the first queue;
// Close closes every queue. Without queues MultiQueue returns nil.
func MultiQueue[D Device](queues []D) Device {
	switch len(queues) {
	case 0:
		return nil
	case 1:
		return queues[0]
	}
	m := &multiQueue{queues: make([]Device, len(queues))}
	for i, q := range queues {
		m.queues[i] = q
	}
	return m
}

// multiQueue is the Device that MultiQueue returns.
type multiQueue struct {
	queues []Device
}

func (m *multiQueue) Read(bufs [][]byte, sizes []int, offset int) (int, error) {
	return m.queues[0].Read(bufs, sizes, offset)
}

func (m *multiQueue) Write(bufs [][]byte, offset int) (int, error) {
	return m.queues[0].Write(bufs, offset)
}

func (m *multiQueue) Close() error {
	errs := make([]error, len(m.queues))
	for i, q := range m.queues {
		errs[i] = q.Close()
	}
	return errors.Join(errs...)
}

// queuesOf returns the queues of d: those MultiQueue made it of, or d.
func queuesOf(d Device) []Device {
	if m, ok := d.(*multiQueue); ok {
		return m.queues
	}
	return []Device{d}
}
