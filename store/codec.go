package store

import (
	"encoding/binary"
	"fmt"
	"time"
)

// The byte layouts of Bolt's records. Revisions are big-endian so that
// bbolt, which orders keys bytewise, orders the log by revision.
//
//	kv bucket:  key   -> revision (8) | value
//	log bucket: revision (8) -> record
//
//	record:  version (1) = 1 | unix nanoseconds (8) | uvarint op count | op...
//	op:      kind (1): 0 put, 1 delete | uvarint key length | key
//	         [put only: uvarint value length | value]

const (
	recordVersion = 1
	kindPut       = 0
	kindDelete    = 1
)

// revKey returns the 8-byte log key of revision rev.
func revKey(rev int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(rev)) }

// parseRev returns the revision in an 8-byte log key or meta value.
func parseRev(b []byte) (int64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("%w: revision of %d bytes, want 8", ErrCorrupt, len(b))
	}
	rev := int64(binary.BigEndian.Uint64(b))
	if rev < 0 {
		return 0, fmt.Errorf("%w: negative revision %d", ErrCorrupt, rev)
	}
	return rev, nil
}

// encodeValue returns the kv record of value set at revision rev.
func encodeValue(rev int64, value []byte) []byte {
	b := make([]byte, 8, 8+len(value))
	binary.BigEndian.PutUint64(b, uint64(rev))
	return append(b, value...)
}

// decodeValue returns the revision and value of the kv record of key. The
// value aliases rec.
func decodeValue(key, rec []byte) (int64, []byte, error) {
	if len(rec) < 8 {
		return 0, nil, fmt.Errorf("%w: key %q: value record of %d bytes, want at least 8", ErrCorrupt, key, len(rec))
	}
	rev, err := parseRev(rec[:8])
	if err != nil {
		return 0, nil, fmt.Errorf("key %q: %w", key, err)
	}
	return rev, rec[8:], nil
}

// encodeRecord returns the log record of a commit made at t.
func encodeRecord(t time.Time, ops []Op) []byte {
	n := 1 + 8 + binary.MaxVarintLen64
	for _, op := range ops {
		n += 1 + 2*binary.MaxVarintLen64 + len(op.Key) + len(op.Value)
	}
	b := make([]byte, 0, n)
	b = append(b, recordVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(t.UnixNano()))
	b = binary.AppendUvarint(b, uint64(len(ops)))
	for _, op := range ops {
		if op.Delete {
			b = append(b, kindDelete)
		} else {
			b = append(b, kindPut)
		}
		b = binary.AppendUvarint(b, uint64(len(op.Key)))
		b = append(b, op.Key...)
		if !op.Delete {
			b = binary.AppendUvarint(b, uint64(len(op.Value)))
			b = append(b, op.Value...)
		}
	}
	return b
}

// decodeRecord returns the commit of revision rev held in a log record.
// The event owns its memory; rec may be reused.
func decodeRecord(rev int64, rec []byte) (Event, error) {
	d := decoder{b: rec}
	if v := d.byte(); v != recordVersion && d.err == nil {
		return Event{}, fmt.Errorf("%w: log record %d: version %d, want %d", ErrCorrupt, rev, v, recordVersion)
	}
	nanos := int64(d.uint64())
	n := d.uvarint()
	// Each op takes at least two bytes, which bounds n before it sizes
	// an allocation.
	if d.err == nil && n > uint64(len(d.b))/2 {
		d.fail("%d ops in %d bytes", n, len(d.b))
	}
	ev := Event{Revision: rev, Time: time.Unix(0, nanos)}
	if d.err == nil && n > 0 {
		ev.Ops = make([]Op, 0, n)
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		var op Op
		switch kind := d.byte(); kind {
		case kindPut:
			op.Key = string(d.bytes())
			op.Value = clone(d.bytes())
		case kindDelete:
			op.Delete = true
			op.Key = string(d.bytes())
		default:
			d.fail("op %d: kind %d", i, kind)
		}
		if d.err == nil && op.Key == "" {
			d.fail("op %d: empty key", i)
		}
		ev.Ops = append(ev.Ops, op)
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d bytes after the last op", len(d.b))
	}
	if d.err != nil {
		return Event{}, fmt.Errorf("%w: log record %d: %v", ErrCorrupt, rev, d.err)
	}
	return ev, nil
}

// decoder reads a record front to back; the first short read or bad
// length sets err, after which every read returns zero.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format, args...)
	}
	d.b = nil
}

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.fail("truncated")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uint64() uint64 {
	if len(d.b) < 8 {
		d.fail("truncated")
		return 0
	}
	v := binary.BigEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad length")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// bytes returns a length-prefixed field, aliasing the record.
func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail("field of %d bytes, %d left", n, len(d.b))
		return nil
	}
	f := d.b[:n]
	d.b = d.b[n:]
	return f
}
