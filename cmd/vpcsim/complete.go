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

// completionClient returns a client of the topology the command would act
// on, for completion: the environment is read as the command's would.
func completionClient(ctx context.Context, opts *options) (*api.Client, context.Context, context.CancelFunc, bool) {
	if opts.topology == "" {
		opts.topology = os.Getenv("VPCSIM_TOPOLOGY")
	}
	if opts.account == "" {
		opts.account = os.Getenv("VPCSIM_ACCOUNT")
	}
	c, err := dialTopology(opts)
	if err != nil {
		return nil, nil, nil, false
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	return c, ctx, cancel, true
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

func completeVPCs(ctx context.Context, opts *options) []string {
	c, ctx, cancel, ok := completionClient(ctx, opts)
	if !ok {
		return nil
	}
	defer cancel()
	st, err := c.Status(ctx)
	if err != nil {
		return nil
	}
	var names []string
	for _, v := range st.VPCs {
		names = append(names, v.ID)
	}
	return names
}

func completeHosts(ctx context.Context, opts *options) []string {
	c, ctx, cancel, ok := completionClient(ctx, opts)
	if !ok {
		return nil
	}
	defer cancel()
	st, err := c.Status(ctx)
	if err != nil {
		return nil
	}
	var names []string
	for _, h := range st.Hosts {
		names = append(names, h.Name)
	}
	return names
}

func completeTables(ctx context.Context, opts *options) []string {
	c, ctx, cancel, ok := completionClient(ctx, opts)
	if !ok {
		return nil
	}
	defer cancel()
	rs, err := c.Routes(ctx, "", "")
	if err != nil {
		return nil
	}
	var names []string
	for _, r := range rs {
		if !slices.Contains(names, r.RouteTable) {
			names = append(names, r.RouteTable)
		}
	}
	return names
}

func completePeerings(ctx context.Context, opts *options) []string {
	c, ctx, cancel, ok := completionClient(ctx, opts)
	if !ok {
		return nil
	}
	defer cancel()
	ps, err := c.Peerings(ctx, false)
	if err != nil {
		return nil
	}
	var names []string
	for _, p := range ps {
		names = append(names, p.ID)
		if p.Name != "" && !slices.Contains(names, p.Name) {
			names = append(names, p.Name)
		}
	}
	return names
}

func completeAccounts(ctx context.Context, opts *options) []string {
	c, ctx, cancel, ok := completionClient(ctx, opts)
	if !ok {
		return nil
	}
	defer cancel()
	as, err := c.Accounts(ctx)
	if err != nil {
		return nil
	}
	var names []string
	for _, a := range as {
		names = append(names, a.ID)
	}
	return names
}

// confirm asks question on the terminal and reports whether the answer is
// yes. Without a terminal on standard input it asks nothing: yes.
func confirm(opts *options, question string) (bool, error) {
	if !isTerminal(os.Stdin) {
		return true, nil
	}
	fmt.Fprintf(opts.stderr, "%s [y/N] ", question)
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
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
