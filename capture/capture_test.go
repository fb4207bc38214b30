package capture

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

func TestWriterRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	flushes := 0
	w, err := NewWriter(&buf, []string{"a1 out", "a1 in"}, func() { flushes++ })
	if err != nil {
		t.Fatal(err)
	}
	pkts := [][]byte{{0x45, 1, 2, 3}, {0x45, 4, 5}, {0x45, 6}}
	w.Tap(0)(pkts[0])
	w.Tap(1)(pkts[1])
	w.Tap(0)(pkts[2])
	pkts[0][1] = 99 // the tap must have copied
	if err := w.Run(context.Background(), 3); err != nil {
		t.Fatal(err)
	}
	if flushes == 0 {
		t.Error("flush was never called")
	}

	r, err := pcapgo.NewNgReader(&buf, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	if r.LinkType() != layers.LinkTypeIPv4 {
		t.Errorf("link type %v, want IPv4", r.LinkType())
	}
	want := []struct {
		iface int
		data  string
	}{{0, "\x45\x01\x02\x03"}, {1, "\x45\x04\x05"}, {0, "\x45\x06"}}
	for i, wp := range want {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if string(data) != wp.data || ci.InterfaceIndex != wp.iface {
			t.Errorf("packet %d = %x on interface %d, want %x on %d", i, data, ci.InterfaceIndex, wp.data, wp.iface)
		}
	}
	if n := r.NInterfaces(); n != 2 {
		t.Errorf("%d interfaces, want 2", n)
	}
}

func TestWriterStopsWithContextAndCountsDrops(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, []string{"x"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range QueueLen + 5 {
		w.Tap(0)([]byte{0x45})
	}
	if got := w.Dropped(); got != 5 {
		t.Errorf("Dropped() = %d, want 5", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := w.Run(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if got := w.Written(); got != QueueLen {
		t.Errorf("Written() = %d, want %d", got, QueueLen)
	}
}

func TestNewWriterNeedsAPoint(t *testing.T) {
	if _, err := NewWriter(&bytes.Buffer{}, nil, nil); err == nil {
		t.Error("NewWriter with no capture point succeeded")
	}
}

// TestStalledReaderHoldsBoundedMemory: big packets into a Writer nobody
// reads: the queue holds at most MaxQueuedBytes of them, the rest are
// counted as dropped, and room comes back as the stream is written.
func TestStalledReaderHoldsBoundedMemory(t *testing.T) {
	w, err := NewWriter(&bytes.Buffer{}, []string{"x"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 64<<10)
	big[0] = 0x45
	const sent = 1000 // 64 MB offered
	for range sent {
		w.Tap(0)(big)
	}
	queued := len(w.q)
	if held := queued * len(big); held > MaxQueuedBytes {
		t.Errorf("%d bytes queued, want at most %d", held, MaxQueuedBytes)
	}
	if queued == 0 || w.Dropped() != uint64(sent-queued) {
		t.Errorf("%d queued, %d dropped of %d; want the rest of the queued dropped", queued, w.Dropped(), sent)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := w.Run(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if got := w.room.Load(); got != MaxQueuedBytes {
		t.Errorf("room after the queue drained = %d, want %d", got, MaxQueuedBytes)
	}
	w.Tap(0)(big)
	if len(w.q) != 1 {
		t.Error("no room for a packet once the queue drained")
	}
}
