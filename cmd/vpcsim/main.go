// Command vpcsim launches VPC peering topologies on one Linux machine and
// operates them: peerings, route tables, reachability.
package main

import (
	"context"
	"encoding/json"
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
	return runIO(ctx, args, os.Stdin, stdout, stderr)
}

// runIO is run reading standard input from stdin.
func runIO(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	opts := &options{stdin: stdin, stdout: stdout, stderr: stderr, args: args}
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
	code := 1
	if isUsageError(err) {
		code = 2
	}
	if opts.output == "json" {
		printJSONErrors(opts.stderr, err)
		return code
	}
	var list topology.ErrorList
	switch {
	case errors.As(err, &list):
		// FILE:LINE:COL: message, one per line, as compilers do.
		fmt.Fprintln(opts.stderr, list.Error())
	case code == 2:
		fmt.Fprintf(opts.stderr, "error: %v\n", err)
	default:
		// Every other error has a code: "error: Code: message".
		e := control.AsError(err)
		fmt.Fprintf(opts.stderr, "error: %s: %s\n", topology.Printable(string(e.Code)), topology.Printable(e.Message))
	}
	return code
}

// jsonError is an error as -o json prints it: one object per line on
// standard error, the position set for a mistake in a topology file.
type jsonError struct {
	Code    control.Code `json:"code"`
	Message string       `json:"message"`
	File    string       `json:"file"`
	Line    int          `json:"line"`
	Column  int          `json:"column"`
}

// jsonErrors returns err as jsonErrors: one per mistake of a topology
// file, else one. A usage error has the code InvalidParameter.
func jsonErrors(err error) []jsonError {
	var list topology.ErrorList
	if errors.As(err, &list) {
		out := make([]jsonError, len(list))
		for i, e := range list {
			out[i] = jsonError{Code: control.CodeInvalidParameter, Message: e.Msg, File: e.File, Line: e.Pos.Line, Column: e.Pos.Col}
		}
		return out
	}
	if isUsageError(err) {
		return []jsonError{{Code: control.CodeInvalidParameter, Message: err.Error()}}
	}
	e := control.AsError(err)
	return []jsonError{{Code: e.Code, Message: e.Message}}
}

func printJSONErrors(w io.Writer, err error) {
	enc := json.NewEncoder(w)
	for _, e := range jsonErrors(err) {
		enc.Encode(e)
	}
}
