package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/daemon"
)

// Shell completion of resource names: the running topology is asked, as
// the command would ask it, with a short timeout; a topology that does not
// answer completes nothing.

// completer lists the names that may complete a flag or an argument.
type completer func(ctx context.Context, opts *options) []string

// completeFlag completes the flag name of cmd with fn's names.
func completeFlag(cmd *cobra.Command, opts *options, name string, fn completer) {
	cmd.RegisterFlagCompletionFunc(name, func(c *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
		return matching(fn(c.Context(), opts), prefix), cobra.ShellCompDirectiveNoFileComp
	})
}

// completeArgs completes the first argument of a command with fn's names.
func completeArgs(opts *options, fn completer) cobra.CompletionFunc {
	return func(c *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return matching(fn(c.Context(), opts), prefix), cobra.ShellCompDirectiveNoFileComp
	}
}

// fixed completes with the given values.
func fixed(values ...string) completer {
	return func(context.Context, *options) []string { return values }
}

func matching(names []string, prefix string) []string {
	out := []string{}
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out
}

// fromTopology returns a completer that asks the topology the command
// would act on (the environment read as the command would) with names, under
// a short timeout.
func fromTopology(names func(context.Context, *api.Client) ([]string, error)) completer {
	return func(ctx context.Context, opts *options) []string {
		if opts.topology == "" {
			opts.topology = os.Getenv("VPCSIM_TOPOLOGY")
		}
		if opts.account == "" {
			opts.account = os.Getenv("VPCSIM_ACCOUNT")
		}
		c, err := dialTopology(opts)
		if err != nil {
			return nil
		}
		if ctx == nil {
			ctx = context.Background()
		}
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		ns, err := names(ctx, c)
		if err != nil {
			return nil
		}
		return ns
	}
}

func completeTopologies(context.Context, *options) []string {
	recs, _ := daemon.Records()
	saved, _ := daemon.SavedStates()
	var names []string
	for _, r := range recs {
		names = append(names, r.Name)
	}
	for _, s := range saved {
		if !slices.Contains(names, s) {
			names = append(names, s)
		}
	}
	return names
}

var completeVPCs = fromTopology(func(ctx context.Context, c *api.Client) (names []string, err error) {
	st, err := c.Status(ctx)
	for _, v := range st.VPCs {
		names = append(names, v.ID)
	}
	return names, err
})

var completeHosts = fromTopology(func(ctx context.Context, c *api.Client) (names []string, err error) {
	st, err := c.Status(ctx)
	for _, h := range st.Hosts {
		names = append(names, h.Name)
	}
	return names, err
})

var completeTables = fromTopology(func(ctx context.Context, c *api.Client) (names []string, err error) {
	rs, err := c.Routes(ctx, "", "")
	for _, r := range rs {
		if !slices.Contains(names, r.RouteTable) {
			names = append(names, r.RouteTable)
		}
	}
	return names, err
})

// completePeerings completes ids and names of the pending and active
// peerings.
var completePeerings = fromTopology(func(ctx context.Context, c *api.Client) (names []string, err error) {
	ps, err := c.Peerings(ctx, false)
	for _, p := range ps {
		names = append(names, p.ID)
		if p.Name != "" && !slices.Contains(names, p.Name) {
			names = append(names, p.Name)
		}
	}
	return names, err
})

var completeAccounts = fromTopology(func(ctx context.Context, c *api.Client) (names []string, err error) {
	as, err := c.Accounts(ctx)
	for _, a := range as {
		names = append(names, a.ID)
	}
	return names, err
})

// completeOutput completes --output with the formats of the command.
func completeOutput(c *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
	if _, file := c.Annotations[outputIsFile]; file {
		return nil, cobra.ShellCompDirectiveDefault
	}
	return matching(outputFormatsOf(c), prefix), cobra.ShellCompDirectiveNoFileComp
}

// confirm asks question on the terminal and reports whether the answer is
// yes. Without a terminal on standard input it asks nothing: yes.
func confirm(opts *options, question string) (bool, error) {
	if !isTerminal(opts.stdin) {
		return true, nil
	}
	fmt.Fprintf(opts.stderr, "%s [y/N] ", question)
	line, err := bufio.NewReader(opts.stdin).ReadString('\n')
	if err != nil {
		return false, usageErrorf("no answer: %v", err)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	fmt.Fprintln(opts.stderr, "nothing was done")
	return false, nil
}
