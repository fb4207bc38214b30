package topology

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on names, beyond their character sets.
const (
	// MaxNameLen is the longest topology name.
	MaxNameLen = 16
	// MaxIDLen is the longest id of an account, VPC, subnet, route table or
	// peering, and the longest region name.
	MaxIDLen = 64
	// MaxLabelLen is the longest display name of an account, VPC or
	// peering, in characters.
	MaxLabelLen = 60
	// MaxNamespaceLen is the longest network namespace name
	// "<topology>-<host>", which bounds host names.
	MaxNamespaceLen = 31
)

// MaxHosts is the most hosts a topology may have, over all its VPCs. Each
// host is a network namespace with a TUN device, DescriptorsPerHost file
// descriptors in the daemon (see CheckLaunchable) and tens of kilobytes of
// its memory. Launch time grows faster than the number of hosts: on a
// 2-vCPU VM, 1,000 hosts in one VPC launched in 7 s, 2,000 in 28 s.
const MaxHosts = 1000

// The sizes a VPC's and a subnet's CIDR may have, as AWS allows them: from
// /16 (65,536 addresses) to /28 (16 addresses).
const (
	MinPrefixLen = 16
	MaxPrefixLen = 28
)

// privateRanges are the ranges a VPC's CIDR must lie in: the private
// networks of RFC 1918, which the product's private networks (私有网络)
// use, as Tencent Cloud requires.
var privateRanges = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
}

// PrivateRanges returns the ranges a VPC's CIDR must lie in.
func PrivateRanges() []netip.Prefix { return slices.Clone(privateRanges) }

// specialRanges name the blocks a CIDR outside the private ranges most
// likely falls in, for messages (RFC 6890).
var specialRanges = []struct {
	prefix netip.Prefix
	what   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), `"this network"`},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared address space (carrier-grade NAT)"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved, and the broadcast address 255.255.255.255"},
}

var (
	nameRE = regexp.MustCompile(`^[a-z0-9-]{1,16}$`)
	idRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
)

// builder checks a rawTopology and turns it into a defaulted Topology.
type builder struct {
	file string
	errs *ErrorList
	t    *Topology

	accounts map[string]Pos // declared account ids
	vpcs     map[string]int // VPC id -> index in t.VPCs
	subnets  map[string]owned
	tables   map[string]owned
	peerings map[string]Pos
	hosts    map[string]Pos

	// The declared ids for messages, formatted by memo when first needed:
	// a file with many bad references costs no more than one with one.
	lists struct{ accounts, vpcs, peerings string }
}

// memo returns *s, formatting list into it first if it is empty.
func memo(s *string, list func() []string) string {
	if *s == "" {
		*s = choices(list())
	}
	return *s
}

// owned is an id declared inside a VPC.
type owned struct {
	vpc string
	pos Pos
}

func (b *builder) errorf(pos Pos, format string, args ...any) {
	b.errs.Add(b.file, pos, format, args...)
}

// build validates r, filling defaults. Problems go to errs; the result is
// meaningful only when errs stays empty.
func build(file string, r *rawTopology, errs *ErrorList) *Topology {
	b := &builder{
		file:     file,
		errs:     errs,
		t:        &Topology{File: file},
		accounts: make(map[string]Pos),
		vpcs:     make(map[string]int),
		subnets:  make(map[string]owned),
		tables:   make(map[string]owned),
		peerings: make(map[string]Pos),
		hosts:    make(map[string]Pos),
	}
	b.settings(r)
	b.buildAccounts(r.Accounts)
	// Ids first, so references can be checked whatever the order of the file.
	b.declare(r)
	for i := range r.VPCs {
		b.buildVPC(&r.VPCs[i])
	}
	for i := range r.Peerings {
		b.buildPeering(&r.Peerings[i])
	}
	b.checkHostCount()
	b.buildExpectations(r.Expect)
	return b.t
}

