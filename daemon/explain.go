package daemon

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/vpcsim/vpcsim/explain"
	"github.com/vpcsim/vpcsim/router"
)

// probeTimeout bounds the wait for an answer to a TCP or UDP probe.
const probeTimeout = 1500 * time.Millisecond

// defaultProbePort is the port a TCP or UDP probe uses when none is given:
// discard, which nothing in a fresh namespace listens on.
const defaultProbePort = 9

// MaxProbes is how many probes (explain --probe) a daemon sends at once;
// more wait their turn. Each is a ping process or a thread in a host's
// namespace: a hundred clients asking at once must not start a hundred.
const MaxProbes = 4

// probe sends real packets for res and compares their fate with res.
func (d *Daemon) probe(ctx context.Context, res *explain.Result) *explain.Probe {
	select {
	case d.probes <- struct{}{}:
		defer func() { <-d.probes }()
	case <-ctx.Done():
		return notSent(ctx)
	}
	return d.send(ctx, res, explainProbe)
}

// notSent is the probe of a request that ended before its turn came.
func notSent(ctx context.Context) *explain.Probe {
	return &explain.Probe{Outcome: "not sent", Note: "the request ended while other probes ran: " + ctx.Err().Error()}
}

// probeStyle is how a probe sends its packets.
type probeStyle struct {
	ping    []string      // the options of ping
	timeout time.Duration // the wait for a TCP or UDP answer
	echo    bool          // a receiver echoes on the destination port
}

// explainProbe is the style of explain --probe: two echo requests, and a
// connection attempt or datagram that a reset or port unreachable answers.
var explainProbe = probeStyle{ping: []string{"-c", "2", "-i", "0.2", "-W", "1"}, timeout: probeTimeout}

// send sends the packets of a probe for res in style, and compares their
// fate with res.
func (d *Daemon) send(ctx context.Context, res *explain.Result, style probeStyle) *explain.Probe {
	p := &explain.Probe{Method: "ping"}
	switch res.Protocol {
	case explain.TCP:
		p.Method = "tcp-connect"
	case explain.UDP:
		p.Method = "udp"
	}
	if res.Source.Kind != explain.KindHost {
		p.Outcome = "not sent"
		p.Note = "the source is not a host: there is nothing to send from"
		p.Agrees = true
		return p
	}
	before := d.Network.Stats()
	switch res.Protocol {
	case explain.ICMP:
		pr, err := d.ping(ctx, res.Source.Host, res.Destination.IP, style.ping)
		if err != nil {
			p.Outcome = "not sent"
			p.Note = err.Error()
			return p
		}
		p.Sent, p.OK = true, pr.OK
		p.Outcome = "no echo reply"
		if pr.OK {
			p.Outcome = "echo reply received"
		}
	default:
		port := res.Port
		if port == 0 {
			port = defaultProbePort
		}
		dst := netip.AddrPortFrom(res.Destination.IP, uint16(port))
		ns := d.Topology.Namespace(res.Source.Host)
		out, err := sendProbe(ctx, ns, string(res.Protocol), dst, style.timeout, style.echo)
		if err != nil {
			p.Outcome = "not sent"
			p.Note = err.Error()
			return p
		}
		p.Sent, p.OK, p.Outcome = true, out.answered, out.outcome
		if res.Port == 0 {
			p.Outcome += fmt.Sprintf(" (port %d: no port was given)", port)
		}
		time.Sleep(10 * time.Millisecond) // let a late drop be counted
	}
	moved := dropsMoved(before, d.Network.Stats())
	p.Drops = dropNames(moved)
	compare(res, p, moved)
	return p
}

// compare sets p.Agrees and p.Note from the analysis res and the drop
// counters that moved.
func compare(res *explain.Result, p *explain.Probe, moved map[string]router.Drops) {
	predicted := res.Verdict == explain.Reachable
	p.Agrees = p.OK == predicted
	b := res.Forward.Blocked
	if b == nil {
		b = res.Return.Blocked
	}
	switch {
	case predicted && p.OK:
		p.Note = "the answer came back"
	case !predicted && !p.OK && b != nil && b.Drop != "":
		if counted(moved, b.DropVPC, b.Drop) {
			p.Note = fmt.Sprintf("%s counted %s drops", b.DropVPC, b.Drop)
		} else {
			p.Agrees = false
			p.Note = fmt.Sprintf("the analysis expected %s drops in %s, but the routers counted %s",
				b.Drop, b.DropVPC, describe(moved))
		}
	case !predicted && !p.OK:
		p.Note = "no answer"
	case predicted && !p.OK:
		p.Note = fmt.Sprintf("the analysis found the path open, but no answer came back; the routers counted %s", describe(moved))
		if res.Protocol == explain.UDP && len(moved) == 0 {
			p.Note = "no answer and no drop: a UDP service that stays silent looks like this; the analysis found the path open"
		}
	default:
		p.Note = "the analysis found the path blocked, but an answer came back"
	}
}

// counted reports whether the drop counter reason of vpc moved.
func counted(moved map[string]router.Drops, vpc, reason string) bool {
	for r, n := range moved[vpc] {
		if r.String() == reason && n > 0 {
			return true
		}
	}
	return false
}

// describe lists drops for a message: "no drops" or "vpc2 no_route 2".
func describe(moved map[string]router.Drops) string {
	var parts []string
	for vpc, ds := range moved {
		for r, n := range ds {
			parts = append(parts, fmt.Sprintf("%s %s %d", vpc, r, n))
		}
	}
	if len(parts) == 0 {
		return "no drops"
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// dropNames converts drop counts to names, for JSON.
func dropNames(moved map[string]router.Drops) map[string]map[string]uint64 {
	out := make(map[string]map[string]uint64, len(moved))
	for vpc, ds := range moved {
		m := make(map[string]uint64, len(ds))
		for r, n := range ds {
			m[r.String()] = n
		}
		out[vpc] = m
	}
	return out
}

// probeOutcome is what a TCP or UDP probe got back.
type probeOutcome struct {
	answered bool
	outcome  string
}
