// Command vpcsim launches VPC peering topologies on one Linux machine and
// operates them: peerings, route tables, reachability.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/topology"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line args, writing to stdout and stderr, and
// returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts := &options{stdout: stdout, stderr: stderr, args: args}
	cmd := newRootCmd(opts)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ex *exitError
	if errors.As(err, &ex) {
		return ex.code
	}
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		// Ctrl-C: what was under way was undone; exit as a shell does.
		fmt.Fprintln(opts.stderr, "interrupted")
		return 130
	}
	var list topology.ErrorList
	if errors.As(err, &list) {
		// FILE:LINE:COL: message, one per line, as compilers do.
		fmt.Fprintln(opts.stderr, list.Error())
		return 1
	}
	if isUsageError(err) {
		fmt.Fprintf(opts.stderr, "error: %v\n", err)
		return 2
	}
	// Every other error has a code: "error: Code: message".
	e := control.AsError(err)
	fmt.Fprintf(opts.stderr, "error: %s: %s\n", topology.Printable(string(e.Code)), topology.Printable(e.Message))
	return 1
}
