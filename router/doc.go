// Package router is the data plane of vpcsim: one virtual router per VPC,
// peering links between them, and the per-packet rules of a cloud VPC.
//
// A Network holds the routers of one topology. Its reader takes a batch of
// packets from a host, looks each one up in the FIB of the host's subnet
// route table and delivers it: to another host of the VPC, to the subnet
// gateway (which answers ICMP echo), or onto a peering link. A link is a
// bounded queue of batches per direction, drained by a goroutine of the
// receiving router, which refuses transit (not_transitive) and foreign
// sources (spoofed) before delivering; a small batch on an idle link is
// delivered by its sender at once.
//
// On Linux one poller reads every TUN device: a goroutine waiting in
// epoll_wait on all their descriptors. Being one reader, it finds the reply
// a host's kernel produced while it wrote the request already waiting, with
// no other thread to wake, and with Config.BusyPoll it does not sleep
// between the packets of a conversation either. Devices without a
// descriptor, such as the in-memory ones of tests, get a goroutine each.
//
// Packet buffers never get copied: a batch moving onto a link takes the
// packets' buffers and gives free ones back in exchange, so a steady flow
// allocates nothing. Every drop is counted under its DropReason.
//
// Each buffer keeps Headroom bytes in front of its packet for the devices'
// metadata, such as the virtio-net header of a TUN device with offloads, so
// TCP super-packets of up to 64 KiB cross the routers whole (Config.MaxPacket)
// with their segmentation left to the receiving host's kernel. Batches of such
// large buffers hold fewer packets, and each host's read batch gets buffers
// only as its traffic grows, so idle hosts cost one buffer each.
//
// The control plane changes a running Network with Update. FIB lookups and
// peering state are read without locks; a peering removed by Update carries
// no packet once Update returns, because Update waits for every forwarding
// goroutine to finish the batch it was working on (a grace period).
package router
