package tun

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/songgao/water"
	"golang.org/x/sys/unix"
)

// CreateHost creates the network namespace cfg.Namespace and in it a TUN
// interface eth0 with cfg.Queues queues, then configures the namespace:
// loopback up; eth0 with cfg.Addr, cfg.MTU and the transmit queue length,
// up; a default route via cfg.Gateway; IPv6 disabled on eth0, so the host
// sends no router solicitations or MLD reports.
//
// A namespace that already exists is left alone and the error wraps
// fs.ErrExist. On any failure CreateHost removes everything it created and
// returns an error naming the failed step; an invalid cfg gives an error
// wrapping ErrInvalidConfig or ErrInvalidName.
func CreateHost(cfg HostConfig) (*Host, error) {
	cfg, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	if err := prepareRunDir(); err != nil {
		return nil, fmt.Errorf("create netns %q: %w", cfg.Namespace, err)
	}
	files, err := inNewNetns(cfg.Namespace, func() ([]*os.File, error) { return setupHost(cfg) })
	if err != nil {
		return nil, err
	}
	return hostOf(cfg, files)
}

// ReopenHost is CreateHost in the namespace cfg.Namespace, which must
// exist: a host whose daemon died, and with it the TUN interface, while
// processes in the namespace went on. Any interface eth0 left there is
// replaced; the namespace and what runs in it are kept, so a server that
// listens on every address serves again once eth0 is back. The namespace
// is deleted by Host.Close as for a created host, but not when ReopenHost
// fails: it was not ReopenHost's to create.
func ReopenHost(cfg HostConfig) (*Host, error) {
	cfg, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	var files []*os.File
	err = Do(cfg.Namespace, func() error {
		if err := removeStaleInterface(); err != nil {
			return fmt.Errorf("reopen netns %q: %w", cfg.Namespace, err)
		}
		files, err = setupHost(cfg)
		return err
	})
	if err != nil {
		for _, f := range files {
			f.Close()
		}
		return nil, err
	}
	return hostOf(cfg, files)
}

// removeStaleInterface deletes the interface eth0 of the calling thread's
// namespace, if there is one.
func removeStaleInterface() error {
	nl, err := dialRtnl()
	if err != nil {
		return err
	}
	defer nl.Close()
	index, err := nl.ifIndex(InterfaceName)
	if err != nil {
		return nil // none
	}
	if err := nl.delLink(index); err != nil {
		return fmt.Errorf("delete the %s left there: %w", InterfaceName, err)
	}
	return nil
}

// hostOf makes the devices of the TUN files of a host set up by cfg.
func hostOf(cfg HostConfig, files []*os.File) (*Host, error) {
	h := &Host{ns: cfg.Namespace}
	hdr := 0
	if cfg.Offload {
		hdr = VirtioNetHdrLen
	}
	for i, f := range files {
		d, err := newDevice(f, InterfaceName, cfg.MTU, hdr) // closes f
		if err != nil {
			for _, f := range files[i+1:] {
				f.Close()
			}
			return nil, errors.Join(err, h.Close()) // closes the devices made, deletes the namespace
		}
		h.devs = append(h.devs, d)
	}
	return h, nil
}

// inNewNetns creates the named namespace and runs setup inside it, on a
// thread that returns to the original namespace afterwards (see
// onNetnsThread). If anything fails, the files are closed and the
// namespace is deleted. setup must close what it opened when it fails.
func inNewNetns(name string, setup func() ([]*os.File, error)) ([]*os.File, error) {
	path := nsPath(name)
	created := false
	var files []*os.File
	err := onNetnsThread(name, func() error {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("create netns %q: %w", name, &os.PathError{Op: "create", Path: path, Err: err})
		}
		unix.Close(fd)
		created = true
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("create netns %q: unshare: %w", name, err)
		}
		if err := unix.Mount("/proc/thread-self/ns/net", path, "none", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("create netns %q: bind mount %s: %w", name, path, err)
		}
		return nil
	}, func() (err error) {
		files, err = setup()
		return err
	})
	if err != nil {
		for _, f := range files {
			f.Close()
		}
		if created {
			err = errors.Join(err, Delete(name))
		}
		return nil, err
	}
	return files, nil
}

// testHookStep, when set by a test, is called after each step of setupHost
// with the step's name; an error it returns fails that step.
var testHookStep func(step string) error

// hookStep runs testHookStep, if any.
func hookStep(step string) error {
	if testHookStep == nil {
		return nil
	}
	return testHookStep(step)
}

