package tun

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// newDevice makes a Device of f, a non-blocking TUN queue, and closes f.
// The device keeps a duplicate of the descriptor, out of the runtime
// poller: the poller would wake a thread for every packet the kernel queues
// on a descriptor it watches, whether anyone waits to read it or not, and
// the router, which polls the devices itself (PollFD), would pay for that
// wakeup on every packet. hdr is the length of the virtio-net header the
// descriptor carries before each packet: 0, or VirtioNetHdrLen.
func newDevice(f *os.File, name string, mtu, hdr int) (*Device, error) {
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("tun %s: %w", name, err)
	}
	fd := -1
	var dupErr error
	if err := rc.Control(func(old uintptr) {
		fd, dupErr = unix.FcntlInt(old, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return nil, fmt.Errorf("tun %s: %w", name, err)
	}
	if dupErr != nil {
		return nil, fmt.Errorf("tun %s: duplicate descriptor: %w", name, dupErr)
	}
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("tun %s: eventfd: %w", name, err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		unix.Close(wake)
		return nil, fmt.Errorf("tun %s: set non-blocking: %w", name, err)
	}
	return &Device{fd: fd, wake: wake, name: name, mtu: mtu, hdr: hdr}, nil
}

// Read waits until at least one packet is ready, then reads packets into
// bufs[i][offset:] until none is ready or min(len(bufs), len(sizes)) have
// been read, setting sizes[i] to each packet's length. It returns how many
// packets it read. A packet longer than len(bufs[i])-offset is truncated, so
// buffers should hold MaxPacket bytes after offset. An offload device puts
// each packet's virtio-net header in the Headroom bytes before offset, and
// fails if offset is smaller.
//
// If an error occurs after some packets were read, Read returns those
// packets and no error; the error shows again on the next call if it
// persists. After Close, Read returns an error wrapping os.ErrClosed.
func (d *Device) Read(bufs [][]byte, sizes []int, offset int) (int, error) {
	return d.read(bufs, sizes, offset, true)
}

// TryRead is Read without the wait: when no packet is ready it returns 0
// and no error at once.
func (d *Device) TryRead(bufs [][]byte, sizes []int, offset int) (int, error) {
	return d.read(bufs, sizes, offset, false)
}

// PollFD returns the device's file descriptor, for a caller that waits for
// it to become readable (with epoll, level-triggered) and then calls
// TryRead. The descriptor stays the device's: the caller must not read,
// write or close it, and must stop polling it before calling Close.
func (d *Device) PollFD() int { return d.fd }

func (d *Device) read(bufs [][]byte, sizes []int, offset int, wait bool) (int, error) {
	n := min(len(bufs), len(sizes))
	if err := d.checkOffset("read", offset); err != nil {
		return 0, err
	}
	d.readMu.Lock()
	defer d.readMu.Unlock()
	for {
		if d.closed.Load() {
			return 0, d.opError("read", os.ErrClosed)
		}
		if n == 0 {
			return 0, nil
		}
		read, err := d.readReady(bufs[:n], sizes[:n], offset)
		if read > 0 {
			return read, nil
		}
		if err != nil {
			return 0, d.opError("read", err)
		}
		if !wait {
			return 0, nil
		}
		if err := d.waitFor(unix.POLLIN); err != nil {
			return 0, d.opError("read", err)
		}
	}
}

// checkOffset checks that offset leaves room for the packet header before
// it; op names the operation in the error.
func (d *Device) checkOffset(op string, offset int) error {
	if offset < 0 {
		return fmt.Errorf("%s tun %s: negative offset %d", op, d.name, offset)
	}
	if offset < d.hdr {
		return fmt.Errorf("%s tun %s: offset %d leaves no room for the %d-byte header: %w", op, d.name, offset, d.hdr, io.ErrShortBuffer)
	}
	return nil
}

// readReady reads packets until none is ready or bufs is full. The caller
// holds readMu.
func (d *Device) readReady(bufs [][]byte, sizes []int, offset int) (int, error) {
	n := 0
	for n < len(bufs) {
		b := bufs[n]
		if len(b) <= offset {
			return n, fmt.Errorf("buffer %d holds %d bytes, no room after offset %d: %w", n, len(b), offset, io.ErrShortBuffer)
		}
		size, err := unix.Read(d.fd, b[offset-d.hdr:])
		switch {
		case err == nil && size < d.hdr:
			// The kernel always writes the whole header; skip anything else.
		case err == nil:
			sizes[n] = size - d.hdr
			n++
		case err == unix.EINTR:
		case err == unix.EAGAIN:
			return n, nil
		default:
			return n, err
		}
	}
	return n, nil
}

// waitFor waits until the descriptor polls for events or Close begins. The
// caller holds readMu or writeMu, which Close waits for before it closes
// the descriptors.
func (d *Device) waitFor(events int16) error {
	fds := [2]unix.PollFd{{Fd: int32(d.fd), Events: events}, {Fd: int32(d.wake), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(fds[:], -1)
		if err != unix.EINTR {
			return err
		}
	}
}

// Write writes each bufs[i][offset:] as one packet and returns how many
// packets it wrote. An offload device writes the packet's virtio-net header,
// bufs[i][offset-Headroom():offset], with it, and fails if offset is
// smaller than Headroom. A packet the kernel refuses (EINVAL: empty, or neither
// IPv4 nor IPv6; or a buffer shorter than offset) is skipped and Write goes
// on with the next one; any other error stops it. The returned error is the
// first one met, with the index of its packet. After Close, Write returns an
// error wrapping os.ErrClosed.
func (d *Device) Write(bufs [][]byte, offset int) (int, error) {
	if len(bufs) == 0 {
		return 0, nil
	}
	if err := d.checkOffset("write", offset); err != nil {
		return 0, err
	}
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	written := 0
	var first error
	for i := 0; i < len(bufs); {
		if d.closed.Load() {
			return written, d.opError("write", os.ErrClosed)
		}
		b := bufs[i]
		if len(b) < offset {
			first = firstErr(first, fmt.Errorf("packet %d: buffer holds %d bytes, less than offset %d: %w", i, len(b), offset, io.ErrShortBuffer))
			i++
			continue
		}
		_, err := unix.Write(d.fd, b[offset-d.hdr:])
		switch {
		case err == nil:
			written++
			i++
		case err == unix.EINTR:
		case err == unix.EAGAIN:
			if err := d.waitFor(unix.POLLOUT); err != nil {
				return written, d.opError("write", err)
			}
		case isPacketError(err):
			first = firstErr(first, fmt.Errorf("packet %d (%d bytes): %w", i, len(b)-offset, err))
			i++
		default:
			return written, d.opError("write", firstErr(first, fmt.Errorf("packet %d: %w", i, err)))
		}
	}
	if first != nil {
		return written, d.opError("write", first)
	}
	return written, nil
}

// firstErr returns first if it is an error, else err.
func firstErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// Close closes the device's file descriptor and unblocks a blocked Read or
// Write, which then returns an error wrapping os.ErrClosed. Close is
// idempotent: later calls return the first call's result. Closing the last
// queue does not remove the interface; deleting the namespace does.
func (d *Device) Close() error {
	d.closeOnce.Do(func() {
		d.closed.Store(true)
		var one [8]byte
		one[0] = 1 // eventfd counters are host-endian; 1 is nonzero either way
		unix.Write(d.wake, one[:])
		// Wait for the calls in progress, which see closed or the wake, so
		// that none uses a descriptor number after it is closed.
		d.readMu.Lock()
		d.writeMu.Lock()
		err := unix.Close(d.fd)
		unix.Close(d.wake)
		d.writeMu.Unlock()
		d.readMu.Unlock()
		if err != nil {
			d.closeErr = fmt.Errorf("close tun %s: %w", d.name, err)
		}
	})
	return d.closeErr
}

// isPacketError reports whether a TUN write error concerns only the packet
// written, so later packets may still succeed.
func isPacketError(err error) bool {
	return errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EMSGSIZE) ||
		errors.Is(err, unix.ENOBUFS) || errors.Is(err, unix.ENOMEM)
}
