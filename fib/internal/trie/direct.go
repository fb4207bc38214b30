package trie

// Direct4 is a direct-pointing index over the first 16 bits of an IPv4
// trie: for each /16 it holds either the final leaf or the node at depth 2
// where the lookup continues, so an IPv4 lookup skips the two top levels.
// It is derived from a root and copied on write like the trie: top is
// never modified once published, and neither are the chunks.
//
// The zero Direct4 matches nothing.
type Direct4 struct {
	top *[256]*chunk4 // by first byte; nil chunk: no route in the /8
}

type chunk4 [256]direct4 // by second byte

type direct4 struct {
	w    []uint64 // kid.w, saving a load on the lookup path
	kid  *Node    // node at depth 2, or nil
	leaf uint32
}

// LookupDirect4 returns the leaf of the longest prefix containing the IPv4
// address a (big-endian), or 0. d must have been derived from the root
// being looked up.
func LookupDirect4(d *Direct4, a uint32) uint32 {
	if d.top == nil {
		return 0
	}
	c := d.top[a>>24]
	if c == nil {
		return 0
	}
	e := &c[(a>>16)&0xff]
	if e.kid == nil {
		return e.leaf
	}
	// depth 2, from the words kept in the index; depth 3 has no children
	x := entryOf(e.w, uint(a>>8)&0xff)
	if isKid(x) {
		x = entryOf(e.kid.kids[x>>8].w, uint(a)&0xff)
	}
	return x
}

// Update returns d with the chunks of first bytes lo … hi-1 derived anew
// from root; the others are shared with d.
func (d Direct4) Update(root *Node, lo, hi int) Direct4 {
	var top [256]*chunk4
	if d.top != nil {
		top = *d.top
	}
	for b := lo; b < hi; b++ {
		top[b] = deriveChunk(root, uint(b))
	}
	for _, c := range top {
		if c != nil {
			return Direct4{top: &top}
		}
	}
	return Direct4{}
}

// BuildDirect4 derives the whole index of root.
func BuildDirect4(root *Node) Direct4 { return Direct4{}.Update(root, 0, 256) }

func deriveChunk(root *Node, b uint) *chunk4 {
	if root.w == nil {
		return nil
	}
	e := root.entry(b)
	if !isKid(e) {
		if e == 0 {
			return nil
		}
		c := new(chunk4)
		for i := range c {
			c[i].leaf = e
		}
		return c
	}
	n := &root.kids[e>>8]
	c := new(chunk4)
	n.forRuns(func(start uint, e uint32) {
		if isKid(e) {
			k := &n.kids[e>>8]
			c[start] = direct4{w: k.w, kid: k}
		} else {
			c[start] = direct4{leaf: e}
		}
	})
	// fill each run from its start
	for i := 1; i < len(c); i++ {
		if !n.runStart(uint(i)) {
			c[i] = c[i-1]
		}
	}
	return c
}

// runStart reports whether a run of n starts at slot s.
func (n *Node) runStart(s uint) bool { return n.w[s>>6]&(1<<(s&63)) != 0 }
