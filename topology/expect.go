package topology

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// MaxExpectPairs bounds the host pairs that the expect: rules of a file
// stand for, over all rules: vpcsim check explains and probes each pair,
// and a rule between two VPCs of a thousand hosts each would stand for a
// million of them.
const MaxExpectPairs = 10_000

// ExpectPair is one source host and one destination of an expectation.
type ExpectPair struct {
	From string // a host name
	To   string // a host name, or the address as the rule wrote it
}

// Pairs returns the pairs an expectation of t stands for, in file order:
// each host of From to each host of To, or to the address To, but never a
// host to itself. e must be one of t's expectations: Parse has checked
// that its endpoints exist.
func (t *Topology) Pairs(e Expectation) []ExpectPair {
	var pairs []ExpectPair
	from, _ := t.endpoint(e.From, true)
	to, addr := t.endpoint(e.To, false)
	for _, f := range from {
		if addr.IsValid() {
			if f.IP != addr {
				pairs = append(pairs, ExpectPair{From: f.Name, To: e.To})
			}
			continue
		}
		for _, h := range to {
			if h != f {
				pairs = append(pairs, ExpectPair{From: f.Name, To: h.Name})
			}
		}
	}
	return pairs
}

// endpoint resolves an endpoint of an expectation: a host name, then a
// VPC id, then an address. A source address is the host that has it; a
// destination address is returned as such, whether a host has it or not
// (the routes decide which host a packet to it reaches).
func (t *Topology) endpoint(s string, source bool) ([]*Host, netip.Addr) {
	if _, h := t.Host(s); h != nil {
		return []*Host{h}, netip.Addr{}
	}
	if v := t.VPC(s); v != nil {
		hosts := make([]*Host, len(v.Hosts))
		for i := range v.Hosts {
			hosts[i] = &v.Hosts[i]
		}
		return hosts, netip.Addr{}
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return nil, netip.Addr{}
	}
	if !source {
		return nil, a
	}
	for i := range t.VPCs {
		for j := range t.VPCs[i].Hosts {
			if h := &t.VPCs[i].Hosts[j]; h.IP == a {
				return []*Host{h}, netip.Addr{}
			}
		}
	}
	return nil, netip.Addr{}
}

// expectBuilder checks the expect: rules once the VPCs are built.
type expectBuilder struct {
	*builder
	hosts map[string]*Host     // by name
	byIP  map[netip.Addr][]ref // hosts by address
	seen  map[string]Pos       // from, to, protocol and port of each rule
	pairs int                  // over the rules so far
	full  bool                 // MaxExpectPairs was passed and reported

	hostList string // for messages, formatted when first needed
}

// ref is a host and its VPC.
type ref struct {
	vpc  string
	host *Host
}

func (b *builder) buildExpectations(raw []rawExpectation) {
	if len(raw) == 0 {
		return
	}
	eb := &expectBuilder{builder: b, hosts: make(map[string]*Host), byIP: make(map[netip.Addr][]ref), seen: make(map[string]Pos)}
	for i := range b.t.VPCs {
		v := &b.t.VPCs[i]
		for j := range v.Hosts {
			h := &v.Hosts[j]
			if _, dup := eb.hosts[h.Name]; !dup && h.Name != "" {
				eb.hosts[h.Name] = h
			}
			if h.IP.IsValid() {
				eb.byIP[h.IP] = append(eb.byIP[h.IP], ref{vpc: v.ID, host: h})
			}
		}
	}
	for i := range raw {
		eb.build(&raw[i])
	}
}

// target is what an endpoint of a rule resolved to: hosts, or an address
// that is the destination.
type target struct {
	hosts []*Host
	addr  netip.Addr
}

func (eb *expectBuilder) build(re *rawExpectation) {
	e := Expectation{Pos: re.Pos, From: re.From.V, To: re.To.V, Protocol: ProtocolICMP, Port: re.Port.V, Reach: re.Reach.V, Because: re.Because.V}
	elem := "expectation"
	var from, to target
	fromOK := eb.required(re.From, re.Pos, "from", elem) && eb.resolve(re.From, "from", &from)
	toOK := eb.required(re.To, re.Pos, "to", elem) && eb.resolve(re.To, "to", &to)
	if !re.Reach.Set {
		eb.errorf(orPos(re.Reach.Pos, re.Pos), "missing required field %q in %s: say whether from should reach to (true or false)", "reach", elem)
	}
	protoOK := eb.protocol(re, &e)
	if re.Because.Set {
		switch {
		case re.Reach.Set && re.Reach.V:
			eb.errorf(re.Because.Pos, "%s: because applies to reach: false, the reason the path is blocked; remove it or set reach: false", elem)
		case !slices.Contains(reasonCodes, re.Because.V):
			eb.errorf(re.Because.Pos, "%s: because %q is not a reason explain gives; valid: %s", elem, re.Because.V, strings.Join(reasonCodes, ", "))
		}
	}
	if !fromOK || !toOK || !protoOK {
		eb.t.Expect = append(eb.t.Expect, e)
		return
	}
	key := strings.Join([]string{e.From, e.To, e.Protocol, fmt.Sprint(e.Port)}, "\x00")
	if first, dup := eb.seen[key]; dup {
		eb.errorf(re.Pos, "%s: duplicate of the expectation at %d:%d (same from, to, protocol and port)", elem, first.Line, first.Col)
	} else {
		eb.seen[key] = re.Pos
	}
	eb.count(re, from, to)
	eb.t.Expect = append(eb.t.Expect, e)
}

