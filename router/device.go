package router

// Device is a packet device the router reads from and writes to: a host's
// TUN interface, or an in-memory fake in tests. Packets are raw IP packets.
//
// Read blocks until at least one packet is available, then fills
// bufs[i][offset:] with up to len(bufs) packets, setting sizes[i], and
// returns how many it read. Write writes each bufs[i][offset:] as one packet
// and returns how many it wrote. Read is called by one goroutine; Write may be
// called concurrently with Read and with itself. Close unblocks Read.
type Device interface {
	Read(bufs [][]byte, sizes []int, offset int) (n int, err error)
	Write(bufs [][]byte, offset int) (int, error)
	Close() error
}
