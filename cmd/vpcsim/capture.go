package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/daemon"
)

func newCaptureCmd(opts *options) *cobra.Command {
	var peering, host, file string
	var count int
	var duration time.Duration
	cmd := &cobra.Command{
		Use:   "capture (--peering ID | --host NAME) [-w FILE|-] [--count N] [--duration D]",
		Short: "Capture the packets of a peering or a host interface as pcapng",
		Long: `Capture what crosses a peering (both directions, as pcapng interfaces
"ID VPC->PEER" and "ID PEER->VPC") or a host's interface ("HOST out": what the
host sends, "HOST in": what the router delivers to it), until --count packets
are captured, --duration has passed, or Ctrl-C.

The pcapng stream goes to -w FILE, or to standard output with -w - (the
default when standard output is not a terminal), so it pipes into
"tcpdump -r -" or "tshark -r -". A summary goes to standard error.

The acting account must own one of the peering's VPCs, or the host's VPC.
Capturing costs the forwarding path nothing while no capture is attached; a
capture that cannot keep up loses captured packets (counted in the summary),
never forwarded ones.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if (peering == "") == (host == "") {
				return usageErrorf("capture: give exactly one of --peering and --host")
			}
			if count < 0 {
				return usageErrorf("invalid --count %d: want a number of packets, 0 for no limit", count)
			}
			if duration < 0 {
				return usageErrorf("invalid --duration %v: want a positive duration, 0 for no limit", duration)
			}
			var out io.Writer
			switch file {
			case "":
				if isTerminal(opts.stdout) {
					return usageErrorf("capture: standard output is a terminal; give -w FILE, or -w - to write pcapng there anyway")
				}
				out = opts.stdout
			case "-":
				out = opts.stdout
			default:
				f, err := os.Create(file)
				if err != nil {
					return err
				}
				defer f.Close()
				out = f
			}
			c, err := dialTopology(opts)
			if err != nil {
				return err
			}
			q := url.Values{}
			if peering != "" {
				q.Set("peering", peering)
			} else {
				q.Set("host", host)
			}
			if count > 0 {
				q.Set("count", strconv.Itoa(count))
			}
			if duration > 0 {
				q.Set("duration", duration.String())
			}
			started := func() {
				what := "peering " + peering
				if host != "" {
					what = "host " + host
				}
				fmt.Fprintf(opts.stderr, "capturing %s; Ctrl-C to stop\n", what)
			}
			sum, err := streamCapture(cmd.Context(), c.Socket(), opts.account, q, out, started)
			if err != nil {
				return err
			}
			if f, ok := out.(*os.File); ok && file != "" && file != "-" {
				if err := f.Close(); err != nil {
					return err
				}
			}
			fmt.Fprintln(opts.stderr, sum)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&peering, "peering", "", "capture both directions of this active peering")
	f.StringVar(&host, "host", "", "capture this host's interface")
	f.StringVarP(&file, "write", "w", "", `write pcapng to FILE ("-": standard output; default: standard output unless it is a terminal)`)
	f.IntVarP(&count, "count", "c", 0, "stop after N packets (0: no limit)")
	f.DurationVar(&duration, "duration", 0, "stop after this long (0: no limit)")
	return cmd
}

// captureSummary is what the daemon reports at the end of a capture.
type captureSummary struct {
	written, dropped uint64
	bytes            int64 // of pcapng copied
	interrupted      bool  // ctx ended the capture before the daemon did
}

// streamCapture asks the daemon on socket for a capture and copies the
// pcapng stream to out until the daemon ends it or ctx is done. started is
// called once the capture runs.
func streamCapture(ctx context.Context, socket, account string, q url.Values, out io.Writer, started func()) (captureSummary, error) {
	hc := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		},
		DisableCompression: true,
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://vpcsim/v1/capture?"+q.Encode(), nil)
	if err != nil {
		return captureSummary{}, err
	}
	if account != "" {
		req.Header.Set(api.AccountHeader, account)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return captureSummary{}, fmt.Errorf("talk to the topology at %s: %w", socket, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e control.Error
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if json.Unmarshal(data, &e) == nil && e.Code != "" {
			return captureSummary{}, &e
		}
		return captureSummary{}, fmt.Errorf("capture: %s", resp.Status)
	}
	started()
	n, err := io.Copy(out, resp.Body)
	sum := captureSummary{bytes: n}
	if err != nil {
		if ctx.Err() != nil {
			// Interrupted: what was copied is a valid capture up to the
			// last whole block; the daemon's totals never came.
			sum.interrupted = true
			return sum, nil
		}
		return sum, fmt.Errorf("capture: %w", err)
	}
	sum.written, _ = strconv.ParseUint(resp.Trailer.Get(daemon.CaptureWrittenTrailer), 10, 64)
	sum.dropped, _ = strconv.ParseUint(resp.Trailer.Get(daemon.CaptureDroppedTrailer), 10, 64)
	return sum, nil
}

// String describes the capture for the summary line.
func (s captureSummary) String() string {
	if s.interrupted {
		return fmt.Sprintf("capture interrupted after %d bytes", s.bytes)
	}
	return fmt.Sprintf("%d packets captured, %d dropped by the capture", s.written, s.dropped)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