// checkHostCount reports a topology of more than MaxHosts hosts, at the
// first host past the limit.
func (b *builder) checkHostCount() {
	total := b.t.HostCount()
	if total <= MaxHosts {
		return
	}
	seen := 0
	for _, v := range b.t.VPCs {
		if seen+len(v.Hosts) > MaxHosts {
			b.errorf(v.Hosts[MaxHosts-seen].Pos, "too many hosts: the topology has %d, at most %d (each host is a network namespace, and launch time grows faster than their number)", total, MaxHosts)
			return
		}
		seen += len(v.Hosts)
	}
}

// CheckName reports whether name is a valid topology name: 1 to MaxNameLen
// lowercase letters, digits and '-'. Every place a topology name comes in
// (a file, --topology, vpcsim down NAME) checks it, so that a name never
// reaches a path or a namespace name unchecked.
func CheckName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("invalid topology name %q: use 1 to %d lowercase letters, digits and '-'", name, MaxNameLen)
	}
	return nil
}

// settings checks and defaults the top-level scalars.
func (b *builder) settings(r *rawTopology) {
	t := b.t
	switch {
	case !r.Name.Set:
		b.errorf(orPos(r.Name.Pos, r.Pos), "missing required field %q in topology", "name")
	case CheckName(r.Name.V) != nil:
		b.errorf(r.Name.Pos, "%v", CheckName(r.Name.V))
	default:
		t.Name = r.Name.V
	}

	t.Region = DefaultRegion
	if r.Region.Set {
		if b.checkID(r.Region, "region") {
			t.Region = r.Region.V
		}
	}

	t.MTU = DefaultMTU
	if r.MTU.Set {
		if r.MTU.V < MinMTU || r.MTU.V > MaxMTU {
			b.errorf(r.MTU.Pos, "mtu %d is out of range %d..%d", r.MTU.V, MinMTU, MaxMTU)
		} else {
			t.MTU = r.MTU.V
		}
	}

	t.PeeringExpiry = DefaultPeeringExpiry
	if r.PeeringExpiry.Set {
		d, err := time.ParseDuration(r.PeeringExpiry.V)
		switch {
		case err != nil:
			b.errorf(r.PeeringExpiry.Pos, "peering_expiry %q is not a duration (e.g. 168h, 90m, 2s)", r.PeeringExpiry.V)
		case d <= 0:
			b.errorf(r.PeeringExpiry.Pos, "peering_expiry %q must be positive", r.PeeringExpiry.V)
		default:
			t.PeeringExpiry = d
		}
	}

	t.PeeringsPerVPC = DefaultPeeringsPerVPC
	if r.PeeringsPerVPC.Set {
		if r.PeeringsPerVPC.V < 1 {
			b.errorf(r.PeeringsPerVPC.Pos, "peerings_per_vpc %d must be at least 1", r.PeeringsPerVPC.V)
		} else {
			t.PeeringsPerVPC = r.PeeringsPerVPC.V
		}
	}
}

// orPos returns p, or def when p is unknown.
func orPos(p, def Pos) Pos {
	if p == (Pos{}) {
		return def
	}
	return p
}

// required reports whether f was given, reporting an error at the element's
// position otherwise.
func (b *builder) required(f field[string], elemPos Pos, key, elem string) bool {
	if f.Set {
		return true
	}
	b.errorf(orPos(f.Pos, elemPos), "missing required field %q in %s", key, elem)
	return false
}

// checkID reports whether f is a valid id, reporting an error otherwise.
func (b *builder) checkID(f field[string], what string) bool {
	if len(f.V) > MaxIDLen {
		b.errorf(f.Pos, "invalid %s %q: at most %d characters", what, f.V, MaxIDLen)
		return false
	}
	if !idRE.MatchString(f.V) {
		b.errorf(f.Pos, "invalid %s %q: use letters, digits, '.', '_' and '-', starting with a letter or digit", what, f.V)
		return false
	}
	return true
}

// checkLabel checks an optional display name: one line of printable text.
func (b *builder) checkLabel(f field[string], elem string) string {
	if !f.Set {
		return ""
	}
	// The decoder cut values past MaxValueLen: count no characters.
	if utf8.RuneCountInString(f.V) > MaxLabelLen {
		b.errorf(f.Pos, "%s: name %q is too long: at most %d characters", elem, f.V, MaxLabelLen)
		return f.V
	}
	if err := CheckLabel(f.V); err != nil {
		b.errorf(f.Pos, "%s: %v", elem, err)
	}
	return f.V
}

