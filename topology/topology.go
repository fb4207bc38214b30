// Package topology turns a vpcsim topology file (YAML) into a validated
// model: accounts, VPCs with their subnets, route tables and hosts, and the
// peerings between VPCs.
//
// Load and Parse report every structural problem at once, each as an Error
// carrying the FILE:LINE:COL of the offending value. Rules that depend on the
// state of the cloud (CIDR overlap of peered VPCs, the per-VPC peering limit,
// routes that need an active peering, ...) are enforced by package control,
// which applies a Topology the way the API would and reports violations with
// the same positions.
//
// After a successful Parse every default is filled in: every VPC has an
// account, a region and its default route table; every subnet names its route
// table; every host has an IP; every peering names its peer account.
//
// Parsing is strict: unknown keys, values of the wrong YAML type (a quoted
// "1500" for mtu, yes for a boolean) and YAML tags other than !!str are
// errors. Account ids may be written as strings or as plain integers, which
// are kept as written. Anchors and aliases are followed, up to
// MaxAliasNodes repeated nodes. A UTF-8 byte order mark at the start of
// the file is skipped.
//
// The file is checked against the rules of the cloud it models and the
// limits of the machine that launches it: VPC CIDRs lie in the private
// ranges of RFC 1918, VPCs and subnets are /16 to /28, a topology has at
// most MaxHosts hosts, and host names have no '-', so that namespace names
// "<topology>-<host>" never clash between topologies. Hostile input costs
// time and memory linear in its size (at most MaxFileSize bytes), however
// it is built: values are cut at MaxValueLen bytes, and a list of errors
// prints at most MaxErrorsShown. CheckLaunchable tells whether this
// process may open the files a topology needs.
//
// Every element of the model records its Pos: the position of the first key
// of its mapping in the file. Elements that a default created (the default
// account, a default route table that was not listed) have the zero Pos or
// that of their VPC.
package topology

import (
	"net/netip"
	"slices"
	"time"
)

// Defaults of the topology file.
const (
	DefaultRegion         = "default"
	DefaultAccount        = "100000000001"
	DefaultMTU            = 1500
	MinMTU                = 576
	MaxMTU                = 65535
	DefaultPeeringExpiry  = 168 * time.Hour
	DefaultPeeringsPerVPC = 10

	// NextHopPeering is the only next hop type a user route can have.
	NextHopPeering = "peering"
	// NextHopLocal is the type of the implicit route for a VPC's own CIDR.
	NextHopLocal = "local"
)

// Topology is a parsed, defaulted topology file.
type Topology struct {
	File           string // the file it came from, for error positions
	Name           string
	Region         string
	MTU            int
	PeeringExpiry  time.Duration
	PeeringsPerVPC int
	Accounts       []Account
	VPCs           []VPC
	Peerings       []Peering
	// Expect is the reachability the file's author intends, checked by
	// vpcsim check; it changes nothing that runs.
	Expect []Expectation
}

// Pos is a position in the topology file: 1-based line and column (in
// characters). The zero Pos is unknown.
type Pos struct {
	Line, Col int
}

// Account is a cloud account.
type Account struct {
	Pos  Pos
	ID   string // a string of digits
	Name string
}

// VPC is a virtual private cloud: one router, one IPv4 CIDR.
type VPC struct {
	Pos         Pos
	ID          string
	Name        string
	Account     string
	Region      string
	CIDR        netip.Prefix
	Subnets     []Subnet
	RouteTables []RouteTable // the default table "<id>-default" is always present
	Hosts       []Host
}

// DefaultRouteTable returns the id of the VPC's default route table.
func (v *VPC) DefaultRouteTable() string { return DefaultRouteTableID(v.ID) }

// DefaultRouteTableID returns the id of the default route table of the VPC vpcID.
func DefaultRouteTableID(vpcID string) string { return vpcID + "-default" }

// Subnet is a part of a VPC's CIDR, associated with one route table.
type Subnet struct {
	Pos        Pos
	ID         string
	CIDR       netip.Prefix
	RouteTable string
}

// Gateway returns the subnet's gateway address: its first usable address.
func (s *Subnet) Gateway() netip.Addr { return s.CIDR.Masked().Addr().Next() }

// RouteTable is a route table of a VPC. The implicit local route is not listed.
type RouteTable struct {
	Pos    Pos
	ID     string
	Routes []Route
}

// Route is a user route: a destination reached over a peering.
type Route struct {
	Pos         Pos
	Destination netip.Prefix // canonical (masked)
	NextHopType string       // always NextHopPeering
	NextHop     string       // peering id
}