// setupHost runs inside the new namespace: it creates and configures eth0
// and returns one file per queue.
func setupHost(cfg HostConfig) (files []*os.File, err error) {
	ns := cfg.Namespace
	defer func() {
		if err != nil {
			for _, f := range files {
				f.Close()
			}
			files = nil
		}
	}()
	// Interfaces created from now on start with IPv6 off. A kernel without
	// IPv6 has no such setting, and no IPv6 traffic either.
	if err := writeSysctl("net/ipv6/conf/default/disable_ipv6", "1"); err != nil && !errors.Is(err, unix.ENOENT) {
		return nil, fmt.Errorf("disable ipv6 in netns %q: %w", ns, err)
	}
	for q := range cfg.Queues {
		open := openTUN
		if cfg.Offload {
			open = openOffloadTUN
		}
		f, err := open(cfg.Queues > 1)
		if err != nil {
			return files, fmt.Errorf("create tun in netns %q (queue %d): %w", ns, q, err)
		}
		files = append(files, f)
	}
	if err := hookStep("tun"); err != nil {
		return files, fmt.Errorf("create tun in netns %q: %w", ns, err)
	}
	nl, err := dialRtnl()
	if err != nil {
		return files, fmt.Errorf("configure netns %q: %w", ns, err)
	}
	defer nl.Close()
	const loIndex = 1 // the kernel always gives loopback index 1
	if err := errors.Join(nl.setLink(loIndex, 0, 0), hookStep("lo")); err != nil {
		return files, fmt.Errorf("configure netns %q: set lo up: %w", ns, err)
	}
	index, err := nl.ifIndex(InterfaceName)
	if err != nil {
		return files, fmt.Errorf("configure netns %q: %w", ns, err)
	}
	if err := errors.Join(nl.setLink(index, cfg.MTU, cfg.TxQueueLen), hookStep("link")); err != nil {
		return files, fmt.Errorf("configure netns %q: set %s mtu %d txqueuelen %d up: %w", ns, InterfaceName, cfg.MTU, cfg.TxQueueLen, err)
	}
	if err := errors.Join(nl.addAddr(index, cfg.Addr), hookStep("addr")); err != nil {
		return files, fmt.Errorf("configure netns %q: add address %v to %s: %w", ns, cfg.Addr, InterfaceName, err)
	}
	if err := errors.Join(nl.addDefaultRoute(index, cfg.Gateway), hookStep("route")); err != nil {
		return files, fmt.Errorf("configure netns %q: add default route via %v: %w", ns, cfg.Gateway, err)
	}
	return files, nil
}

// openTUN creates (or, for a further queue, attaches to) the TUN interface
// eth0 in the calling thread's namespace and returns its file, non-blocking
// (newDevice takes the descriptor over).
func openTUN(multiQueue bool) (*os.File, error) {
	// water opens /dev/net/tun without O_CLOEXEC. Holding ForkLock until
	// the flag is set keeps the descriptor out of processes started
	// meanwhile, such as `ip netns exec` children, which would otherwise
	// keep the interface alive.
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	ifce, err := water.New(water.Config{
		DeviceType: water.TUN,
		PlatformSpecificParams: water.PlatformSpecificParams{
			Name:       InterfaceName,
			MultiQueue: multiQueue,
		},
	})
	if err != nil {
		return nil, err
	}
	f, ok := ifce.ReadWriteCloser.(*os.File)
	if !ok {
		ifce.Close()
		return nil, fmt.Errorf("water returned a %T, want *os.File", ifce.ReadWriteCloser)
	}
	// Not f.Fd(): it would switch the descriptor to blocking mode and take
	// it off the poller.
	rc, err := f.SyscallConn()
	if err == nil {
		err = rc.Control(func(fd uintptr) { syscall.CloseOnExec(int(fd)) })
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("set close-on-exec: %w", err)
	}
	return f, nil
}

// offloads are the TUN offloads an offload device asks for: checksums,
// TCP segmentation for IPv4 and IPv6 (with ECN), and UDP segmentation.
const (
	offloadsTCP = unix.TUN_F_CSUM | unix.TUN_F_TSO4 | unix.TUN_F_TSO6 | unix.TUN_F_TSO_ECN
	offloadsUDP = unix.TUN_F_USO4 | unix.TUN_F_USO6 // Linux 6.2 and later
)

// openOffloadTUN is openTUN for a device with a virtio-net header and
// offloads. water cannot set IFF_VNET_HDR, so the device is opened here,
// non-blocking and close-on-exec from the start, and wrapped by os.NewFile. A kernel that refuses the TCP offloads gives an
// error wrapping ErrOffloadUnsupported; one without UDP segmentation only
// goes without it.
func openOffloadTUN(multiQueue bool) (*os.File, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: "/dev/net/tun", Err: err}
	}
	ok := false
	defer func() {
		if !ok {
			unix.Close(fd)
		}
	}()
	ifr, err := unix.NewIfreq(InterfaceName)
	if err != nil {
		return nil, err
	}
	flags := uint16(unix.IFF_TUN | unix.IFF_NO_PI | unix.IFF_VNET_HDR)
	if multiQueue {
		flags |= unix.IFF_MULTI_QUEUE
	}
	ifr.SetUint16(flags)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		return nil, fmt.Errorf("TUNSETIFF %s with IFF_VNET_HDR: %w", InterfaceName, err)
	}
	if err := unix.IoctlSetPointerInt(fd, unix.TUNSETVNETHDRSZ, VirtioNetHdrLen); err != nil {
		return nil, fmt.Errorf("%w: TUNSETVNETHDRSZ %d: %w", ErrOffloadUnsupported, VirtioNetHdrLen, err)
	}
	err = unix.IoctlSetInt(fd, unix.TUNSETOFFLOAD, offloadsTCP|offloadsUDP)
	if err == unix.EINVAL {
		err = unix.IoctlSetInt(fd, unix.TUNSETOFFLOAD, offloadsTCP)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: TUNSETOFFLOAD %#x: %w", ErrOffloadUnsupported, offloadsTCP, err)
	}
	ok = true
	return os.NewFile(uintptr(fd), "/dev/net/tun"), nil
}

// writeSysctl writes value to /proc/sys/key in the calling thread's network
// namespace. It uses raw system calls so the write surely happens on this
// thread.
func writeSysctl(key, value string) error {
	fd, err := unix.Open("/proc/sys/"+key, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	_, err = unix.Write(fd, []byte(value))
	return err
}