// describe names an element for messages: `vpc "vpc1"`, or just `vpc` when
// its id is unknown.
func describe(kind string, id field[string]) string {
	if id.Set && id.V != "" {
		return fmt.Sprintf("%s %q", kind, id.V)
	}
	return kind
}

func (b *builder) buildAccounts(raw []rawAccount) {
	if len(raw) == 0 {
		b.t.Accounts = []Account{{ID: DefaultAccount}}
		b.accounts[DefaultAccount] = Pos{}
		return
	}
	for _, ra := range raw {
		a := Account{Pos: ra.Pos, Name: b.checkLabel(ra.Name, describe("account", ra.ID))}
		if b.required(ra.ID, ra.Pos, "id", "account") {
			a.ID = ra.ID.V
			switch {
			case !allDigits(ra.ID.V) || len(ra.ID.V) > MaxIDLen:
				b.errorf(ra.ID.Pos, "invalid account id %q: want a string of 1 to %d digits", ra.ID.V, MaxIDLen)
			default:
				if first, dup := b.accounts[a.ID]; dup {
					b.errorf(ra.ID.Pos, "duplicate account id %q (first declared at %d:%d)", a.ID, first.Line, first.Col)
				} else {
					b.accounts[a.ID] = ra.ID.Pos
				}
			}
		}
		b.t.Accounts = append(b.t.Accounts, a)
	}
}

// declare records the ids of VPCs, route tables (listed and default ones),
// subnets and peerings, reporting invalid and duplicate ids.
func (b *builder) declare(r *rawTopology) {
	for i := range r.VPCs {
		rv := &r.VPCs[i]
		if !b.required(rv.ID, rv.Pos, "id", "vpc") || !b.checkID(rv.ID, "VPC id") {
			continue
		}
		if first, dup := b.vpcs[rv.ID.V]; dup {
			p := r.VPCs[first].ID.Pos
			b.errorf(rv.ID.Pos, "duplicate VPC id %q (first declared at %d:%d)", rv.ID.V, p.Line, p.Col)
			continue
		}
		b.vpcs[rv.ID.V] = i
	}
	// Default tables exist whether listed or not: claim their ids first.
	for i := range r.VPCs {
		rv := &r.VPCs[i]
		if j, ok := b.vpcs[rv.ID.V]; ok && j == i {
			b.tables[DefaultRouteTableID(rv.ID.V)] = owned{vpc: rv.ID.V, pos: rv.Pos}
		}
	}
	listed := make(map[string]Pos)
	for i := range r.VPCs {
		rv := &r.VPCs[i]
		for j := range rv.RouteTables {
			rt := &rv.RouteTables[j]
			if !b.required(rt.ID, rt.Pos, "id", "route table") || !b.checkID(rt.ID, "route table id") {
				continue
			}
			if first, dup := listed[rt.ID.V]; dup {
				b.errorf(rt.ID.Pos, "duplicate route table id %q (first declared at %d:%d)", rt.ID.V, first.Line, first.Col)
				continue
			}
			listed[rt.ID.V] = rt.ID.Pos
			if o, ok := b.tables[rt.ID.V]; ok && o.vpc != rv.ID.V {
				b.errorf(rt.ID.Pos, "duplicate route table id %q: it is the default route table of VPC %q", rt.ID.V, o.vpc)
				continue
			}
			if rv.ID.Set {
				b.tables[rt.ID.V] = owned{vpc: rv.ID.V, pos: rt.Pos}
			}
		}
	}
	for i := range r.VPCs {
		rv := &r.VPCs[i]
		for j := range rv.Subnets {
			rs := &rv.Subnets[j]
			if !b.required(rs.ID, rs.Pos, "id", "subnet") || !b.checkID(rs.ID, "subnet id") {
				continue
			}
			if first, dup := b.subnets[rs.ID.V]; dup {
				b.errorf(rs.ID.Pos, "duplicate subnet id %q (first declared at %d:%d)", rs.ID.V, first.pos.Line, first.pos.Col)
				continue
			}
			b.subnets[rs.ID.V] = owned{vpc: rv.ID.V, pos: rs.ID.Pos}
		}
	}
	for i := range r.Peerings {
		rp := &r.Peerings[i]
		if !b.required(rp.ID, rp.Pos, "id", "peering") || !b.checkID(rp.ID, "peering id") {
			continue
		}
		if first, dup := b.peerings[rp.ID.V]; dup {
			b.errorf(rp.ID.Pos, "duplicate peering id %q (first declared at %d:%d)", rp.ID.V, first.Line, first.Col)
			continue
		}
		b.peerings[rp.ID.V] = rp.ID.Pos
	}
}