// Host is an endpoint in a subnet: a network namespace with a TUN interface.
type Host struct {
	Pos    Pos
	Name   string
	Subnet string
	IP     netip.Addr
}

// Peering is a peering connection as declared in the file.
type Peering struct {
	Pos         Pos
	ID          string
	Name        string
	VPC         string // requester (本端)
	PeerVPC     string // accepter (对端)
	PeerAccount string
	Accepted    bool // cross-account only: the request is already accepted
	// Status, when not empty, says that the peering ended before the
	// topology was launched: EndRejected, EndExpired or EndDeleted. A saved
	// topology (vpcsim save) keeps such peerings, so that it launches with
	// the statuses it was saved with.
	Status string
}

// The statuses of a peering that ended, for Peering.Status.
const (
	EndRejected = "rejected"
	EndExpired  = "expired"
	EndDeleted  = "deleted"
)

// The protocols of an expectation. ICMP means an echo request (ping).
const (
	ProtocolICMP = "icmp"
	ProtocolTCP  = "tcp"
	ProtocolUDP  = "udp"
)

// Expectation is an expect: rule: whether the hosts of From should reach
// To. From is a host name, a VPC id (every host of the VPC) or the address
// of a host; To is a host name, a VPC id or any IPv4 address. A pair
// reaches when a request gets to its destination and the reply gets back.
type Expectation struct {
	Pos      Pos
	From     string
	To       string
	Protocol string // ProtocolICMP (the default), ProtocolTCP or ProtocolUDP
	Port     int    // the destination port of TCP and UDP; 0 for ICMP
	Reach    bool
	// Because, with Reach false, is the reason the path must be blocked
	// for: one of ReasonCodes. Empty: any reason.
	Because string
}

// reasonCodes are the codes with which package explain says why a path
// from a host is blocked, in the order it documents them; a test there
// keeps the two lists equal. UNKNOWN_SOURCE is not one: an expectation's
// source is always a host.
var reasonCodes = []string{"NO_ROUTE", "MISSING_RETURN_ROUTE", "PEERING_NOT_ACTIVE", "NOT_TRANSITIVE", "NO_HOST", "GATEWAY_PROTOCOL", "OTHER_HOST"}

// ReasonCodes returns the codes an expectation's Because may name.
func ReasonCodes() []string { return slices.Clone(reasonCodes) }

// VPC returns the VPC with the given id, or nil.
func (t *Topology) VPC(id string) *VPC {
	for i := range t.VPCs {
		if t.VPCs[i].ID == id {
			return &t.VPCs[i]
		}
	}
	return nil
}

// HostCount returns the number of hosts of all VPCs.
func (t *Topology) HostCount() int {
	n := 0
	for _, v := range t.VPCs {
		n += len(v.Hosts)
	}
	return n
}

// NamespaceName returns the name of the network namespace of host in the
// topology named topology: "<topology>-<host>". Host names have no '-', so
// the name splits at its last '-' into the two: no two topologies' hosts
// share a namespace.
func NamespaceName(topology, host string) string { return topology + "-" + host }

// Namespace returns the name of the network namespace of the host named host.
func (t *Topology) Namespace(host string) string { return NamespaceName(t.Name, host) }

// Account returns the account with the given id, or nil.
func (t *Topology) Account(id string) *Account {
	for i := range t.Accounts {
		if t.Accounts[i].ID == id {
			return &t.Accounts[i]
		}
	}
	return nil
}

// Peering returns the peering with the given id, or nil.
func (t *Topology) Peering(id string) *Peering {
	for i := range t.Peerings {
		if t.Peerings[i].ID == id {
			return &t.Peerings[i]
		}
	}
	return nil
}

// Host returns the host with the given name and its VPC, or nils.
func (t *Topology) Host(name string) (*VPC, *Host) {
	for i := range t.VPCs {
		if h := t.VPCs[i].Host(name); h != nil {
			return &t.VPCs[i], h
		}
	}
	return nil, nil
}

// Subnet returns the VPC's subnet with the given id, or nil.
func (v *VPC) Subnet(id string) *Subnet {
	for i := range v.Subnets {
		if v.Subnets[i].ID == id {
			return &v.Subnets[i]
		}
	}
	return nil
}

// RouteTable returns the VPC's route table with the given id, or nil.
func (v *VPC) RouteTable(id string) *RouteTable {
	for i := range v.RouteTables {
		if v.RouteTables[i].ID == id {
			return &v.RouteTables[i]
		}
	}
	return nil
}

// Host returns the VPC's host with the given name, or nil.
func (v *VPC) Host(name string) *Host {
	for i := range v.Hosts {
		if v.Hosts[i].Name == name {
			return &v.Hosts[i]
		}
	}
	return nil
}
