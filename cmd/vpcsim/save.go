package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/intent"
	"github.com/vpcsim/vpcsim/topology"
)

// outputIsFile is the cobra annotation of a command whose -o names a file.
const outputIsFile = "vpcsim/output-is-file"

func newSaveCmd(opts *options) *cobra.Command {
	var expect bool
	cmd := &cobra.Command{
		Use:   "save [-o FILE] [--expect]",
		Short: "Write the running topology, with every change since launch, as a topology file",
		Long: `Write the running topology as a topology file: its VPCs, subnets and hosts,
the routes its route tables hold now, and every peering with its id and
status (active, pending, and the rejected, expired and deleted ones the
topology still shows). The file validates, and launched it gives the same
peerings, statuses, routes and ids.

The file goes to -o FILE, or to standard output. Only the topology's first
account may save: the file holds every account's VPCs.

The expect: rules of the launch file are kept. --expect replaces them with
the reachability matrix as it is now (see "vpcsim reach"), as rules that
"vpcsim check" verifies: a snapshot to check later changes against. Two VPCs
whose host pairs all fare alike get one rule each way, with the reason of an
unreachable pair; others a rule per host pair; pairs inside a VPC none.`,
		Example: `  vpcsim save -o snapshot.yaml
  vpcsim save | vpcsim validate /dev/stdin
  vpcsim save --expect -o baseline.yaml && vpcsim check baseline.yaml`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{outputIsFile: "true"},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := dialTopology(opts)
			if err != nil {
				return err
			}
			b, err := c.Save(cmd.Context())
			if err != nil {
				return err
			}
			if expect {
				if b, err = withMatrix(cmd.Context(), c, b); err != nil {
					return err
				}
			}
			if !cmd.Flags().Changed("output") || opts.output == "-" {
				_, err := opts.stdout.Write(b)
				return err
			}
			if err := os.WriteFile(opts.output, b, 0o644); err != nil {
				return control.Errorf(control.CodeInvalidParameter, "save: %v", err)
			}
			fmt.Fprintf(opts.stderr, "saved the topology to %s\n", opts.output)
			return nil
		},
	}
	cmd.Flags().BoolVar(&expect, "expect", false, "write the reachability matrix as it is now as the file's expect: rules")
	return cmd
}

// withMatrix returns the saved topology file saved with its expect: rules
// replaced by the reachability matrix c answers now.
func withMatrix(ctx context.Context, c *api.Client, saved []byte) ([]byte, error) {
	t, err := topology.Parse("saved topology", saved)
	if err != nil {
		return nil, control.Errorf(control.CodeInternal, "the daemon saved a file that does not parse: %v", err)
	}
	m, err := intent.Reach(ctx, c, intent.Hosts(t), nil, intent.Options{})
	if err != nil {
		return nil, err
	}
	if t.Expect, err = m.Expectations(t); err != nil {
		return nil, control.Errorf(control.CodeInvalidParameter, "save --expect: %v", err)
	}
	var header []string
	for _, line := range strings.Split(string(saved), "\n") {
		if !strings.HasPrefix(line, "#") {
			break
		}
		header = append(header, strings.TrimPrefix(strings.TrimPrefix(line, "#"), " "))
	}
	header = append(header, fmt.Sprintf("expect: the reachability of its %d hosts then (%d of %d pairs reachable), by \"vpcsim save --expect\".",
		len(m.Hosts), m.Reachable, len(m.Pairs)))
	out := topology.Format(t, strings.Join(header, "\n"))
	// What check cannot take (more than topology.MaxExpectPairs pairs)
	// is better refused now than found out later.
	if _, err := topology.Parse("saved topology", out); err != nil {
		return nil, control.Errorf(control.CodeInvalidParameter, "save --expect: the matrix makes rules the file cannot hold: %v", err)
	}
	return out, nil
}
