// Package router is the data plane of vpcsim: one virtual router per VPC,
// peering links between them, and the per-packet rules of a cloud VPC.
//
// A Network holds the routers of one topology. A reader takes a batch of
// packets from a host, looks each one up in the FIB of the host's subnet
// route table and delivers it: to another host of the VPC, to the subnet
// gateway (which answers ICMP echo), or onto a peering link. A link is a
// bounded queue of batches per direction and lane, drained by a goroutine
// of the receiving router, which refuses transit (not_transitive) and
// foreign sources (spoofed) before delivering; a small batch on an idle
// link is delivered by its sender at once.
//
// # Lanes
//
// The hosts are read by lanes, one per CPU (Config.Lanes): on Linux each
// lane is a poller, a goroutine waiting in epoll_wait on its queue of every
// host's TUN device. A host created with a queue per lane (a multi-queue
// TUN interface, MultiQueue) has its flows spread over the queues by its
// kernel, so its flows, and different hosts' flows, are forwarded on every
// CPU. A lane writes into a host through the host's queue of its own, and
// the kernel sends the packets of a flow out of the queue the flow's last
// packet came in by: each flow stays on one lane both ways, which keeps it
// in order, and the lane that writes a request into a host finds the reply
// that the host's kernel produced meanwhile waiting when it next polls,
// with no other thread to wake. With Config.BusyPoll a lane does not sleep
// between the packets of a conversation either. Devices without a
// descriptor, such as the in-memory ones of tests, get a goroutine per
// queue.
//
// A device whose reads keep failing, such as a TUN device whose interface
// was deleted inside its host, is retried with growing pauses and logged
// once and then at most every 10 s; after 5 s of failures it is given up
// (HostStats.DeviceGone) and no longer read.
//
// # Buffers
//
// Packet buffers never get copied: a batch moving onto a link takes the
// packets' buffers and gives free ones back in exchange, so a steady flow
// allocates nothing. Every drop is counted under its DropReason.
//
// Each buffer keeps Headroom bytes in front of its packet for the devices'
// metadata, such as the virtio-net header of a TUN device with offloads, so
// TCP super-packets of up to 64 KiB cross the routers whole (Config.MaxPacket)
// with their segmentation left to the receiving host's kernel. Batches of such
// large buffers hold fewer packets. A lane reads every host into one batch,
// whose buffers are free again once it is forwarded, and asks each host for
// as many packets as its traffic calls for, so idle hosts tie up no buffer;
// a device read by a goroutine of its own holds one.
//
// # Changes
//
// The control plane changes a running Network with Update. FIB lookups and
// peering state are read without locks; a peering removed by Update carries
// no packet once Update returns, because Update waits for every forwarding
// goroutine to finish the batch it was working on (a grace period).
package router
