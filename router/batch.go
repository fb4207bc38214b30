package router

// BatchSize is the most packets a router reads, hands over a link or writes
// in one call.
const BatchSize = 32

// A batch is BatchSize packet buffers and how many of them hold packets.
// Every slot always holds a buffer of the pool's size: moving a packet from
// one batch to another swaps buffers, so payloads are never copied and a
// steady flow allocates nothing.
//
// A batch has exactly one owner at a time. Sending it on a link hands it to
// the receiving router, which returns it to the pool when its packets are
// written.
type batch struct {
	bufs  [BatchSize][]byte // each of the pool's buffer size
	sizes [BatchSize]int
	n     int // packets in bufs[:n], of sizes[:n]
}

// take moves packet i of src into b (which must not be full), giving src a
// free buffer in exchange.
func (b *batch) take(src *batch, i int) {
	b.bufs[b.n], src.bufs[i] = src.bufs[i], b.bufs[b.n]
	b.sizes[b.n] = src.sizes[i]
	b.n++
}

// packet returns packet i.
func (b *batch) packet(i int) []byte { return b.bufs[i][:b.sizes[i]] }

// pool recycles batches. Getting from an empty pool allocates; putting into
// a full one lets the batch go to the garbage collector, so the pool bounds
// idle memory without bounding throughput.
type pool struct {
	free    chan *batch
	bufSize int
}

func newPool(bufSize, capacity int) *pool {
	return &pool{free: make(chan *batch, capacity), bufSize: bufSize}
}

func (p *pool) get() *batch {
	select {
	case b := <-p.free:
		return b
	default:
	}
	b := new(batch)
	mem := make([]byte, BatchSize*p.bufSize)
	for i := range b.bufs {
		b.bufs[i] = mem[i*p.bufSize : (i+1)*p.bufSize : (i+1)*p.bufSize]
	}
	return b
}

func (p *pool) put(b *batch) {
	b.n = 0
	select {
	case p.free <- b:
	default:
	}
}
