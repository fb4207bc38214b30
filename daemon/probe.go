package daemon

import (
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
	"time"

	"github.com/vpcsim/vpcsim/router"
	"github.com/vpcsim/vpcsim/tun"
)

// PingResult is the outcome of one ping from a host, with the drops the
// routers counted while it ran.
type PingResult struct {
	From  string                  `json:"from"`
	To    netip.Addr              `json:"to"`
	OK    bool                    `json:"ok"`
	Drops map[string]router.Drops `json:"drops"` // by VPC, only those that moved
}

// Reason explains a failed ping by the drops it caused, e.g.
// "dropped in vpc2: no_route".
func (r PingResult) Reason() string {
	if r.OK {
		return ""
	}
	var parts []string
	for vpc, ds := range r.Drops {
		for reason := range ds {
			parts = append(parts, fmt.Sprintf("dropped in %s: %s", vpc, reason))
		}
	}
	if len(parts) == 0 {
		return "no reply"
	}
	return strings.Join(parts, "; ")
}

// Ping sends count ICMP echo requests from host to dst with the real ping
// command, and reports whether replies came back and what the routers dropped
// meanwhile. Other traffic running at the same time shows in the drops too.
func (d *Daemon) Ping(ctx context.Context, host string, dst netip.Addr, count int) (PingResult, error) {
	return d.ping(ctx, host, dst, []string{"-c", fmt.Sprint(count), "-i", "0.2", "-W", "1"})
}

// ping runs ping with the options opts from host to dst.
func (d *Daemon) ping(ctx context.Context, host string, dst netip.Addr, opts []string) (PingResult, error) {
	res := PingResult{From: host, To: dst}
	before := d.Network.Stats()
	args := append([]string{"-n", "-q"}, opts...)
	cmd := tun.ExecContext(ctx, d.Topology.Namespace(host), "ping", append(args, dst.String())...)
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		return res, fmt.Errorf("ping from %s: %w", host, err)
	}
	res.OK = err == nil
	time.Sleep(10 * time.Millisecond) // let a late drop be counted
	res.Drops = dropsMoved(before, d.Network.Stats())
	return res, nil
}

// dropsMoved returns, per VPC, the drop reasons whose counters grew.
func dropsMoved(before, after router.Stats) map[string]router.Drops {
	old := make(map[string]router.Drops)
	for _, v := range before.VPCs {
		old[v.VPC] = v.Drops
	}
	moved := make(map[string]router.Drops)
	for _, v := range after.VPCs {
		for reason, n := range v.Drops {
			if d := n - old[v.VPC][reason]; d > 0 {
				if moved[v.VPC] == nil {
					moved[v.VPC] = make(router.Drops)
				}
				moved[v.VPC][reason] = d
			}
		}
	}
	return moved
}
