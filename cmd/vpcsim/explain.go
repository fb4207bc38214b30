package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/explain"
	"github.com/vpcsim/vpcsim/topology"
)

func newExplainCmd(opts *options) *cobra.Command {
	var (
		protocol string
		port     int
		probe    bool
		assert   string
	)
	cmd := &cobra.Command{
		Use:   "explain SRC DST [--protocol icmp|tcp|udp] [--port N] [--probe] [--assert reachable|unreachable]",
		Short: "Explain whether and why SRC can reach DST, hop by hop, both ways",
		Long: `explain follows a packet from the host SRC to DST through the live
configuration as the routers do: the source subnet's route table and the
route that matches (longest prefix), the peering and its status, the peer
VPC (which never forwards transit traffic), the destination host or gateway.
It then follows the reply from DST back to SRC: the reply is routed by the
route table of DST's subnet, so both ends need routes.

When a path is blocked it names the component to change with a stable code:
NO_ROUTE, MISSING_RETURN_ROUTE, PEERING_NOT_ACTIVE, NOT_TRANSITIVE, NO_HOST,
GATEWAY_PROTOCOL or UNKNOWN_SOURCE.

SRC is a host name or a host's IP; DST is a host name or any IPv4 address
(a gateway, an address with no host). --probe also sends real packets from
SRC (ping; a TCP connection attempt; a UDP datagram) and reports the drop
counters that moved and whether they agree with the analysis. explain works
for the hosts of every account; the exit status is 0 whenever an
explanation was produced, reachable or not.

--assert reachable|unreachable makes it a test for scripts: the exit status
is 1 when the answer is not the one asserted, or when --probe's real packets
disagree with the analysis.`,
		Example: `  vpcsim explain a1 b1
  vpcsim explain a1 10.0.1.1 --probe
  vpcsim explain a1 b1 --protocol tcp --port 5201 -o json
  vpcsim explain h2 h3 --assert unreachable --probe`,
		Args:         cobra.ExactArgs(2),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch explain.Protocol(protocol) {
			case explain.ICMP, explain.TCP, explain.UDP:
			default:
				return usageErrorf("invalid --protocol %q: want icmp, tcp or udp", protocol)
			}
			if cmd.Flags().Changed("port") && (port < 1 || port > 65535) {
				return usageErrorf("invalid --port %d: want 1..65535", port)
			}
			if port != 0 && explain.Protocol(protocol) == explain.ICMP {
				return usageErrorf("--port needs --protocol tcp or udp")
			}
			if assert != "" && assert != string(explain.Reachable) && assert != string(explain.Unreachable) {
				return usageErrorf("invalid --assert %q: want reachable or unreachable", assert)
			}
			c, err := dialTopology(opts)
			if err != nil {
				return err
			}
			req := explain.Request{Source: args[0], Destination: args[1], Protocol: explain.Protocol(protocol), Port: port}
			res, err := c.Explain(cmd.Context(), api.ExplainRequest{Request: req, Probe: probe})
			if err != nil {
				return err
			}
			acting, err := c.Account(cmd.Context())
			if err != nil {
				return err
			}
			fixCommands(res, acting.ID, opts.topology)
			if opts.output == "json" {
				// Details read "10.0.0.0/16 -> pcx-1": keep the arrows.
				enc := json.NewEncoder(opts.stdout)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				err = enc.Encode(res)
			} else {
				err = writeExplain(opts.stdout, res)
			}
			if err != nil || assert == "" {
				return err
			}
			return checkAssertion(opts, res, explain.Verdict(assert))
		},
	}
	f := cmd.Flags()
	f.StringVar(&protocol, "protocol", "icmp", "protocol: icmp (echo), tcp or udp")
	f.IntVar(&port, "port", 0, "TCP or UDP destination port")
	f.BoolVar(&probe, "probe", false, "also send real packets from SRC and compare")
	f.StringVar(&assert, "assert", "", "exit 1 unless the answer is `reachable|unreachable` (and --probe's packets agree)")
	completeFlag(cmd, opts, "protocol", fixed("icmp", "tcp", "udp"))
	cmd.ValidArgsFunction = func(c *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
		if len(args) >= 2 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return matching(completeHosts(c.Context(), opts), prefix), cobra.ShellCompDirectiveNoFileComp
	}
	return cmd
}

