// Package tun gives every vpcsim host its own Linux network namespace with a
// TUN interface eth0, and exposes the interface to the routers as a batch
// packet device.
//
// # Namespaces
//
// A host's namespace is a named network namespace in the iproute2 layout: a
// bind mount of the namespace onto /run/netns/NAME, so `ip netns list`,
// `ip netns exec` and `ip -n NAME` see it. The package creates and removes
// these mounts itself with golang.org/x/sys/unix instead of running
// `ip netns add`: a topology launches hundreds of hosts, and doing the work
// in process, with no fork and exec per step, keeps creating and configuring
// a host to about 2 ms (median; most of it is the kernel creating the
// namespace). Creating the file /run/netns/NAME with O_EXCL is also an atomic
// existence check, so two launches cannot share a namespace.
// The on-disk result is the same as iproute2's, including the shared mount
// of /run/netns that lets the mounts propagate to other mount namespaces.
//
// CreateHost does all work that must happen inside the new namespace on a
// dedicated goroutine locked to its OS thread: unshare, create the TUN
// interface, configure it over rtnetlink, then switch the thread back. Do
// runs any function inside an existing namespace the same way. If the
// thread cannot be switched back it stays locked and the Go runtime destroys
// it when the goroutine exits, so no other goroutine ever runs in a foreign
// namespace.
//
// Closing a host costs about 25 ms, nearly all of it the kernel unregistering
// eth0 when its last queue is closed; the kernel overlaps that work for hosts
// closed concurrently (20 hosts in about 70 ms), so close many hosts from
// separate goroutines.
//
// # Devices
//
// Device reads and writes raw IP packets on a non-blocking TUN file
// descriptor that the Go runtime poller does not watch: the poller would
// wake one of its threads for every packet queued on the descriptor, even
// with nobody waiting. A caller that serves many devices polls their
// descriptors itself (PollFD, level-triggered epoll) and takes what is
// ready with TryRead, as the router does; Read waits for a packet in
// poll(2), blocking its thread. Reads drain every packet that is ready, up
// to the batch size. None of Read, TryRead and Write allocates.
//
// # Offloads
//
// With HostConfig.Offload, eth0 is created with IFF_VNET_HDR and the
// checksum and segmentation offloads (TSO, and USO where the kernel has it).
// The host's TCP stack then hands over super-packets of up to 64 KiB, each
// behind a virtio-net header that says how to cut it into MTU-sized
// segments, and a device written such a packet gives it to the receiving
// stack whole. A copy between two offload devices therefore costs two system
// calls per 64 KiB instead of two per MTU. water cannot set IFF_VNET_HDR, so
// offload devices are opened directly; the others still come from water.
//
// All of this needs Linux and root (CAP_SYS_ADMIN and CAP_NET_ADMIN). On
// other systems the functions return errors.ErrUnsupported.
package tun
