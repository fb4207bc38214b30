package store

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRecordRoundTrip(t *testing.T) {
	at := time.Unix(1_790_000_000, 123_456_789)
	tests := []struct {
		name string
		ops  []Op
	}{
		{"one put", []Op{Put("/a", []byte("1"))}},
		{"empty value", []Op{Put("/a", []byte{})}},
		{"delete", []Op{Delete("/peerings/pcx-1")}},
		{"mixed", []Op{Put("/a", []byte("x")), Delete("/b"), Put("/c", make([]byte, 300))}},
		{"binary key", []Op{Put("/\x00\xff", []byte{0, 1, 2})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := encodeRecord(at, tt.ops)
			got, err := decodeRecord(7, rec)
			if err != nil {
				t.Fatalf("decodeRecord(encodeRecord(%v)): %v", tt.ops, err)
			}
			want := Event{Revision: 7, Time: at, Ops: tt.ops}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			// The event owns its memory.
			for i := range rec {
				rec[i] = 0xee
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("event changed with its record (-want +got):\n%s", diff)
			}
			// Every strict prefix is an error, not a shorter event.
			for n := range len(rec) {
				if _, err := decodeRecord(7, encodeRecord(at, tt.ops)[:n]); !errors.Is(err, ErrCorrupt) {
					t.Errorf("decodeRecord of %d of %d bytes: %v, want ErrCorrupt", n, len(rec), err)
				}
			}
		})
	}
}

func TestDecodeRecordErrors(t *testing.T) {
	good := encodeRecord(time.Unix(0, 1), []Op{Put("/a", []byte("v"))})
	tests := []struct {
		name string
		rec  []byte
	}{
		{"empty", nil},
		{"version", append([]byte{2}, good[1:]...)},
		{"trailing", append(good[:len(good):len(good)], 0)},
		{"kind", func() []byte { b := clone(good); b[10] = 7; return b }()},
		{"empty key", encodeRecord(time.Unix(0, 1), []Op{Put("", nil)})},
		{"huge count", append(clone(good[:9]), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f)},
		{"huge key", append(clone(good[:10]), 0, 0xff, 0xff, 0xff, 0xff, 0x0f)},
	}
	for _, tt := range tests {
		if ev, err := decodeRecord(1, tt.rec); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: decodeRecord(%x) = %+v, %v; want ErrCorrupt", tt.name, tt.rec, ev, err)
		}
	}
}

// FuzzDecodeRecord feeds records as a damaged file may hold them: decoding
// never panics, and what decodes encodes to a record that decodes the
// same.
func FuzzDecodeRecord(f *testing.F) {
	at := time.Unix(1_790_000_000, 5)
	f.Add(encodeRecord(at, []Op{Put("/a", []byte("1")), Delete("/b")}))
	f.Add(encodeRecord(at, nil))
	f.Add(encodeRecord(at, []Op{Put("/k", make([]byte, 200))})[:50])
	f.Add([]byte{recordVersion})
	f.Add([]byte{recordVersion, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01})
	f.Fuzz(func(t *testing.T, rec []byte) {
		ev, err := decodeRecord(3, rec)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("decodeRecord error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		again, err := decodeRecord(3, encodeRecord(ev.Time, ev.Ops))
		if err != nil {
			t.Fatalf("re-encoded record: %v", err)
		}
		if diff := cmp.Diff(ev, again); diff != "" {
			t.Fatalf("re-encoded record decodes differently (-first +second):\n%s", diff)
		}
	})
}
