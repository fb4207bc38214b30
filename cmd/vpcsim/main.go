// Command vpcsim launches VPC peering topologies on one Linux machine and
// operates them: peerings, route tables, reachability.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:]))
}

// run executes the command line args and returns the exit status.
func run(ctx context.Context, args []string) int {
	opts := newOptions()
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
	fmt.Fprintf(opts.stderr, "error: %v\n", err)
	if isUsageError(err) {
		return 2
	}
	return 1
}
