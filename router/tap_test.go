package router

import (
	"sync"
	"testing"
)

// recorder is a Tap that keeps copies.
type recorder struct {
	mu   sync.Mutex
	pkts [][]byte
}

func (r *recorder) tap(p []byte) {
	r.mu.Lock()
	r.pkts = append(r.pkts, append([]byte(nil), p...))
	r.mu.Unlock()
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pkts)
}

func TestTaps(t *testing.T) {
	tn := newTestNet(t, Config{})
	tn.update(t, []Peering{pcx12}, bothWays)
	var aOut, bIn, ab, ba recorder
	detachA, err := tn.TapHost("a1", aOut.tap, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tn.TapHost("b1", nil, bIn.tap); err != nil {
		t.Fatal(err)
	}
	detachP, err := tn.TapPeering("pcx-12", ab.tap, ba.tap)
	if err != nil {
		t.Fatal(err)
	}
	// Another capture of the same point sees the same packets.
	var ab2 recorder
	detach2, err := tn.TapPeering("pcx-12", ab2.tap, nil)
	if err != nil {
		t.Fatalf("a second capture of pcx-12: %v", err)
	}
	if _, err := tn.TapHost("zz", aOut.tap, nil); err == nil {
		t.Error("TapHost of an unknown host succeeded")
	}
	if _, err := tn.TapPeering("pcx-99", ab.tap, nil); err == nil {
		t.Error("TapPeering of an unknown peering succeeded")
	}

	pkt := udp(addr("192.168.1.10"), addr("10.0.1.10"), 64)
	tn.send("a1", pkt)
	tn.expect(t, "b1")
	if aOut.count() != 1 || bIn.count() != 1 || ab.count() != 1 || ba.count() != 0 {
		t.Fatalf("taps saw a1 out %d, b1 in %d, a->b %d, b->a %d; want 1, 1, 1, 0",
			aOut.count(), bIn.count(), ab.count(), ba.count())
	}
	if string(bIn.pkts[0]) != string(pkt) {
		t.Errorf("b1 in tap saw %x, want %x", bIn.pkts[0], pkt)
	}
	if ab2.count() != 1 {
		t.Errorf("the second capture of pcx-12 saw %d packets, want 1", ab2.count())
	}
	detachA()
	detachP()
	detach2()
	detach2() // idempotent
	tn.send("a1", pkt)
	tn.expect(t, "b1")
	if aOut.count() != 1 || ab.count() != 1 || bIn.count() != 2 {
		t.Errorf("after detach: a1 out %d, a->b %d, b1 in %d; want 1, 1, 2", aOut.count(), ab.count(), bIn.count())
	}
}

// TestTapLimit: at most MaxTaps captures watch a point; detaching one makes
// room for another.
func TestTapLimit(t *testing.T) {
	var tp tapPoint
	var detaches []func()
	for i := range MaxTaps {
		d, err := tp.attach(func([]byte) {})
		if err != nil {
			t.Fatalf("tap %d: %v", i, err)
		}
		detaches = append(detaches, d)
	}
	if _, err := tp.attach(func([]byte) {}); err == nil {
		t.Fatalf("tap %d of a point was accepted, want at most %d", MaxTaps+1, MaxTaps)
	}
	detaches[1]()
	if _, err := tp.attach(func([]byte) {}); err != nil {
		t.Errorf("a tap after a detach: %v", err)
	}
	for _, d := range detaches {
		d()
	}
}
