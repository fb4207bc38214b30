package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/router"
)

// clearScreen moves the cursor home and clears the terminal (ANSI).
const clearScreen = "\x1b[H\x1b[2J"

func newStatsCmd(opts *options) *cobra.Command {
	var watch bool
	var interval time.Duration
	var f api.StatsFilter
	cmd := &cobra.Command{
		Use:   "stats [--vpc VPC|--peering PCX|--host HOST] [--watch [--interval 1s]]",
		Short: "Show packet, byte and drop counters per VPC, peering direction and host",
		Long: `Show the data plane's counters that the acting account may see: per VPC
router what it received from its hosts and what it dropped, by reason; per
peering direction what crossed it; per host what it sent (TX) and received
(RX), from the host's point of view, as "ip -s link" in its namespace counts.
--vpc, --peering and --host keep the counters of one of them.

Drop reason columns appear for reasons with a non-zero count in some VPC.
With --watch the counters are printed every --interval until Ctrl-C, with
rates (packets and bits per second) since the previous ones; on a terminal
the screen is redrawn. With -o json --watch prints one JSON object per line,
each with its time.`,
		Example: `  vpcsim stats
  vpcsim stats --peering pcx-1 -o json
  vpcsim stats --watch --interval 2s --host a1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if interval <= 0 {
				return usageErrorf("invalid --interval %v: want a positive duration", interval)
			}
			if cmd.Flags().Changed("interval") && !watch {
				return usageErrorf("--interval goes with --watch")
			}
			c, err := dialTopology(opts)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if !watch {
				st, err := c.Stats(ctx, f)
				if err != nil {
					return err
				}
				if opts.output == "json" {
					return printJSON(opts.stdout, st)
				}
				writeStats(opts.stdout, st, nil, 0)
				return nil
			}
			return watchStats(ctx, c, f, opts, interval)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&watch, "watch", false, "print again every --interval, with rates, until interrupted")
	fl.DurationVar(&interval, "interval", time.Second, "refresh interval of --watch")
	fl.StringVar(&f.VPC, "vpc", "", "only this VPC's router, hosts and peering directions")
	fl.StringVar(&f.Peering, "peering", "", "only this peering's two directions (by id or name)")
	fl.StringVar(&f.Host, "host", "", "only this host")
	completeFlag(cmd, opts, "vpc", completeVPCs)
	completeFlag(cmd, opts, "peering", completePeerings)
	completeFlag(cmd, opts, "host", completeHosts)
	return cmd
}

// statsSample is a line of stats --watch -o json: the counters and when.
type statsSample struct {
	Time time.Time `json:"time"`
	api.Stats
}

// watchStats prints the counters every interval until ctx is done: on a
// terminal the screen is redrawn, elsewhere the tables follow each other.
func watchStats(ctx context.Context, c *api.Client, f api.StatsFilter, opts *options, interval time.Duration) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	tty := isTerminal(opts.stdout)
	var prev *api.Stats
	var prevAt time.Time
	for {
		st, err := c.Stats(ctx, f)
		at := time.Now()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		if opts.output == "json" {
			b, err := json.Marshal(statsSample{Time: at.UTC(), Stats: st})
			if err != nil {
				return err
			}
			fmt.Fprintf(opts.stdout, "%s\n", b)
		} else {
			var b strings.Builder
			if tty {
				b.WriteString(clearScreen)
			} else if prev != nil {
				b.WriteString("\n")
			}
			fmt.Fprintf(&b, "%s  every %v, Ctrl-C to stop\n\n", at.Format(time.TimeOnly), interval)
			writeStats(&b, st, prev, at.Sub(prevAt))
			io.WriteString(opts.stdout, b.String())
		}
		prev, prevAt = &st, at
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// writeStats prints the counters as three tables: VPCs, peering directions
// and hosts. With the counters of dt earlier (prev), it adds the rates
// since, in packets and bits per second.
func writeStats(w io.Writer, st router.Stats, prev *router.Stats, dt time.Duration) {
	// Only the reasons something was dropped for get a column.
	var reasons []router.DropReason
	for _, r := range router.DropReasons() {
		for _, v := range st.VPCs {
			if v.Drops[r] != 0 {
				reasons = append(reasons, r)
				break
			}
		}
	}
	rates := prev != nil && dt > 0
	rate := func(now, was router.Count) []any {
		if !rates {
			return nil
		}
		s := dt.Seconds()
		return []any{fmt.Sprintf("%.0f", float64(now.Packets-was.Packets)/s), formatBits(float64(now.Bytes-was.Bytes) * 8 / s)}
	}
	rateHeader := ""
	if rates {
		rateHeader = "\tPKT/S\tBIT/S"
	}
	tw := newTable(w)
	fmt.Fprint(tw, "VPC\tPACKETS\tBYTES"+rateHeader+"\tDROPS")
	for _, r := range reasons {
		fmt.Fprintf(tw, "\t%s", strings.ToUpper(r.String()))
	}
	fmt.Fprintln(tw)
	for _, v := range st.VPCs {
		var was router.Count
		if rates {
			for _, pv := range prev.VPCs {
				if pv.VPC == v.VPC {
					was = pv.Received
				}
			}
		}
		vals := append([]any{v.VPC, v.Received.Packets, v.Received.Bytes}, rate(v.Received, was)...)
		fmt.Fprint(tw, cells(append(vals, v.Drops.Total())...))
		for _, r := range reasons {
			fmt.Fprintf(tw, "\t%d", v.Drops[r])
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()

	fmt.Fprintln(w)
	if len(st.Links) == 0 {
		fmt.Fprintln(w, "no active peering")
	} else {
		fmt.Fprintln(tw, "PEERING\tDIRECTION\tPACKETS\tBYTES"+rateHeader+"\tDROPS")
		for _, l := range st.Links {
			var was router.Count
			if rates {
				for _, pl := range prev.Links {
					if pl.Peering == l.Peering && pl.From == l.From {
						was = pl.Count
					}
				}
			}
			vals := append([]any{l.Peering, l.From + "->" + l.To, l.Count.Packets, l.Count.Bytes}, rate(l.Count, was)...)
			row(tw, append(vals, formatDrops(l.Drops))...)
		}
		tw.Flush()
	}

	fmt.Fprintln(w)
	fmt.Fprintln(tw, "HOST\tVPC\tTX PACKETS\tTX BYTES\tRX PACKETS\tRX BYTES\tREAD ERRORS\tDEVICE")
	for _, h := range st.Hosts {
		row(tw, h.Host, h.VPC, h.TX.Packets, h.TX.Bytes, h.RX.Packets, h.RX.Bytes, h.ReadErrors, deviceState(h.DeviceGone))
	}
	tw.Flush()
}

// formatBits formats a rate in bits per second: "1.25 Gbit/s".
func formatBits(bps float64) string {
	for _, u := range []struct {
		div  float64
		unit string
	}{{1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if bps >= u.div {
			return fmt.Sprintf("%.2f %sbit/s", bps/u.div, u.unit)
		}
	}
	return fmt.Sprintf("%.0f bit/s", bps)
}

// formatDrops writes the total and the non-zero reasons: "3 (not_transitive 3)".
func formatDrops(d router.Drops) string {
	total := d.Total()
	if total == 0 {
		return "0"
	}
	var parts []string
	for _, r := range router.DropReasons() {
		if d[r] != 0 {
			parts = append(parts, fmt.Sprintf("%s %d", r, d[r]))
		}
	}
	return fmt.Sprintf("%d (%s)", total, strings.Join(parts, ", "))
}
