package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/topology"
)

// dialTopology returns a client of the running topology the command acts on:
// --topology, or the only one running. Sockets live in api.SocketDir
// ($VPCSIM_RUN_DIR or /run/vpcsim).
func dialTopology(opts *options) (*api.Client, error) {
	dir := api.SocketDir()
	if name := opts.topology; name != "" {
		if err := checkTopologyName("--topology", name); err != nil {
			return nil, err
		}
		path := api.SocketPath(name)
		if _, err := os.Stat(path); err != nil {
			return nil, control.Errorf(control.CodeTopologyNotRunning, "topology %q is not running (no socket %s)", name, path)
		}
		return api.NewClient(path, opts.account), nil
	}
	socks, err := filepath.Glob(filepath.Join(dir, "*.sock"))
	if err != nil {
		return nil, err
	}
	switch len(socks) {
	case 0:
		return nil, errNoTopology
	case 1:
		return api.NewClient(socks[0], opts.account), nil
	}
	names := make([]string, len(socks))
	for i, s := range socks {
		names[i] = strings.TrimSuffix(filepath.Base(s), ".sock")
	}
	return nil, control.Errorf(control.CodeMissingParameter, "%d topologies are running (%s); choose one with --topology", len(names), strings.Join(names, ", "))
}

// checkTopologyName checks a topology name given on the command line as
// what (--topology, NAME): a name no topology can have is a usage error.
func checkTopologyName(what, name string) error {
	if topology.CheckName(name) != nil {
		return usageErrorf("invalid %s %q: a topology name is 1 to %d lowercase letters, digits and '-'", what, name, topology.MaxNameLen)
	}
	return nil
}

// call dials the topology the command acts on (see dialTopology) and
// returns what fn asks of it.
func call[T any](cmd *cobra.Command, opts *options, fn func(context.Context, *api.Client) (T, error)) (T, error) {
	c, err := dialTopology(opts)
	if err != nil {
		var zero T
		return zero, err
	}
	return fn(cmd.Context(), c)
}

// errNoTopology is what a command that needs a running topology says when
// none runs.
var errNoTopology = control.Errorf(control.CodeTopologyNotRunning, `no topology is running; start one with "vpcsim up"`)

// printJSON writes v to w as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printRows prints items as JSON (one as an object when single is set, else
// an array) or as a table of header and one row per item (see cells); none
// prints empty.
func printRows[T any](opts *options, items []T, single bool, empty, header string, row func(T) string) error {
	if opts.output == "json" {
		if single && len(items) == 1 {
			return printJSON(opts.stdout, items[0])
		}
		return printJSON(opts.stdout, items)
	}
	if len(items) == 0 {
		_, err := fmt.Fprintln(opts.stdout, empty)
		return err
	}
	tw := newTable(opts.stdout)
	fmt.Fprintln(tw, header)
	for _, it := range items {
		fmt.Fprintln(tw, row(it))
	}
	return tw.Flush()
}

// cells returns a table row of values: each formatted with %v and made
// printable (topology.Printable: names and ids come from other accounts
// too, and a control character must not reach the terminal), joined with
// tabs.
func cells(values ...any) string {
	var b strings.Builder
	for i, v := range values {
		if i > 0 {
			b.WriteByte('\t')
		}
		b.WriteString(topology.Printable(fmt.Sprint(v)))
	}
	return b.String()
}

// row writes cells(values...) as a line of the table tw.
func row(tw io.Writer, values ...any) {
	fmt.Fprintln(tw, cells(values...))
}

// newTable returns a tabwriter for aligned columns; Flush it.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

// orDash returns s, or "-" when it is empty, for table cells.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// formatTime formats t for tables: RFC 3339 in UTC, "-" when absent.
func formatTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
