package router

import (
	"encoding/json"
	"fmt"
	"sync/atomic"
)

// DropReason is why a router dropped a packet.
type DropReason uint8

// The drop reasons of the data plane, in the order of its steps.
const (
	DropUnsupported     DropReason = iota // not IPv4, or not ICMP echo to a gateway
	DropMalformed                         // short header, bad IHL, total length mismatch, bad header checksum
	DropSpoofed                           // source not the host's own, or not the peer VPC's
	DropNoHost                            // local destination with no host
	DropNoRoute                           // no route matches the destination
	DropPeeringInactive                   // the route's peering is not active
	DropNotTransitive                     // arrived over a peering for outside this VPC
	DropQueueFull                         // a peering link's queue was full
	DropWriteFailed                       // the destination host's device did not take it
	numDropReasons
)

var dropNames = [numDropReasons]string{
	"unsupported", "malformed", "spoofed", "no_host", "no_route",
	"peering_inactive", "not_transitive", "queue_full", "write_failed",
}

// String returns the reason's name as used in counters, e.g. "no_route".
func (r DropReason) String() string {
	if r < numDropReasons {
		return dropNames[r]
	}
	return fmt.Sprintf("DropReason(%d)", r)
}

// DropReasons returns every drop reason, in order.
func DropReasons() []DropReason {
	rs := make([]DropReason, numDropReasons)
	for i := range rs {
		rs[i] = DropReason(i)
	}
	return rs
}

// counter counts packets and bytes. Its methods are safe for concurrent use.
type counter struct {
	packets atomic.Uint64
	bytes   atomic.Uint64
}

func (c *counter) add(packets, bytes int) {
	c.packets.Add(uint64(packets))
	c.bytes.Add(uint64(bytes))
}

func (c *counter) load() Count {
	return Count{Packets: c.packets.Load(), Bytes: c.bytes.Load()}
}

// drops counts drops by reason. Each forwarding goroutine has its own, so
// increments do not contend; readers sum them.
type drops [numDropReasons]atomic.Uint64

func (d *drops) add(r DropReason) { d[r].Add(1) }

func (d *drops) addTo(m Drops) {
	for r := range d {
		if v := d[r].Load(); v != 0 {
			m[DropReason(r)] += v
		}
	}
}

// Count is a packet and byte count.
type Count struct {
	Packets uint64 `json:"packets"`
	Bytes   uint64 `json:"bytes"`
}

// Drops is a count of dropped packets by reason.
type Drops map[DropReason]uint64

// MarshalJSON encodes d as an object keyed by reason name, with every
// reason, zeros included, so that a script finds every key.
func (d Drops) MarshalJSON() ([]byte, error) {
	m := make(map[string]uint64, numDropReasons)
	for r := range numDropReasons {
		m[r.String()] = d[r]
	}
	return json.Marshal(m)
}

// UnmarshalJSON decodes an object keyed by reason name.
func (d *Drops) UnmarshalJSON(b []byte) error {
	var m map[string]uint64
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*d = make(Drops, len(m))
	for name, v := range m {
		for r, n := range dropNames {
			if n == name {
				(*d)[DropReason(r)] = v
			}
		}
	}
	return nil
}

// Total returns the number of drops for every reason.
func (d Drops) Total() uint64 {
	var t uint64
	for _, v := range d {
		t += v
	}
	return t
}
