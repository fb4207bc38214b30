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

// benchFlags are the settings of vpcsim bench.
type benchFlags struct {
	mtus     []int
	duration time.Duration
	subjects []string
	pairs    int
	scale    []int
	busyPoll time.Duration
}

// benchResults is what vpcsim bench measured.
type benchResults struct {
	Forwarding *bench.Report       `json:"forwarding,omitempty"`
	Scale      []bench.ScaleResult `json:"scale,omitempty"`
}

func newBenchCmd(opts *options) *cobra.Command {
	var bf benchFlags
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure forwarding beside the kernel and a bare TUN loop, in one run",
		Long: `bench builds, at each MTU, --pairs client/server pairs joined by each of these
paths and measures them with iperf3 and ping:

  kernel             two veth pairs through a router namespace with ip_forward on
  bare-tun           two TUN devices joined by a minimal Go copy loop, no routing
  vpcsim             two VPC routers and a peering per pair, all pairs in one
                     topology, as vpcsim up launches them
  vpcsim-busy        the same, launched with --busy-poll (see vpcsim up --help)
  vpcsim-1lane       vpcsim with one lane and one TUN queue per host: one
                     poller reads every host, as before lanes
  vpcsim-1lane-busy  the same with --busy-poll

On the first pair: one TCP stream, four, small UDP datagrams, ping. Then a
stream in every pair at once; and the first pair's stream and ping while the
other pairs carry a stream each. It prints the figures, the ratios of each
subject to bare-tun and kernel, and the targets each vpcsim subject met.
With --scale it also launches chains of N VPCs (one host each, a peering
between neighbours) and reports launch time, resident memory and tear-down
time. Everything it creates is removed, even when interrupted.`,
		Example: `  vpcsim bench
  vpcsim bench --mtu 1500 --duration 3s -o json
  vpcsim bench --subjects kernel,vpcsim,vpcsim-1lane --pairs 4
  vpcsim bench --subjects vpcsim --pairs 1 --scale 10,100,500`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ss, err := bf.subjectsToRun()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			defer bench.Cleanup(context.WithoutCancel(ctx), bench.ProcessPrefix())
			var res benchResults
			if len(ss) > 0 {
				res.Forwarding, err = bench.Run(ctx, bench.Config{Subjects: ss, MTUs: bf.mtus, Pairs: bf.pairs, Duration: bf.duration, Progress: opts.stderr})
			}
			if err == nil && len(bf.scale) > 0 {
				res.Scale, err = bench.Scale(ctx, bench.LaunchChain, bf.scale, opts.stderr)
			}
			if werr := writeBench(opts, bf, res); werr != nil {
				return werr
			}
			if errors.Is(err, context.Canceled) {
				return errors.New("interrupted; partial results above, everything created was removed")
			}
			return err
		},
	}
	f := cmd.Flags()
	f.IntSliceVar(&bf.mtus, "mtu", bench.DefaultMTUs, "MTUs to measure at")
	f.DurationVar(&bf.duration, "duration", bench.DefaultDuration, "length of each iperf3 test")
	f.StringSliceVar(&bf.subjects, "subjects", []string{"kernel", "bare-tun", "vpcsim", "vpcsim-busy"}, "paths to measure: kernel, bare-tun, vpcsim, vpcsim-busy, vpcsim-1lane, vpcsim-1lane-busy (none: skip)")
	f.IntVar(&bf.pairs, "pairs", bench.DefaultPairs, "client/server pairs per path, 1..16 (1: the first pair's figures only)")
	f.DurationVar(&bf.busyPoll, "busy-poll", 50*time.Millisecond, "the --busy-poll of the vpcsim-busy subject")
	f.IntSliceVar(&bf.scale, "scale", nil, "also launch chains of this many VPCs, e.g. 10,100,500")
	return cmd
}

// subjectsToRun returns the subjects --subjects names.
func (bf benchFlags) subjectsToRun() ([]bench.Subject, error) {
	if bf.busyPoll <= 0 {
		return nil, usageErrorf("invalid --busy-poll %v: must be positive", bf.busyPoll)
	}
	if bf.pairs < 1 || bf.pairs > 16 {
		return nil, usageErrorf("invalid --pairs %d: want 1..16", bf.pairs)
	}
	byName := map[string]bench.Subject{
		"kernel": bench.Kernel{}, "bare-tun": bench.BareTUN{},
		"vpcsim": bench.VPCSim{}, "vpcsim-busy": bench.VPCSim{BusyPoll: bf.busyPoll},
		"vpcsim-1lane": bench.VPCSim{Lanes: 1}, "vpcsim-1lane-busy": bench.VPCSim{Lanes: 1, BusyPoll: bf.busyPoll},
	}
	var ss []bench.Subject
	for _, name := range bf.subjects {
		s, ok := byName[name]
		if !ok {
			return nil, usageErrorf("unknown subject %q: want kernel, bare-tun, vpcsim, vpcsim-busy, vpcsim-1lane or vpcsim-1lane-busy", name)
		}
		ss = append(ss, s)
	}
	return ss, nil
}

// writeBench prints what bench measured, as tables or JSON.
func writeBench(opts *options, bf benchFlags, res benchResults) error {
	if opts.output == "json" {
		return printJSON(opts.stdout, res)
	}
	if res.Forwarding != nil {
		fmt.Fprintf(opts.stdout, "forwarding, %d CPUs, %s per iperf3 test (subjects: %s)\n",
			res.Forwarding.CPUs, bf.duration, strings.Join(bf.subjects, ", "))
		if slices.ContainsFunc(bf.subjects, func(s string) bool { return strings.HasSuffix(s, "-busy") }) {
			fmt.Fprintf(opts.stdout, "-busy: vpcsim up --busy-poll %v\n", bf.busyPoll)
		}
		fmt.Fprintln(opts.stdout)
		if err := res.Forwarding.WriteTable(opts.stdout); err != nil {
			return err
		}
	}
	if len(res.Scale) > 0 {
		fmt.Fprintln(opts.stdout, "\nscale: chains of VPCs, one host each")
		return bench.WriteScaleTable(opts.stdout, res.Scale)
	}
	return nil
}
