package trie

import "bytes"

// Lookup4 returns the leaf of the longest prefix containing the IPv4
// address a (big-endian) in version sv of the trie below root, 0 for none,
// or Retry.
func Lookup4(root *Slot, sv uint64, a uint32) uint32 {
	best := uint32(0)
	n := root.p.Load()
	for sh := uint(24); n != nil; sh -= 8 {
		if n.word(wVer) > sv {
			if n = older(n, sv); n == nil {
				return Retry
			}
		}
		m := n.word(wMeta)
		s := uint(a>>(sh&31)) & 0xff
		if k := m & kindMask; k == kindSparse {
			e := n.entry(m, s)
			switch e & 0xff {
			case kidMark:
				k := uint(e >> 8)
				if l := n.kidLeaf(m, k); l != 0 {
					best = l
				}
				n = n.kid(k).p.Load()
				continue
			case inlineMark:
				// IPv4 keys fit one word: an inline prefix is two, and
				// longer than its node's depth (no /0).
				off := recOff(e)
				info := n.word(off + 1)
				if (uint64(a)<<32^n.word(off))&mask64nz(uint(info&0xff)) == 0 {
					return recLeaf(info)
				}
				e = recCover(info)
			}
			if e != 0 {
				best = e
			}
			return best
		} else if k == kindDense {
			if l := n.denseLeaf(s); l != 0 {
				best = l
			}
			n = n.kid(s).p.Load()
		} else {
			if k == kindSingle {
				if (uint64(a)<<32^n.word(wKey))&mask64(singleUbits(m)) == 0 {
					return singleLeaf(m)
				}
				// IPv4 keys fit one word: the second prefix is at wKey+1.
				if m&4 != 0 {
					if l := uint32(n.word(wKey + 1)); (uint64(a)<<32^n.word(wKey+2))&mask64(uint(l&0xff)) == 0 {
						return l
					}
				}
			}
			return best
		}
	}
	return best
}

// Lookup6 returns the leaf of the longest prefix containing the IPv6
// address a in version sv of the trie below root, 0 for none, or Retry.
func Lookup6(root *Slot, sv uint64, a *[16]byte) uint32 {
	n := root.p.Load()
	best := uint32(0)
	for d := 0; d < len(a) && n != nil; d++ {
		if n.word(wVer) > sv {
			if n = older(n, sv); n == nil {
				return Retry
			}
		}
		m := n.word(wMeta)
		switch m & kindMask {
		case kindSparse:
			e := n.entry(m, uint(a[d]))
			switch e & 0xff {
			case kidMark:
				k := uint(e >> 8)
				if l := n.kidLeaf(m, k); l != 0 {
					best = l
				}
				n = n.kid(k).p.Load()
				continue
			case inlineMark:
				info, ok := n.recMatch(m, recOff(e), keyHi(a), keyLo(a))
				if ok {
					return recLeaf(info)
				}
				e = recCover(info)
			}
			if e != 0 {
				best = e
			}
			return best
		case kindDense:
			s := uint(a[d])
			if l := n.denseLeaf(s); l != 0 {
				best = l
			}
			n = n.kid(s).p.Load()
		case kindSingle:
			if n.singleMatch(m, keyHi(a), keyLo(a)) {
				return singleLeaf(m)
			}
			if m&4 != 0 {
				if l, ok := n.secondMatch(m, keyHi(a), keyLo(a)); ok {
					return l
				}
			}
			return best
		default:
			return best
		}
	}
	return best
}

// Get returns the leaf stored for exactly key/bits in version sv of the
// trie below root, 0 if absent, or Retry. key must be masked to bits.
func Get(root *Slot, sv uint64, key *[16]byte, bits int) uint32 {
	n := root.p.Load()
	for d := 0; ; d++ {
		if n != nil && n.word(wVer) > sv {
			if n = older(n, sv); n == nil {
				return Retry
			}
		}
		switch kindOf(n) {
		case kindEmpty:
			return 0
		case kindSingle:
			m := n.word(wMeta)
			var k [16]byte
			n.singleKey(&k)
			if singleBits(m) == bits && k == *key {
				return singleLeaf(m)
			}
			if m&4 != 0 {
				if l := n.secondKey(m, &k); LeafBits(l) == bits && k == *key {
					return l
				}
			}
			return 0
		}
		if bits <= 8*d+8 {
			r := bits - 8*d
			return findOwned(n, key[d]&^(0xff>>r), r, bits)
		}
		m := n.word(wMeta)
		if m&kindMask == kindDense {
			n = n.kid(uint(key[d])).p.Load()
			continue
		}
		switch e := n.entry(m, uint(key[d])); e & 0xff {
		case kidMark:
			n = n.kid(uint(e >> 8)).p.Load()
			continue
		case inlineMark:
			c := n.record(m, recOff(e), key[d])
			if LeafBits(c.leaf) != bits || c.hi != keyHi(key) || (bits > 64 && c.lo != keyLo(key)) {
				return 0
			}
			return c.leaf
		}
		return 0
	}
}

