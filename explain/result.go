package explain

import "net/netip"

// Protocol is the transport of the packet explained.
type Protocol string

// The protocols explain knows. ICMP means an echo request (ping).
const (
	ICMP Protocol = "icmp"
	TCP  Protocol = "tcp"
	UDP  Protocol = "udp"
)

// Verdict is the outcome of a path or of the whole explanation.
type Verdict string

// The verdicts. NotApplicable is a return path when nothing replies: the
// destination has no host, or the forward packet is answered by nobody.
const (
	Reachable     Verdict = "reachable"
	Unreachable   Verdict = "unreachable"
	NotApplicable Verdict = "not_applicable"
)

// The verdicts of a hop.
const (
	HopOK      = "ok"
	HopBlocked = "blocked"
)

// Explanation codes of a blocked path. They are stable: scripts may match on
// them.
const (
	// CodeNoRoute: no route of the source subnet's route table matches the
	// destination (the router counts no_route).
	CodeNoRoute = "NO_ROUTE"
	// CodeMissingReturnRoute is CodeNoRoute on the return path: the reply
	// has no route back.
	CodeMissingReturnRoute = "MISSING_RETURN_ROUTE"
	// CodePeeringNotActive: the matching route names a peering that is not
	// active (peering_inactive).
	CodePeeringNotActive = "PEERING_NOT_ACTIVE"
	// CodeNotTransitive: the packet arrived over a peering at a VPC that
	// does not hold the destination; peering is never transit
	// (not_transitive).
	CodeNotTransitive = "NOT_TRANSITIVE"
	// CodeNoHost: the destination is inside the VPC but no host has it, or
	// it is a gateway reached over a peering (no_host).
	CodeNoHost = "NO_HOST"
	// CodeGatewayProtocol: a gateway answers ICMP echo only (unsupported).
	CodeGatewayProtocol = "GATEWAY_PROTOCOL"
	// CodeUnknownSource: the source is not a host of the topology.
	CodeUnknownSource = "UNKNOWN_SOURCE"
	// CodeOtherHost: the packet reaches another host than the one named,
	// which has the same address in a VPC the routes lead to (VPCs that
	// are not peered with each other may reuse addresses).
	CodeOtherHost = "OTHER_HOST"
)

// Codes returns every explanation code, in the order of their
// declarations.
func Codes() []string {
	return []string{CodeNoRoute, CodeMissingReturnRoute, CodePeeringNotActive, CodeNotTransitive,
		CodeNoHost, CodeGatewayProtocol, CodeUnknownSource, CodeOtherHost}
}

// Kinds of endpoint.
const (
	KindHost    = "host"
	KindGateway = "gateway"
	KindAddress = "address" // an address that is neither a host nor a gateway
	KindUnknown = "unknown" // a source that is not a host
)

// Components, as hops and blocked paths name them.
const (
	ComponentHost       = "host"
	ComponentSubnet     = "subnet"
	ComponentRouteTable = "route_table"
	ComponentPeering    = "peering"
	ComponentVPC        = "vpc"
	ComponentGateway    = "gateway"
)

// Result explains how a packet from a host to an address fares in the live
// configuration, and what a reply meets on its way back.
type Result struct {
	Source      Endpoint `json:"source"`
	Destination Endpoint `json:"destination"`
	Protocol    Protocol `json:"protocol"`
	Port        int      `json:"port"`
	// Verdict is Reachable when both the forward and the return path are.
	Verdict Verdict `json:"verdict"`
	Forward Path    `json:"forward"`
	Return  Path    `json:"return"`
	// Probe is what real packets met, when a probe was asked for.
	Probe *Probe `json:"probe"`
}

// Endpoint is the source or the destination of an explanation.
type Endpoint struct {
	Given   string     `json:"given"` // as the user wrote it
	Kind    string     `json:"kind"`  // KindHost, KindGateway, KindAddress or KindUnknown
	Host    string     `json:"host"`
	IP      netip.Addr `json:"ip"` // invalid (empty) for an unknown source name
	VPC     string     `json:"vpc"`
	Subnet  string     `json:"subnet"`
	Account string     `json:"account"` // owner of the VPC
}

// Path is the forward path (the request) or the return path (the reply, a
// new packet from the destination host).
type Path struct {
	Verdict Verdict  `json:"verdict"`
	Hops    []Hop    `json:"hops"`
	Blocked *Blocked `json:"blocked"`
	// Note says more about the path, e.g. that the return path was traced
	// although the forward path is blocked.
	Note string `json:"note"`
}

// Hop is one component a packet meets.
type Hop struct {
	Step      int    `json:"step"` // 1, 2, ... along the path
	Component string `json:"component"`
	ID        string `json:"id"`
	Account   string `json:"account"` // owner, for VPC components
	Detail    string `json:"detail"`
	Verdict   string `json:"verdict"` // HopOK or HopBlocked
}

// Blocked says where a path is blocked, why, and what to change.
type Blocked struct {
	Code      string `json:"code"`
	Component string `json:"component"`
	ID        string `json:"id"`
	// Account owns the component to change, when it is a VPC's.
	Account string `json:"account"`
	Message string `json:"message"`
	// Drop is the counter the router counts the packet under, when the
	// router sees it; VPC is where.
	Drop    string `json:"drop"`
	DropVPC string `json:"drop_vpc"`
}

// Probe is what real packets sent from the source host met.
type Probe struct {
	Method string `json:"method"` // "ping", "tcp-connect", "udp"
	// Sent reports whether packets were sent; when false, Note says why.
	Sent bool `json:"sent"`
	// OK reports whether an answer came back: an echo reply, a TCP
	// connection or reset, a UDP reply or port-unreachable error.
	OK      bool   `json:"ok"`
	Outcome string `json:"outcome"`
	// Drops are the drop counters that moved while the probe ran, by VPC
	// then reason. Other traffic at the same time shows too.
	Drops map[string]map[string]uint64 `json:"drops"`
	// Agrees reports whether the probe's outcome is what the analysis
	// predicts; Note explains a disagreement.
	Agrees bool   `json:"agrees"`
	Note   string `json:"note"`
}
