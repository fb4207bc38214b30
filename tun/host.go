package tun

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
	"sync"
)

// Defaults applied by CreateHost to zero fields of HostConfig.
const (
	// DefaultMTU is the interface MTU when HostConfig.MTU is zero.
	DefaultMTU = 1500
	// DefaultTxQueueLen is the interface transmit queue length when
	// HostConfig.TxQueueLen is zero. The kernel's own default for TUN
	// interfaces is 500.
	DefaultTxQueueLen = 1000
	// MaxQueues bounds HostConfig.Queues.
	MaxQueues = 64
)

// Offload sizes, for HostConfig.Offload.
const (
	// VirtioNetHdrLen is the length of the virtio-net header (struct
	// virtio_net_hdr) that precedes every packet of an offload device.
	VirtioNetHdrLen = 10
	// MaxOffloadPacket is the largest IP packet an offload device reads or
	// writes: a TCP or UDP super-packet of up to 64 KiB, whatever the MTU.
	MaxOffloadPacket = 65535
)

// InterfaceName is the name of the TUN interface inside every host namespace.
const InterfaceName = "eth0"

// netnsDir is where named network namespaces are mounted, as by iproute2.
const netnsDir = "/run/netns"

// ErrInvalidConfig is returned (wrapped, with the offending value quoted) by
// CreateHost for a HostConfig it cannot apply.
var ErrInvalidConfig = errors.New("invalid host config")

// ErrRestore is returned (wrapped) when a thread that entered a network
// namespace cannot be switched back to its own. The thread is then never
// used again: no other goroutine runs in the namespace it was left in.
var ErrRestore = errors.New("cannot restore the thread's network namespace")

// ErrInvalidName is returned (wrapped, with the name quoted) for a namespace
// name that cannot be a file name in /run/netns.
var ErrInvalidName = errors.New("invalid namespace name")

// ErrOffloadUnsupported is returned (wrapped, with the kernel's error) by
// CreateHost when HostConfig.Offload is set and the kernel refuses the TUN
// offloads. Creating the host again without Offload may succeed.
var ErrOffloadUnsupported = errors.New("tun offloads not supported")

// HostConfig describes one host: its namespace and the addressing of its
// eth0 interface. The zero values of MTU, Queues and TxQueueLen select the
// defaults.
type HostConfig struct {
	// Namespace is the name of the network namespace to create, for
	// example "best-practice-a1". It must not exist yet.
	Namespace string
	// Addr is the host's IPv4 address with its subnet's prefix length,
	// for example 192.168.1.10/24.
	Addr netip.Prefix
	// Gateway is the IPv4 address of the default route; it must lie in
	// Addr's subnet and differ from Addr's address.
	Gateway netip.Addr
	// MTU of eth0, 68..65535; 0 means DefaultMTU.
	MTU int
	// Queues is the number of TUN queues (file descriptors). 0 and 1 mean
	// a single queue; more creates eth0 with IFF_MULTI_QUEUE and one Device
	// per queue, and the kernel spreads the host's outgoing flows over them,
	// so every queue must be read.
	Queues int
	// TxQueueLen is eth0's transmit queue length; 0 means DefaultTxQueueLen.
	TxQueueLen int
	// Offload creates eth0 with a virtio-net header on every packet
	// (IFF_VNET_HDR) and checksum and segmentation offloads (TSO for IPv4
	// and IPv6, and USO where the kernel has it). The host's kernel then
	// hands over TCP super-packets of up to MaxOffloadPacket bytes with
	// their checksums left to do, described by the header, and takes them
	// back the same way: a router passing packets between offload devices
	// moves up to 64 KiB per system call instead of one MTU. See Device
	// for the buffer layout.
	Offload bool
}