// fixCommands rewrites the commands res suggests as the user would type
// them: without --account for the acting account, with --topology when the
// user chose the topology.
func fixCommands(res *explain.Result, acting, topo string) {
	prefix := "vpcsim "
	if topo != "" {
		prefix += "--topology " + topo + " "
	}
	r := strings.NewReplacer("vpcsim --account "+acting+" ", prefix, "vpcsim ", prefix)
	for _, p := range []*explain.Path{&res.Forward, &res.Return} {
		if p.Blocked != nil {
			p.Blocked.Message = r.Replace(p.Blocked.Message)
		}
	}
}

// checkAssertion returns an exit status of 1, saying why on standard
// error, when res is not the verdict asserted or its probe disagrees.
func checkAssertion(opts *options, res *explain.Result, want explain.Verdict) error {
	pair := fmt.Sprintf("%s -> %s", topology.Printable(res.Source.Given), topology.Printable(res.Destination.Given))
	switch p := res.Probe; {
	case res.Verdict != want:
		fmt.Fprintf(opts.stderr, "assertion failed: %s is %s, not %s\n", pair, res.Verdict, want)
	case p != nil && (!p.Sent || !p.Agrees):
		fmt.Fprintf(opts.stderr, "assertion failed: %s is %s by analysis, but the real packets do not agree: %s\n", pair, res.Verdict, topology.Printable(p.Note))
	default:
		return nil
	}
	return &exitError{code: 1}
}

// writeExplain prints res as a headline, a hop table per path and the probe.
func writeExplain(w io.Writer, res *explain.Result) error {
	what := string(res.Protocol)
	if res.Port != 0 {
		what += fmt.Sprintf(" port %d", res.Port)
	}
	fmt.Fprintf(w, "%s -> %s, %s: %s\n", topology.Printable(endpoint(res.Source)), topology.Printable(endpoint(res.Destination)), what, strings.ToUpper(string(res.Verdict)))
	for _, p := range []struct {
		name string
		path explain.Path
	}{{"FORWARD", res.Forward}, {"RETURN", res.Return}} {
		fmt.Fprintf(w, "\n%s  %s\n", p.name, strings.ReplaceAll(string(p.path.Verdict), "_", " "))
		if p.path.Note != "" {
			fmt.Fprintf(w, "  note: %s\n", topology.Printable(p.path.Note))
		}
		if len(p.path.Hops) > 0 {
			tw := newTable(w)
			fmt.Fprintln(tw, "STEP\tCOMPONENT\tID\tVERDICT\tDETAIL")
			for _, h := range p.path.Hops {
				v := h.Verdict
				if v == explain.HopBlocked {
					v = "BLOCKED"
				}
				row(tw, h.Step, h.Component, h.ID, v, h.Detail)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
		}
		if b := p.path.Blocked; b != nil {
			fmt.Fprintf(w, "blocked: %s at %s %s", b.Code, b.Component, topology.Printable(b.ID))
			if b.Drop != "" {
				fmt.Fprintf(w, " (the router of %s counts it as %s)", b.DropVPC, b.Drop)
			}
			fmt.Fprintf(w, "\n  %s\n", topology.Printable(b.Message))
		}
	}
	if p := res.Probe; p != nil {
		fmt.Fprintf(w, "\nPROBE  %s: %s\n", p.Method, topology.Printable(p.Outcome))
		if len(p.Drops) > 0 {
			var parts []string
			for vpc, ds := range p.Drops {
				for r, n := range ds {
					parts = append(parts, fmt.Sprintf("%s %s +%d", vpc, r, n))
				}
			}
			sort.Strings(parts)
			fmt.Fprintf(w, "  drops: %s\n", strings.Join(parts, ", "))
		}
		agree := "agrees with the analysis"
		switch {
		case !p.Sent:
			agree = "nothing was sent"
		case !p.Agrees:
			agree = "DISAGREES with the analysis"
		}
		if p.Note != "" {
			agree += ": " + p.Note
		}
		fmt.Fprintf(w, "  %s\n", topology.Printable(agree))
	}
	return nil
}

// endpoint formats an endpoint for the headline: "a1 (192.168.1.10, vpc1)".
func endpoint(e explain.Endpoint) string {
	var parts []string
	name := e.Given
	if e.Kind == explain.KindHost {
		name = e.Host
		parts = append(parts, e.IP.String())
	} else if e.Kind != explain.KindUnknown && e.Kind != explain.KindAddress {
		parts = append(parts, e.Kind)
	}
	if e.VPC != "" {
		parts = append(parts, e.VPC)
	}
	if len(parts) == 0 {
		return name
	}
	return fmt.Sprintf("%s (%s)", name, strings.Join(parts, ", "))
}
