package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vpcsim/vpcsim/bench"
)

func newBenchCmd(opts *options) *cobra.Command {
	var (
		mtus     []int
		duration time.Duration
		subjects []string
		scale    []int
		busyPoll time.Duration
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure forwarding beside the kernel and a bare TUN loop, in one run",
		Long: `bench builds, at each MTU, these paths between a client and a server namespace
and measures each with iperf3 (one TCP stream; small UDP datagrams) and ping:

  kernel       two veth pairs through a router namespace with ip_forward on
  bare-tun     two TUN devices joined by a minimal Go copy loop, no routing
  vpcsim       two VPC routers and a peering, as vpcsim up launches them
  vpcsim-busy  the same, launched with --busy-poll (see vpcsim up --help)

It prints the figures and the ratios of each subject to bare-tun and kernel.
With --scale it also launches chains of N VPCs (one host each, a peering
between neighbours) and reports launch time, resident memory and tear-down
time. Everything it creates is removed, even when interrupted.`,
		Example: `  vpcsim bench
  vpcsim bench --mtu 1500 --duration 3s -o json
  vpcsim bench --subjects vpcsim --scale 10,100,500`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if busyPoll <= 0 {
				return usageErrorf("invalid --busy-poll %v: must be positive", busyPoll)
			}
			byName := map[string]bench.Subject{
				"kernel": bench.Kernel{}, "bare-tun": bench.BareTUN{},
				"vpcsim": bench.VPCSim{}, "vpcsim-busy": bench.VPCSim{BusyPoll: busyPoll},
			}
			var ss []bench.Subject
			for _, name := range subjects {
				s, ok := byName[name]
				if !ok {
					return usageErrorf("unknown subject %q: want kernel, bare-tun, vpcsim or vpcsim-busy", name)
				}
				ss = append(ss, s)
			}
			ctx := cmd.Context()
			defer bench.Cleanup(context.WithoutCancel(ctx), bench.ProcessPrefix())
			out := struct {
				Forwarding *bench.Report       `json:"forwarding,omitempty"`
				Scale      []bench.ScaleResult `json:"scale,omitempty"`
			}{}
			var runErr error
			if len(ss) > 0 {
				out.Forwarding, runErr = bench.Run(ctx, bench.Config{Subjects: ss, MTUs: mtus, Duration: duration, Progress: opts.stderr})
			}
			if runErr == nil && len(scale) > 0 {
				out.Scale, runErr = bench.Scale(ctx, bench.LaunchChain, scale, opts.stderr)
			}
			if opts.output == "json" {
				if err := printJSON(opts.stdout, out); err != nil {
					return err
				}
				return runErr
			}
			if out.Forwarding != nil {
				fmt.Fprintf(opts.stdout, "forwarding, %d CPUs, %s per iperf3 test (subjects: %s)\n",
					out.Forwarding.CPUs, duration, strings.Join(subjects, ", "))
				if slices.Contains(subjects, "vpcsim-busy") {
					fmt.Fprintf(opts.stdout, "vpcsim-busy: vpcsim up --busy-poll %v\n", busyPoll)
				}
				fmt.Fprintln(opts.stdout)
				if err := out.Forwarding.WriteTable(opts.stdout); err != nil {
					return err
				}
			}
			if len(out.Scale) > 0 {
				fmt.Fprintln(opts.stdout, "\nscale: chains of VPCs, one host each")
				if err := bench.WriteScaleTable(opts.stdout, out.Scale); err != nil {
					return err
				}
			}
			if errors.Is(runErr, context.Canceled) {
				return errors.New("interrupted; partial results above, everything created was removed")
			}
			return runErr
		},
	}
	f := cmd.Flags()
	f.IntSliceVar(&mtus, "mtu", bench.DefaultMTUs, "MTUs to measure at")
	f.DurationVar(&duration, "duration", bench.DefaultDuration, "length of each iperf3 test")
	f.StringSliceVar(&subjects, "subjects", []string{"kernel", "bare-tun", "vpcsim", "vpcsim-busy"}, "paths to measure: kernel, bare-tun, vpcsim, vpcsim-busy (none: skip)")
	f.DurationVar(&busyPoll, "busy-poll", 50*time.Millisecond, "the --busy-poll of the vpcsim-busy subject")
	f.IntSliceVar(&scale, "scale", nil, "also launch chains of this many VPCs, e.g. 10,100,500")
	return cmd
}