// choices lists valid values for a message, or says there are none.
func choices(ids []string) string {
	if len(ids) == 0 {
		return "none declared"
	}
	const most = 8
	if len(ids) > most {
		return strings.Join(ids[:most], ", ") + ", ..."
	}
	return strings.Join(ids, ", ")
}

func (b *builder) accountIDs() []string {
	var ids []string
	for _, a := range b.t.Accounts {
		if _, ok := b.accounts[a.ID]; ok {
			ids = append(ids, a.ID)
		}
	}
	return ids
}

// checkAccount reports whether f names a declared account.
func (b *builder) checkAccount(f field[string], elem string) bool {
	if _, ok := b.accounts[f.V]; ok {
		return true
	}
	b.errorf(f.Pos, "%s: unknown account %q (declared accounts: %s)", elem, f.V, memo(&b.lists.accounts, b.accountIDs))
	return false
}

// prefix parses an IPv4 CIDR. With canonicalise, host bits are cleared
// silently; otherwise they are an error suggesting the canonical form, and
// the canonical form is returned so that later checks still run. ok reports
// whether the result is usable for those checks.
func (b *builder) prefix(f field[string], key, elem string, canonicalise bool) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(f.V)
	if err != nil {
		b.errorf(f.Pos, "%s: %s %q is not a valid CIDR (want ADDRESS/BITS, e.g. 10.0.0.0/16)", elem, key, f.V)
		return netip.Prefix{}, false
	}
	if !p.Addr().Is4() {
		b.errorf(f.Pos, "%s: %s %q is not IPv4; only IPv4 is supported", elem, key, f.V)
		return netip.Prefix{}, false
	}
	if m := p.Masked(); m != p {
		if !canonicalise {
			b.errorf(f.Pos, "%s: %s %q has host bits set; did you mean %s?", elem, key, f.V, m)
		}
		p = m
	}
	return p, true
}

// checkSize reports whether p's prefix length is MinPrefixLen to
// MaxPrefixLen, reporting an error otherwise. what is "a VPC" or "a subnet".
func (b *builder) checkSize(p netip.Prefix, pos Pos, elem, what string) bool {
	var problem string
	switch {
	case p.Bits() < MinPrefixLen:
		problem = "too large"
	case p.Bits() > MaxPrefixLen:
		problem = "too small"
	default:
		return true
	}
	b.errorf(pos, "%s: cidr %s is %s: %s's prefix length is /%d (%d addresses) to /%d (%d addresses)",
		elem, p, problem, what, MinPrefixLen, 1<<(32-MinPrefixLen), MaxPrefixLen, 1<<(32-MaxPrefixLen))
	return false
}

// checkPrivate reports whether p lies in one of the private ranges,
// reporting an error that says where it lies otherwise.
func (b *builder) checkPrivate(p netip.Prefix, pos Pos, elem string) bool {
	within := func(r netip.Prefix) bool { return r.Bits() <= p.Bits() && r.Contains(p.Addr()) }
	where := "is public"
	for _, r := range privateRanges {
		if within(r) {
			return true
		}
		if p.Overlaps(r) {
			where = "is not inside one private range"
		}
	}
	for _, r := range specialRanges {
		if within(r.prefix) {
			where = fmt.Sprintf("is in %s (%s)", r.prefix, r.what)
			break
		}
		if p.Overlaps(r.prefix) {
			where = "is not inside one private range"
		}
	}
	b.errorf(pos, "%s: cidr %s %s; a VPC's cidr must lie in a private range: %s, %s or %s",
		elem, p, where, privateRanges[0], privateRanges[1], privateRanges[2])
	return false
}