// protocol checks and defaults the protocol and port of a rule; it
// reports whether they are usable.
func (eb *expectBuilder) protocol(re *rawExpectation, e *Expectation) bool {
	if re.Protocol.Set {
		switch re.Protocol.V {
		case ProtocolICMP, ProtocolTCP, ProtocolUDP:
			e.Protocol = re.Protocol.V
		default:
			eb.errorf(re.Protocol.Pos, "expectation: protocol %q is not supported; valid: %s, %s, %s", re.Protocol.V, ProtocolICMP, ProtocolTCP, ProtocolUDP)
			return false
		}
	}
	switch {
	case e.Protocol == ProtocolICMP && re.Port.Set:
		eb.errorf(re.Port.Pos, "expectation: port %d: icmp has no ports; set protocol: tcp or udp", re.Port.V)
		return false
	case e.Protocol != ProtocolICMP && !re.Port.Set:
		eb.errorf(orPos(re.Protocol.Pos, re.Pos), "expectation: protocol %s needs a port (1..65535)", e.Protocol)
		return false
	case e.Protocol != ProtocolICMP && (re.Port.V < 1 || re.Port.V > 65535):
		eb.errorf(re.Port.Pos, "expectation: port %d is out of range 1..65535", re.Port.V)
		return false
	}
	return true
}

// resolve resolves an endpoint into t, reporting whether it names
// something that can take part in a rule.
func (eb *expectBuilder) resolve(f field[string], key string, t *target) bool {
	h, isHost := eb.hosts[f.V]
	vi, isVPC := eb.vpcs[f.V]
	switch {
	case isHost && isVPC:
		eb.errorf(f.Pos, "expectation: %s %q names both a host and a VPC; rename one of them", key, f.V)
		return false
	case isHost:
		t.hosts = []*Host{h}
		return true
	case isVPC:
		v := &eb.t.VPCs[vi]
		if len(v.Hosts) == 0 {
			eb.errorf(f.Pos, "expectation: %s: VPC %q has no hosts: the rule would check nothing", key, f.V)
			return false
		}
		for i := range v.Hosts {
			t.hosts = append(t.hosts, &v.Hosts[i])
		}
		return true
	}
	a, err := netip.ParseAddr(f.V)
	if err != nil {
		eb.errorf(f.Pos, "expectation: %s %q is not a host, a VPC or an IPv4 address (hosts: %s; VPCs: %s)",
			key, f.V, memo(&eb.hostList, eb.hostNames), memo(&eb.lists.vpcs, eb.vpcIDs))
		return false
	}
	if key == "to" {
		if !a.Is4() || !a.IsGlobalUnicast() && !a.IsPrivate() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
			eb.errorf(f.Pos, "expectation: to %q is not an IPv4 unicast address", f.V)
			return false
		}
		t.addr = a
		return true
	}
	switch refs := eb.byIP[a]; len(refs) {
	case 0:
		eb.errorf(f.Pos, "expectation: from %s is the address of no host; the source of an expectation is a host (hosts: %s)", a, memo(&eb.hostList, eb.hostNames))
		return false
	case 1:
		t.hosts = []*Host{refs[0].host}
		return true
	default:
		var names []string
		for _, r := range refs {
			names = append(names, fmt.Sprintf("%s (%s)", r.host.Name, r.vpc))
		}
		eb.errorf(f.Pos, "expectation: from %s is the address of hosts %s: name the host", a, strings.Join(names, ", "))
		return false
	}
}

// count adds the pairs of a rule to the file's, reporting a rule that
// stands for none and the rule that passes MaxExpectPairs.
func (eb *expectBuilder) count(re *rawExpectation, from, to target) {
	n := 0
	for _, f := range from.hosts {
		if to.addr.IsValid() {
			if f.IP != to.addr {
				n++
			}
			continue
		}
		n += len(to.hosts)
		if slices.Contains(to.hosts, f) {
			n--
		}
	}
	if n == 0 {
		eb.errorf(re.Pos, "expectation: from %q to %q is no pair of distinct hosts: the rule would check nothing", re.From.V, re.To.V)
		return
	}
	eb.pairs += n
	if eb.pairs > MaxExpectPairs && !eb.full {
		eb.full = true
		eb.errorf(re.Pos, "expectation: the rules stand for more than %d host pairs (%d so far); split the check or name fewer VPCs", MaxExpectPairs, eb.pairs)
	}
}

func (eb *expectBuilder) hostNames() []string {
	var names []string
	for _, v := range eb.t.VPCs {
		for _, h := range v.Hosts {
			names = append(names, h.Name)
		}
	}
	return names
}
