package main

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"time"

	"github.com/spf13/cobra"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/bench"
	"github.com/vpcsim/vpcsim/daemon"
	"github.com/vpcsim/vpcsim/examples"
	"github.com/vpcsim/vpcsim/explain"
	"github.com/vpcsim/vpcsim/intent"
	"github.com/vpcsim/vpcsim/topology"
)

func newDemoCmd(opts *options) *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "A guided tour: launch, reachability matrix, iperf3, routes at both ends, non-transitivity",
		Long: `demo launches the product documentation's best-practice topology (VPC1
192.168.1.0/24 and VPC2 10.0.1.0/24 joined by peering PeerConn), shows the
reachability of every pair of hosts as "vpcsim reach --probe" does (analysis
and real pings), runs iperf3 through the peering, removes one side's route to
show that both ends need one, then launches the non-transitive example to
show that a peering never carries transit. Everything it creates is removed
at the end.`,
		Example: `  vpcsim demo
  vpcsim demo 2>&1 | tee demo.log`,
		Args:        cobra.NoArgs,
		Annotations: textOnly,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDemo(cmd.Context(), opts.stdout)
		},
	}
}

func runDemo(ctx context.Context, w io.Writer) error {
	for _, tool := range []string{"ping", "iperf3"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is not installed (Debian: apt-get install iputils-ping iperf3; or run \"make demo\")", tool)
		}
	}
	section := func(title string) { fmt.Fprintf(w, "\n== %s\n\n", title) }

	section("1. Launch the best-practice topology (the product doc's scenario)")
	t, err := topology.Parse("best-practice.yaml", examples.BestPractice())
	if err != nil {
		return err
	}
	d, err := daemon.Launch(ctx, t, daemon.Options{Progress: w, Listen: true})
	if err != nil {
		return err
	}
	defer d.Close()

	section("2. Reachability: every host to every other, by analysis and real pings (vpcsim reach --probe)")
	if err := demoReach(ctx, w, d); err != nil {
		return err
	}

	section("3. iperf3 through peering pcx-1 (a1 -> b1, TCP, 3 s)")
	if err := demoIperf(ctx, w, d, "a1", "b1"); err != nil {
		fmt.Fprintf(w, "iperf3 failed: %v\n", err)
	}

	section("4. Delete VPC2's route back to VPC1: both directions break")
	fmt.Fprintln(w, "$ vpcsim route delete --table vpc2-default --destination 192.168.1.0/24")
	if _, err := d.State.DeleteRoute("", "vpc2-default", "192.168.1.0/24"); err != nil {
		return err
	}
	if err := demoReach(ctx, w, d); err != nil {
		return err
	}
	fmt.Fprintln(w, "\n$ vpcsim explain a1 b1")
	res, err := d.Explain(ctx, "", api.ExplainRequest{Request: explain.Request{Source: "a1", Destination: "b1", Protocol: explain.ICMP}})
	if err != nil {
		return err
	}
	if err := writeExplain(w, res); err != nil {
		return err
	}
	fmt.Fprintln(w, "\n$ vpcsim route add --table vpc2-default --destination 192.168.1.0/24 --peering pcx-1")
	if _, err := d.State.AddRoute("", "vpc2-default", "192.168.1.0/24", "pcx-1"); err != nil {
		return err
	}
	if err := demoReach(ctx, w, d); err != nil {
		return err
	}
	if err := d.Close(); err != nil {
		return err
	}

	section("5. Non-transitive: VPC1 peers with VPC2 and VPC3; VPC2 and VPC3 never talk")
	t, err = topology.Parse("non-transitive.yaml", mustExample("non-transitive.yaml"))
	if err != nil {
		return err
	}
	d, err = daemon.Launch(ctx, t, daemon.Options{Progress: w})
	if err != nil {
		return err
	}
	defer d.Close()
	fmt.Fprintln(w)
	if err := demoReach(ctx, w, d); err != nil {
		return err
	}
	section("6. Tear down")
	if err := d.Close(); err != nil {
		return err
	}
	fmt.Fprintln(w, "every namespace, socket and record is removed")
	return nil
}

func mustExample(name string) []byte {
	b, err := examples.FS.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time
	}
	return b
}

// demoReach shows the reachability matrix of d's hosts with real pings,
// as vpcsim reach --probe does.
func demoReach(ctx context.Context, w io.Writer, d *daemon.Daemon) error {
	fmt.Fprintln(w, "$ vpcsim reach --probe")
	return runReach(ctx, w, "table", daemonExplainer{d: d}, intent.Hosts(d.Topology), reachOptions{probe: true})
}

// demoIperf runs a short iperf3 TCP test from client to server.
func demoIperf(ctx context.Context, w io.Writer, d *daemon.Daemon, client, server string) error {
	_, h := d.Topology.Host(server)
	ep := &bench.Endpoints{ClientNS: d.Topology.Namespace(client), ServerNS: d.Topology.Namespace(server), ServerIP: h.IP}
	st, err := bench.RunTCP(ctx, ep, 3*time.Second)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s -> %s: %.2f Gbit/s, %d retransmits\n", client, server, st.BitsPerSecond/1e9, st.Retransmits)
	return nil
}
