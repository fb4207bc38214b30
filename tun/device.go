package tun

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
)

// Device is one queue of a TUN interface, carrying raw IP packets (no
// packet-information header). It satisfies the router's packet device
// interface.
//
// A device of a host created with HostConfig.Offload carries, before every
// packet, a virtio-net header of Headroom bytes: Read puts it at
// bufs[i][offset-Headroom():offset], Write takes it from there, so offset
// must be at least Headroom. The header says how the packet is to be
// segmented and checksummed; a zeroed header means a plain, complete packet.
// Whoever moves packets from one offload device to another keeps each
// packet's header with it, and gives a packet it makes a zeroed header.
//
// Read and TryRead may be called by one goroutine at a time (concurrent
// calls are serialized); Write may be called concurrently with them and with
// itself. None of them allocates. Buffers are used only during the call.
//
// After Close, Read and Write return an error wrapping os.ErrClosed.
// Devices come from CreateHost (Host.Device, Host.Devices); the zero value is
// not usable.
type Device struct {
	fd   int // the TUN queue, non-blocking; not watched by the runtime poller
	wake int // eventfd, readable once Close begins: ends the waits of Read and Write
	name string
	mtu  int
	hdr  int // bytes of virtio-net header before each packet: 0 or VirtioNetHdrLen

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error

	readMu  sync.Mutex // serializes Read and TryRead; Close waits for it
	writeMu sync.Mutex // serializes Write; Close waits for it
}

// Name returns the interface name, "eth0" for a host's device.
func (d *Device) Name() string { return d.name }

// MTU returns the interface MTU the device was created with. Read buffers
// need at least MaxPacket bytes after the offset; a longer packet is
// truncated.
func (d *Device) MTU() int { return d.mtu }

// Headroom returns how many bytes before the offset Read and Write use for
// the packet's virtio-net header: VirtioNetHdrLen for an offload device, 0
// otherwise.
func (d *Device) Headroom() int { return d.hdr }

// MaxPacket returns the longest IP packet Read may return: the MTU, or
// MaxOffloadPacket for an offload device.
func (d *Device) MaxPacket() int {
	if d.hdr > 0 {
		return MaxOffloadPacket
	}
	return d.mtu
}

// opError wraps err from operation op, reporting a closed device as
// os.ErrClosed whatever the system call said.
func (d *Device) opError(op string, err error) error {
	if d.closed.Load() {
		return fmt.Errorf("%s tun %s: %w", op, d.name, os.ErrClosed)
	}
	return fmt.Errorf("%s tun %s: %w", op, d.name, err)
}
