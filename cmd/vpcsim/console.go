package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/vpcsim/vpcsim/api"
)

func newConsoleCmd(opts *options) *cobra.Command {
	var addr string
	cmd := &cobra.Command{
		Use:   "console [--addr ADDR]",
		Short: "Open the web console of the running topology and print its URL",
		Long: `Ask the running topology's daemon to serve its web console, the product's
私有网络 console: VPCs, subnets, route tables, peering connections with
create, accept, reject and delete, a peering's related routes, and a
reachability page; in Chinese or English. It prints the console's URL; when
the console already serves, it prints where.

The console listens on a free port of 127.0.0.1 unless --addr says
otherwise; a bare port (":8080") listens on 127.0.0.1 only. It has no login:
whoever reaches it may act as any account of the topology (switching
accounts is how one person plays both sides of a cross-account peering), so
an address beyond the loopback interface is warned about. Only the
topology's first account may open it. "vpcsim up --console ADDR" serves it
from the launch on.`,
		Example: `  vpcsim console
  vpcsim console --addr :8080    # from another machine: ssh -L 8080:127.0.0.1:8080 HOST
  vpcsim console -o json`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := call(cmd, opts, func(ctx context.Context, c *api.Client) (api.Console, error) {
				return c.ServeConsole(ctx, addr)
			})
			if err != nil {
				return err
			}
			if opts.output == "json" {
				return printJSON(opts.stdout, c)
			}
			if c.Warning != "" {
				fmt.Fprintf(opts.stderr, "warning: %s\n", c.Warning)
			}
			_, err = fmt.Fprintln(opts.stdout, c.URL)
			return err
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "", "where to listen: HOST:PORT, or a bare port on 127.0.0.1 (default: a free port of 127.0.0.1, or where the console serves already)")
	return cmd
}