// normalize fills in defaults and validates c.
func (c HostConfig) normalize() (HostConfig, error) {
	if err := checkName(c.Namespace); err != nil {
		return c, err
	}
	if !c.Addr.IsValid() || !c.Addr.Addr().Is4() {
		return c, fmt.Errorf("%w: address %q is not an IPv4 prefix", ErrInvalidConfig, c.Addr)
	}
	if c.Addr.Bits() > 30 {
		return c, fmt.Errorf("%w: address %v: prefix length /%d leaves no room for a gateway (want /0../30)", ErrInvalidConfig, c.Addr, c.Addr.Bits())
	}
	if !c.Gateway.Is4() {
		return c, fmt.Errorf("%w: gateway %q is not an IPv4 address", ErrInvalidConfig, c.Gateway)
	}
	if !c.Addr.Contains(c.Gateway) || c.Gateway == c.Addr.Addr() {
		return c, fmt.Errorf("%w: gateway %v must be another address in %v", ErrInvalidConfig, c.Gateway, c.Addr.Masked())
	}
	switch {
	case c.MTU == 0:
		c.MTU = DefaultMTU
	case c.MTU < 68 || c.MTU > 65535:
		return c, fmt.Errorf("%w: MTU %d out of range 68..65535", ErrInvalidConfig, c.MTU)
	}
	switch {
	case c.Queues == 0:
		c.Queues = 1
	case c.Queues < 0 || c.Queues > MaxQueues:
		return c, fmt.Errorf("%w: %d queues out of range 1..%d", ErrInvalidConfig, c.Queues, MaxQueues)
	}
	switch {
	case c.TxQueueLen == 0:
		c.TxQueueLen = DefaultTxQueueLen
	case c.TxQueueLen < 0:
		return c, fmt.Errorf("%w: negative transmit queue length %d", ErrInvalidConfig, c.TxQueueLen)
	}
	return c, nil
}

// checkName reports an error wrapping ErrInvalidName unless name can be a
// namespace name: a single path element of at most 255 bytes.
func checkName(name string) error {
	switch {
	case name == "", name == ".", name == "..":
		return fmt.Errorf("%w: %q", ErrInvalidName, name)
	case len(name) > 255:
		return fmt.Errorf("%w: %q is longer than 255 bytes", ErrInvalidName, name)
	case strings.ContainsAny(name, "/\x00"):
		return fmt.Errorf("%w: %q contains '/' or NUL", ErrInvalidName, name)
	}
	return nil
}

// Host is a running host: a network namespace holding a configured TUN
// interface eth0, and the Devices that read and write it. Its methods are
// safe for concurrent use.
type Host struct {
	ns   string
	devs []*Device

	closeOnce sync.Once
	closeErr  error
}

// Namespace returns the name of the host's network namespace.
func (h *Host) Namespace() string { return h.ns }

// Device returns the device of the first queue of eth0, the only one unless
// HostConfig.Queues was more than 1.
func (h *Host) Device() *Device { return h.devs[0] }

// Devices returns one device per queue of eth0. The slice must not be
// modified.
func (h *Host) Devices() []*Device { return h.devs }

// Close closes the host's devices and deletes its namespace. Processes still
// running in the namespace keep it alive, without eth0, until they exit.
// Close is idempotent: later calls return the first call's result.
func (h *Host) Close() error {
	h.closeOnce.Do(func() {
		var errs []error
		for _, d := range h.devs {
			errs = append(errs, d.Close())
		}
		errs = append(errs, Delete(h.ns))
		h.closeErr = errors.Join(errs...)
	})
	return h.closeErr
}

// Exec returns a command that runs name with args inside the network
// namespace ns, through `ip netns exec`. The command's exit status is that of
// name. Like exec.Command, it only prepares the command.
func Exec(ns, name string, args ...string) *exec.Cmd {
	return exec.Command("ip", execArgs(ns, name, args)...)
}

// ExecContext is like Exec but kills the command when ctx is done.
func ExecContext(ctx context.Context, ns, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", execArgs(ns, name, args)...)
}

func execArgs(ns, name string, args []string) []string {
	return append([]string{"netns", "exec", ns, name}, args...)
}
