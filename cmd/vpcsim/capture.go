package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
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
		Example: `  vpcsim capture --peering pcx-1 -w peering.pcapng --duration 10s
  vpcsim capture --host a1 --count 20 | tcpdump -n -r -
  vpcsim capture --peering PeerConn -w - | tshark -r - -Y icmp`,
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
			out, closeOut, err := captureOutput(opts, file)
			if err != nil {
				return err
			}
			defer closeOut()
			c, err := dialTopology(opts)
			if err != nil {
				return err
			}
			req := api.CaptureRequest{Peering: peering, Host: host, Count: count, Duration: duration}
			sum, err := c.Capture(cmd.Context(), req, out, func() {
				what := "peering " + peering
				if host != "" {
					what = "host " + host
				}
				fmt.Fprintf(opts.stderr, "capturing %s; Ctrl-C to stop\n", what)
			})
			if err != nil {
				return err
			}
			if err := closeOut(); err != nil {
				return err
			}
			fmt.Fprintln(opts.stderr, captureSummary(sum))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&peering, "peering", "", "capture both directions of this active peering")
	f.StringVar(&host, "host", "", "capture this host's interface")
	f.StringVarP(&file, "write", "w", "", `write pcapng to FILE ("-": standard output; default: standard output unless it is a terminal)`)
	f.IntVarP(&count, "count", "c", 0, "stop after N packets (0: no limit)")
	f.DurationVar(&duration, "duration", 0, "stop after this long (0: no limit)")
	completeFlag(cmd, opts, "peering", completePeerings)
	completeFlag(cmd, opts, "host", completeHosts)
	return cmd
}

// captureOutput opens where the pcapng stream of -w FILE goes and returns
// the function that closes it (idempotent).
func captureOutput(opts *options, file string) (io.Writer, func() error, error) {
	none := func() error { return nil }
	switch file {
	case "":
		if isTerminal(opts.stdout) {
			return nil, none, usageErrorf("capture: standard output is a terminal; give -w FILE, or -w - to write pcapng there anyway")
		}
		return opts.stdout, none, nil
	case "-":
		return opts.stdout, none, nil
	}
	f, err := os.Create(file)
	if err != nil {
		return nil, none, control.Errorf(control.CodeInvalidParameter, "capture: %v", err)
	}
	var once sync.Once
	var cerr error
	return f, func() error { once.Do(func() { cerr = f.Close() }); return cerr }, nil
}

// captureSummary describes a capture for the summary line.
func captureSummary(s api.CaptureSummary) string {
	if s.Interrupted {
		return fmt.Sprintf("capture interrupted after %d bytes", s.Bytes)
	}
	return fmt.Sprintf("%d packets captured, %d dropped by the capture", s.Written, s.Dropped)
}

// isTerminal reports whether the stream s is a terminal.
func isTerminal(s any) bool {
	f, ok := s.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
