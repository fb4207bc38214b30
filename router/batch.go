package router

// BatchSize is the most packets a router reads, hands over a link or writes
// in one call. Batches of large buffers use fewer slots (see newPool).
const BatchSize = 32

// Memory bounds of a pool.
const (
	batchBytes = 512 << 10 // buffer bytes per batch when buffers are large
	poolBytes  = 64 << 20  // buffer bytes a pool keeps idle, at most
)

// A batch is up to BatchSize packet buffers and how many of them hold
// packets. A slot holds a buffer of the pool's size, or nil until a reader
// first needs it: a host that never sends ties up one buffer, not a batch
// of them. Moving a packet from one batch to another swaps buffers, so
// payloads are never copied and a steady flow allocates nothing.
//
// Each buffer is Headroom bytes of device metadata followed by room for
// the packet, which moves with it.
//
// A batch has exactly one owner at a time. Sending it on a link hands it to
// the receiving router, which returns it to the pool when its packets are
// written.
type batch struct {
	bufs  [BatchSize][]byte // each nil or of the pool's buffer size
	sizes [BatchSize]int    // packet lengths, without the headroom
	n     int               // packets in bufs[:n], of sizes[:n]
}

// take moves packet i of src into b (which must not be full), giving src
// b's buffer, or nil, in exchange.
func (b *batch) take(src *batch, i int) {
	b.bufs[b.n], src.bufs[i] = src.bufs[i], b.bufs[b.n]
	b.sizes[b.n] = src.sizes[i]
	b.n++
}

// bytes returns the length of b's packets together.
func (b *batch) bytes() int {
	n := 0
	for _, s := range b.sizes[:b.n] {
		n += s
	}
	return n
}

// packet returns packet i, without its headroom.
func (b *batch) packet(i int) []byte { return b.bufs[i][Headroom : Headroom+b.sizes[i]] }

// frame returns packet i with its headroom in front.
func (b *batch) frame(i int) []byte { return b.bufs[i][:Headroom+b.sizes[i]] }

// pool recycles batches. Getting from an empty pool allocates; putting into
// a full one lets the batch go to the garbage collector, so the pool bounds
// idle memory without bounding throughput.
type pool struct {
	free    chan *batch
	bufSize int // Headroom plus the largest packet
	slots   int // slots of a batch in use, 1..BatchSize
}

// newPool returns a pool of batches for packets of up to maxPacket bytes.
// Batches of large buffers (64 KiB offload super-packets) use fewer slots,
// and the pool keeps fewer of them, so memory stays bounded: one
// super-packet carries as much as dozens of MTU-sized packets.
func newPool(maxPacket int) *pool {
	bufSize := Headroom + maxPacket
	slots := min(BatchSize, max(1, (batchBytes+bufSize-1)/bufSize))
	capacity := min(1024, max(16, poolBytes/(slots*bufSize)))
	return &pool{free: make(chan *batch, capacity), bufSize: bufSize, slots: slots}
}

func (p *pool) get() *batch {
	select {
	case b := <-p.free:
		return b
	default:
	}
	return new(batch)
}

func (p *pool) put(b *batch) {
	b.n = 0
	select {
	case p.free <- b:
	default:
	}
}

// fill gives each of the first k slots of b a buffer.
func (p *pool) fill(b *batch, k int) {
	for i := range k {
		if b.bufs[i] == nil {
			b.bufs[i] = make([]byte, p.bufSize)
		}
	}
}
