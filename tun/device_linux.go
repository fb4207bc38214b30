package tun

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// newDevice wraps f, a non-blocking TUN file descriptor registered with the
// runtime poller, in a Device. hdr is the length of the virtio-net header
// the descriptor carries before each packet: 0, or VirtioNetHdrLen.
func newDevice(f *os.File, name string, mtu, hdr int) (*Device, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("tun %s: %w", name, err)
	}
	d := &Device{file: f, rc: rc, name: name, mtu: mtu, hdr: hdr}
	d.readFn = d.readReady
	d.writeFn = d.writeReady
	return d, nil
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
	if d.closed.Load() {
		return 0, d.opError("read", os.ErrClosed)
	}
	n := min(len(bufs), len(sizes))
	if n == 0 {
		return 0, nil
	}
	if offset < 0 {
		return 0, fmt.Errorf("read tun %s: negative offset %d", d.name, offset)
	}
	if offset < d.hdr {
		return 0, fmt.Errorf("read tun %s: offset %d leaves no room for the %d-byte header: %w", d.name, offset, d.hdr, io.ErrShortBuffer)
	}
	d.readMu.Lock()
	d.rd = readOp{bufs: bufs[:n], sizes: sizes[:n], offset: offset}
	err := d.rc.Read(d.readFn)
	read, opErr := d.rd.n, d.rd.err
	d.rd = readOp{} // do not keep the caller's buffers
	d.readMu.Unlock()
	if read > 0 {
		return read, nil
	}
	if err == nil {
		err = opErr
	}
	return 0, d.opError("read", err)
}

// readReady is the poller callback of Read. It returns false, to wait for
// the descriptor to become readable, only if it has read nothing yet.
func (d *Device) readReady(fd uintptr) bool {
	op := &d.rd
	for op.n < len(op.bufs) {
		b := op.bufs[op.n]
		if len(b) <= op.offset {
			op.err = fmt.Errorf("buffer %d holds %d bytes, no room after offset %d: %w", op.n, len(b), op.offset, io.ErrShortBuffer)
			return true
		}
		size, err := unix.Read(int(fd), b[op.offset-d.hdr:])
		switch {
		case err == nil && size < d.hdr:
			// The kernel always writes the whole header; skip anything else.
		case err == nil:
			op.sizes[op.n] = size - d.hdr
			op.n++
		case err == unix.EINTR:
		case err == unix.EAGAIN:
			return op.n > 0
		default:
			op.err = err
			return true
		}
	}
	return true
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
	if d.closed.Load() {
		return 0, d.opError("write", os.ErrClosed)
	}
	if len(bufs) == 0 {
		return 0, nil
	}
	if offset < 0 {
		return 0, fmt.Errorf("write tun %s: negative offset %d", d.name, offset)
	}
	if offset < d.hdr {
		return 0, fmt.Errorf("write tun %s: offset %d leaves no room for the %d-byte header: %w", d.name, offset, d.hdr, io.ErrShortBuffer)
	}
	d.writeMu.Lock()
	d.wr = writeOp{bufs: bufs, offset: offset}
	err := d.rc.Write(d.writeFn)
	written, opErr := d.wr.n, d.wr.err
	d.wr = writeOp{}
	d.writeMu.Unlock()
	if err != nil {
		return written, d.opError("write", err)
	}
	if opErr != nil {
		return written, d.opError("write", opErr)
	}
	return written, nil
}

// writeReady is the poller callback of Write. It returns false, to wait for
// the descriptor to become writable, only on EAGAIN.
func (d *Device) writeReady(fd uintptr) bool {
	op := &d.wr
	for op.next < len(op.bufs) {
		b := op.bufs[op.next]
		if len(b) < op.offset {
			op.skip(fmt.Errorf("packet %d: buffer holds %d bytes, less than offset %d: %w", op.next, len(b), op.offset, io.ErrShortBuffer))
			continue
		}
		_, err := unix.Write(int(fd), b[op.offset-d.hdr:])
		switch {
		case err == nil:
			op.next++
			op.n++
		case err == unix.EINTR:
		case err == unix.EAGAIN:
			return false
		case isPacketError(err):
			op.skip(fmt.Errorf("packet %d (%d bytes): %w", op.next, len(b)-op.offset, err))
		default:
			if op.err == nil {
				op.err = fmt.Errorf("packet %d: %w", op.next, err)
			}
			return true
		}
	}
	return true
}

// skip records err for the current packet, if it is the first error, and
// moves on to the next packet.
func (op *writeOp) skip(err error) {
	if op.err == nil {
		op.err = err
	}
	op.next++
}

// isPacketError reports whether a TUN write error concerns only the packet
// written, so later packets may still succeed.
func isPacketError(err error) bool {
	return errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EMSGSIZE) ||
		errors.Is(err, unix.ENOBUFS) || errors.Is(err, unix.ENOMEM)
}
