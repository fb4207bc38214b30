package fib

import (
	"net/netip"
	"testing"
)

// FuzzTable drives a Table and the reference with the same operations and
// compares every answer. Each operation takes 4 bytes: op, x, y, z. The
// low two bits of op choose insert, delete, lookup (and get), or batch:
// the first batch operation opens a Batch that collects the inserts and
// deletes that follow, the next applies it (as does the end of the input),
// and lookups in between must still see the table without them. Bit 2 of
// op is the family, the rest the prefix length; x, y and z fill a few
// address bytes, so prefixes nest and collide often. Minimising a new
// input may take a whole -fuzzminimizetime (60s by default), so run it as
//
//	go test -run '^$' -fuzz FuzzTable -fuzztime 60s -fuzzminimizetime 3s ./fib/
func FuzzTable(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 2, 1, 2, 3})
	f.Add([]byte{0xc0, 1, 2, 3, 0x80, 1, 2, 0, 0xf8, 1, 2, 3, 1, 1, 2, 3, 2, 1, 2, 3})
	f.Add([]byte{4, 0, 0, 0, 0xfc, 9, 9, 9, 0x7e, 9, 9, 9, 5, 0, 0, 0, 0xfe, 9, 9, 8})
	f.Add([]byte{0xc0, 1, 2, 3, 3, 0, 0, 0, 0xc8, 1, 2, 3, 0xc1, 1, 2, 3, 0x42, 1, 2, 3, 3, 0, 0, 0, 0x42, 1, 2, 3})
	f.Add([]byte{3, 0, 0, 0, 0x40, 7, 7, 7, 0xf8, 7, 7, 7, 0x41, 7, 7, 7, 0x40, 7, 7, 7, 0xfa, 7, 7, 7})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4*maxFuzzOps {
			data = data[:4*maxFuzzOps] // the reference is quadratic
		}
		c := &pair{t: t}
		var b *Batch[int]
		var pending []refOp // the changes of b, for the reference
		apply := func() {
			c.fib.Apply(b)
			for _, o := range pending {
				if o.del {
					c.ref.Delete(o.p)
				} else {
					c.ref.Insert(o.p, o.v)
				}
			}
			b, pending = nil, nil
		}
		for i := 0; len(data) >= 4; i++ {
			op, x, y, z := data[0], data[1], data[2], data[3]
			data = data[4:]
			p := fuzzPrefix(op, x, y, z)
			switch op & 3 {
			case 0:
				if b != nil {
					b.Insert(p, i)
					pending = append(pending, refOp{p: p, v: i})
				} else {
					c.insert(p, i)
				}
			case 1:
				if b != nil {
					b.Delete(p)
					pending = append(pending, refOp{p: p, del: true})
				} else {
					c.delete(p)
				}
			case 2:
				c.lookup(p.Addr())
				c.lookup(fuzzAddr(op&4 != 0, x, y, z^0xff))
				c.get(p)
			case 3:
				if b == nil {
					b = new(Batch[int])
				} else {
					apply()
				}
			}
		}
		if b != nil {
			apply()
		}
		c.full()
	})
}

// refOp is a change of a batch, for the reference.
type refOp struct {
	p   netip.Prefix
	v   int
	del bool
}

const maxFuzzOps = 128

func fuzzAddr(is6 bool, x, y, z byte) netip.Addr {
	if is6 {
		return netip.AddrFrom16([16]byte{0x20, 0x01, x, 0, 0, 0, 0, y, 0, 0, 0, 0, 0, 0, 0, z})
	}
	return netip.AddrFrom4([4]byte{10 | x&3, y, z, x})
}

func fuzzPrefix(op, x, y, z byte) netip.Prefix {
	is6 := op&4 != 0
	n := int(op >> 3) // 0..31
	if is6 {
		n = n*4 + int(z&3)
		if op>>3 == 31 && z&4 != 0 {
			n = 128
		}
	} else if op>>3 == 31 && z&4 != 0 {
		n = 32
	}
	return netip.PrefixFrom(fuzzAddr(is6, x, y, z), n).Masked()
}
