package api

import (
	"time"

	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/explain"
	"github.com/vpcsim/vpcsim/router"
)

// The wire types: what the endpoints take and return, as JSON with
// snake_case names. Control-plane objects (control.Peering,
// control.PeeringDetail, control.Route, control.Account, control.Error) and
// explanations (explain.Result) travel as their packages define them.

// RouteChange is the answer of POST and PUT /v1/routes: the route made, and what
// is likely wrong with it though the cloud accepts it (a destination
// beyond the peer VPC), to tell the user.
type RouteChange struct {
	control.Route
	Warnings []string `json:"warnings"`
}

// StatsFilter selects counters: of a VPC (its routers, hosts and peering
// directions), of a peering's two directions, of a host; empty fields
// select all.
type StatsFilter struct {
	VPC, Peering, Host string
}

// AddRouteRequest is the body of POST /v1/routes.
type AddRouteRequest struct {
	RouteTable  string `json:"route_table"`
	Destination string `json:"destination"`
	Peering     string `json:"peering"`
}

// ReplaceRouteRequest is the body of PUT /v1/routes: the route to
// Destination in RouteTable becomes a route to NewDestination (empty: the
// same destination) over Peering, in one change.
type ReplaceRouteRequest struct {
	RouteTable     string `json:"route_table"`
	Destination    string `json:"destination"`
	NewDestination string `json:"new_destination,omitempty"`
	Peering        string `json:"peering"`
}

// Status describes a running topology as the acting account sees it.
type Status struct {
	Name string `json:"name"`
	// State is StateRunning for a status the daemon gave; vpcsim status
	// lists topologies whose daemon is dead or does not answer too, with
	// only what their record tells and Problem saying what to do.
	State   string    `json:"state"`
	Problem string    `json:"problem"`
	PID     int       `json:"pid"`
	File    string    `json:"file"`
	Started time.Time `json:"started"`
	Region  string    `json:"region"`
	MTU     int       `json:"mtu"`
	// StateFile is where the topology's control state is saved, "" when
	// it lives in memory only.
	StateFile string `json:"state_file"`
	// Console is the URL of the topology's web console, "" when it
	// serves none.
	Console  string            `json:"console"`
	VPCs     []VPCStatus       `json:"vpcs"`
	Hosts    []HostStatus      `json:"hosts"`
	Peerings []control.Peering `json:"peerings"`
	// DataPlane is the comparison of the routers with the control plane
	// made for this status.
	DataPlane DataPlaneStatus `json:"data_plane"`
}

// The states of a topology in a Status.
const (
	StateRunning      = "running"
	StateDead         = "dead"          // its daemon is gone
	StateNotAnswering = "not-answering" // its daemon runs but does not answer
	StateSaved        = "saved"         // no daemon, a saved state to resume
)

// DataPlaneStatus is a comparison of the data plane with the control
// plane, made at one instant: whether the routers hold exactly the active
// peerings and the routes the control plane has accepted.
type DataPlaneStatus struct {
	InStep  bool      `json:"in_step"`
	Checked time.Time `json:"checked"`
	// Differences describes what differed, when not in step; the daemon
	// then handed the routers the control plane's state again.
	Differences []string `json:"differences"`
	// Repairs counts the checks since launch that found a difference.
	Repairs int `json:"repairs"`
}

// VPCStatus describes a VPC of a running topology.
type VPCStatus struct {
	ID      string         `json:"id"`
	Name    string         `json:"name"`
	Account string         `json:"account"`
	Region  string         `json:"region"`
	CIDR    string         `json:"cidr"`
	Subnets []SubnetStatus `json:"subnets"`
}

// SubnetStatus describes a subnet.
type SubnetStatus struct {
	ID         string `json:"id"`
	CIDR       string `json:"cidr"`
	Gateway    string `json:"gateway"`
	RouteTable string `json:"route_table"`
}

// HostStatus describes a host.
type HostStatus struct {
	Name      string `json:"name"`
	VPC       string `json:"vpc"`
	Subnet    string `json:"subnet"`
	IP        string `json:"ip"`
	Namespace string `json:"namespace"`
	// DeviceGone reports that the router gave the host's device up after
	// its reads kept failing, as they do once the host's eth0 is deleted:
	// the host sends nothing more. vpcsim stats counts the failed reads.
	DeviceGone bool `json:"device_gone"`
}

// Stats is the data plane's counters: per VPC, peering direction and host.
type Stats = router.Stats

// ExplainRequest is GET /v1/explain: explain.Request and whether to send
// real packets too.
type ExplainRequest struct {
	explain.Request
	Probe bool
}

// CaptureRequest is GET /v1/capture: one of Peering and Host, and when to
// stop (zero: no limit).
type CaptureRequest struct {
	Peering  string
	Host     string
	Count    int
	Duration time.Duration
}

// CaptureSummary is what a capture reports when it ends.
type CaptureSummary struct {
	Written uint64 // packets written to the stream
	Dropped uint64 // packets the capture lost because the stream was slow
	Bytes   int64  // of pcapng received
	// Interrupted is set when the client ended the capture: the daemon's
	// totals never came, and the stream ends at the last whole block.
	Interrupted bool
}

// ConsoleRequest is the body of POST /v1/console.
type ConsoleRequest struct {
	// Addr is where the console listens: HOST:PORT, or a bare port
	// (":8080", "8080") on the loopback address. "" asks for the console
	// already served, else for a free port of 127.0.0.1.
	Addr string `json:"addr,omitempty"`
}

// Console is where a topology's web console serves.
type Console struct {
	URL  string `json:"url"`
	Addr string `json:"addr"` // the address it listens on
	// Warning is set when the console listens beyond the loopback
	// interface: whoever reaches it may act as any account of the
	// topology.
	Warning string `json:"warning,omitempty"`
}
