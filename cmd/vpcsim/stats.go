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
	cmd := &cobra.Command{
		Use:   "stats [--watch [--interval 1s]]",
		Short: "Show packet, byte and drop counters per VPC, peering direction and host",
		Long: `Show the data plane's counters: per VPC router what it received from its hosts
and what it dropped, by reason; per peering direction what crossed it; per host
what its interface sent (RX, as the router receives it) and was delivered (TX).

Drop reason columns appear for reasons with a non-zero count in some VPC.
With --watch the table is redrawn every --interval until Ctrl-C; with -o json
--watch prints one JSON object per line instead.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if interval <= 0 {
				return usageErrorf("invalid --interval %v: want a positive duration", interval)
			}
			c, err := dialTopology(opts)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if !watch {
				st, err := c.Stats(ctx)
				if err != nil {
					return err
				}
				if opts.output == "json" {
					return printJSON(opts.stdout, st)
				}
				writeStats(opts.stdout, st)
				return nil
			}
			return watchStats(ctx, c, opts, interval)
		},
	}
	cmd.Flags().BoolVar(&watch, "watch", false, "redraw every --interval until interrupted")
	cmd.Flags().DurationVar(&interval, "interval", time.Second, "refresh interval of --watch")
	return cmd
}

// watchStats redraws the counters every interval until ctx is done.
func watchStats(ctx context.Context, c *api.Client, opts *options, interval time.Duration) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		st, err := c.Stats(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		if opts.output == "json" {
			b, err := json.Marshal(st)
			if err != nil {
				return err
			}
			fmt.Fprintf(opts.stdout, "%s\n", b)
		} else {
			var b strings.Builder
			b.WriteString(clearScreen)
			fmt.Fprintf(&b, "%s  every %v, Ctrl-C to stop\n\n", time.Now().Format(time.TimeOnly), interval)
			writeStats(&b, st)
			io.WriteString(opts.stdout, b.String())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// writeStats prints the counters as three tables: VPCs, peering directions
// and hosts.
func writeStats(w io.Writer, st router.Stats) {
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
	tw := newTable(w)
	fmt.Fprint(tw, "VPC\tPACKETS\tBYTES\tDROPS")
	for _, r := range reasons {
		fmt.Fprintf(tw, "\t%s", strings.ToUpper(r.String()))
	}
	fmt.Fprintln(tw)
	for _, v := range st.VPCs {
		fmt.Fprint(tw, cells(v.VPC, v.Received.Packets, v.Received.Bytes, v.Drops.Total()))
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
		fmt.Fprintln(tw, "PEERING\tDIRECTION\tPACKETS\tBYTES\tDROPS")
		for _, l := range st.Links {
			row(tw, l.Peering, l.From+"->"+l.To, l.Count.Packets, l.Count.Bytes, formatDrops(l.Drops))
		}
		tw.Flush()
	}

	fmt.Fprintln(w)
	fmt.Fprintln(tw, "HOST\tVPC\tRX PACKETS\tRX BYTES\tTX PACKETS\tTX BYTES\tREAD ERRORS\tDEVICE")
	for _, h := range st.Hosts {
		row(tw, h.Host, h.VPC, h.RX.Packets, h.RX.Bytes, h.TX.Packets, h.TX.Bytes, h.ReadErrors, deviceState(h.DeviceGone))
	}
	tw.Flush()
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
