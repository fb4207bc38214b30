package bench

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"sync/atomic"
)

// Subject is a forwarding path under test. Setup builds pairs of a client
// and a server namespace, each pair joined by that path, with every
// interface at the given MTU. Setup leaves nothing behind when it fails;
// otherwise the returned Setup's Close removes everything it made. Setup is
// called once per MTU, never concurrently for one Subject.
type Subject interface {
	// Name is the subject's short name in reports, e.g. "kernel".
	Name() string
	Setup(ctx context.Context, mtu, pairs int) (*Setup, error)
}

// Setup is what a Subject built: pairs of endpoints, and how to remove them.
type Setup struct {
	Pairs []Endpoints // at least one

	// Close tears down everything Setup made. It must work after the Setup
	// context is cancelled and be safe to call more than once.
	Close func() error
}

// Endpoints is a client and a server namespace joined by a Subject's path.
type Endpoints struct {
	ClientNS string     // network namespace to run clients (iperf3 -c, ping) in
	ServerNS string     // network namespace to run servers (iperf3 -s) in
	ServerIP netip.Addr // address of the server, reachable from ClientNS
}

// DefaultPrefix starts the name of every namespace this package creates.
const DefaultPrefix = "vb-"

var nameSeq atomic.Uint64

// NamePrefix returns a namespace name prefix unique to this process and this
// call, "vb-<pid>-<n>-": subjects name their namespaces with it so that
// concurrent runs never collide and [Cleanup] with [ProcessPrefix] or
// [DefaultPrefix] finds them.
func NamePrefix() string {
	return fmt.Sprintf("%s%d-", ProcessPrefix(), nameSeq.Add(1))
}

// ProcessPrefix returns the prefix of every namespace this process names
// through [NamePrefix]: "vb-<pid>-".
func ProcessPrefix() string {
	return fmt.Sprintf("%s%d-", DefaultPrefix, os.Getpid())
}