// lastAddr returns the last (broadcast) address of an IPv4 prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	return netip.AddrFrom4(u32Addr(u32(p.Masked().Addr()) | ^uint32(0)>>p.Bits()))
}

func u32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func u32Addr(n uint32) [4]byte {
	return [4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
}

func (b *builder) buildVPC(rv *rawVPC) {
	elem := describe("vpc", rv.ID)
	v := VPC{Pos: rv.Pos, ID: rv.ID.V, Name: b.checkLabel(rv.Name, elem)}

	v.Account = b.t.Accounts[0].ID
	if rv.Account.Set && b.checkAccount(rv.Account, elem) {
		v.Account = rv.Account.V
	}
	v.Region = b.t.Region
	if rv.Region.Set && b.checkID(rv.Region, "region") {
		v.Region = rv.Region.V
	}
	cidrOK := false
	if b.required(rv.CIDR, rv.Pos, "cidr", elem) {
		v.CIDR, cidrOK = b.prefix(rv.CIDR, "cidr", elem, false)
		// A CIDR the cloud would refuse is reported once; subnets are
		// not checked against it.
		cidrOK = cidrOK && b.checkPrivate(v.CIDR, rv.CIDR.Pos, elem) && b.checkSize(v.CIDR, rv.CIDR.Pos, elem, "a VPC")
	}

	// Route tables: the listed ones, then the default one when not listed.
	for _, rt := range rv.RouteTables {
		v.RouteTables = append(v.RouteTables, b.buildRouteTable(&rt))
	}
	if rv.ID.Set && !slices.ContainsFunc(v.RouteTables, func(t RouteTable) bool { return t.ID == v.DefaultRouteTable() }) {
		v.RouteTables = append(v.RouteTables, RouteTable{Pos: rv.Pos, ID: v.DefaultRouteTable()})
	}

	tables := choices(tableIDs(&v))
	var placed subnetSet
	for _, rs := range rv.Subnets {
		s, ok := b.buildSubnet(&rs, &v, cidrOK, tables)
		if ok {
			b.checkOverlap(&placed, &rs, s)
		}
		v.Subnets = append(v.Subnets, s)
	}

	b.buildHosts(rv, &v)
	b.t.VPCs = append(b.t.VPCs, v)
}

func (b *builder) buildRouteTable(rt *rawRouteTable) RouteTable {
	t := RouteTable{Pos: rt.Pos, ID: rt.ID.V}
	elem := describe("route table", rt.ID)
	for _, rr := range rt.Routes {
		r := Route{Pos: rr.Pos, NextHop: rr.NextHop.V, NextHopType: rr.NextHopType.V}
		if b.required(rr.Destination, rr.Pos, "destination", "route of "+elem) {
			r.Destination, _ = b.prefix(rr.Destination, "destination", "route of "+elem, true)
		}
		if b.required(rr.NextHopType, rr.Pos, "next_hop_type", "route of "+elem) && rr.NextHopType.V != NextHopPeering {
			b.errorf(rr.NextHopType.Pos, "route of %s: next_hop_type %q is not supported (valid: %s)", elem, rr.NextHopType.V, NextHopPeering)
		}
		if b.required(rr.NextHop, rr.Pos, "next_hop", "route of "+elem) {
			if _, ok := b.peerings[rr.NextHop.V]; !ok {
				b.errorf(rr.NextHop.Pos, "route of %s: next_hop %q is not a declared peering (declared peerings: %s)", elem, rr.NextHop.V, memo(&b.lists.peerings, b.sortedPeerings))
			}
		}
		t.Routes = append(t.Routes, r)
	}
	return t
}

func (b *builder) sortedPeerings() []string {
	ids := make([]string, 0, len(b.peerings))
	for id := range b.peerings {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// buildSubnet checks a subnet against its VPC; ok reports whether its CIDR
// is usable for the overlap check and the hosts. tables lists the VPC's
// route tables for messages.
func (b *builder) buildSubnet(rs *rawSubnet, v *VPC, vpcCIDROK bool, tables string) (s Subnet, ok bool) {
	s = Subnet{Pos: rs.Pos, ID: rs.ID.V, RouteTable: v.DefaultRouteTable()}
	elem := describe("subnet", rs.ID)
	if rs.RouteTable.Set {
		s.RouteTable = rs.RouteTable.V
		switch o, found := b.tables[rs.RouteTable.V]; {
		case !found:
			b.errorf(rs.RouteTable.Pos, "%s: unknown route table %q (route tables of VPC %q: %s)", elem, rs.RouteTable.V, v.ID, tables)
		case o.vpc != v.ID:
			b.errorf(rs.RouteTable.Pos, "%s: route table %q belongs to VPC %q, not %q", elem, rs.RouteTable.V, o.vpc, v.ID)
		}
	}
	if !b.required(rs.CIDR, rs.Pos, "cidr", elem) {
		return s, false
	}
	s.CIDR, ok = b.prefix(rs.CIDR, "cidr", elem, false)
	if !ok {
		return s, false
	}
	if !b.checkSize(s.CIDR, rs.CIDR.Pos, elem, "a subnet") {
		return s, false
	}
	if vpcCIDROK && !(s.CIDR.Bits() >= v.CIDR.Bits() && v.CIDR.Contains(s.CIDR.Addr())) {
		b.errorf(rs.CIDR.Pos, "%s: cidr %s is outside VPC %q cidr %s", elem, s.CIDR, v.ID, v.CIDR)
		return s, false
	}
	return s, true
}

func tableIDs(v *VPC) []string {
	ids := make([]string, 0, len(v.RouteTables))
	for _, t := range v.RouteTables {
		if t.ID != "" {
			ids = append(ids, t.ID)
		}
	}
	return ids
}

// subnetSet is the subnets of one VPC that overlap no other, sorted by
// address, for the overlap check. Being disjoint, they are sorted by their
// last addresses too, so the ones overlapping a CIDR are found by binary
// search, however many there are.
type subnetSet []placedSubnet

type placedSubnet struct {
	first, last uint32
	id          string
	cidr        netip.Prefix
	pos         Pos
}

// overlapping returns the span [i, j) of the set overlapping first..last.
func (s subnetSet) overlapping(first, last uint32) (i, j int) {
	i = sort.Search(len(s), func(k int) bool { return s[k].last >= first })
	j = i + sort.Search(len(s)-i, func(k int) bool { return s[i+k].first > last })
	return i, j
}

// checkOverlap reports the subnets already in set that overlap s, by the
// lowest of them and their count, or adds s to set.
func (b *builder) checkOverlap(set *subnetSet, rs *rawSubnet, s Subnet) {
	first, last := u32(s.CIDR.Addr()), u32(lastAddr(s.CIDR))
	i, j := set.overlapping(first, last)
	if i == j {
		*set = slices.Insert(*set, i, placedSubnet{first: first, last: last, id: s.ID, cidr: s.CIDR, pos: rs.CIDR.Pos})
		return
	}
	e, more := (*set)[i], ""
	if n := j - i - 1; n > 0 {
		more = fmt.Sprintf(" and %d more", n)
	}
	b.errorf(rs.CIDR.Pos, "%s: cidr %s overlaps subnet %q (%s) at %d:%d%s", describe("subnet", rs.ID), s.CIDR, e.id, e.cidr, e.pos.Line, e.pos.Col, more)
}

// buildHosts checks the hosts of a VPC and assigns the missing IPs: the given
// addresses are taken first, then each host without one gets the lowest free
// address after its subnet's gateway, in file order. Addresses are only
// ever taken, so the lowest free one of a subnet only moves up: a cursor
// per subnet finds each in time linear in the hosts of the VPC.
func (b *builder) buildHosts(rv *rawVPC, v *VPC) {
	type usedBy struct {
		name string
		pos  Pos
	}
	used := make(map[netip.Addr]usedBy)
	subnets := make(map[string]*Subnet)
	for i := range v.Subnets {
		if v.Subnets[i].CIDR.IsValid() {
			subnets[v.Subnets[i].ID] = &v.Subnets[i]
		}
	}
	var ids []string
	for _, s := range v.Subnets {
		if s.ID != "" {
			ids = append(ids, s.ID)
		}
	}
	known := choices(ids)
	var auto []int
	for _, rh := range rv.Hosts {
		h := Host{Pos: rh.Pos, Name: rh.Name.V, Subnet: rh.Subnet.V}
		elem := describe("host", rh.Name)
		if b.required(rh.Name, rh.Pos, "name", "host") {
			b.checkHostName(rh.Name)
		}
		var sn *Subnet
		if b.required(rh.Subnet, rh.Pos, "subnet", elem) {
			sn = b.hostSubnet(rh.Subnet, v, subnets, known, elem)
		}
		v.Hosts = append(v.Hosts, h)
		if !rh.IP.Set {
			if sn != nil {
				auto = append(auto, len(v.Hosts)-1)
			}
			continue
		}
		ip, err := netip.ParseAddr(rh.IP.V)
		if err != nil || !ip.Is4() {
			b.errorf(rh.IP.Pos, "%s: ip %q is not an IPv4 address", elem, rh.IP.V)
			continue
		}
		v.Hosts[len(v.Hosts)-1].IP = ip
		if sn == nil {
			continue
		}
		switch {
		case !sn.CIDR.Contains(ip):
			b.errorf(rh.IP.Pos, "%s: ip %s is outside subnet %q (%s)", elem, ip, sn.ID, sn.CIDR)
			continue
		case ip == sn.CIDR.Addr():
			b.errorf(rh.IP.Pos, "%s: ip %s is the network address of subnet %q (%s)", elem, ip, sn.ID, sn.CIDR)
			continue
		case ip == sn.Gateway():
			b.errorf(rh.IP.Pos, "%s: ip %s is the gateway of subnet %q (%s); hosts start at %s", elem, ip, sn.ID, sn.CIDR, sn.Gateway().Next())
			continue
		case ip == lastAddr(sn.CIDR):
			b.errorf(rh.IP.Pos, "%s: ip %s is the broadcast address of subnet %q (%s)", elem, ip, sn.ID, sn.CIDR)
			continue
		}
		if u, dup := used[ip]; dup {
			b.errorf(rh.IP.Pos, "%s: ip %s is already used by host %q at %d:%d", elem, ip, u.name, u.pos.Line, u.pos.Col)
			continue
		}
		used[ip] = usedBy{name: h.Name, pos: rh.IP.Pos}
	}
	next := make(map[*Subnet]netip.Addr) // no lower address of the subnet is free
	for _, i := range auto {
		h := &v.Hosts[i]
		sn := subnets[h.Subnet]
		last := lastAddr(sn.CIDR)
		ip, ok := next[sn]
		if !ok {
			ip = sn.Gateway().Next()
		}
		for ; ip.Less(last); ip = ip.Next() {
			if _, taken := used[ip]; !taken {
				break
			}
		}
		next[sn] = ip
		if !ip.Less(last) {
			b.errorf(h.Pos, "%s: subnet %q (%s) has no free address left", describe("host", field[string]{V: h.Name, Set: true}), sn.ID, sn.CIDR)
			continue
		}
		h.IP = ip
		used[ip] = usedBy{name: h.Name, pos: h.Pos}
	}
}

// checkHostName checks a host name's characters, that it is unique, and that
// the namespace "<topology>-<host>" fits.
//
// A host name has no '-': topology names may have one, so without that rule
// topology "a" with host "b-c" and topology "a-b" with host "c" would both
// own namespace "a-b-c". With it, a namespace name splits at its last '-'
// into the topology's name and the host's, whatever topologies run.
func (b *builder) checkHostName(f field[string]) {
	if !b.checkID(f, "host name") {
		return
	}
	if strings.Contains(f.V, "-") {
		b.errorf(f.Pos, "invalid host name %q: '-' separates topology and host in namespace names (%q); use letters, digits, '.' and '_'",
			f.V, NamespaceName("<topology>", "<host>"))
		return
	}
	if first, dup := b.hosts[f.V]; dup {
		b.errorf(f.Pos, "duplicate host name %q (first declared at %d:%d)", f.V, first.Line, first.Col)
		return
	}
	b.hosts[f.V] = f.Pos
	if b.t.Name == "" {
		return
	}
	if ns := NamespaceName(b.t.Name, f.V); len(ns) > MaxNamespaceLen {
		b.errorf(f.Pos, "host name %q is too long: its network namespace %q would have %d characters, at most %d (topology name, '-' and host name)",
			f.V, ns, len(ns), MaxNamespaceLen)
	}
}

// hostSubnet returns the usable subnet a host names, or nil after reporting
// why there is none. known lists the VPC's subnets for messages.
func (b *builder) hostSubnet(f field[string], v *VPC, usable map[string]*Subnet, known, elem string) *Subnet {
	o, found := b.subnets[f.V]
	switch {
	case !found:
		b.errorf(f.Pos, "%s: unknown subnet %q (subnets of VPC %q: %s)", elem, f.V, v.ID, known)
		return nil
	case o.vpc != v.ID:
		b.errorf(f.Pos, "%s: subnet %q belongs to VPC %q, not %q", elem, f.V, o.vpc, v.ID)
		return nil
	}
	// A subnet with a bad CIDR was reported already.
	return usable[f.V]
}

func (b *builder) buildPeering(rp *rawPeering) {
	elem := describe("peering", rp.ID)
	p := Peering{Pos: rp.Pos, ID: rp.ID.V, Name: b.checkLabel(rp.Name, elem), VPC: rp.VPC.V, PeerVPC: rp.PeerVPC.V, Accepted: rp.Accepted.V}
	owner := func(f field[string], key string) (string, bool) {
		if !b.required(f, rp.Pos, key, elem) {
			return "", false
		}
		i, ok := b.vpcs[f.V]
		if !ok {
			b.errorf(f.Pos, "%s: %s %q is not a declared VPC (declared VPCs: %s)", elem, key, f.V, memo(&b.lists.vpcs, b.vpcIDs))
			return "", false
		}
		return b.t.VPCs[i].Account, true
	}
	requester, reqOK := owner(rp.VPC, "vpc")
	accepter, accOK := owner(rp.PeerVPC, "peer_vpc")
	if reqOK && accOK && rp.VPC.V == rp.PeerVPC.V {
		b.errorf(rp.PeerVPC.Pos, "%s: peer_vpc %q is the requester VPC itself", elem, rp.PeerVPC.V)
	}
	peerOK := accOK
	p.PeerAccount = accepter
	if rp.PeerAccount.Set {
		p.PeerAccount = rp.PeerAccount.V
		peerOK = b.checkAccount(rp.PeerAccount, elem)
	}
	if rp.Accepted.Set && rp.Accepted.V && reqOK && peerOK && requester == p.PeerAccount {
		b.errorf(rp.Accepted.Pos, "%s: accepted applies only to cross-account peerings; both sides are account %q (same-account peerings are active at once)", elem, requester)
	}
	if rp.Status.Set {
		switch p.Status = rp.Status.V; p.Status {
		case EndRejected, EndExpired:
			if rp.Accepted.V {
				b.errorf(rp.Status.Pos, "%s: a request that was accepted cannot be %s", elem, p.Status)
			} else if reqOK && peerOK && requester == p.PeerAccount {
				b.errorf(rp.Status.Pos, "%s: status %s applies only to cross-account requests; both sides are account %q", elem, p.Status, requester)
			}
		case EndDeleted:
		default:
			b.errorf(rp.Status.Pos, "%s: invalid status %q: want %s, %s or %s (a peering that ended; leave it out for a live one)", elem, p.Status, EndRejected, EndExpired, EndDeleted)
		}
	}
	b.t.Peerings = append(b.t.Peerings, p)
}

func (b *builder) vpcIDs() []string {
	ids := make([]string, 0, len(b.vpcs))
	for id := range b.vpcs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
