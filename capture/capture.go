// Package capture records packets seen at router capture points into a
// pcapng stream that tcpdump, tshark and Wireshark read: one pcapng
// interface per capture point (a host direction or a peering direction),
// link type IPv4 (LINKTYPE_IPV4, 228): the data plane carries IPv4 only.
// Not LINKTYPE_RAW: libpcap 1.10 (tcpdump) maps the first interface's
// LINKTYPE_RAW to DLT_RAW and then refuses every further interface as "a
// type 101 different from the type of the first interface".
//
// Taps copy each packet into a bounded queue on the forwarding path and a
// single goroutine writes the file, so a slow reader of the stream costs
// captured packets (counted, and written as the interface's drop statistic),
// never forwarded ones. The queue is bounded in packets (QueueLen) and in
// bytes (MaxQueuedBytes): a tap copies a packet only when there is room,
// so a stalled reader holds at most that much memory.
package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/vpcsim/vpcsim/router"
)

// The bounds of what a Writer holds between the taps and the stream.
const (
	QueueLen       = 8192    // packets
	MaxQueuedBytes = 8 << 20 // bytes of packets
)

// linkType is the link type of every interface; see the package doc.
const linkType = layers.LinkTypeIPv4

// snapLen is the most bytes kept of a packet: the largest MTU.
const snapLen = 65535

type record struct {
	iface int
	ts    time.Time
	data  []byte
}

// Writer writes the packets of its taps as one pcapng stream.
type Writer struct {
	ng      *pcapgo.NgWriter
	flush   func()
	q       chan record
	ifaces  int
	dropped []atomic.Uint64 // per interface: lost because the queue was full
	written atomic.Uint64
	room    atomic.Int64 // bytes the queue may still take
}

// NewWriter writes a pcapng section header and one interface per name to w.
// flush, if not nil, is called whenever the stream has caught up, so a
// reader on the other end of a pipe sees packets as they come.
func NewWriter(w io.Writer, names []string, flush func()) (*Writer, error) {
	if len(names) == 0 {
		return nil, errors.New("capture: no capture point")
	}
	first := pcapgo.NgInterface{Name: names[0], LinkType: linkType, SnapLength: snapLen}
	ng, err := pcapgo.NewNgWriterInterface(w, first, pcapgo.NgWriterOptions{
		SectionInfo: pcapgo.NgSectionInfo{Application: "vpcsim"},
	})
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	for _, name := range names[1:] {
		if _, err := ng.AddInterface(pcapgo.NgInterface{Name: name, LinkType: linkType, SnapLength: snapLen}); err != nil {
			return nil, fmt.Errorf("capture: %w", err)
		}
	}
	if err := ng.Flush(); err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	if flush == nil {
		flush = func() {}
	}
	flush()
	cw := &Writer{ng: ng, flush: flush, q: make(chan record, QueueLen), ifaces: len(names), dropped: make([]atomic.Uint64, len(names))}
	cw.room.Store(MaxQueuedBytes)
	return cw, nil
}

// Tap returns the tap of interface i (the index of its name in NewWriter).
func (w *Writer) Tap(i int) router.Tap {
	return func(pkt []byte) {
		n := int64(len(pkt))
		if len(w.q) == cap(w.q) {
			w.dropped[i].Add(1)
			return
		}
		if w.room.Add(-n) < 0 {
			w.room.Add(n)
			w.dropped[i].Add(1)
			return
		}
		r := record{iface: i, ts: time.Now(), data: append([]byte(nil), pkt...)}
		select {
		case w.q <- r:
		default: // the queue filled meanwhile
			w.room.Add(n)
			w.dropped[i].Add(1)
		}
	}
}

// Run writes queued packets until ctx is done or count packets are written
// (count <= 0: no limit), then writes what was already queued (up to count),
// each interface's statistics, and flushes. Detach the taps after Run
// returns.
func (w *Writer) Run(ctx context.Context, count int) error {
	more := func() bool { return count <= 0 || w.written.Load() < uint64(count) }
	for more() {
		select {
		case <-ctx.Done():
			for len(w.q) > 0 && more() {
				if err := w.write(<-w.q); err != nil {
					return err
				}
			}
			return w.finish()
		case r := <-w.q:
			if err := w.write(r); err != nil {
				return err
			}
			if len(w.q) == 0 {
				if err := w.ng.Flush(); err != nil {
					return fmt.Errorf("capture: %w", err)
				}
				w.flush()
			}
		}
	}
	return w.finish()
}

func (w *Writer) write(r record) error {
	w.room.Add(int64(len(r.data)))
	ci := gopacket.CaptureInfo{Timestamp: r.ts, CaptureLength: len(r.data), Length: len(r.data), InterfaceIndex: r.iface}
	if err := w.ng.WritePacket(ci, r.data); err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	w.written.Add(1)
	return nil
}

func (w *Writer) finish() error {
	now := time.Now()
	for i := 0; i < w.ifaces; i++ {
		st := pcapgo.NgInterfaceStatistics{LastUpdate: now, PacketsDropped: w.dropped[i].Load()}
		if err := w.ng.WriteInterfaceStats(i, st); err != nil {
			return fmt.Errorf("capture: %w", err)
		}
	}
	if err := w.ng.Flush(); err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	w.flush()
	return nil
}

// Written returns how many packets were written.
func (w *Writer) Written() uint64 { return w.written.Load() }

// Dropped returns how many packets were lost because the queue was full.
func (w *Writer) Dropped() uint64 {
	var n uint64
	for i := range w.dropped {
		n += w.dropped[i].Load()
	}
	return n
}
