package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/vpcsim/vpcsim/control"
)

func newEventsCmd(opts *options) *cobra.Command {
	var follow bool
	var after uint64
	var limit int
	cmd := &cobra.Command{
		Use:   "events [-f] [--after N] [--limit N]",
		Short: "List the journal of control changes: time, account, operation, target, result",
		Long: `List the journal of the running topology: every control change (peering
created, accepted, rejected, deleted, expired; route added, replaced or deleted), the
refused ones with their error code, and the launches and resumes of its
daemon, in order. The journal is saved with the state, so it survives the
daemon; it keeps the last 10,000 events.

The acting account sees the changes it made and those of peerings it takes
part in. With -f, events are printed as they happen until Ctrl-C; with -o
json, one JSON object per line.`,
		Example: `  vpcsim events
  vpcsim events -f
  vpcsim events --account 200000000002 -o json | jq 'select(.result == "refused")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if limit < 0 {
				return usageErrorf("invalid --limit %d: want a number of events, 0 for all", limit)
			}
			c, err := dialTopology(opts)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			w := &eventWriter{opts: opts}
			if follow {
				return c.FollowEvents(ctx, after, w.write)
			}
			evs, err := c.Events(ctx, after, limit)
			if err != nil {
				return err
			}
			if opts.output == "json" {
				return printJSON(opts.stdout, evs)
			}
			if len(evs) == 0 {
				fmt.Fprintln(opts.stdout, "No events.")
				return nil
			}
			for _, e := range evs {
				if err := w.write(e); err != nil {
					return err
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&follow, "follow", "f", false, "print new events as they happen, until interrupted")
	f.Uint64Var(&after, "after", 0, "only events after the one numbered N")
	f.IntVar(&limit, "limit", 0, "only the last N events (0: all)")
	return cmd
}

// eventWriter prints events as aligned lines (or JSON lines), the header
// before the first.
type eventWriter struct {
	opts   *options
	header bool
}

func (w *eventWriter) write(e control.Event) error {
	if w.opts.output == "json" {
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w.opts.stdout, "%s\n", b)
		return err
	}
	if !w.header {
		fmt.Fprintf(w.opts.stdout, "%-5s %-20s %-12s %-15s %-28s %s\n", "SEQ", "TIME", "ACCOUNT", "OPERATION", "TARGET", "RESULT")
		w.header = true
	}
	result := e.Result
	if e.Detail != "" {
		result += " " + e.Detail
	}
	if e.Code != "" {
		result += " " + string(e.Code) + ": " + e.Message
	}
	_, err := fmt.Fprintf(w.opts.stdout, "%-5d %-20s %-12s %-15s %-28s %s\n", e.Seq, e.Time.UTC().Format(time.RFC3339),
		cells(orDash(e.Account)), e.Op, cells(e.Target), cells(result))
	return err
}
