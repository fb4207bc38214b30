package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/vpcsim/vpcsim/control"
)

// outputIsFile is the cobra annotation of a command whose -o names a file.
const outputIsFile = "vpcsim/output-is-file"

func newSaveCmd(opts *options) *cobra.Command {
	return &cobra.Command{
		Use:   "save [-o FILE]",
		Short: "Write the running topology, with every change since launch, as a topology file",
		Long: `Write the running topology as a topology file: its VPCs, subnets and hosts,
the routes its route tables hold now, and every peering with its id and
status (active, pending, and the rejected, expired and deleted ones the
topology still shows). The file validates, and launched it gives the same
peerings, statuses, routes and ids.

The file goes to -o FILE, or to standard output. Only the topology's first
account may save: the file holds every account's VPCs.`,
		Example: `  vpcsim save -o snapshot.yaml
  vpcsim save | vpcsim validate /dev/stdin`,
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
}