// findOwned returns the leaf of the prefix of length bits (r relative to
// the node) starting at slot lo that a sparse or dense node owns, or 0.
func findOwned(n *Node, lo uint8, r, bits int) uint32 {
	m := n.word(wMeta)
	hi := uint(lo) + 256>>r
	hoff := uint(wDenseH)
	if m&kindMask == kindDense {
		for s := uint(lo); s < hi; s++ {
			if l := n.denseLeaf(s); l != 0 && LeafBits(l) == bits {
				return l
			}
		}
	} else {
		for s := uint(lo); s < hi; s = n.nextRun(s) {
			if l := n.cover(m, n.entry(m, s)); l != 0 && LeafBits(l) == bits {
				return l
			}
		}
		hoff = sparseHiddenOff(m)
	}
	for i := range metaHidden(m) {
		if h := n.word(hoff + i); hiddenLo(h) == uint(lo) && LeafBits(hiddenLeaf(h)) == bits {
			return hiddenLeaf(h)
		}
	}
	return 0
}

// nextRun returns the first slot after s where a run of a sparse node
// starts, or 256.
func (n *Node) nextRun(s uint) uint {
	for s++; s < 256; s = (s | 63) + 1 {
		if v := n.word(wVec+s>>6) >> (s & 63); v != 0 {
			return s + uint(trailingZeros(v))
		}
	}
	return 256
}

// Walk calls fn for every prefix in version sv of the trie below root,
// in address order and shorter first, until fn returns false; it reports
// whether it ran to the end. The caller must keep the version's prev
// chains from being cut while it walks.
func Walk(root *Slot, sv uint64, fn func(key *[16]byte, bits int, leaf uint32) bool) bool {
	wk := walker{sv: sv, fn: fn}
	return wk.slot(root, 0)
}

type walker struct {
	sv  uint64
	fn  func(key *[16]byte, bits int, leaf uint32) bool
	key [16]byte
	own []owned // a stack of the owned lists of the nodes being walked
}

func (wk *walker) slot(s *Slot, d int) bool {
	n := s.p.Load()
	if n != nil && n.word(wVer) > wk.sv {
		if n = older(n, wk.sv); n == nil {
			panic("trie: walk met a cut version chain")
		}
	}
	switch kindOf(n) {
	case kindEmpty:
		return true
	case kindSingle:
		var k [16]byte
		n.singleKey(&k)
		m := n.word(wMeta)
		if m&4 == 0 {
			return wk.fn(&k, singleBits(m), singleLeaf(m))
		}
		// The second prefix is the shorter: it comes first in key order
		// when it contains the first.
		var k2 [16]byte
		l2 := n.secondKey(m, &k2)
		if keyLess(&k2, LeafBits(l2), &k, singleBits(m)) {
			return wk.fn(&k2, LeafBits(l2), l2) && wk.fn(&k, singleBits(m), singleLeaf(m))
		}
		return wk.fn(&k, singleBits(m), singleLeaf(m)) && wk.fn(&k2, LeafBits(l2), l2)
	}
	base := len(wk.own)
	wk.own = decodeOwned(n, d, wk.own)
	own := wk.own[base:]
	defer func() { wk.own = wk.own[:base] }()
	i := 0
	emit := func(upto int) bool { // owned prefixes starting before slot upto
		for ; i < len(own) && int(own[i].lo) < upto; i++ {
			wk.key[d] = own[i].lo
			if !wk.fn(&wk.key, 8*d+int(own[i].r), own[i].leaf) {
				return false
			}
		}
		return true
	}
	ok := true
	forKids(n, func(s uint8, c *Slot, rec *child) bool {
		if ok = emit(int(s) + 1); !ok {
			return false
		}
		if rec != nil {
			var k [16]byte
			recKey(rec, &k)
			ok = wk.fn(&k, LeafBits(rec.leaf), rec.leaf)
			return ok
		}
		wk.key[d] = s
		ok = wk.slot(c, d+1)
		return ok
	})
	if ok {
		ok = emit(256)
	}
	wk.key[d] = 0
	return ok
}

// forKids calls fn for the slot and the child slot or inline prefix of
// every child of a sparse or dense node, in slot order, until fn returns
// false.
func forKids(n *Node, fn func(s uint8, c *Slot, rec *child) bool) {
	m := n.word(wMeta)
	if m&kindMask == kindDense {
		for s := range uint(256) {
			if c := n.kid(s); c.p.Load() != nil && !fn(uint8(s), c, nil) {
				return
			}
		}
		return
	}
	if metaKids(m)+metaInline(m) == 0 {
		return
	}
	it := runIter{n: n}
	for {
		s, e, ok := it.next()
		if !ok {
			return
		}
		switch e & 0xff {
		case kidMark:
			if !fn(uint8(s), n.kid(uint(e>>8)), nil) {
				return
			}
		case inlineMark:
			rec := n.record(m, recOff(e), uint8(s))
			if !fn(uint8(s), nil, &rec) {
				return
			}
		}
	}
}

// keyLess reports whether k1/b1 comes before k2/b2 in the order of a walk:
// by key, and a prefix before the longer ones with the same key.
func keyLess(k1 *[16]byte, b1 int, k2 *[16]byte, b2 int) bool {
	if c := bytes.Compare(k1[:], k2[:]); c != 0 {
		return c < 0
	}
	return b1 < b2
}
